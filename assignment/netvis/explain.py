"""Which explanation can you trust? Two tests of attribution maps, and their figures.

- **Deletion** (Petsiuk et al., 2018, "RISE"): delete the pixels a map calls most important
  first and watch the class probability. A map that finds what the model uses makes it drop
  fast: a smaller area under the curve is better.
- **Cascading model randomisation** (Adebayo et al., 2018, "Sanity checks for saliency maps"):
  re-initialise the model's layers from the top, one more at a time, and compare each method's
  map with the trained model's by rank (Spearman) correlation. A map that stays the same when
  the weights are destroyed does not explain the model.

Every method is a function ``method(X, y, model) -> maps`` with maps of shape (N, H, W), or
(N, 3, H, W), which is reduced to (N, H, W) by the sum over channels of the absolute values.
"""
import copy

import numpy as np
import torch
from matplotlib.figure import Figure

from .plotting import _as_numpy, _class_name, _grid
from .wrap import scores_of

METHOD_COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown")


def as_map(attribution: torch.Tensor) -> torch.Tensor:
    """(N, H, W) importance: the attribution itself, or |attribution| summed over channels if (N, C, H, W)."""
    attribution = attribution.detach()
    return attribution.abs().sum(dim=1) if attribution.dim() == 4 else attribution


def spearman(a: torch.Tensor, b: torch.Tensor) -> float:
    """Spearman rank correlation of the flattened tensors (0.0 where either is constant)."""
    ranks = []
    for t in (a, b):
        t = t.detach().flatten().double().cpu()
        ranks.append(torch.empty_like(t).scatter_(0, t.argsort(), torch.arange(t.numel(), dtype=torch.float64)))
    ra, rb = ranks[0] - ranks[0].mean(), ranks[1] - ranks[1].mean()
    denominator = float(ra.norm() * rb.norm())
    if denominator == 0 or float(a.max() - a.min()) == 0 or float(b.max() - b.min()) == 0:
        return 0.0
    return float(ra @ rb) / denominator


@torch.no_grad()
def deletion_curve(model, X: torch.Tensor, y, importance: torch.Tensor, num_points: int = 11, fill: float = 0.0):
    """(fractions, probabilities): the softmax probability of class y for image X (1, 3, H, W) after
    the most important pixels (by ``importance``, (H, W)) are set to ``fill`` (0: the mean colour,
    in the model's normalised space), for ``num_points`` fractions from 0 to 1. One batched forward pass."""
    H, W = X.shape[-2:]
    fractions = np.linspace(0.0, 1.0, num_points)
    order = as_map(importance.reshape(1, H, W) if importance.dim() == 2 else importance)[0].flatten().argsort(descending=True)
    masks = torch.ones((num_points, H * W), device=X.device, dtype=X.dtype)
    for i, fraction in enumerate(fractions):
        masks[i, order[: int(round(fraction * H * W))]] = 0
    masks = masks.reshape(num_points, 1, H, W)
    images = X * masks + fill * (1 - masks)
    training = model.training
    model.eval()
    try:
        probabilities = torch.softmax(scores_of(model(images)), dim=1)[:, int(y)]
    finally:
        model.train(training)
    return fractions, probabilities.cpu().numpy()


def area_under(fractions, values) -> float:
    """The trapezoidal area under a curve sampled at ``fractions``."""
    values = np.asarray(values, dtype=float)
    return float(np.sum((values[1:] + values[:-1]) / 2 * np.diff(fractions)))


def randomize_layer(model, name: str, seed: int = 0) -> None:
    """Re-initialise the parameters of module ``name`` and its submodules, in place (seeded)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for module in dict(model.named_modules())[name].modules():
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()


def cascading_randomization(model, X, y, methods: dict, layers: list, seed: int = 0) -> dict:
    """{method name: [Spearman correlation with the trained model's map, after re-initialising
    layers[:1], layers[:2], ...]}, averaged over the images; ``layers`` from the top of the model down.
    A constant map (every gradient zero once the signal dies in re-initialised layers) counts as 0.

    Works on a copy of ``model``; the model itself is not changed.
    """
    trained = {name: as_map(method(X, y, model)) for name, method in methods.items()}
    randomized = copy.deepcopy(model)
    results = {name: [] for name in methods}
    for depth, layer in enumerate(layers):
        randomize_layer(randomized, layer, seed + depth)
        for name, method in methods.items():
            maps = as_map(method(X, y, randomized))
            results[name].append(float(np.mean([spearman(maps[i], trained[name][i]) for i in range(len(X))])))
    return results


def show_attribution_maps(images, labels, maps: dict) -> Figure:
    """One row per image: the image, then each method's map (brighter: more important).

    Args:
        images: uint8 array of shape (N, H, W, 3).
        labels: N ImageNet class ids.
        maps: {method name: tensor of shape (N, H, W) or (N, 3, H, W)}.
    """
    images = _as_numpy(images)
    fig, axes = _grid(len(images), 1 + len(maps))
    for i, image in enumerate(images):
        axes[i, 0].imshow(image)
        axes[i, 0].set_title(_class_name(labels[i]), fontsize=9)
        for j, (name, attribution) in enumerate(maps.items(), start=1):
            heat = _as_numpy(as_map(attribution)[i])
            axes[i, j].imshow(heat, cmap="hot", vmin=0, vmax=max(float(np.percentile(heat, 99.5)), 1e-12))
            if i == 0:
                axes[i, j].set_title(name, fontsize=10)
    return fig


def show_deletion_curves(curves: dict, title: str = "") -> Figure:
    """Class probability against the fraction of pixels deleted, one line per method; the legend
    gives each area under the curve (smaller: the map found what the model uses)."""
    fig = Figure(figsize=(5.5, 3.6), layout="constrained")
    ax = fig.subplots()
    for colour, (name, (fractions, probabilities)) in zip(METHOD_COLOURS, curves.items()):
        ax.plot(fractions, probabilities, marker="o", markersize=3, color=colour,
                label=f"{name} (area {area_under(fractions, probabilities):.3f})")
    ax.set_xlabel("fraction of pixels deleted, most important first")
    ax.set_ylabel("probability of the class")
    ax.set_xlim(0, 1)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, title="lower area = better", title_fontsize=8)
    ax.set_title(title or "Deletion curves", fontsize=10)
    return fig


def show_randomization(results: dict, layers: list, title: str = "") -> Figure:
    """Each method's rank correlation with its map on the trained model, as layers are re-initialised
    from the top; a method that passes the sanity check falls towards 0."""
    fig = Figure(figsize=(6.5, 3.6), layout="constrained")
    ax = fig.subplots()
    positions = np.arange(len(layers) + 1)
    for colour, (name, values) in zip(METHOD_COLOURS, results.items()):
        ax.plot(positions, [1.0] + list(values), marker="o", color=colour, label=name)
    ax.axhline(0, color="gray", linewidth=0.8)
    ax.set_xticks(positions, ["trained"] + [f"+ {layer}" for layer in layers], rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("Spearman correlation with\nthe trained model's map")
    ax.set_ylim(-0.3, 1.05)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title or "Cascading randomisation, from the top layer down", fontsize=10)
    return fig
