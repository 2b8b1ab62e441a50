"""expect-fail: make_fooling_image-step_length
Steps lr * g without dividing by the gradient's norm: the steps are as long as the gradient. The loop
itself stops as it should."""


def make_fooling_image(X, target_y, model):
    learning_rate = 1
    X_fooling = X.clone().requires_grad_()
    for _ in range(100):
        scores = model(X_fooling)
        if scores.argmax(dim=1).item() == target_y:
            break
        scores[0, target_y].backward()
        with torch.no_grad():
            X_fooling += learning_rate * X_fooling.grad
            X_fooling.grad.zero_()
    return X_fooling.detach()
