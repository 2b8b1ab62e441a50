"""expect-fail: all
Tries to reach every process outside its own run: ptrace-attach it, read its memory and
environment through /proc, SIGSTOP it. Outside a wall of its own it would freeze the grader
or another student's sandbox, or read the references from the grader's memory."""
# %% before compute_saliency_maps
import ctypes
import os
import signal

_libc = ctypes.CDLL(None, use_errno=True)


def _parent(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def _reach_everything():
    family = {os.getpid(), os.getppid()}  # its own run (the init and its workers) it leaves alone
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in family or _parent(int(entry)) in family:
            continue
        pid = int(entry)
        _libc.ptrace(16, pid, 0, 0)  # PTRACE_ATTACH: stops the process if allowed
        for name in ("environ", "mem", "maps"):
            try:
                with open(f"/proc/{pid}/{name}", "rb") as f:
                    f.read(4096)
            except OSError:
                pass
        try:
            os.kill(pid, signal.SIGSTOP)
        except OSError:
            pass

# %% compute_saliency_maps
def compute_saliency_maps(X, y, model):
    _reach_everything()
    raise NotImplementedError

# %% make_fooling_image
def make_fooling_image(X, target_y, model):
    _reach_everything()
    raise NotImplementedError

# %% class_visualization_update_step
def class_visualization_update_step(img, model, target_y, l2_reg, learning_rate):
    _reach_everything()
    raise NotImplementedError

# %% capture_activations
def capture_activations(model, X, layers):
    _reach_everything()
    raise NotImplementedError

# %% filter_visualization_update_step
def filter_visualization_update_step(img, model, layer, channel, l2_reg, learning_rate):
    _reach_everything()
    raise NotImplementedError

# %% smooth_grad
def smooth_grad(X, y, model, noise):
    _reach_everything()
    raise NotImplementedError

# %% integrated_gradients
def integrated_gradients(X, y, model, baseline, steps):
    _reach_everything()
    raise NotImplementedError

# %% grad_cam
def grad_cam(X, y, model, layer):
    _reach_everything()
    raise NotImplementedError

# %% end
_reach_everything()
