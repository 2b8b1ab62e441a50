"""Atomic file writes: readers see the old file or the new one, never half of either.

A temporary file is named after its writer (``.NAME.HOST.PID.XXXX.tmp``), so that a later run
removes only the leftovers of writers that died on this host: runs that share an output folder,
on one machine or on several, never delete each other's files.
"""
import os
import socket
import tempfile
from pathlib import Path

SUFFIX = ".tmp"


def _host() -> str:
    return socket.gethostname().replace(".", "-")


def _owner_tag() -> str:
    return f"{_host()}.{os.getpid()}"


def atomic_write(path: Path, write, mode: int = 0o644) -> None:
    """Call ``write(binary file)`` on a temporary file beside ``path``, sync it, rename it over ``path``."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{_owner_tag()}.", suffix=SUFFIX)
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


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine (a zombie, ended but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return True  # no /proc to ask: it exists


def remove_stale_temporaries(folder: Path) -> list:
    """Delete the temporary files under ``folder`` (two levels deep) whose writer died on this host."""
    removed = []
    for path in list(Path(folder).glob(f".*{SUFFIX}")) + list(Path(folder).glob(f"*/.*{SUFFIX}")):
        parts = path.name[: -len(SUFFIX)].split(".")  # "", NAME..., HOST, PID, RANDOM
        if len(parts) >= 5 and parts[-3] == _host() and parts[-2].isdigit() and not alive(int(parts[-2])):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed
