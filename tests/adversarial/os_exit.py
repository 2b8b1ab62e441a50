"""expect-fail: make_fooling_image-fools make_fooling_image-input_and_dtype make_fooling_image-stops_when_fooled make_fooling_image-no_extra_step make_fooling_image-keeps_fooled_input make_fooling_image-no_early_stop make_fooling_image-within_budget make_fooling_image-step_length
Kills its own process with status 0."""
import os


def make_fooling_image(X, target_y, model):
    os._exit(0)
