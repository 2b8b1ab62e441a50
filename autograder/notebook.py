"""A submitted notebook as the grader runs it: its code cells in order, with checkpoints.

The graded namespace is what the student's notebook builds when it runs top to bottom, as a
kernel runs it: every code cell the student wrote, kept or added, in order. Three things differ
from a plain run, as under nbgrader:

- locked cells (the setup cell and the kit's helpers) are restored from the release, as
  nbgrader's ``OverwriteCells`` does;
- the kit's own test cells are left out: each becomes a *checkpoint* where the grader runs
  that check on the namespace as it is there;
- IPython syntax (``%magics``, ``!shell``, ``x?``) is turned into Python the way IPython turns
  it; ``cells`` gives ``get_ipython()`` a stand-in that never runs shell commands.
"""
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath

from IPython.core.inputtransformer2 import TransformerManager

from netvis.checks import CHECKS, CHECKS_BY_ID

from .config import NOTEBOOK_NAME, RELEASE_NOTEBOOK


class SubmissionError(Exception):
    """The file is not a notebook the grader can read; the message says what to do."""


@dataclass(frozen=True)
class CodeCell:
    number: int
    """The cell's position in the notebook, counting from 1 (markdown cells included)."""
    source: str
    """Python source, IPython syntax already transformed."""

    @property
    def label(self) -> str:
        """The file name tracebacks show for this cell."""
        return f"<notebook cell {self.number}>"


@dataclass(frozen=True)
class Checkpoint:
    checks: tuple
    """Check ids graded at this point of the notebook, in the registry's order."""


@dataclass
class Program:
    steps: list = field(default_factory=list)
    """CodeCell and Checkpoint items in notebook order. The last Checkpoint holds every check
    whose grade cell the notebook lacks: those are graded on the final namespace."""
    restored: list = field(default_factory=list)
    """Numbers of the locked cells whose source was put back."""

    @property
    def cells(self) -> list:
        return [s for s in self.steps if isinstance(s, CodeCell)]

    def position(self, check_id: str) -> int:
        """Index in ``steps`` of the checkpoint that grades ``check_id``."""
        return next(i for i, s in enumerate(self.steps) if isinstance(s, Checkpoint) and check_id in s.checks)


class _Node(dict):
    """A notebook's JSON object with attribute access, as nbformat's NotebookNode."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _node(value):
    if isinstance(value, dict):
        return _Node({k: _node(v) for k, v in value.items()})
    return [_node(v) for v in value] if isinstance(value, list) else value


def notebook_order(name: str) -> tuple:
    """Sort key choosing a submission's notebook among several (``name``: a relative POSIX path):
    the release's file name first, then the shallowest, then by path."""
    return PurePosixPath(name).name != NOTEBOOK_NAME, name.count("/"), name


def find_notebook(folder: Path):
    """The notebook to grade in a student's ``folder`` (by ``notebook_order``), or None."""
    folder = Path(folder)
    names = [p.relative_to(folder).as_posix() for p in folder.rglob("*.ipynb")]
    return folder / min(names, key=notebook_order) if names else None


def load_notebook(path: Path):
    """The notebook at ``path`` (format 4) with every cell's source as one string. It reads the JSON
    itself: nbformat's import pulls in JSON-schema format checkers that take seconds to load, on
    every cold grading. Older formats go through nbformat, which converts them."""
    data = json.loads(Path(path).read_bytes())
    if not (isinstance(data, dict) and data.get("nbformat") == 4 and isinstance(data.get("cells"), list)):
        import nbformat

        return nbformat.read(str(path), as_version=4)
    nb = _node(data)
    for cell in nb.cells:
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            raise ValueError("a cell without a cell_type")
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(line, str) for line in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise ValueError(f"a {cell['cell_type']} cell whose source is not text")
        cell["source"] = source
        if not isinstance(cell.get("metadata", {}), dict):
            raise ValueError("a cell whose metadata is not an object")
        cell.setdefault("metadata", _Node())
    return nb


def read_notebook(path: Path):
    """The notebook at ``path``, or a SubmissionError that says what is wrong with it."""
    try:
        return load_notebook(path)
    except FileNotFoundError:
        raise SubmissionError(f"{path.name} is missing: submit the notebook as {path.name}.") from None
    except Exception as err:  # a damaged file fails in many ways
        raise SubmissionError(f"{path.name} is not a readable Jupyter notebook ({type(err).__name__}: "
                              f"{str(err)[:200]}). Re-download it from JupyterLab (File > Download).") from None


def _grade_id(cell) -> str:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")


@lru_cache(maxsize=1)
def locked_sources() -> dict:
    """grade_id -> source of every locked code cell of the release that is not a test cell.

    Read directly: a missing release is the grader's fault, not the student's."""
    release = load_notebook(RELEASE_NOTEBOOK)
    return {_grade_id(c): c.source for c in release.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("locked")
            and _grade_id(c) not in CHECKS_BY_ID}


def to_python(source: str) -> str:
    """A cell's source with IPython syntax turned into Python, as IPython itself does."""
    try:
        return TransformerManager().transform_cell(source)
    except Exception:  # what IPython cannot transform, Python will report as a SyntaxError
        return source


def build_program(nb) -> Program:
    """The steps a grader runs for notebook ``nb`` (see the module docstring)."""
    program, graded = Program(), set()
    for number, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        grade_id = _grade_id(cell)
        if grade_id in CHECKS_BY_ID:
            if grade_id not in graded:
                graded.add(grade_id)
                program.steps.append(Checkpoint((grade_id,)))
            continue
        source = cell.source
        if grade_id in locked_sources() and source != locked_sources()[grade_id]:
            source = locked_sources()[grade_id]
            program.restored.append(number)
        program.steps.append(CodeCell(number, to_python(source)))
    program.steps.append(Checkpoint(tuple(c.id for c in CHECKS if c.id not in graded)))
    return program


def read_program(path: Path) -> Program:
    """The program of the notebook at ``path``; SubmissionError if it cannot be read."""
    return build_program(read_notebook(Path(path)))
