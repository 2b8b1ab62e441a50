"""Grading one submitted notebook: extract its functions, run every check, collect verdicts."""
import hashlib
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from netvis.checks import CHECKS, CheckFailed, InProcessStudent

from .feedback_figures import student_figures
from .hidden import hidden_cases
from .notebook import SubmissionError, build_namespace, extract_definitions, read_notebook
from .references import load as load_references
from .sandbox import SandboxStudent


@dataclass
class CheckResult:
    id: str
    points: float
    max_points: float
    message: str

    @property
    def passed(self) -> bool:
        return self.points == self.max_points

    @property
    def function(self) -> str:
        return self.id.split("-")[0]


@dataclass
class SubmissionResult:
    student: str
    checks: list
    notebook_sha256: str = ""
    references: str = ""
    """The solution fingerprint the references were made from: a regrade key."""
    problem: str = ""
    """Why the notebook could not be graded at all (then every check scores 0)."""
    printed: str = ""
    seconds: float = 0.0
    figures: dict = field(default_factory=dict, repr=False)
    """Feedback pictures (title -> base64 PNG); not stored in results.json."""

    @property
    def score(self) -> float:
        return sum(c.points for c in self.checks)

    @property
    def max_score(self) -> float:
        return sum(c.max_points for c in self.checks)

    def to_dict(self) -> dict:
        data = asdict(self)
        del data["figures"]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "SubmissionResult":
        return cls(**dict(data, checks=[CheckResult(**c) for c in data["checks"]]))


def _run_check(check, student, hidden) -> CheckResult:
    def verdict(points, message):
        return CheckResult(check.id, points, check.points, message)

    try:
        if check.public_cases:
            message = check.run(student, check.public_cases)
        if hidden:
            try:
                message = check.run(student, hidden)
            except CheckFailed as err:
                return verdict(0, f"Fails a hidden case: {err}")
        return verdict(check.points, f"ok: {message}")
    except CheckFailed as err:
        return verdict(0, str(err))
    except Exception as err:  # the code returned something the check could not even inspect
        return verdict(0, f"The check could not inspect what your code returned ({type(err).__name__}: {err}).")


def run_checks(student, checks=CHECKS) -> list:
    """Every check's verdict on ``student`` (sandboxed or in-process); hidden cases included."""
    results = []
    for check in checks:
        if hasattr(student, "start_check"):
            student.start_check()
        results.append(_run_check(check, student, hidden_cases(check.id)))
    return results


def grade_notebook(path: Path, student: str, slot: int = 0, sandbox: bool = True, timeout: float = None,
                   figures: bool = False) -> SubmissionResult:
    """Grade the notebook at ``path``. Never raises for anything the submission does.

    With ``figures``, also draw the student's saliency maps and fooling image for the feedback page.
    """
    start = time.perf_counter()
    path = Path(path)
    references = load_references()["manifest"]["solution_sha256"]
    try:
        data = path.read_bytes()
        notebook = read_notebook(path)
    except (OSError, SubmissionError) as err:
        problem = str(err) if isinstance(err, SubmissionError) else f"{path.name} is missing: submit the notebook as {path.name}."
        checks = [CheckResult(c.id, 0, c.points, problem) for c in CHECKS]
        return SubmissionResult(student, checks, references=references, problem=problem, seconds=time.perf_counter() - start)
    extracted = extract_definitions(notebook)
    if sandbox:
        runner = SandboxStudent(extracted, slot=slot, **({"timeout": timeout} if timeout else {}))
    else:  # trusted code only (the kit's own tests)
        runner = InProcessStudent(build_namespace(extracted))
    try:
        checks = run_checks(runner)
        pictures = student_figures(runner) if figures else {}
    finally:
        if sandbox:
            runner.close()
    return SubmissionResult(student, checks, notebook_sha256=hashlib.sha256(data).hexdigest(), references=references,
                            printed=runner.printed() if sandbox else "", seconds=time.perf_counter() - start,
                            figures=pictures)
