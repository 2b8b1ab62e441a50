"""netvis: the helpers of the Network Visualization assignment.

Data, the pretrained model, preprocessing and image operations, and figures; the student
notebook imports them from here, and so do the solutions and the autograder.

The names below are imported on first use (PEP 562), so that ``import netvis.config`` or
``netvis.checks`` does not pay for matplotlib: ``from netvis import show_images`` and
``netvis.show_images`` work as with eager imports.
"""
import importlib
import importlib.util

_WHERE = {
    "imagenet_class_names": "data",
    "load_imagenet_val": "data",
    "SQUEEZENET_MEAN": "image",
    "SQUEEZENET_STD": "image",
    "blur_image": "image",
    "clamp_to_valid_range_": "image",
    "deprocess": "image",
    "jitter": "image",
    "preprocess": "image",
    "find_squeezenet_weights": "models",
    "load_pretrained_squeezenet": "models",
    "show_class_visualization_progress": "plotting",
    "show_feature_maps": "plotting",
    "show_fooling_image": "plotting",
    "show_images": "plotting",
    "show_saliency_maps": "plotting",
    "ScoresOnly": "wrap",
    "scores_only": "wrap",
}
"""Each public name and the module of this package that defines it."""

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    """A public name, or a submodule (``netvis.config``), imported on first use."""
    module = _WHERE.get(name)
    if module is not None:
        value = getattr(importlib.import_module(f".{module}", __name__), name)
    elif not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module 'netvis' has no attribute {name!r}")
    globals()[name] = value  # the next lookup finds it without this function
    return value


def __dir__():
    return sorted(set(globals()) | set(_WHERE))
