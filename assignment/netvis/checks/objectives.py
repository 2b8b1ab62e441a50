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


def saliency(model, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """max over channels of |d s_{y_i} / d X_i|: shape (N, H, W), with the model in eval mode."""
    training = model.training
    model.eval()
    try:
        grad = gradient(lambda leaf: model(leaf).gather(1, y.view(-1, 1)).sum(), X)
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
