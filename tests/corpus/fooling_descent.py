"""expect-fail: make_fooling_image-fools make_fooling_image-within_budget make_fooling_image-stops_when_fooled
Gradient descent on the target score: the model is never fooled, so there is no stopping point to
judge, and on the real model the descent reaches a zero gradient and divides by its norm (NaN)."""


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
