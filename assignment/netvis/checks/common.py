"""Small pieces the checks share: tensor expectations, class names, and the real model and images."""
from functools import lru_cache

import torch

from ..data import imagenet_class_names, load_imagenet_val
from ..image import preprocess
from ..models import load_pretrained_squeezenet
from .student import CheckFailed


def expect_tensor(value, shape, what: str) -> torch.Tensor:
    """``value`` as a tensor of ``shape``, or a CheckFailed that says what came back instead."""
    if not isinstance(value, torch.Tensor):
        raise CheckFailed(f"{what} must be a torch.Tensor of shape {tuple(shape)}; got {type(value).__name__}.",
                          mistake="wrong-type")
    if tuple(value.shape) != tuple(shape):
        raise CheckFailed(f"{what} must have shape {tuple(shape)}; got {tuple(value.shape)}.", mistake="wrong-shape")
    return value.detach()


def no_work(what: str, why: str) -> CheckFailed:
    """The verdict for a property check on an answer that shows none of the work it is about."""
    return CheckFailed(f"This check counts only once {what}: {why}", mistake="no-work")


def class_name(label: int) -> str:
    return f"{int(label)} ({imagenet_class_names()[int(label)]})"


@lru_cache(maxsize=1)
def real_model() -> torch.nn.Module:
    """The pretrained SqueezeNet on the CPU (a shared copy: callers must not modify it)."""
    return load_pretrained_squeezenet("cpu")


@lru_cache(maxsize=None)
def real_image(index: int) -> torch.Tensor:
    """Validation image ``index``, preprocessed: shape (1, 3, 224, 224)."""
    X, _, _ = load_imagenet_val()
    return preprocess(X[index])


def predicted_class(X: torch.Tensor, model=None) -> int:
    with torch.no_grad():
        return int((model or real_model())(X).argmax(dim=1)[0])
