"""``python -m autograder protect``: close the grader's files to other users.

In the ``uid`` isolation mode each sandbox runs as a uid of its own. Where the kernel has Landlock,
Landlock alone decides what a sandbox reads. Where it has none (older kernels, some Gradescope
runners), the only wall left is the files' own permission bits: the solution, the references, the
grader's code and every other student's folder must not be readable by "other" users. Each
sandbox proves it before it runs anything (``isolation.observe``), and refuses to start otherwise.

This removes the "other" permission bits from everything in the kit except what a sandbox needs
to read (the helpers, the data, and a virtual environment or packages inside the kit), whose
folders above keep only the "x" bit (a sandbox can pass through them, not list them). The group
bits are left alone: a sandbox's uid belongs to no group. Folders named on the command line (a
class's submissions, the output) are closed whole.
"""
import os
import stat
import sys
from pathlib import Path

from netvis.config import data_dir

from .config import KIT_ROOT, REFERENCES_DIR

import netvis


def readable_inside_kit() -> list:
    """The kit's folders a sandbox must read: the helpers, the data, packages on sys.path."""
    kit = os.path.realpath(KIT_ROOT)
    wanted = [os.path.dirname(netvis.__file__), str(data_dir())] + [p for p in sys.path if p]
    wanted = [os.path.realpath(p) for p in wanted if os.path.exists(p)]
    return sorted({p for p in wanted if (p + os.sep).startswith(kit + os.sep) and p != kit})


def _close(path: str, keep_x: bool) -> bool:
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        return False
    mode = stat.S_IMODE(info.st_mode)
    new = mode & ~(0o006 if keep_x else 0o007)
    if new != mode:
        os.chmod(path, new)
    return new != mode


def protect(extra=()) -> list:
    """Close the kit (but what sandboxes read), the references and ``extra``; lines saying what changed."""
    kit = os.path.realpath(KIT_ROOT)
    keep = readable_inside_kit()
    ancestors = {os.path.dirname(p) for p in keep}
    for p in list(ancestors):
        while (p + os.sep).startswith(kit + os.sep) and p != kit:
            p = os.path.dirname(p)
            ancestors.add(p)
    ancestors.add(kit)
    changed = 0
    for folder, subfolders, files in os.walk(kit):
        changed += _close(folder, keep_x=True) if folder in ancestors else 0
        for name in list(subfolders):
            path = os.path.join(folder, name)
            if path in keep:
                subfolders.remove(name)
            elif path not in ancestors:
                changed += _close(path, keep_x=False)
                subfolders.remove(name)
        for name in files:
            changed += _close(os.path.join(folder, name), keep_x=False)
    closed = [Path(REFERENCES_DIR), *map(Path, extra)]
    for path in closed:
        if path.exists():
            changed += _close(str(path), keep_x=False)
    return [f"closed to other users: {kit} (but {', '.join(keep) or 'nothing'}), "
            f"{', '.join(str(p) for p in closed if p.exists())}; {changed} permission(s) changed"]
