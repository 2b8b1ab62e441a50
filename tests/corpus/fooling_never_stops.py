"""expect-fail: make_fooling_image-stops_when_fooled
Takes all 100 steps, even after the model is fooled."""


def make_fooling_image(X, target_y, model):
    X_fooling = X.clone().requires_grad_()
    for _ in range(100):
        model(X_fooling)[0, target_y].backward()
        with torch.no_grad():
            X_fooling += X_fooling.grad / X_fooling.grad.norm()
            X_fooling.grad.zero_()
    return X_fooling.detach()
