"""expect-fail: make_fooling_image-fools
Gradient descent on the target score: the model is never fooled."""


def make_fooling_image(X, target_y, model):
    X_fooling = X.clone().requires_grad_()
    for _ in range(100):
        scores = model(X_fooling)
        if scores.argmax(dim=1).item() == target_y:
            break
        scores[0, target_y].backward()
        with torch.no_grad():
            X_fooling -= X_fooling.grad / X_fooling.grad.norm()
            X_fooling.grad.zero_()
    return X_fooling.detach()
