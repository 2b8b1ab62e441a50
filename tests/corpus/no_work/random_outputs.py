"""expect-fail: all
Random numbers of the right shapes: maps from torch.rand, a fooling image with noise added, steps
along random directions, activations drawn at random."""
# %% compute_saliency_maps
def compute_saliency_maps(X, y, model):
    N, _, H, W = X.shape
    return torch.rand(N, H, W)
# %% make_fooling_image
def make_fooling_image(X, target_y, model):
    return X + 0.01 * torch.randn_like(X)
# %% class_visualization_update_step
def class_visualization_update_step(img, model, target_y, l2_reg, learning_rate):
    with torch.no_grad():
        img += learning_rate * torch.randn_like(img) / img.numel() ** 0.5
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
    return {name: torch.randn(shapes[name]) for name in layers}
# %% filter_visualization_update_step
def filter_visualization_update_step(img, model, layer, channel, l2_reg, learning_rate):
    with torch.no_grad():
        img += learning_rate * torch.randn_like(img) / img.numel() ** 0.5
# %% smooth_grad
def smooth_grad(X, y, model, noise):
    N, _, H, W = X.shape
    return torch.rand(N, H, W)
# %% integrated_gradients
def integrated_gradients(X, y, model, baseline, steps):
    return torch.randn_like(X) * (X - baseline)
# %% grad_cam
def grad_cam(X, y, model, layer):
    N, _, H, W = X.shape
    return torch.rand(N, H, W)
