"""expect-fail: capture_activations-removes_hooks
Never removes its hooks."""


def capture_activations(model, X, layers):
    modules = dict(model.named_modules())
    activations = {}
    for name in layers:
        modules[name].register_forward_hook(lambda m, i, o, name=name: activations.__setitem__(name, o))
    model(X)
    return activations
