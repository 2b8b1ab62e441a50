"""expect-fail: filter_visualization_update_step-ascends filter_visualization_update_step-direction
Forks until the system refuses."""
import os


def filter_visualization_update_step(img, model, layer, channel, l2_reg, learning_rate):
    while True:
        os.fork()
