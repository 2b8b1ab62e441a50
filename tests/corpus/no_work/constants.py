"""expect-fail: all
Constants: maps of ones, X shifted by a constant, steps that add the learning rate everywhere,
activations of ones."""
# %% compute_saliency_maps
def compute_saliency_maps(X, y, model):
    return torch.ones(X.shape[0], X.shape[2], X.shape[3])
# %% make_fooling_image
def make_fooling_image(X, target_y, model):
    return X + 0.5
# %% class_visualization_update_step
def class_visualization_update_step(img, model, target_y, l2_reg, learning_rate):
    with torch.no_grad():
        img += learning_rate * 1e-3
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
    return {name: torch.ones(shapes[name]) for name in layers}
# %% filter_visualization_update_step
def filter_visualization_update_step(img, model, layer, channel, l2_reg, learning_rate):
    with torch.no_grad():
        img += learning_rate * 1e-3
# %% smooth_grad
def smooth_grad(X, y, model, noise):
    return torch.ones(X.shape[0], X.shape[2], X.shape[3])
# %% integrated_gradients
def integrated_gradients(X, y, model, baseline, steps):
    return torch.full_like(X, 1e-3)
# %% grad_cam
def grad_cam(X, y, model, layer):
    return torch.ones(X.shape[0], X.shape[2], X.shape[3])
