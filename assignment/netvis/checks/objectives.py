"""The quantities the student functions compute, each defined once.

The checks use them for public reference values and for deciding whether an answer shows any
work; the autograder's hidden-case generator uses the same definitions for its known mistakes.
Images are float tensors of shape (N, 3, H, W) in the model's normalised pixel space.
"""
import torch


def layer_output(model, layer: str, X: torch.Tensor) -> torch.Tensor:
    """Output of ``layer`` ("features.4", "classifier.1") for X, by running the Sequential prefix."""
    container, index = layer.split(".")
    if container == "classifier":
        X = model.features(X)
    return getattr(model, container)[: int(index) + 1](X)


def layer_input(model, layer: str, X: torch.Tensor) -> torch.Tensor:
    """Input of ``layer`` for X: the previous layer's output (X itself, or the features, for a first layer)."""
    container, index = layer.split(".")
    if int(index) > 0:
        return layer_output(model, f"{container}.{int(index) - 1}", X)
    return model.features(X) if container == "classifier" else X


def class_score(model, img: torch.Tensor, target: int) -> torch.Tensor:
    """s_y(img): the unnormalised score of class ``target`` for the first image (a scalar)."""
    return model(img)[0, target]


def channel_mean(model, img: torch.Tensor, layer: str, channel: int) -> torch.Tensor:
    """The mean over positions of ``channel`` of ``layer``'s output for the first image (a scalar)."""
    return layer_output(model, layer, img)[0, channel].mean()


def l2_penalty(img: torch.Tensor, l2_reg: float) -> torch.Tensor:
    """l2_reg * ||img||_2^2 (a scalar)."""
    return l2_reg * img.pow(2).sum()


def gradient(fn, img: torch.Tensor) -> torch.Tensor:
    """d fn(img) / d img at ``img``, of img's shape; ``img`` itself is not touched."""
    leaf = img.detach().clone().requires_grad_()
    with torch.enable_grad():
        grad, = torch.autograd.grad(fn(leaf), leaf)
    return grad


def saliency(model, X: torch.Tensor, y: torch.Tensor, loss: bool = False) -> torch.Tensor:
    """max over channels of |d s_{y_i} / d X_i|: shape (N, H, W), with the model in eval mode.

    ``loss``, a known mistake: the gradient of the summed cross-entropy loss instead (the same as
    NLL of the log-softmax, or -log of the softmax probability of y_i; a mean differs by a factor)."""
    training = model.training
    model.eval()
    try:
        grad = gradient(lambda leaf: target_scores(model(leaf), y, loss), X)
    finally:
        model.train(training)
    return grad.abs().amax(dim=1)


def correlation(a: torch.Tensor, b: torch.Tensor) -> float:
    """Pearson correlation of the flattened tensors (0.0 where either is constant)."""
    a, b = a.detach().flatten().double(), b.detach().flatten().double()
    a, b = a - a.mean(), b - b.mean()
    denominator = float(a.norm() * b.norm())
    return float(a @ b) / denominator if denominator > 0 else 0.0


def without(v: torch.Tensor, direction: torch.Tensor) -> torch.Tensor:
    """``v`` less its component along ``direction`` (both flattened)."""
    v, d = v.detach().flatten().double(), direction.detach().flatten().double()
    return v - (v @ d) / (d @ d).clamp_min(1e-300) * d


def cosine(a: torch.Tensor, b: torch.Tensor) -> float:
    """Cosine similarity of the flattened tensors (0.0 where either is zero)."""
    a, b = a.detach().flatten().double(), b.detach().flatten().double()
    denominator = float(a.norm() * b.norm())
    return float(a @ b) / denominator if denominator > 0 else 0.0


# -- Part 5: attributions. Each takes the known mistakes as switches, so that the checks can name them.

class evaluating:
    """``with evaluating(model):`` the model in eval mode, its own mode back afterwards."""

    def __init__(self, model):
        self.model = model

    def __enter__(self):
        self.training = self.model.training
        self.model.eval()
        return self.model

    def __exit__(self, *exc):
        self.model.train(self.training)


