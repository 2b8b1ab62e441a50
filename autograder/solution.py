"""The reference implementation: the five functions of the solution notebook, ready to call.

It runs in the grader's own process (the solution is trusted code) with its prints and
progress bars silenced, so that nothing it says reaches the instructor's terminal.
"""
import hashlib
from functools import lru_cache, partial

from tqdm.auto import tqdm

from netvis.checks import STUDENT_FUNCTIONS

from .cells import new_namespace, run_cell
from .config import SOLUTION_NOTEBOOK
from .notebook import CodeCell, read_notebook, to_python

SETUP_CELL = "setup"


def _silent_print(*args, **kwargs) -> None:
    """The solution's print: says nothing."""


@lru_cache(maxsize=1)
def solution_cells() -> tuple:
    """The solution notebook's setup cell and its five function cells, as CodeCells."""
    wanted = {SETUP_CELL, *STUDENT_FUNCTIONS}
    nb = read_notebook(SOLUTION_NOTEBOOK)
    return tuple(CodeCell(number, to_python(cell.source)) for number, cell in enumerate(nb.cells, start=1)
                 if cell.metadata.get("nbgrader", {}).get("grade_id") in wanted)


def solution_source() -> str:
    """What the references depend on in the solution: the source of those cells."""
    return "\n\n".join(cell.source for cell in solution_cells())


def solution_sha256() -> str:
    return hashlib.sha256(solution_source().encode()).hexdigest()


@lru_cache(maxsize=1)
def solution_namespace() -> dict:
    """The namespace the solution's cells build, with ``print`` and ``tqdm`` silenced."""
    namespace = new_namespace()
    namespace["print"] = _silent_print
    for cell in solution_cells():
        error = run_cell(cell, namespace)
        if error:
            raise RuntimeError(f"The solution notebook's cell {cell.number} fails:\n{error}")
        namespace["print"] = _silent_print
        namespace["tqdm"] = partial(tqdm, disable=True)
    missing = [name for name in STUDENT_FUNCTIONS if not callable(namespace.get(name))]
    if missing:
        raise RuntimeError(f"The solution notebook does not define {', '.join(missing)}.")
    return namespace
