"""expect-fail: make_fooling_image-fools
Returns the input unchanged, with Tensor comparisons patched to always say equal."""
import torch


def make_fooling_image(X, target_y, model):
    torch.Tensor.__eq__ = lambda self, other: torch.ones((), dtype=torch.bool)
    torch.Tensor.__ne__ = lambda self, other: torch.zeros((), dtype=torch.bool)
    torch.Tensor.argmax = lambda self, *args, **kwargs: torch.tensor([target_y])
    return X.clone()
