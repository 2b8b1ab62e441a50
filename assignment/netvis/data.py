"""The 25 ImageNet validation images and the 1000 ImageNet class names."""
import zipfile
from functools import lru_cache

import numpy as np
from torchvision.models import SqueezeNet1_1_Weights

from .config import FETCH_COMMAND, IMAGENET_VAL_FILE, data_dir, missing_data_error


@lru_cache(maxsize=1)
def imagenet_class_names() -> tuple:
    """The 1000 ImageNet class names, indexed by class id (torchvision's weights metadata).

    The dataset file's own ``label_map`` is not used: it has 999 keys, as the bird "crane"
    (134) and the machine "crane" (517) collide there.
    """
    return tuple(SqueezeNet1_1_Weights.IMAGENET1K_V1.meta["categories"])


def load_imagenet_val(num=None):
    """Load the ImageNet validation images of the assignment.

    Args:
        num: how many images to return (the first ``num``); ``None`` for all 25.

    Returns:
        X: uint8 array of shape (N, 224, 224, 3), RGB pixels in [0, 255].
        y: int64 array of shape (N,), class ids in [0, 1000).
        class_names: tuple of the 1000 ImageNet class names; ``class_names[y[i]]`` names image i.
    """
    if num is not None and (not isinstance(num, (int, np.integer)) or num < 1):
        raise ValueError(f"num must be a positive integer or None, got {num!r}")
    path = data_dir() / IMAGENET_VAL_FILE
    if not path.is_file():
        raise missing_data_error("The ImageNet validation images", path)
    try:
        with np.load(path, allow_pickle=False) as f:
            X, y = f["X"], f["y"]
    except (zipfile.BadZipFile, KeyError, ValueError) as err:
        raise OSError(f"{path} is damaged ({err}); delete it and run `{FETCH_COMMAND}` again.") from err
    if num is not None:
        X, y = X[:num], y[:num]
    return X, y.astype(np.int64), imagenet_class_names()
