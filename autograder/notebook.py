"""Reading submitted notebooks and extracting the five student functions from them.

Only the cells that define one of the functions count, and of those only the definitions and
imports: demo cells, prints and top-level statements are never executed.
"""
import ast
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import nbformat

from netvis.checks import STUDENT_FUNCTIONS

from .config import SOLUTION_NOTEBOOK

KEPT_STATEMENTS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


class SubmissionError(Exception):
    """The file is not a notebook the grader can read; the message says what to do."""


@dataclass
class Extracted:
    """What a notebook defines, as (label, source) chunks to execute in order."""

    chunks: list = field(default_factory=list)
    defined: set = field(default_factory=set)
    problems: dict = field(default_factory=dict)
    """Function name -> why it is missing or broken."""

    @property
    def source(self) -> str:
        return "\n\n".join(source for _, source in self.chunks)


def read_notebook(path: Path):
    """The notebook at ``path``, or a SubmissionError that says what is wrong with it."""
    try:
        return nbformat.read(str(path), as_version=4)
    except FileNotFoundError:
        raise SubmissionError(f"{path.name} is missing: submit the notebook as {path.name}.") from None
    except Exception as err:  # nbformat raises many kinds for a damaged file
        raise SubmissionError(f"{path.name} is not a readable Jupyter notebook ({type(err).__name__}: "
                              f"{str(err)[:200]}). Re-download it from JupyterLab (File > Download).") from None


def _without_magics(source: str) -> str:
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def _defines(source: str, names) -> list:
    return [n for n in names if re.search(rf"^def\s+{n}\s*\(", source, re.MULTILINE)]


def extract_definitions(nb, names=STUDENT_FUNCTIONS) -> Extracted:
    """The definitions and imports of every code cell that defines one of ``names``."""
    out = Extracted()
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        source = _without_magics(cell.source)
        try:
            tree = ast.parse(source)
        except SyntaxError as err:
            for name in _defines(source, names):
                out.defined.discard(name)
                out.problems[name] = f"The cell defining {name} has a syntax error (line {err.lineno}): {err.msg}."
            continue
        defined = [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in names]
        if not defined:
            continue
        kept = [ast.get_source_segment(source, n) for n in tree.body if isinstance(n, KEPT_STATEMENTS)]
        out.chunks.append((f"<notebook cell {index}>", "\n\n".join(kept)))
        for name in defined:
            out.defined.add(name)
            out.problems.pop(name, None)
    for name in names:
        if name not in out.defined and name not in out.problems:
            out.problems[name] = f"The notebook does not define {name}: keep the cell with `def {name}(...)`."
    return out


@lru_cache(maxsize=1)
def preamble() -> str:
    """What every student cell can rely on: the locked setup cell of the solution notebook
    (imports, ``device``, ``GRADING``) plus ``class_names``, without its prints and magics."""
    nb = read_notebook(SOLUTION_NOTEBOOK)
    setup = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")
    tree = ast.parse(_without_magics(setup.source))
    kept = [n for n in tree.body if not isinstance(n, ast.Expr)]
    return ast.unparse(kept) + "\nfrom netvis import imagenet_class_names\nclass_names = imagenet_class_names()\n"


def build_namespace(extracted: Extracted) -> dict:
    """Execute the preamble and the extracted chunks in a fresh namespace (trusted code only:
    the sandbox does the same for submissions, in a child process)."""
    namespace = {"__name__": "__notebook__"}
    exec(compile(preamble(), "<preamble>", "exec"), namespace)
    for label, source in extracted.chunks:
        exec(compile(source, label, "exec"), namespace)
    return namespace


@lru_cache(maxsize=1)
def solution_namespace() -> dict:
    """The solution's five functions, ready to call: the reference implementation."""
    extracted = extract_definitions(read_notebook(SOLUTION_NOTEBOOK))
    if extracted.problems:
        raise RuntimeError(f"The solution notebook is incomplete: {extracted.problems}")
    return build_namespace(extracted)
