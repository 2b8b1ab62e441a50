"""A student's own check of a notebook, before submitting it: ``python -m netvis check NOTEBOOK``.

It runs the notebook headless the way the grader does: every code cell in order in a fresh
kernel, the next cell after one that raises, the demos with the grader's short settings
(``NBGRADER_EXECUTION`` set, so ``GRADING`` is True). Then it reads the test cells (nbgrader's
grade cells, one per check): a test cell that ran without an error passed. It prints each
check's verdict with its points, each other cell that raised, and the public points.

The public points are what the public cases give; the grader adds hidden cases (which may find
more) and grades the inline questions by hand. The student's notebook file is never changed.
"""
import os
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

GRADER_CELL_SECONDS = 30
"""The grader's budget for one cell (autograder/config.py's CELL_TIMEOUT_S); slower cells are named."""


@dataclass
class CellReport:
    index: int
    """The cell's position in the notebook, from 1."""
    first_line: str
    error: str = ""
    """``Name: message`` of the exception it raised, or ''."""
    seconds: float = 0.0
    check_id: str = ""
    """The check of a test cell, or ''."""
    points: float = 0.0
    extra_credit: bool = False
    """Whether the check is extra credit (Part 5): its points are totalled apart."""


@dataclass
class NotebookReport:
    cells: list = field(default_factory=list)

    @property
    def checks(self) -> list:
        return [c for c in self.cells if c.check_id]

    @property
    def raised(self) -> list:
        return [c for c in self.cells if c.error and not c.check_id]

    @property
    def points(self) -> float:
        return sum(c.points for c in self.checks if not c.error and not c.extra_credit)

    @property
    def total(self) -> float:
        return sum(c.points for c in self.checks if not c.extra_credit)

    @property
    def extra_points(self) -> float:
        return sum(c.points for c in self.checks if not c.error and c.extra_credit)

    @property
    def extra_total(self) -> float:
        return sum(c.points for c in self.checks if c.extra_credit)

    @property
    def failed(self) -> list:
        return [c for c in self.checks if c.error]


def _first_line(source: str) -> str:
    lines = [line.strip() for line in source.splitlines() if line.strip()]
    line = lines[0] if lines else "(empty)"
    return line if len(line) <= 70 else line[:67] + "..."


def _error(outputs) -> str:
    for output in outputs:
        if output.get("output_type") == "error":
            message = " ".join(str(output.get("evalue", "")).split())
            return f"{output.get('ename', 'Error')}: {message[:400]}"
    return ""


def run_notebook(path: Path, timeout: float = 600, progress: bool = True) -> NotebookReport:
    """Execute the notebook at ``path`` in a fresh kernel, in its own folder, without writing it back."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError
    from tqdm.auto import tqdm

    path = Path(path).resolve()
    notebook = nbformat.read(path, as_version=4)
    os.environ.setdefault("NBGRADER_EXECUTION", "autograde")  # the kernel inherits it: GRADING is True
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3", allow_errors=True,
                            interrupt_on_timeout=True, resources={"metadata": {"path": str(path.parent)}})
    report = NotebookReport()
    with client.setup_kernel():
        cells = list(enumerate(notebook.cells))
        for index, cell in tqdm(cells, desc=f"running {path.name}", unit="cell", disable=not progress):
            if cell.cell_type != "code":
                continue
            grade = cell.metadata.get("nbgrader", {})
            started = time.monotonic()
            try:
                client.execute_cell(cell, index)
                error = _error(cell.outputs)
            except CellTimeoutError:
                error = f"TimeoutError: the cell ran longer than {timeout:g} s"
            report.cells.append(CellReport(
                index=index + 1, first_line=_first_line(cell.source), error=error,
                seconds=time.monotonic() - started,
                check_id=grade.get("grade_id", "") if grade.get("grade") else "",
                points=float(grade.get("points") or 0), extra_credit=_extra_credit(grade.get("grade_id", ""))))
    return report


def _extra_credit(grade_id: str) -> bool:
    from .checks import is_extra_credit  # torch: only once a notebook has run

    return bool(grade_id) and is_extra_credit(grade_id)


def _points(value: float) -> str:
    return f"{value:g}"


def format_report(report: NotebookReport) -> str:
    """The verdicts, the cells that raised, the slow cells and the public points, as printed."""
    lines = ["Test cells (public cases):"]
    width = max((len(c.check_id) for c in report.checks), default=10)
    for cell in report.checks:
        earned = 0 if cell.error else cell.points
        verdict = "ok" if not cell.error else cell.error
        lines.append(f"  {cell.check_id:<{width}}  {_points(earned):>3}/{_points(cell.points):<3} {verdict}")
    if report.raised:
        lines.append("Cells that raised an error:")
        lines += [f"  cell {c.index} ({c.first_line}): {c.error}" for c in report.raised]
    slow = [c for c in report.cells if c.seconds > GRADER_CELL_SECONDS and not c.check_id]
    if slow:
        lines.append(f"Cells slower than the grader's {GRADER_CELL_SECONDS} s per cell (it would stop them):")
        lines += [f"  cell {c.index} ({c.first_line}): {c.seconds:.0f} s" for c in slow]
    extra = (f" Extra credit: {_points(report.extra_points)}/{_points(report.extra_total)}."
             if report.extra_total else "")
    lines.append(f"Public points: {_points(report.points)}/{_points(report.total)}.{extra} The grader also runs "
                 "hidden cases and grades the inline questions by hand.")
    return "\n".join(lines)


def write_submission(notebook: Path, out: Path) -> Path:
    """A zip holding the notebook as saved, written atomically (no partial zip is ever left)."""
    out = Path(out).resolve()
    partial = out.with_name(f".{out.name}.partial")
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(notebook, Path(notebook).name)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return out
