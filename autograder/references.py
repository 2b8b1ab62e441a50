"""Where the hidden cases' reference tensors are kept, and whether they are current.

``python -m autograder references`` (``make references``) has ``hidden.generate`` run the
solution on every hidden case and ``save`` writes ``references.pt`` with a ``manifest.json``
that records what they were made from: the torch version, the seeds, a fingerprint of the
solution and of the code that makes the cases, and the SqueezeNet weights. ``load`` refuses
references that are missing or stale, naming the command that remakes them.
"""
import hashlib
import json
from functools import lru_cache
from pathlib import Path

import torch

from netvis.checks import attribution, fooling, tiny
from netvis.models import find_squeezenet_weights, verify_hash_prefix

from .config import REFERENCES_DIR, REFERENCES_TARGET
from .files import atomic_write, atomic_write_text
from .solution import solution_source

FORMAT_VERSION = 2
GENERATOR_MODULES = (Path(__file__).with_name("hidden.py"), Path(tiny.__file__), Path(fooling.__file__),
                     Path(attribution.__file__))
"""The code that decides what the references hold: changing it makes them stale too."""


class ReferencesUnavailable(RuntimeError):
    """The references are missing or were made from something else; the message names the fix."""


def fingerprint() -> str:
    """sha256 of everything the references come from: the solution's cells and the generator code."""
    digest = hashlib.sha256(solution_source().encode())
    for module in GENERATOR_MODULES:
        digest.update(module.read_bytes())
    return digest.hexdigest()


def weights_sha256() -> str:
    return verify_hash_prefix(find_squeezenet_weights())


def save(payload: dict, seeds: list, out_dir: Path = REFERENCES_DIR) -> dict:
    """Write ``payload`` and its manifest atomically, owner-only; return the manifest."""
    manifest = {
        "format": FORMAT_VERSION,
        "torch": torch.__version__,
        "fingerprint": fingerprint(),
        "seeds": seeds,
        "squeezenet_weights": {"file": find_squeezenet_weights().name, "sha256": weights_sha256()},
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(out_dir / "references.pt", lambda f: torch.save(payload, f), mode=0o600)
    atomic_write_text(out_dir / "manifest.json", json.dumps(manifest, indent=2), mode=0o600)
    load.cache_clear()
    return manifest


@lru_cache(maxsize=1)
def load(directory: Path = REFERENCES_DIR) -> dict:
    """{"manifest", "payload"}: the references, checked against the solution and torch in use.

    Raises ReferencesUnavailable, naming the make target, when they are missing or stale.
    """
    manifest_path, data_path = directory / "manifest.json", directory / "references.pt"
    if not manifest_path.is_file() or not data_path.is_file():
        raise ReferencesUnavailable(f"No reference tensors in {directory}: run `{REFERENCES_TARGET}`.")
    manifest = json.loads(manifest_path.read_text())
    stale = []
    if manifest.get("format") != FORMAT_VERSION:
        stale.append("they use an older format")
    elif manifest["torch"] != torch.__version__:
        stale.append(f"they were made with torch {manifest['torch']}, this is {torch.__version__}")
    elif manifest["fingerprint"] != fingerprint():
        stale.append("the solution notebook or the case generator changed since")
    if stale:
        raise ReferencesUnavailable(f"The reference tensors in {directory} are stale ({'; '.join(stale)}): "
                                    f"run `{REFERENCES_TARGET}`.")
    return {"manifest": manifest, "payload": torch.load(data_path, weights_only=True)}
