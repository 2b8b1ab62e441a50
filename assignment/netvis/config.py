"""Where the kit looks for its data, in one place.

The data directory is ``$NETVIS_DATA_DIR`` when set, else ``datasets/`` at the top of the
kit (the folder that ``get_datasets.sh`` fills).
"""
import os
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parents[2]
"""The kit's top folder: the one holding ``assignment/`` and ``get_datasets.sh``."""

IMAGENET_VAL_FILE = "imagenet_val_25.npz"
SQUEEZENET_WEIGHTS_GLOB = "squeezenet1_1*-*.pth"
"""torchvision's ``squeezenet1_1-b8a52dc0.pth`` and the mirror's ``squeezenet1_1_fp16-b1feefe5.pth``."""

FETCH_COMMAND = "./get_datasets.sh"


def data_dir() -> Path:
    """The folder holding the ImageNet images and the SqueezeNet weights."""
    return Path(os.environ.get("NETVIS_DATA_DIR") or KIT_ROOT / "datasets")


def missing_data_error(what: str, path: Path) -> FileNotFoundError:
    """The error for a missing data file, naming the command that fetches it."""
    return FileNotFoundError(
        f"{what} not found at {path}. Run `{FETCH_COMMAND}` from {KIT_ROOT} "
        "(offline: set NETVIS_DATA_MIRROR to a folder holding the files and SHA256SUMS), "
        "or point NETVIS_DATA_DIR at a folder that holds them."
    )
