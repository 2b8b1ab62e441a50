"""expect-fail: all
The release with only its `raise NotImplementedError()` lines deleted: each function returns what
the scaffolding left (None, an unchanged copy of X, an empty dict)."""
# %% compute_saliency_maps
def compute_saliency_maps(X, y, model):
    saliency = None
    return saliency
# %% make_fooling_image
def make_fooling_image(X, target_y, model):
    learning_rate = 1
    max_iterations = 100
    X_fooling = X.clone().requires_grad_()
    return X_fooling.detach()
# %% class_visualization_update_step
def class_visualization_update_step(img, model, target_y, l2_reg, learning_rate):
    pass
# %% capture_activations
def capture_activations(model, X, layers):
    modules = dict(model.named_modules())
    activations = {}
    return activations
# %% filter_visualization_update_step
def filter_visualization_update_step(img, model, layer, channel, l2_reg, learning_rate):
    pass
# %% smooth_grad
def smooth_grad(X, y, model, noise):
    maps = None
    return maps
# %% integrated_gradients
def integrated_gradients(X, y, model, baseline, steps):
    attributions = None
    return attributions
# %% grad_cam
def grad_cam(X, y, model, layer):
    module = dict(model.named_modules())[layer]
    cams = None
    return cams
