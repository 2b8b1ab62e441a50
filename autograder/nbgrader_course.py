"""The nbgrader course directory (``autograder/course/``): the student release, made by nbgrader itself."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

from .files import atomic_write
from .config import ASSIGNMENT_ID, COURSE_DIR, NOTEBOOK_NAME, RELEASE_NOTEBOOK


def nbgrader(*args, course_dir: Path = COURSE_DIR, env=None, check=True) -> subprocess.CompletedProcess:
    """Run ``nbgrader ARGS`` in ``course_dir`` with this environment's tools on PATH
    (nbgrader calls ``alembic`` and starts kernels by name)."""
    bin_dir = str(Path(sys.executable).parent)
    full_env = dict(os.environ, **(env or {}))
    full_env["PATH"] = bin_dir + os.pathsep + full_env.get("PATH", "")
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course_dir, env=full_env,
                            capture_output=True, text=True)
    if check and result.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return result


def generate_release(course_dir: Path = COURSE_DIR) -> Path:
    """Run ``nbgrader generate_assignment``; return the generated student notebook's path."""
    nbgrader("generate_assignment", ASSIGNMENT_ID, "--force", course_dir=course_dir)
    return course_dir / "release" / ASSIGNMENT_ID / NOTEBOOK_NAME


def write_release(destination: Path = RELEASE_NOTEBOOK) -> Path:
    """Regenerate the student notebook and put it, atomically, where students get it."""
    generated = generate_release()
    atomic_write(destination, lambda f: f.write(generated.read_bytes()))
    return destination


def make_course(root: Path) -> Path:
    """A fresh course directory at ``root`` (config and source notebook copied, not linked)."""
    (root / "source" / ASSIGNMENT_ID).mkdir(parents=True)
    shutil.copy(COURSE_DIR / "nbgrader_config.py", root)
    shutil.copy(COURSE_DIR / "source" / ASSIGNMENT_ID / NOTEBOOK_NAME, root / "source" / ASSIGNMENT_ID)
    return root


def submit(course_dir: Path, submissions_dir: Path) -> list:
    """Copy SUBMISSIONS_DIR/<student>/NetworkVisualization.ipynb into nbgrader's submitted/ layout."""
    students = []
    for folder in sorted(p for p in Path(submissions_dir).iterdir() if p.is_dir()):
        target = course_dir / "submitted" / folder.name / ASSIGNMENT_ID
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(folder / NOTEBOOK_NAME, target)
        students.append(folder.name)
    return students
