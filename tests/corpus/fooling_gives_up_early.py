"""expect-fail: make_fooling_image-no_early_stop
Gives up after 20 iterations, although the assignment allows 100: every target that takes longer to
reach is left unreached."""


def make_fooling_image(X, target_y, model):
    X_fooling = X.clone().requires_grad_()
    for i in range(20):
        scores = model(X_fooling)
        if scores.argmax(dim=1).item() == target_y:
            print(f"fooled after {i} iterations")
            break
        scores[0, target_y].backward()
        with torch.no_grad():
            X_fooling += X_fooling.grad / X_fooling.grad.norm()
        X_fooling.grad.zero_()
    return X_fooling.detach()
