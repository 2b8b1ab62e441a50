"""Where the helpers look for their data, in one place.

The data folder holds the 25 ImageNet validation images and the SqueezeNet weights that
``get_datasets.sh`` fetches. It is, in this order:

1. ``$NETVIS_DATA_DIR`` when set (a course hub's one read-only copy for every student);
2. ``datasets/`` beside the notebook (the current folder, as in a kernel started from it);
3. ``datasets/`` beside the ``netvis`` package (an unzipped student bundle, a fetched nbgrader
   assignment);
4. the kit's own ``datasets/``, when ``netvis`` sits in a kit's ``assignment/`` folder.

The first of 2-4 that holds the images wins; when none does, the error names every folder
that was looked in and the command that fills one.
"""
import os
from pathlib import Path

_PACKAGE_PARENT = Path(__file__).resolve().parents[1]


def _kit_root():
    """The kit's top folder (holding ``assignment/`` and ``get_datasets.sh``), or None when the
    helpers are not inside a kit (a student bundle, an nbgrader release, Colab)."""
    top = _PACKAGE_PARENT.parent
    if _PACKAGE_PARENT.name == "assignment" and (top / "get_datasets.sh").is_file():
        return top
    return None


KIT_ROOT = _kit_root()
"""The kit's top folder, or None outside a kit."""

IMAGENET_VAL_FILE = "imagenet_val_25.npz"
SQUEEZENET_WEIGHTS_GLOB = "squeezenet1_1*-*.pth"
"""torchvision's ``squeezenet1_1-b8a52dc0.pth`` and the mirror's ``squeezenet1_1_fp16-b1feefe5.pth``."""

FETCH_COMMAND = "./get_datasets.sh"


def data_dir_candidates() -> list:
    """The folders that may hold the data, in the order they are tried (duplicates removed)."""
    explicit = os.environ.get("NETVIS_DATA_DIR")
    if explicit:
        return [Path(explicit)]
    folders = [Path.cwd() / "datasets", _PACKAGE_PARENT / "datasets"]
    if KIT_ROOT is not None:
        folders.append(KIT_ROOT / "datasets")
    unique = []
    for folder in folders:
        if folder.resolve() not in [u.resolve() for u in unique]:
            unique.append(folder)
    return unique


def data_dir() -> Path:
    """The folder holding the ImageNet images and the SqueezeNet weights.

    The first candidate (see ``data_dir_candidates``) that holds the images; when none does,
    the first one, so that the error about the missing file names it.
    """
    candidates = data_dir_candidates()
    return next((c for c in candidates if (c / IMAGENET_VAL_FILE).is_file()), candidates[0])


def missing_data_error(what: str, path: Path) -> FileNotFoundError:
    """The error for a missing data file: every folder looked in, and what fills one."""
    looked = ", ".join(str(c) for c in data_dir_candidates())
    return FileNotFoundError(
        f"{what} not found (looked for {Path(path).name} in: {looked}). Run `{FETCH_COMMAND}` in the "
        "folder of the notebook (offline: set NETVIS_DATA_MIRROR to a folder holding the files and "
        "SHA256SUMS), or point NETVIS_DATA_DIR at a folder that holds them."
    )
