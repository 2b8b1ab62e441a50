"""The one temporary folder of a grading process, and nothing left of it afterwards.

Everything a grader makes while it runs (the sandboxes' root skeleton, each sandbox's private
folder, torch's and matplotlib's caches) lives in ``base()``: ``netvis-run-<pid>-XXXX`` under the
system's temporary folder, mode 0711 (sandboxes of their own uid can reach their own folder in it,
but list nothing). It is removed when the grader ends: at exit, or through ``cleanup()`` where the
grader leaves with ``os._exit``.

A run that was killed (SIGKILL, a lost machine) cannot clean up: the next run removes it. Each
live run holds an exclusive ``flock`` on the ``.lock`` file in its folder for its whole life, so a
folder whose lock can be taken belongs to a run that has ended, on this machine or in another
container sharing the folder; a live run's folder is never touched.

Where no temporary folder is usable, ``NoTemporaryFolder`` says so: Python's ``tempfile`` would
fall back to the current folder, the kit's own, which is never right.
"""
import atexit
import fcntl
import os
import shutil
import tempfile
import time
from pathlib import Path

PREFIX = "netvis-run-"
LOCK = ".lock"

_BASE = None
_LOCK_FD = None


class NoTemporaryFolder(RuntimeError):
    """No usable temporary folder: the message says which were tried and what to set."""


def temporary_folder() -> str:
    """The first writable folder of $TMPDIR, $TEMP, $TMP, /tmp, /var/tmp, /usr/tmp (never the current one)."""
    tried = []
    for name in ("TMPDIR", "TEMP", "TMP"):
        if os.environ.get(name):
            tried.append(os.environ[name])
    tried += ["/tmp", "/var/tmp", "/usr/tmp"]
    for folder in tried:
        if os.path.isdir(folder) and os.access(folder, os.W_OK | os.X_OK):
            return os.path.realpath(folder)
    raise NoTemporaryFolder(f"no usable temporary folder (tried {', '.join(tried)}): set TMPDIR to a writable "
                            "folder on a local disk, outside the kit")


def base() -> Path:
    """This process's folder (made on first use, after removing those of ended runs)."""
    global _BASE, _LOCK_FD
    if _BASE is None or _BASE[0] != os.getpid():
        parent = temporary_folder()
        remove_ended(parent)
        folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=parent))
        os.chmod(folder, 0o711)
        fd = os.open(folder / LOCK, os.O_CREAT | os.O_WRONLY | os.O_CLOEXEC, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        _BASE, _LOCK_FD = (os.getpid(), folder), fd
        atexit.register(cleanup)
    return _BASE[1]


def cleanup() -> None:
    """Remove this process's folder now (a fork's copy of the state removes nothing)."""
    global _BASE, _LOCK_FD
    if _BASE is None or _BASE[0] != os.getpid():
        return
    folder, _BASE = _BASE[1], None
    shutil.rmtree(folder, ignore_errors=True)
    os.close(_LOCK_FD)
    _LOCK_FD = None


def remove_ended(parent) -> list:
    """Remove the folders under ``parent`` whose run has ended (its lock is free); return them."""
    removed = []
    for folder in Path(parent).glob(f"{PREFIX}*"):
        try:
            fd = os.open(folder / LOCK, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            fd = None  # killed before it locked (or an old kit's folder): only if it is not new
        except OSError:
            continue  # not ours to judge (another user's)
        try:
            if fd is None:
                if _age(folder) < 60:
                    continue
            else:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # held: a live run
        finally:
            if fd is not None:
                os.close(fd)
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def _age(folder: Path) -> float:
    try:
        return time.time() - folder.stat().st_mtime
    except OSError:
        return 0.0


def cache_environment() -> dict:
    """Where torch's and matplotlib's caches go while grading: inside ``base()``, never the shared
    temporary folder (torch's inductor would make ``torchinductor_<user>`` there)."""
    folder = base()
    return {"TORCHINDUCTOR_CACHE_DIR": str(folder / "torchinductor"), "TRITON_CACHE_DIR": str(folder / "triton"),
            "MPLCONFIGDIR": str(folder / "matplotlib")}


def use_for_temporary_files() -> None:
    """From now on, this process's (and its children's) temporary files and torch's and matplotlib's
    caches go into ``base()``: importing torchvision makes ``torchinductor_<user>`` in the
    temporary folder whatever TORCHINDUCTOR_CACHE_DIR says."""
    folder = str(base())
    for name, value in cache_environment().items():
        os.environ.setdefault(name, value)
    os.environ["TMPDIR"] = tempfile.tempdir = folder
