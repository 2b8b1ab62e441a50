"""The nbgrader course directory (``autograder/course/``): the student release, made by nbgrader itself,
with the helpers beside the notebook."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .files import atomic_write
from .config import ASSIGNMENT_ID, COURSE_DIR, KIT_ROOT, NOTEBOOK_NAME, RELEASE_NOTEBOOK
from .handout import helper_files


def sync_helpers(course_dir: Path = COURSE_DIR) -> list:
    """Make ``source/netvis/`` carry the kit's helpers and ``get_datasets.sh`` (copies, as nbgrader
    walks no links); rewrite only what changed, each file atomically; drop helper files the kit no
    longer has. Returns the names written."""
    source = Path(course_dir) / "source" / ASSIGNMENT_ID
    wanted, written = {}, []
    for path, name in helper_files():
        wanted[name] = path
        target = source / name
        data = path.read_bytes()
        if not target.is_file() or target.is_symlink() or target.read_bytes() != data:
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_symlink():
                target.unlink()
            atomic_write(target, lambda f, data=data: f.write(data), mode=0o755 if name.endswith(".sh") else 0o644)
            written.append(name)
    helpers = source / "netvis"
    for stale in [p for p in helpers.rglob("*.py") if p.relative_to(source).as_posix() not in wanted]:
        stale.unlink()
    return written


def prepare_course(course_dir) -> None:
    """What ``nbgrader_config.py`` does each time nbgrader starts in the course directory.

    - the helpers beside the source notebook (``sync_helpers``);
    - this Python's ``bin/`` first on PATH: nbgrader runs ``alembic`` on a new gradebook and starts
      kernels, which must come from the environment that has the kit, activated or not;
    - ``NETVIS_DATA_DIR``, unless set, at the kit's data, for the kernels that autograde starts in
      ``autograded/<student>/netvis/`` (the helpers copied there find no data beside themselves).
    """
    sync_helpers(Path(course_dir))
    bin_dir = str(Path(sys.executable).parent)
    if os.environ.get("PATH", "").split(os.pathsep)[0] != bin_dir:
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    kit_data = KIT_ROOT / "datasets"  # not through netvis, whose import would load torch in every nbgrader command
    if not os.environ.get("NETVIS_DATA_DIR") and (kit_data / "imagenet_val_25.npz").is_file():
        os.environ["NETVIS_DATA_DIR"] = str(kit_data.resolve())


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


PART5_FIRST, PART5_END = "explanations_intro", "outro"
"""Part 5 (extra credit) is the source notebook's cells from the first of these grade ids up to the second."""
PART5_INTRO_LINE = "5. **Which explanation can you trust?**"


def without_part5(notebook: dict) -> dict:
    """The notebook (nbformat JSON) without Part 5: its cells, and its line in the introduction."""
    ids = [c["metadata"].get("nbgrader", {}).get("grade_id") for c in notebook["cells"]]
    first, end = ids.index(PART5_FIRST), ids.index(PART5_END)
    cells = notebook["cells"][:first] + notebook["cells"][end:]
    intro = dict(cells[0])
    source = "".join(intro["source"])
    if PART5_INTRO_LINE in source:
        start = source.index(PART5_INTRO_LINE)
        stop = source.find("\n\n", start)
        source = source[:start].rstrip(" ") + source[stop + 1:] if stop >= 0 else source[:start]
        intro["source"] = source.splitlines(keepends=True)
    return dict(notebook, cells=[intro] + cells[1:])


def part5_wanted() -> bool:
    """False when ``PART5=0`` (``make release PART5=0``): the release leaves Part 5 out."""
    return os.environ.get("PART5", "1").strip().lower() not in ("0", "no", "false", "off")


def generate_release(course_dir: Path = COURSE_DIR, part5: bool = True) -> Path:
    """The student notebook made by ``nbgrader generate_assignment``; without Part 5 (``part5=False``),
    from a copy of the course whose source notebook lacks Part 5's cells."""
    if not part5:
        scratch = Path(tempfile.mkdtemp(prefix="netvis-release-"))
        course = make_course(scratch / "course")
        source = course / "source" / ASSIGNMENT_ID / NOTEBOOK_NAME
        notebook = without_part5(json.loads(source.read_text()))
        source.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")
        generated = _generate_release(course)
        kept = Path(tempfile.mkdtemp(prefix="netvis-release-")) / NOTEBOOK_NAME
        shutil.copy(generated, kept)
        shutil.rmtree(scratch, ignore_errors=True)
        return kept
    return _generate_release(course_dir)


def _generate_release(course_dir: Path) -> Path:
    """Run ``nbgrader generate_assignment``; return the generated student notebook's path."""
    nbgrader("generate_assignment", ASSIGNMENT_ID, "--force", course_dir=course_dir)
    return course_dir / "release" / ASSIGNMENT_ID / NOTEBOOK_NAME


def write_release(destination: Path = RELEASE_NOTEBOOK, part5: bool = True) -> Path:
    """Regenerate the student notebook and put it, atomically, where students get it."""
    generated = generate_release(part5=part5)
    atomic_write(destination, lambda f: f.write(generated.read_bytes()))
    return destination


def make_course(root: Path) -> Path:
    """A fresh course directory at ``root`` (config and source notebook copied, not linked; the
    helpers are added by the config when nbgrader first starts there)."""
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
