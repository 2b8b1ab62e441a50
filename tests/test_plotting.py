import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

import netvis


def _saved_size(fig, tmp_path):
    path = tmp_path / "fig.png"
    fig.savefig(path)
    return path.stat().st_size


def test_every_figure_renders(imagenet, tmp_path):
    X, y, _ = imagenet
    figures = [
        netvis.show_images(X[:7], y[:7]),
        netvis.show_saliency_maps(X[:3], y[:3], torch.rand(3, 224, 224)),
        netvis.show_fooling_image(X[0], X[1], y[0], y[1]),
        netvis.show_class_visualization_progress([(0, X[0]), (25, X[1])], target_y=76),
        netvis.show_feature_maps(torch.rand(1, 20, 13, 13), title="features.3"),
    ]
    for fig in figures:
        assert isinstance(fig, Figure)
        assert _saved_size(fig, tmp_path) > 5_000


def test_saliency_figure_names_the_classes(imagenet):
    X, y, class_names = imagenet
    fig = netvis.show_saliency_maps(X[:2], y[:2], np.zeros((2, 224, 224)))
    titles = [ax.get_title() for ax in fig.axes]
    assert class_names[y[0]].split(",")[0] in titles


def test_saliency_shape_mismatch_is_explained(imagenet):
    X, y, _ = imagenet
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        netvis.show_saliency_maps(X[:2], y[:2], torch.rand(2, 3, 224, 224))


def test_feature_maps_reject_batches():
    with pytest.raises(ValueError, match=r"\(C, H, W\)"):
        netvis.show_feature_maps(torch.rand(2, 4, 5, 5))
