"""expect-fail: make_fooling_image-keeps_fooled_input
Steps first and tests the new prediction after each step: right once it has moved, but an input that
the model already classifies as the target still gets one step."""


def make_fooling_image(X, target_y, model):
    X_fooling = X.clone().requires_grad_()
    for _ in range(100):
        model(X_fooling)[0, target_y].backward()
        with torch.no_grad():
            X_fooling += X_fooling.grad / X_fooling.grad.norm()
        X_fooling.grad = None
        if model(X_fooling).argmax(dim=1).item() == target_y:
            break
    return X_fooling.detach()
