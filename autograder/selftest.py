"""Before anyone is graded: prove the sandbox on the reference solution.

The grader grades the solution notebook in exactly the sandbox it is about to use. Unless that
earns full marks, it refuses to grade: a broken sandbox must never turn into low grades.
"""
import threading

from .config import SOLUTION_NOTEBOOK
from .grading import grade_notebook
from .sandbox import SandboxUnavailable

HOW_TO_ISOLATE = (
    "The grader isolates student code with Linux user namespaces (no root needed). "
    "In Docker, start the container with `--security-opt seccomp=unconfined` (and, on hosts with "
    "AppArmor, `--security-opt apparmor=unconfined`); on Ubuntu 23.10 or later, allow unprivileged "
    "user namespaces (`sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0`); on macOS or "
    "Windows, grade inside a Linux VM. To grade anyway, without isolation (only for code you trust), "
    "pass --no-isolation.")


class SelfTestFailed(RuntimeError):
    """The sandbox cannot grade the reference solution correctly here; the message says why and what to do."""


_PROVEN = {}
"""(isolate, limits) -> isolation report, for the sandboxes this process has proven."""


def self_test(isolate: bool = True, **limits) -> dict:
    """Grade the reference solution in the sandbox (once per process and setting); return the
    isolation report, or raise SelfTestFailed."""
    key = (isolate, tuple(sorted(limits.items())))
    if key not in _PROVEN:
        _PROVEN[key] = _prove(isolate, limits)
    return _PROVEN[key]


def refusal(err: SandboxUnavailable, isolate: bool) -> SelfTestFailed:
    """The refusal to grade where the sandbox cannot be set up: why, and what to do."""
    advice = HOW_TO_ISOLATE if isolate else "Report this as a bug in the kit."
    return SelfTestFailed(f"Cannot grade here: the sandbox could not be set up ({err}). {advice}")


def _prove(isolate: bool, limits: dict) -> dict:
    try:
        result = grade_notebook(SOLUTION_NOTEBOOK, "self-test", isolate=isolate, **limits)
    except SandboxUnavailable as err:
        raise refusal(err, isolate) from None
    if not result.full_marks or result.notebook_errors:
        failed = "".join(f"\n  {c.id}: {c.message.splitlines()[0]}" for c in result.checks if not c.passed)
        errors = "".join(f"\n  cell {n}: {e.splitlines()[-1]}" for n, e in result.notebook_errors.items())
        raise SelfTestFailed(f"Cannot grade here: the reference solution does not run cleanly in this sandbox "
                             f"(it scored {result.score:g}/{result.max_score:g}, extra credit "
                             f"{result.extra_score:g}/{result.extra_max_score:g}), so grades would be wrong. "
                             "Nothing was graded." + (f"\nFailed checks:{failed}" if failed else "")
                             + (f"\nNotebook errors:{errors}" if errors else ""))
    return result.isolation


class BackgroundSelfTest:
    """The self-test on another core while grading starts: ``verdict()`` waits for it and raises
    SelfTestFailed if it failed. Nothing graded may be written before ``verdict()`` returns."""

    def __init__(self, isolate: bool = True, **limits):
        self.failure = None
        self.thread = threading.Thread(target=self._prove, args=(isolate, limits), daemon=True)
        self.thread.start()

    def _prove(self, isolate: bool, limits: dict) -> None:
        try:
            self_test(isolate, **limits)
        except SelfTestFailed as err:
            self.failure = err

    def verdict(self) -> None:
        self.thread.join()
        if self.failure is not None:
            raise self.failure


def grade_one_after_self_test(path, student: str, isolate: bool = True, **limits):
    """Grade one notebook while the self-test runs beside it; return its result only if the
    self-test passes, else raise SelfTestFailed."""
    proof = BackgroundSelfTest(isolate, **limits)
    try:
        result = grade_notebook(path, student, isolate=isolate, **limits)
    except SandboxUnavailable as err:
        proof.verdict()  # its reason first, if it has one
        raise refusal(err, isolate) from None
    proof.verdict()
    return result
