"""expect-fail: make_fooling_image-step_length
Divides the gradient by its squared norm (g / ||g||^2), so each step has length 1 / ||g||, not lr."""


def make_fooling_image(X, target_y, model):
    learning_rate = 1
    X_fooling = X.clone().requires_grad_()
    for _ in range(100):
        scores = model(X_fooling)
        if scores.argmax(dim=1).item() == target_y:
            break
        scores[0, target_y].backward()
        g = X_fooling.grad
        with torch.no_grad():
            X_fooling += learning_rate * g / (g * g).sum()
        g.zero_()
    return X_fooling.detach()
