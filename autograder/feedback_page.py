"""The student's feedback page: what it shows, gathered per part, rendered from a Jinja2 template.

The page reads top to bottom: the points on one line (each part's, extra credit on a line of
its own), why the notebook could not be graded if it could not, the notebook's cell errors,
then per part its pictures (the student's beside the reference's) and every check with its
verdict and message. Parts come from ``netvis.checks.PARTS`` through each check's function, so
a new part with its own checks appears with no change here or in the template.

Everything a student wrote (messages, tracebacks, their id) is escaped by the template
environment's autoescaping; pictures are embedded as data: URIs, so the page stands alone.
"""
import dataclasses
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from netvis.checks import CHECKS_BY_ID, PARTS, Part, part_of

from .results import Adjustments, CheckResult, SubmissionResult

TEMPLATES = Path(__file__).parent / "templates"
TEMPLATE_NAME = "feedback.html.j2"
FIRST_LINE_CHARS = 100


@dataclass
class CheckView:
    """One check's row: its aspect, what it tests, its points and the message."""
    result: CheckResult
    aspect: str
    tests: str
    verdict: str
    """"pass", "partial" or "fail"."""


@dataclass
class PartView:
    """One part: its checks, their points, and its pictures (a list of results.FigureRow)."""
    part: Part
    checks: list = field(default_factory=list)
    figures: list = field(default_factory=list)

    @property
    def points(self) -> float:
        return sum(view.result.points for view in self.checks)

    @property
    def max_points(self) -> float:
        return sum(view.result.max_points for view in self.checks)

    @property
    def anchor(self) -> str:
        return f"part-{self.part.number}"


@dataclass
class CellError:
    """A notebook cell that raised: its number, its first line, the exception and the traceback."""
    number: str
    first_line: str
    exception: str
    traceback: str


def _check_view(result: CheckResult) -> CheckView:
    check = CHECKS_BY_ID.get(result.id)
    tests = (check.description or "").strip().splitlines()[0] if check and check.description else ""
    verdict = "pass" if result.passed else "partial" if result.points > 0 else "fail"
    return CheckView(result, result.id.split("-", 1)[-1].replace("_", " "), tests, verdict)


def part_views(result: SubmissionResult) -> list:
    """[PartView] in the notebook's order: each check under the part of its function, with that
    part's pictures; parts no table lists are numbered after the known ones, in order of appearance."""
    views = {}
    for check in result.checks:
        part = part_of(check.function)
        views.setdefault(part, PartView(part)).checks.append(_check_view(check))
    for function, rows in result.figures.items():
        views.setdefault(part_of(function), PartView(part_of(function))).figures.extend(rows)
    known = {part.number for part in PARTS}
    ordered = sorted((v for v in views.values() if v.part in PARTS), key=lambda v: v.part.number)
    number = max(known, default=0)
    for view in views.values():
        if view.part not in PARTS:
            number += 1
            view.part = dataclasses.replace(view.part, number=number)
            ordered.append(view)
    return ordered


def points_line(parts: list) -> str:
    """"31 / 38 points: saliency 9/9 · fooling 7/9 · ..." for the given parts."""
    points, most = sum(p.points for p in parts), sum(p.max_points for p in parts)
    detail = " · ".join(f"{p.part.short} {p.points:g}/{p.max_points:g}" for p in parts)
    return f"{points:g} / {most:g} points" + (f" — {detail}" if detail else "")


def cell_errors(result: SubmissionResult) -> list:
    """[CellError] for each cell that raised, in cell order."""
    errors = []
    for number, text in sorted(result.notebook_errors.items(), key=lambda item: int(item[0])):
        lines = [line for line in str(text).strip().splitlines() if line.strip()] or ["(no message)"]
        first = result.cell_first_lines.get(number, "")
        first = first if len(first) <= FIRST_LINE_CHARS else first[:FIRST_LINE_CHARS - 1] + "…"
        errors.append(CellError(number, first, lines[-1].strip(), str(text).strip()))
    return errors


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The template environment: autoescaping on for .j2 HTML templates, undefined names an error."""
    return Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined, trim_blocks=True,
                       lstrip_blocks=True, autoescape=select_autoescape(["html", "j2"], default=True))


def feedback_html(result: SubmissionResult, adjustments: Adjustments = None) -> str:
    """The self-contained feedback page (HTML text) for one student; with ``adjustments`` (from the
    gradebook) it also shows the days late, the penalty, the hand grades and the final grade."""
    parts = part_views(result)
    graded = [p for p in parts if not p.part.extra_credit]
    extra = [p for p in parts if p.part.extra_credit]
    return environment().get_template(TEMPLATE_NAME).render(
        student=result.student, problem=result.problem, parts=parts, points_line=points_line(graded),
        extra_line=points_line(extra) if extra else "", errors=cell_errors(result),
        full_marks=bool(graded) and all(p.points == p.max_points for p in graded), adjustments=adjustments)
