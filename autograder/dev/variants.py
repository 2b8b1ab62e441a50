"""Submission variants: a .py file turned into a filled-in notebook, as a student would edit it.

A variant's first docstring line is ``expect-fail: <check ids>`` (or ``none``, or ``all``); the rest of the
docstring describes it. A variant comes in one of two forms:

- *functions*: the functions it defines replace the stubs of the student release (each with
  the file's imports above it);
- *cells*: ``# %% TARGET`` lines split it into cells, the way a student edits in JupyterLab.
  TARGET is the grade id of a cell of the release to replace (``compute_saliency_maps``),
  ``before ID`` or ``after ID`` for a new cell next to that one, or ``end`` for a new last cell.

Every stub the variant leaves alone gets the solution's code, so that a variant differs from a
correct submission in exactly what it writes. The kit's tests and ``examples/submissions`` use them.
"""
import ast
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from netvis.checks import CHECKS, STUDENT_FUNCTIONS
from autograder.config import KIT_ROOT

from ..config import NOTEBOOK_NAME, RELEASE_NOTEBOOK, SOLUTION_NOTEBOOK

CORPUS_DIR = KIT_ROOT / "tests" / "corpus"
EXAMPLES_DIR = KIT_ROOT / "examples" / "submissions"
EXAMPLES = ["saliency_squeeze", "fooling_never_stops", "class_l2_added", "capture_hooks_left"]
"""Corpus variants that make realistic sample submissions, beside the plain solution."""

MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*(\n|\Z)", re.MULTILINE)
CELL = re.compile(r"^# %% *(.*)$", re.MULTILINE)


@dataclass
class Variant:
    name: str
    expected_failures: set
    description: str
    sources: dict = field(default_factory=dict)
    """grade id -> the new source of that cell of the release."""
    inserted: list = field(default_factory=list)
    """(where, grade id or "", source): new cells, "before"/"after" a cell or at the "end"."""


def read_variant(path: Path) -> Variant:
    path = Path(path)
    text = path.read_text()
    doc = re.match(r'\s*"""(.*?)"""', text, re.DOTALL)  # by hand: a cells variant may hold IPython syntax
    doc = doc.group(1).strip() if doc else ""
    first, _, description = doc.partition("\n")
    match = re.fullmatch(r"expect-fail: (.+)", first.strip())
    if not match:
        raise ValueError(f"{path}: the docstring must start with 'expect-fail: <check ids>' or 'expect-fail: none'")
    words = match.group(1).split()
    expected = set() if words == ["none"] else {c.id for c in CHECKS} if words == ["all"] else set(words)
    variant = Variant(path.stem, expected, description.strip())
    if CELL.search(text):
        _read_cells(text, variant)
    else:
        _read_functions(text, variant)
    return variant


def _read_functions(text: str, variant: Variant) -> None:
    tree = ast.parse(text)
    imports = "".join(ast.get_source_segment(text, n) + "\n" for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom)))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in STUDENT_FUNCTIONS:
            variant.sources[node.name] = (imports + "\n" if imports else "") + ast.get_source_segment(text, node)


def _read_cells(text: str, variant: Variant) -> None:
    parts = CELL.split(text)[1:]  # target, source, target, source...
    for target, source in zip(parts[::2], parts[1::2]):
        source, words = source.strip("\n"), target.split()
        if words[0] in ("before", "after", "end"):
            variant.inserted.append((words[0], words[1] if len(words) > 1 else "", source))
        else:
            variant.sources[words[0]] = source


def _grade_id(cell) -> str:
    return cell.metadata.get("nbgrader", {}).get("grade_id", "")


def build_submission(variant: Variant):
    """The student release with every answer filled in: the variant's cells, else the solution's."""
    release = nbformat.read(str(RELEASE_NOTEBOOK), as_version=4)
    solution = {_grade_id(c): c for c in nbformat.read(str(SOLUTION_NOTEBOOK), as_version=4).cells}
    for cell in release.cells:
        grade_id = _grade_id(cell)
        if grade_id in variant.sources:
            cell.source = variant.sources[grade_id]
        elif cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = MARKER.sub("", solution[grade_id].source)
    anchors = {}  # grade id -> the last cell inserted after it, so that insertions keep their order
    for number, (where, grade_id, source) in enumerate(variant.inserted):
        new = nbformat.v4.new_code_cell(source)
        new["id"] = f"{variant.name}-{number}"  # deterministic: the committed examples must rebuild alike
        if where == "end":
            release.cells.append(new)
            continue
        target = anchors.get(grade_id) if where == "after" else None
        target = target or next(c for c in release.cells if _grade_id(c) == grade_id)
        index = next(i for i, c in enumerate(release.cells) if c is target)
        release.cells.insert(index + (where == "after"), new)
        if where == "after":
            anchors[grade_id] = new
    return release


def write_notebook(variant: Variant, folder: Path) -> Path:
    """``folder/NetworkVisualization.ipynb`` built from ``variant``."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    path = Path(folder) / NOTEBOOK_NAME
    nbformat.write(build_submission(variant), str(path))
    return path


def write_examples(out_dir: Path = EXAMPLES_DIR) -> list:
    """examples/submissions/<id>/NetworkVisualization.ipynb: the solution and a few buggy variants."""
    variants = [Variant("solution", set(), "The solution.")]
    variants += [read_variant(CORPUS_DIR / f"{name}.py") for name in EXAMPLES]
    for variant in variants:
        write_notebook(variant, Path(out_dir) / variant.name)
    return variants


def write_class(root: Path, copies: int) -> Path:
    """A class made of the sample submissions: ``root/<sample>_<k>/`` for k < ``copies``."""
    for k in range(copies):
        for example in sorted(Path(EXAMPLES_DIR).iterdir()):
            (Path(root) / f"{example.name}_{k}").mkdir(parents=True)
            shutil.copy(example / NOTEBOOK_NAME, Path(root) / f"{example.name}_{k}")
    return Path(root)


def functions_namespace(variant: Variant) -> dict:
    """The solution's setup and function cells run in a fresh namespace, with the variant's cells in
    place of the solution's (no demos, no inserted cells): the fast way to check a variant's functions."""
    from ..cells import new_namespace, run_cell
    from ..notebook import CodeCell, to_python

    namespace = new_namespace()
    solution = nbformat.read(str(SOLUTION_NOTEBOOK), as_version=4)
    for number, cell in enumerate(solution.cells, start=1):
        grade_id = _grade_id(cell)
        if grade_id == "setup" or grade_id in STUDENT_FUNCTIONS:
            source = variant.sources.get(grade_id, cell.source)
            error = run_cell(CodeCell(number, to_python(source)), namespace)
            if error:
                raise RuntimeError(f"{variant.name}: cell {grade_id} fails:\n{error}")
    return namespace
