"""expect-fail: none
Module-level constants in the function's own cell, and a helper defined there too."""
# %% make_fooling_image
MAX_ITERS = 100
LEARNING_RATE = 1


def step_towards(X, g):
    return X + LEARNING_RATE * g / g.norm()


def make_fooling_image(X, target_y, model):
    X_fooling = X.clone()
    for _ in range(MAX_ITERS):
        X_fooling.requires_grad_()
        scores = model(X_fooling)
        if scores.argmax(dim=1).item() == target_y:
            break
        g, = torch.autograd.grad(scores[0, target_y], X_fooling)
        X_fooling = step_towards(X_fooling.detach(), g)
    return X_fooling.detach()
# %% capture_activations
HOOK_NAMES = ("forward",)


def capture_activations(model, X, layers):
    modules = dict(model.named_modules())
    activations = {}
    handles = []
    try:
        for name in layers:
            handles.append(modules[name].register_forward_hook(
                lambda module, inputs, output, name=name: activations.__setitem__(name, output)))
        model(X)
    finally:
        for handle in handles:
            handle.remove()
    return activations
