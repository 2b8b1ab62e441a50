"""Atomic file writes: readers see the old file or the new one, never half of either."""
import os
import tempfile
from pathlib import Path


def atomic_write(path: Path, write, mode: int = 0o644) -> None:
    """Call ``write(binary file)`` on a temporary file beside ``path``, sync it, rename it over ``path``."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str, mode: int = 0o644) -> None:
    atomic_write(path, lambda f: f.write(text.encode("utf-8")), mode)
