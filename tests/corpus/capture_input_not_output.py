"""expect-fail: capture_activations-shapes capture_activations-values filter_visualization_update_step-ascends filter_visualization_update_step-direction
Stores the layer's input instead of its output (the filter step, which uses it, then ascends the wrong quantity)."""


def capture_activations(model, X, layers):
    modules = dict(model.named_modules())
    activations = {}
    handles = []
    try:
        for name in layers:
            handles.append(modules[name].register_forward_hook(
                lambda m, inputs, o, name=name: activations.__setitem__(name, inputs[0])))
        model(X)
    finally:
        for handle in handles:
            handle.remove()
    return activations
