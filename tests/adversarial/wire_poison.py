"""expect-fail: all
Rewrites the sandbox's own message encoder, in the workers and in the notebook's process, so that
every message it sends is malformed: a tensor of shape [2**62, 4], a shape of strings, a tensor
index of 10**30, a model with a broken state, a header length of 2**63. Such messages once escaped
the grader's decoder as errors other than WireError and stopped the whole class. Every function poisons
(Part 5's too: were they the solution's, their points would be earned, not gained by the attack)."""
# %% before compute_saliency_maps
import itertools
import json
import struct
import sys

_POISONS = itertools.cycle([
    {"__tensor__": 0, "dtype": "float32", "shape": [2 ** 62, 4]},
    {"__tensor__": 0, "dtype": "float32", "shape": ["4", 4]},
    {"__tensor__": 10 ** 30, "dtype": "float32", "shape": [4]},
    {"__model__": "tiny", "state": {"__list__": 7}},
    None,  # not JSON at all
])


def _poisoned_encode(obj) -> bytes:
    poison = next(_POISONS)
    if poison is None:
        return struct.pack("!Q", 2 ** 63) + b"{not json"
    header = json.dumps({"__dict__": {"id": 1, "value": poison}}).encode()
    return struct.pack("!Q", len(header)) + header + struct.pack("!Q", 16) + bytes(8)


def _poison_the_wire():
    for name, module in list(sys.modules.items()):
        if name.startswith("autograder") and hasattr(module, "encode"):
            module.encode = _poisoned_encode

# %% compute_saliency_maps
def compute_saliency_maps(X, y, model):
    _poison_the_wire()
    raise NotImplementedError

# %% make_fooling_image
def make_fooling_image(X, target_y, model):
    _poison_the_wire()
    raise NotImplementedError

# %% class_visualization_update_step
def class_visualization_update_step(img, model, target_y, l2_reg, learning_rate):
    _poison_the_wire()
    raise NotImplementedError

# %% capture_activations
def capture_activations(model, X, layers):
    _poison_the_wire()
    raise NotImplementedError

# %% filter_visualization_update_step
def filter_visualization_update_step(img, model, layer, channel, l2_reg, learning_rate):
    _poison_the_wire()
    raise NotImplementedError

# %% smooth_grad
def smooth_grad(X, y, model, noise):
    _poison_the_wire()
    raise NotImplementedError

# %% integrated_gradients
def integrated_gradients(X, y, model, baseline, steps):
    _poison_the_wire()
    raise NotImplementedError

# %% grad_cam
def grad_cam(X, y, model, layer):
    _poison_the_wire()
    raise NotImplementedError

# %% end
_poison_the_wire()
