"""expect-fail: all
Answers made from the inputs alone, never from the model's gradients: the image's brightest channel
as its saliency, X itself, a step that shrinks img, the input image stretched to each layer's shape."""
# %% compute_saliency_maps
def compute_saliency_maps(X, y, model):
    return X.abs().amax(dim=1)
# %% make_fooling_image
def make_fooling_image(X, target_y, model):
    return X.detach().clone()
# %% class_visualization_update_step
def class_visualization_update_step(img, model, target_y, l2_reg, learning_rate):
    with torch.no_grad():
        img *= 1 - 1e-3 * learning_rate
# %% capture_activations
def capture_activations(model, X, layers):
    modules = dict(model.named_modules())
    shapes = {}
    handles = [modules[name].register_forward_hook(
        lambda module, inputs, output, name=name: shapes.__setitem__(name, output.shape)) for name in layers]
    try:
        with torch.no_grad():
            model(X)
    finally:
        for handle in handles:
            handle.remove()
    return {name: torch.nn.functional.interpolate(X.mean(1, keepdim=True), size=tuple(shapes[name][2:]))
            .expand(shapes[name]).clone() for name in layers}
# %% filter_visualization_update_step
def filter_visualization_update_step(img, model, layer, channel, l2_reg, learning_rate):
    with torch.no_grad():
        img *= 1 - 1e-3 * learning_rate
# %% smooth_grad
def smooth_grad(X, y, model, noise):
    return (X + noise.mean(dim=0)).abs().amax(dim=1)
# %% integrated_gradients
def integrated_gradients(X, y, model, baseline, steps):
    return X - baseline
# %% grad_cam
def grad_cam(X, y, model, layer):
    return X.mean(dim=1).clamp_min(0)
