"""expect-fail: make_fooling_image-no_extra_step
The classic order: score, step, then test the prediction of those scores, computed before the step.
It takes one step after the model is already fooled, and moves an input that already fools it."""


def make_fooling_image(X, target_y, model):
    learning_rate = 1
    X_fooling = X.clone().detach().requires_grad_(True)
    for it in range(100):
        scores = model(X_fooling)
        target_score = scores[0, target_y]
        target_score.backward()
        g = X_fooling.grad.data
        X_fooling.data += learning_rate * g / g.norm()
        X_fooling.grad.data.zero_()
        if scores.data.argmax() == target_y:
            break
    return X_fooling.detach()