def target_scores(scores: torch.Tensor, y: torch.Tensor, loss: bool = False) -> torch.Tensor:
    """The sum over the batch of s_{y_i} (or, a known mistake, of the cross-entropy loss)."""
    y = y.to(scores.device).view(-1, 1)
    if loss:
        return torch.nn.functional.cross_entropy(scores, y.view(-1), reduction="sum")
    return scores.gather(1, y).sum()


def score_gradient(model, X: torch.Tensor, y: torch.Tensor, loss: bool = False) -> torch.Tensor:
    """d s_{y_i} / d X_i for every image (eval mode), of X's shape."""
    with evaluating(model):
        return gradient(lambda leaf: target_scores(model(leaf), y, loss), X)


def smooth_grad(model, X, y, noise, add_noise: bool = True, accumulate: bool = False,
                loss: bool = False) -> torch.Tensor:
    """mean over k of the saliency of X + noise[k]: shape (N, H, W).

    Mistakes: ``add_noise=False`` (the saliency of X, K times), ``accumulate`` (each sample's
    gradient added to those before it, as a leaf's .grad does unless it is reset), ``loss``."""
    total, running = 0.0, 0.0
    for sample in noise:
        grad = score_gradient(model, X + sample if add_noise else X, y, loss)
        running = running + grad if accumulate else grad
        total = total + running.abs().amax(dim=1)
    return total / len(noise)


def integrated_gradients(model, X, y, baseline, steps: int, rule: str = "right", scale: bool = True,
                         accumulate: bool = False, loss: bool = False) -> torch.Tensor:
    """(X - baseline) * (1/steps) * sum_k d s_y / d x at baseline + alpha_k (X - baseline): shape (N, 3, H, W).

    ``rule="right"`` takes alpha_k = k/steps, k = 1..steps (Captum's "riemann_right"); the mistakes:
    ``rule="left"`` (k = 0..steps-1), ``scale=False`` (no (X - baseline) factor), ``accumulate``, ``loss``."""
    first = 1 if rule == "right" else 0
    total, running = torch.zeros_like(X), torch.zeros_like(X)
    for k in range(first, first + steps):
        grad = score_gradient(model, baseline + (k / steps) * (X - baseline), y, loss)
        running = running + grad if accumulate else grad
        total = total + running
    average = total / steps
    return (X - baseline) * average if scale else average


def grad_cam(model, X, y, layer: str, relu: bool = True, loss: bool = False) -> torch.Tensor:
    """ReLU(sum_c alpha_c A_c), A the output of module ``layer``, alpha_c the spatial mean of
    d s_y / d A_c, upsampled bilinearly (align_corners=False) to X's size: shape (N, H, W).

    Mistakes: ``relu=False``, ``loss``; a wrong layer is this with another ``layer``."""
    outputs = []
    hook = dict(model.named_modules())[layer].register_forward_hook(lambda *call: outputs.append(call[2]))
    try:
        with evaluating(model), torch.enable_grad():
            leaf = X.detach().clone().requires_grad_()
            objective = target_scores(model(leaf), y, loss)
            activation = outputs[0]
            grad, = torch.autograd.grad(objective, activation)
    finally:
        hook.remove()
    weights = grad.mean(dim=(2, 3), keepdim=True)
    cam = (weights * activation.detach()).sum(dim=1, keepdim=True)
    if relu:
        cam = cam.clamp_min(0)
    cam = torch.nn.functional.interpolate(cam, size=X.shape[2:], mode="bilinear", align_corners=False)
    return cam[:, 0]


def spatial_layers(model, X) -> list:
    """The names of ``model``'s modules whose output for X is a 4-D feature map (N, C, h, w)."""
    shapes, handles = {}, []
    for name, module in model.named_modules():
        if name:
            handles.append(module.register_forward_hook(
                lambda m, inputs, output, name=name: shapes.__setitem__(name, getattr(output, "shape", ()))))
    try:
        with torch.no_grad(), evaluating(model):
            model(X[:1])
    finally:
        for each in handles:
            each.remove()
    return [name for name, shape in shapes.items() if len(shape) == 4]
