"""expect-fail: compute_saliency_maps-values
Wrong maps, with torch.allclose patched to always agree."""
import torch


def compute_saliency_maps(X, y, model):
    torch.allclose = lambda *args, **kwargs: True
    torch.equal = lambda *args, **kwargs: True
    return torch.zeros(X.shape[0], X.shape[2], X.shape[3])
