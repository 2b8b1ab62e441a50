"""Submission variants: a .py file of replacement functions turned into a filled-in notebook.

A variant's first docstring line is ``expect-fail: <check ids>`` (or ``none``); the rest of
the docstring describes it. The functions it defines replace the stubs of the student release;
every other stub gets the solution's code, so that each variant differs from a correct
submission in exactly what it defines. The kit's tests and ``examples/submissions`` use them.
"""
import ast
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat

from netvis.checks import STUDENT_FUNCTIONS

from ..config import NOTEBOOK_NAME, RELEASE_NOTEBOOK, SOLUTION_NOTEBOOK
from netvis.config import KIT_ROOT

CORPUS_DIR = KIT_ROOT / "tests" / "corpus"
EXAMPLES_DIR = KIT_ROOT / "examples" / "submissions"
EXAMPLES = ["saliency_squeeze", "fooling_never_stops", "class_l2_added", "capture_hooks_left"]
"""Corpus variants that make realistic sample submissions, beside the plain solution."""

MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*(\n|\Z)", re.MULTILINE)


@dataclass
class Variant:
    name: str
    expected_failures: set
    description: str
    sources: dict
    """Function name -> the code of its cell (the variant's imports, then the function)."""


def read_variant(path: Path) -> Variant:
    path = Path(path)
    text = path.read_text()
    tree = ast.parse(text)
    doc = ast.get_docstring(tree) or ""
    first, _, description = doc.partition("\n")
    match = re.fullmatch(r"expect-fail: (.+)", first.strip())
    if not match:
        raise ValueError(f"{path}: the docstring must start with 'expect-fail: <check ids>' or 'expect-fail: none'")
    expected = set() if match.group(1) == "none" else set(match.group(1).split())
    imports = "".join(ast.get_source_segment(text, n) + "\n" for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom)))
    sources = {n.name: (imports + "\n" if imports else "") + ast.get_source_segment(text, n)
               for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in STUDENT_FUNCTIONS}
    return Variant(path.stem, expected, description.strip(), sources)


def _solution_cells(nb) -> dict:
    """grade_id -> cell, for every cell a student fills in (the functions and the inline answers)."""
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("solution")}


def build_submission(variant: Variant):
    """The student release with every answer filled in: the variant's functions, else the solution's."""
    release = nbformat.read(str(RELEASE_NOTEBOOK), as_version=4)
    solution_cells = _solution_cells(nbformat.read(str(SOLUTION_NOTEBOOK), as_version=4))
    for grade_id, cell in _solution_cells(release).items():
        cell.source = variant.sources.get(grade_id) or MARKER.sub("", solution_cells[grade_id].source)
    return release


def write_examples(out_dir: Path = EXAMPLES_DIR) -> list:
    """examples/submissions/<id>/NetworkVisualization.ipynb: the solution and a few buggy variants."""
    variants = [Variant("solution", set(), "The solution.", {})]
    variants += [read_variant(CORPUS_DIR / f"{name}.py") for name in EXAMPLES]
    for variant in variants:
        folder = Path(out_dir) / variant.name
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(build_submission(variant), str(folder / NOTEBOOK_NAME))
    return variants


def write_class(root: Path, copies: int) -> Path:
    """A class made of the sample submissions: ``root/<sample>_<k>/`` for k < ``copies``."""
    for k in range(copies):
        for example in sorted(Path(EXAMPLES_DIR).iterdir()):
            (Path(root) / f"{example.name}_{k}").mkdir(parents=True)
            shutil.copy(example / NOTEBOOK_NAME, Path(root) / f"{example.name}_{k}")
    return Path(root)
