"""The pretrained SqueezeNet 1.1 that the assignment looks inside, loaded offline."""
import hashlib
import re
from pathlib import Path

import torch
import torchvision

from .config import FETCH_COMMAND, SQUEEZENET_WEIGHTS_GLOB, data_dir, missing_data_error

_HASH_PREFIX = re.compile(r"-([0-9a-f]{8,})\.pth$")
"""torch.hub's naming rule: the hex digits after the last dash start the file's sha256."""


def find_squeezenet_weights(folder=None) -> Path:
    """The SqueezeNet 1.1 weights file in ``folder`` (default: the data directory).

    Either torchvision's ``squeezenet1_1-b8a52dc0.pth`` or the mirror's float16-rounded
    ``squeezenet1_1_fp16-b1feefe5.pth`` will do; torchvision's own file wins when both are there.
    """
    folder = Path(folder) if folder is not None else data_dir()
    candidates = sorted(p for p in folder.glob(SQUEEZENET_WEIGHTS_GLOB) if _HASH_PREFIX.search(p.name))
    if not candidates:
        raise missing_data_error("The SqueezeNet 1.1 weights", folder / SQUEEZENET_WEIGHTS_GLOB)
    return min(candidates, key=lambda p: ("fp16" in p.name, p.name))


def verify_hash_prefix(path: Path) -> str:
    """Check ``path`` against the sha256 prefix in its name, as ``torch.hub`` does; return the sha256.

    A name without such a prefix claims nothing, so nothing is checked.
    """
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    named = _HASH_PREFIX.search(path.name)
    prefix = named.group(1) if named else ""
    if not digest.startswith(prefix):
        raise OSError(
            f"{path} is damaged: its sha256 is {digest}, but its name says it starts with {prefix}. "
            f"Delete it and run `{FETCH_COMMAND}` again."
        )
    return digest


def load_pretrained_squeezenet(device="cpu", weights_path=None) -> torch.nn.Module:
    """SqueezeNet 1.1 with its ImageNet weights, in eval mode, with frozen parameters.

    Args:
        device: where to put the model, e.g. ``"cpu"``, ``"cuda"`` or a ``torch.device``.
        weights_path: a ``state_dict`` file; default: the one ``find_squeezenet_weights`` finds.

    Returns:
        The model. It maps a float32 batch of shape (N, 3, H, W), normalised with
        ``preprocess``, to class scores of shape (N, 1000).
    """
    path = Path(weights_path) if weights_path is not None else find_squeezenet_weights()
    if not path.is_file():
        raise missing_data_error("The SqueezeNet 1.1 weights", path)
    verify_hash_prefix(path)
    model = torchvision.models.squeezenet1_1(weights=None)
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    model.requires_grad_(False)
    return model.eval().to(device)
