"""What grading one submission produced, and the record of it that a resumed batch reads."""
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from netvis.checks import is_extra_credit

from .files import atomic_write_text

HIDDEN_FAILURE = "Fails a hidden case: "
"""How a check's message begins when it comes from a hidden case (Gradescope may hide it)."""
RECORD_NAME = "grading.json"
"""Per student: the full result, written last; its presence marks a finished student."""


@dataclass
class Tile:
    """One picture of the feedback page, or a note where the student's code could not make it."""
    caption: str
    png: str = ""
    """Base64 PNG, drawn at the size it is shown (about 224 px wide); empty when missing."""
    note: str = ""
    """Why the picture is missing."""


@dataclass
class FigureRow:
    """A labelled row of tiles; a part's figure is a list of rows, the student's beside the reference's."""
    label: str
    tiles: list


@dataclass
class CheckResult:
    id: str
    points: float
    max_points: float
    message: str
    mistake: str = ""
    """The named mistake behind a failure (an id of ``netvis.checks.mistakes.TITLES``); "" when it
    passed or no mistake was named. Records written before it existed load with ""."""
    error_type: str = ""
    """With the mistake "raised": the class name of the student's exception, as the call recorded it."""

    @property
    def passed(self) -> bool:
        return self.points == self.max_points

    @property
    def function(self) -> str:
        return self.id.split("-")[0]

    @property
    def extra_credit(self) -> bool:
        """Whether the check belongs to an extra-credit part (``netvis.checks.PARTS``)."""
        return is_extra_credit(self.id)


@dataclass
class SubmissionResult:
    student: str
    checks: list
    notebook_sha256: str = ""
    references: str = ""
    """The fingerprint of the references used: with the notebook's sha256, a regrade key."""
    problem: str = ""
    """Why the notebook could not be graded at all (then every check scores 0)."""
    notebook_errors: dict = field(default_factory=dict)
    """Cell number (as text) -> the error that cell raised, or why it was stopped."""
    cell_first_lines: dict = field(default_factory=dict)
    """Cell number (as text) -> the first line of that cell's code, for each cell in notebook_errors."""
    isolation: dict = field(default_factory=dict)
    """The sandbox's own report of the isolation in force while this submission ran."""
    printed: str = ""
    seconds: float = 0.0
    figures: dict = field(default_factory=dict, repr=False)
    """Feedback pictures: student function (the part's) -> list of FigureRow; not stored in the record."""
    timings: dict = field(default_factory=dict, compare=False)
    """Where the grading's wall time went, in seconds: "setup" (the sandbox up to its isolation
    report), "cells" ({cell number as text: seconds}), "checks" ({check id: seconds}, each from its
    first call to its verdict, waiting for the notebook included) and "figures". Informative only."""

    @property
    def score(self) -> float:
        """The assignment's points from the automatic checks (extra credit not included)."""
        return sum(c.points for c in self.checks if not c.extra_credit)

    @property
    def max_score(self) -> float:
        return sum(c.max_points for c in self.checks if not c.extra_credit)

    @property
    def extra_score(self) -> float:
        """The extra-credit points (Part 5), totalled apart."""
        return sum(c.points for c in self.checks if c.extra_credit)

    @property
    def extra_max_score(self) -> float:
        return sum(c.max_points for c in self.checks if c.extra_credit)

    @property
    def full_marks(self) -> bool:
        return self.score == self.max_score and self.extra_score == self.extra_max_score

    def to_dict(self) -> dict:
        data = asdict(self)
        del data["figures"]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "SubmissionResult":
        return cls(**dict(data, checks=[CheckResult(**c) for c in data["checks"]]))


@dataclass
class Adjustments:
    """What the gradebook adds to an automatic result for the student to read: lateness, the hand
    grades, the final grade. The record (grading.json) stays the automatic result alone."""
    days_late: float = 0.0
    penalty_percent: float = 0.0
    penalty_points: float = 0.0
    hand: dict = field(default_factory=dict)
    """Hand-graded question -> points, or None where not graded yet."""
    hand_max: dict = field(default_factory=dict)
    """Hand-graded question -> its maximum points."""
    hand_extra: tuple = ()
    """The hand-graded questions that count as extra credit."""
    extra_credit: float = 0.0
    """The extra credit that counts (automatic and hand, capped), 0 where the policy ignores it."""
    final: float = None
    """The final grade; None where some hand grade is missing (incomplete)."""
    max_points: float = 0.0
    notes: list = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.final is not None


def first_lines(cells, numbers) -> dict:
    """{number as text: first non-blank line of its source} for the CodeCells numbered in ``numbers``."""
    wanted = {str(n) for n in numbers}
    return {str(c.number): next((line.strip() for line in c.source.splitlines() if line.strip()), "")
            for c in cells if str(c.number) in wanted}


def write_record(folder: Path, result: SubmissionResult) -> None:
    atomic_write_text(Path(folder) / RECORD_NAME, json.dumps(result.to_dict(), indent=1))


def read_record(folder: Path):
    """The SubmissionResult recorded in ``folder``, or None if the student is not finished."""
    try:
        return SubmissionResult.from_dict(json.loads((Path(folder) / RECORD_NAME).read_text()))
    except (OSError, ValueError, KeyError, TypeError):
        return None
