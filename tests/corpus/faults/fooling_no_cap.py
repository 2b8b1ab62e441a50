"""expect-fail: make_fooling_image-within_budget
No iteration cap: correct whenever the target can be reached, but it never returns when it cannot.
A hang in one case costs only the check that meets it."""


def make_fooling_image(X, target_y, model):
    X_fooling = X.clone().requires_grad_()
    while model(X_fooling).argmax(dim=1).item() != target_y:
        model(X_fooling)[0, target_y].backward()
        with torch.no_grad():
            X_fooling += X_fooling.grad / X_fooling.grad.norm()
            X_fooling.grad.zero_()
    return X_fooling.detach()
