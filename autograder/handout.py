"""What students get: the student bundle (a zip for a course website, an LMS or Gradescope),
and the notebook for Colab.

Everything in it comes from ``assignment/`` (the release notebook, the ``netvis`` helpers with
their public checks, the student README and requirements) and the kit's ``get_datasets.sh``.
Nothing of the solution, the hidden cases, the references or the grader goes in:
``tests/test_handout.py`` compares every file against the solution source.
"""
import json
import re
import zipfile
from pathlib import Path

import nbformat

from .config import KIT_ROOT, NOTEBOOK_NAME
from .files import atomic_write, atomic_write_text

ASSIGNMENT_DIR = KIT_ROOT / "assignment"
BUNDLE_FOLDER = "netvis_student"
"""The one folder that the zip unpacks into."""
BUNDLE_ZIP = KIT_ROOT / "build" / f"{BUNDLE_FOLDER}.zip"
HELPERS = "netvis"
STUDENT_FILES = [NOTEBOOK_NAME, "README.md", "requirements.txt"]
"""Files of ``assignment/`` that go to students as they are (the notebook gets its bundle URL)."""
EXECUTABLE = {"get_datasets.sh"}

_URL_LINE = re.compile(r'^BUNDLE_URL = "[^"\n]*"', re.MULTILINE)


def helper_files():
    """(path in the kit, name for students) of the helpers and the data script: what a folder
    needs beside the notebook (also what the nbgrader course's source folder carries)."""
    package = ASSIGNMENT_DIR / HELPERS
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            yield path, f"{HELPERS}/{path.relative_to(package).as_posix()}"
    yield KIT_ROOT / "get_datasets.sh", "get_datasets.sh"


def bundle_files():
    """(path in the kit, name inside the bundle's folder) of every file students get."""
    for name in STUDENT_FILES:
        yield ASSIGNMENT_DIR / name, name
    yield from helper_files()


def notebook_with_url(url: str) -> str:
    """The release notebook, as JSON text, whose setup cell fetches the bundle from ``url``.

    The cell is locked; its nbgrader checksum is computed again so that Validate accepts it. The
    graders restore it from the release, where the URL is empty, which changes nothing: there the
    helpers are always beside the notebook.
    """
    from nbgrader.utils import compute_checksum

    if url and not re.match(r"^(https?|file)://[^\s\"']+$", url):
        raise ValueError(f"BUNDLE_URL must be an http(s):// or file:// URL without quotes or spaces, got {url!r}")
    notebook = nbformat.read(ASSIGNMENT_DIR / NOTEBOOK_NAME, as_version=4)
    cells = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "get_helpers"]
    if len(cells) != 1 or not _URL_LINE.search(cells[0].source):
        raise RuntimeError("the release notebook has no setup cell with a BUNDLE_URL line: run `make release`")
    cell = cells[0]
    cell.source = _URL_LINE.sub(f"BUNDLE_URL = {json.dumps(url)}", cell.source, count=1)
    cell.metadata.nbgrader["checksum"] = compute_checksum(cell)
    return nbformat.writes(notebook)


def _write_zip(stream, notebook_text: str) -> None:
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr(zipfile.ZipInfo(f"{BUNDLE_FOLDER}/"), b"")
        for path, name in bundle_files():
            info = zipfile.ZipInfo(f"{BUNDLE_FOLDER}/{name}", date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if name in EXECUTABLE else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            data = notebook_text.encode("utf-8") if name == NOTEBOOK_NAME else path.read_bytes()
            bundle.writestr(info, data)


def write_student_bundle(out: Path = BUNDLE_ZIP, url: str = "") -> Path:
    """Write the student zip (one folder, see ``bundle_files``) atomically; with ``url``, also the
    notebook for Colab beside it (``colab/NetworkVisualization.ipynb``), whose setup cell fetches
    the zip from ``url``."""
    missing = [str(path) for path, _ in bundle_files() if not path.is_file()]
    if missing:
        raise FileNotFoundError(f"cannot build the student bundle, missing: {', '.join(missing)}")
    notebook_text = notebook_with_url(url)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, lambda stream: _write_zip(stream, notebook_text))
    if url:
        colab = out.parent / "colab" / NOTEBOOK_NAME
        colab.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(colab, notebook_text)
    return out
