"""netvis: the helpers of the Network Visualization assignment.

Data, the pretrained model, preprocessing and image operations, and figures; the student
notebook imports them from here, and so do the solutions and the autograder.
"""
from .data import imagenet_class_names, load_imagenet_val
from .image import (
    SQUEEZENET_MEAN,
    SQUEEZENET_STD,
    blur_image,
    clamp_to_valid_range_,
    deprocess,
    jitter,
    preprocess,
)
from .models import find_squeezenet_weights, load_pretrained_squeezenet
from .plotting import (
    show_class_visualization_progress,
    show_feature_maps,
    show_fooling_image,
    show_images,
    show_saliency_maps,
)
from .wrap import ScoresOnly, scores_only

__all__ = [
    "SQUEEZENET_MEAN",
    "SQUEEZENET_STD",
    "ScoresOnly",
    "blur_image",
    "clamp_to_valid_range_",
    "deprocess",
    "find_squeezenet_weights",
    "imagenet_class_names",
    "jitter",
    "load_imagenet_val",
    "load_pretrained_squeezenet",
    "preprocess",
    "scores_only",
    "show_class_visualization_progress",
    "show_feature_maps",
    "show_fooling_image",
    "show_images",
    "show_saliency_maps",
]
