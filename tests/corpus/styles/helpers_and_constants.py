"""expect-fail: none
Helpers, imports and constants in cells of their own above the stubs (the saliency and class
steps use them), and module-level constants and a helper in the function's own cell (fooling,
capture)."""
# %% before compute_saliency_maps
import torch.nn.functional as F
# %% before compute_saliency_maps
STEP_SIZE = 1.0


def _unit(g):
    """g scaled to unit L2 norm."""
    return g / g.norm()
# %% compute_saliency_maps
def compute_saliency_maps(X, y, model):
    model.eval()
    X = X.clone().requires_grad_()
    scores = model(X)
    loss = -F.nll_loss(scores, y, reduction="sum")  # the sum of the correct scores
    loss.backward()
    return X.grad.abs().max(dim=1).values
# %% class_visualization_update_step
def class_visualization_update_step(img, model, target_y, l2_reg, learning_rate):
    objective = model(img)[0, target_y] - l2_reg * img.pow(2).sum()
    objective.backward()
    with torch.no_grad():
        img += learning_rate * _unit(img.grad)
        img.grad.zero_()
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
# %% before smooth_grad
def _correct_score_gradient(model, X, y):
    """d s_y / d X for a batch, with the model in eval mode and its mode restored."""
    mode = model.training
    model.eval()
    try:
        leaf = X.detach().clone().requires_grad_()
        return torch.autograd.grad(model(leaf).gather(1, y.view(-1, 1)).sum(), leaf)[0]
    finally:
        model.train(mode)
# %% smooth_grad
def smooth_grad(X, y, model, noise):
    return torch.stack([_correct_score_gradient(model, X + eps, y).abs().amax(dim=1) for eps in noise]).mean(dim=0)
# %% integrated_gradients
RIGHT_RIEMANN_START = 1


def integrated_gradients(X, y, model, baseline, steps):
    alphas = torch.arange(RIGHT_RIEMANN_START, steps + 1, dtype=X.dtype) / steps
    grads = sum(_correct_score_gradient(model, baseline + a * (X - baseline), y) for a in alphas)
    return (X - baseline) * grads / steps
