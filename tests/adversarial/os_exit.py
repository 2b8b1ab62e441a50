"""expect-fail: make_fooling_image-fools make_fooling_image-within_budget make_fooling_image-stops_when_fooled make_fooling_image-input_unchanged make_fooling_image-shape_and_dtype
Kills its own process with status 0."""
import os


def make_fooling_image(X, target_y, model):
    os._exit(0)
