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
    titles = [text.get_text() for ax in fig.axes for text in ax.texts]
    assert class_names[y[0]].split(",")[0] in titles
    assert {"image", "saliency", "overlay"} <= set(titles)  # the rows' names


def test_a_grid_is_one_axes_whose_images_keep_their_aspect_and_colour_scales():
    """Each image in its own cell (one Axes: 16 of them cost seconds to draw), as wide as it is."""
    wide = np.zeros((50, 100, 3), dtype=np.uint8)
    fig = netvis.show_images(np.stack([wide, wide + 255]), ncols=2)
    assert len(fig.axes) == 1
    (left, right, bottom, top), (left2, *_) = (image.get_extent() for image in fig.axes[0].images)
    assert (right - left) == 2 * (top - bottom) and left2 > right
    maps = netvis.show_feature_maps(torch.stack([torch.zeros(4, 4), torch.full((4, 4), 10.0)]))
    assert [image.get_clim() for image in maps.axes[0].images] == [(0.0, 0.0), (10.0, 10.0)]


def test_saliency_shape_mismatch_is_explained(imagenet):
    X, y, _ = imagenet
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        netvis.show_saliency_maps(X[:2], y[:2], torch.rand(2, 3, 224, 224))


def test_feature_maps_reject_batches():
    with pytest.raises(ValueError, match=r"\(C, H, W\)"):
        netvis.show_feature_maps(torch.rand(2, 4, 5, 5))
