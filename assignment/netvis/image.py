"""Image preprocessing and the image-space operations used by the visualisations.

Tensors here are float batches of shape (N, C, H, W) in the model's normalised pixel space
unless a docstring says otherwise; images for display are uint8 arrays of shape (N, H, W, 3).
"""
import math

import numpy as np
import torch

SQUEEZENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
SQUEEZENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
"""Per-channel mean and standard deviation of ImageNet RGB pixels in [0, 1]."""


def _channel_stats(X: torch.Tensor):
    """Mean and std shaped (1, 3, 1, 1) on ``X``'s device and dtype."""
    as_tensor = lambda a: torch.as_tensor(a, dtype=X.dtype, device=X.device).view(1, 3, 1, 1)
    return as_tensor(SQUEEZENET_MEAN), as_tensor(SQUEEZENET_STD)


def _check_batch(X, name="X", channels=None):
    if not isinstance(X, torch.Tensor) or X.dim() != 4 or not X.is_floating_point():
        got = f"{X.dtype} tensor of shape {tuple(X.shape)}" if isinstance(X, torch.Tensor) else type(X).__name__
        raise TypeError(f"{name} must be a float tensor of shape (N, C, H, W); got {got}")
    if channels is not None and X.shape[1] != channels:
        raise ValueError(f"{name} must have {channels} channels (N, {channels}, H, W); got shape {tuple(X.shape)}")


def preprocess(images) -> torch.Tensor:
    """Turn uint8 RGB images into the model's input.

    Args:
        images: uint8 array (or PIL image) of shape (H, W, 3) or (N, H, W, 3), values in [0, 255].

    Returns:
        float32 tensor of shape (N, 3, H, W): pixels scaled to [0, 1], then normalised with
        ``SQUEEZENET_MEAN`` and ``SQUEEZENET_STD``.
    """
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim not in (3, 4) or images.shape[-1] != 3:
        raise TypeError(
            f"preprocess expects uint8 RGB images of shape (H, W, 3) or (N, H, W, 3); "
            f"got {images.dtype} array of shape {images.shape}"
        )
    X = torch.from_numpy(np.ascontiguousarray(images.reshape((-1,) + images.shape[-3:])))
    X = X.permute(0, 3, 1, 2).float().div_(255)
    mean, std = _channel_stats(X)
    return (X - mean) / std


def deprocess(X: torch.Tensor, rescale: bool = False) -> np.ndarray:
    """Turn model inputs back into displayable images; the inverse of ``preprocess``.

    Args:
        X: float tensor of shape (N, 3, H, W) or (3, H, W), on any device.
        rescale: stretch each image to the full [0, 255] range first (for images that were
            optimised freely, such as class visualisations).

    Returns:
        uint8 array of shape (N, H, W, 3).
    """
    X = X.detach()
    if X.dim() == 3:
        X = X.unsqueeze(0)
    _check_batch(X, channels=3)
    mean, std = _channel_stats(X)
    X = X * std + mean
    if rescale:
        low = X.amin(dim=(1, 2, 3), keepdim=True)
        high = X.amax(dim=(1, 2, 3), keepdim=True)
        X = (X - low) / (high - low).clamp_min(1e-12)
    X = X.clamp(0, 1).mul(255).round().to(torch.uint8)
    return X.permute(0, 2, 3, 1).cpu().numpy()


def clamp_to_valid_range_(X: torch.Tensor) -> torch.Tensor:
    """Clamp normalised pixels, in place, to the values that real images can take.

    Args:
        X: float tensor of shape (N, 3, H, W) in normalised pixel space.

    Returns:
        ``X`` itself, each channel c clamped to [-mean_c / std_c, (1 - mean_c) / std_c].
    """
    _check_batch(X, channels=3)
    mean, std = _channel_stats(X)
    with torch.no_grad():
        return torch.clamp(X, min=-mean / std, max=(1 - mean) / std, out=X)


def jitter(X: torch.Tensor, ox: int, oy: int) -> torch.Tensor:
    """Shift images cyclically: ``ox`` pixels right and ``oy`` pixels down.

    Args:
        X: tensor of shape (N, C, H, W).
        ox, oy: integer shifts; negative values shift left and up.

    Returns:
        A new tensor of shape (N, C, H, W), equal to ``torch.roll(X, (oy, ox), dims=(2, 3))``.
        Undo it with ``jitter(X, -ox, -oy)``.
    """
    if not isinstance(X, torch.Tensor) or X.dim() != 4:
        raise TypeError(f"jitter expects a tensor of shape (N, C, H, W); got {getattr(X, 'shape', type(X))}")
    return torch.roll(X, shifts=(int(oy), int(ox)), dims=(2, 3))


def _gaussian_weights(sigma: float, truncate: float) -> list:
    """scipy's Gaussian kernel as Python floats: ``2 * round(truncate * sigma) + 1`` taps summing to 1."""
    radius = int(truncate * sigma + 0.5)
    weights = [math.exp(-0.5 * (tap / sigma) ** 2) for tap in range(-radius, radius + 1)]
    return [w / sum(weights) for w in weights]


def _symmetric_indices(size: int, radius: int, device) -> torch.Tensor:
    """Indices that pad a length-``size`` axis by ``radius`` on both sides like scipy's
    ``mode="reflect"`` (d c b a | a b c d | d c b a), repeating the reflection as needed."""
    index = torch.arange(-radius, size + radius, device=device).remainder(2 * size)
    return torch.where(index < size, index, 2 * size - 1 - index)


def _pad_symmetric(X: torch.Tensor, radius: int, dim: int) -> torch.Tensor:
    """``X`` padded by ``radius`` on both sides of ``dim`` like scipy's ``mode="reflect"``."""
    size = X.shape[dim]
    if radius <= size:  # the common case: one mirrored slice each side, cheaper than gathering
        return torch.cat([X.narrow(dim, 0, radius).flip(dim), X, X.narrow(dim, size - radius, radius).flip(dim)], dim)
    return X.index_select(dim, _symmetric_indices(size, radius, X.device))


def _filter_axis(X: torch.Tensor, weights: list, dim: int, out: torch.Tensor = None) -> torch.Tensor:
    """Correlate ``X`` with the symmetric kernel ``weights`` along ``dim`` (into ``out`` if given)."""
    size, radius = X.shape[dim], (len(weights) - 1) // 2
    padded = _pad_symmetric(X, radius, dim)
    out = torch.mul(padded.narrow(dim, 0, size), weights[0], out=out)
    for k in range(1, len(weights)):
        out.add_(padded.narrow(dim, k, size), alpha=weights[k])
    return out


def blur_image(X: torch.Tensor, sigma: float = 1.0, truncate: float = 4.0) -> torch.Tensor:
    """Gaussian-blur images in place, on their own device.

    Equal (to float rounding) to ``scipy.ndimage.gaussian_filter1d`` with ``mode="reflect"``
    along H and then along W, but with no copy to the host.

    Args:
        X: float tensor of shape (N, C, H, W); pass ``img.data`` for a tensor that requires grad.
        sigma: standard deviation of the Gaussian, in pixels (> 0).
        truncate: the kernel reaches ``truncate`` standard deviations each side, as in scipy.

    Returns:
        ``X`` itself, blurred.
    """
    _check_batch(X)
    if not sigma > 0:
        raise ValueError(f"sigma must be positive, got {sigma}")
    with torch.no_grad():
        weights = _gaussian_weights(float(sigma), truncate)
        return _filter_axis(_filter_axis(X, weights, 2), weights, 3, out=X)
