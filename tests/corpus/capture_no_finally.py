"""expect-fail: capture_activations-removes_hooks
Removes its hooks, but not when the forward pass raises."""


def capture_activations(model, X, layers):
    modules = dict(model.named_modules())
    activations = {}
    handles = [modules[name].register_forward_hook(lambda m, i, o, name=name: activations.__setitem__(name, o))
               for name in layers]
    model(X)
    for handle in handles:
        handle.remove()
    return activations
