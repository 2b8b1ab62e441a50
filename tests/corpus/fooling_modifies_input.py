"""expect-fail: make_fooling_image-input_and_dtype
Updates X itself instead of a copy."""


def make_fooling_image(X, target_y, model):
    X_fooling = X.requires_grad_()
    for _ in range(100):
        scores = model(X_fooling)
        if scores.argmax(dim=1).item() == target_y:
            break
        scores[0, target_y].backward()
        X_fooling.data += X_fooling.grad / X_fooling.grad.norm()
        X_fooling.grad.zero_()
    return X_fooling.detach()
