import numpy as np
import pytest
import torch
from scipy.ndimage import gaussian_filter1d

import netvis


def test_preprocess_then_deprocess_round_trips(imagenet):
    X = imagenet[0][:4]
    normalised = netvis.preprocess(X)
    assert normalised.shape == (4, 3, 224, 224) and normalised.dtype == torch.float32
    assert np.array_equal(netvis.deprocess(normalised), X)


def test_preprocess_accepts_a_single_image(imagenet):
    assert netvis.preprocess(imagenet[0][0]).shape == (1, 3, 224, 224)


def test_preprocess_normalises_with_the_imagenet_statistics():
    white = np.full((2, 2, 3), 255, dtype=np.uint8)
    expected = (1 - netvis.SQUEEZENET_MEAN) / netvis.SQUEEZENET_STD
    assert torch.allclose(netvis.preprocess(white)[0, :, 0, 0], torch.from_numpy(expected))


@pytest.mark.parametrize("bad", [np.zeros((4, 4, 3), np.float32), np.zeros((4, 4), np.uint8), np.zeros((4, 4, 4), np.uint8)])
def test_preprocess_rejects_non_rgb_uint8(bad):
    with pytest.raises(TypeError, match="uint8 RGB"):
        netvis.preprocess(bad)


def test_deprocess_rescale_spans_the_full_range():
    images = netvis.deprocess(torch.randn(2, 3, 8, 8) * 0.01, rescale=True)
    assert images.shape == (2, 8, 8, 3) and images.dtype == np.uint8
    assert images.min() == 0 and images.max() == 255


def test_deprocess_rejects_wrong_channels():
    with pytest.raises(ValueError, match="3 channels"):
        netvis.deprocess(torch.zeros(1, 4, 8, 8))


def test_clamp_keeps_pixels_inside_the_image_range():
    X = torch.randn(2, 3, 16, 16) * 10
    out = netvis.clamp_to_valid_range_(X)
    assert out is X
    assert np.array_equal(netvis.preprocess(netvis.deprocess(X)).shape, X.shape)
    low = torch.from_numpy(-netvis.SQUEEZENET_MEAN / netvis.SQUEEZENET_STD).view(1, 3, 1, 1)
    high = torch.from_numpy((1 - netvis.SQUEEZENET_MEAN) / netvis.SQUEEZENET_STD).view(1, 3, 1, 1)
    assert torch.all(X >= low - 1e-6) and torch.all(X <= high + 1e-6)
    assert torch.isclose(X.amin(), low.min())


@pytest.mark.parametrize("ox,oy", [(0, 0), (3, 0), (0, 5), (7, -2), (-16, 16)])
def test_jitter_equals_torch_roll(ox, oy):
    X = torch.randn(2, 3, 20, 24)
    assert torch.equal(netvis.jitter(X, ox, oy), torch.roll(X, shifts=(oy, ox), dims=(2, 3)))
    assert torch.equal(netvis.jitter(netvis.jitter(X, ox, oy), -ox, -oy), X)


def test_jitter_rejects_non_batches():
    with pytest.raises(TypeError, match=r"\(N, C, H, W\)"):
        netvis.jitter(torch.zeros(3, 8, 8), 1, 1)


@pytest.mark.parametrize("sigma", [0.5, 1.0, 2.5, 6.0])
@pytest.mark.parametrize("shape", [(1, 3, 224, 224), (2, 3, 9, 5)])
def test_blur_equals_scipy_gaussian_filter1d(sigma, shape):
    X = torch.randn(shape, generator=torch.Generator().manual_seed(0))
    expected = gaussian_filter1d(gaussian_filter1d(X.numpy(), sigma, axis=2), sigma, axis=3)
    blurred = netvis.blur_image(X.clone(), sigma)
    assert np.abs(blurred.numpy() - expected).max() < 1e-5


def test_blur_works_in_place_on_the_data_of_a_leaf():
    img = torch.randn(1, 3, 16, 16, requires_grad=True)
    before, data = img.detach().clone(), img.data
    assert netvis.blur_image(data, 0.5) is data
    assert not torch.equal(img.detach(), before)
    assert img.requires_grad and img.grad is None


def test_blur_rejects_bad_arguments():
    with pytest.raises(ValueError, match="positive"):
        netvis.blur_image(torch.zeros(1, 3, 8, 8), 0)
    with pytest.raises(TypeError, match="float tensor"):
        netvis.blur_image(torch.zeros(1, 3, 8, 8, dtype=torch.uint8), 1)
