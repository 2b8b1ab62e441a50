"""expect-fail: all
The right types and shapes, and nothing else: zero maps, X.clone(), steps that change nothing, a
dict of zero tensors of the layers' shapes, zero attributions."""
# %% compute_saliency_maps
def compute_saliency_maps(X, y, model):
    N, _, H, W = X.shape
    return torch.zeros(N, H, W, dtype=X.dtype)
# %% make_fooling_image
def make_fooling_image(X, target_y, model):
    return X.clone()
# %% class_visualization_update_step
def class_visualization_update_step(img, model, target_y, l2_reg, learning_rate):
    return None
# %% capture_activations
def capture_activations(model, X, layers):
    modules = dict(model.named_modules())
    shapes = {}
    handles = [modules[name].register_forward_hook(
        lambda module, inputs, output, name=name: shapes.__setitem__(name, output.shape)) for name in layers]
    with torch.no_grad():
        model(X)
    for handle in handles:
        handle.remove()
    return {name: torch.zeros(shapes[name]) for name in layers}
# %% filter_visualization_update_step
def filter_visualization_update_step(img, model, layer, channel, l2_reg, learning_rate):
    return None
# %% smooth_grad
def smooth_grad(X, y, model, noise):
    N, _, H, W = X.shape
    return torch.zeros(N, H, W, dtype=X.dtype)
# %% integrated_gradients
def integrated_gradients(X, y, model, baseline, steps):
    return torch.zeros_like(X)
# %% grad_cam
def grad_cam(X, y, model, layer):
    N, _, H, W = X.shape
    return torch.zeros(N, H, W, dtype=X.dtype)
