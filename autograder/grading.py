"""Grading one submitted notebook: run it, run every check at its place, collect verdicts.

``grade_notebook`` runs the notebook in sandboxes (``SandboxStudent``) and is what every way
of grading uses; ``grade_in_process`` runs trusted notebooks in this process, checks inline at
their grade cells as in a kernel, for the kit's own tests.
"""
import concurrent.futures
import contextlib
import functools
import hashlib
import os
import time
from pathlib import Path

import torch

from netvis.checks import CHECKS, CHECKS_BY_ID, CheckFailed, InProcessStudent

from . import config
from .cells import GRADING_ENVIRONMENT, new_namespace, run_cell
from .hidden import hidden_cases
from .notebook import CodeCell, SubmissionError, read_program
from .references import load as load_references
from .results import HIDDEN_FAILURE, CheckResult, SubmissionResult, first_lines
from .sandbox import Interrupted, SandboxStudent, SandboxUnavailable


MAX_INTERRUPTIONS = 20
"""How often a check may be started again because a notebook cell ended the run it was in (each
time, that cell is skipped from then on, so this bounds nothing a real notebook reaches)."""


def run_check(check, student) -> CheckResult:
    """One check's verdict: its public cases, then its hidden ones. Never raises for the student's code."""
    def verdict(points, message, mistake="", error_type=""):
        return CheckResult(check.id, points, check.points, message, mistake=mistake, error_type=error_type)

    for attempt in range(MAX_INTERRUPTIONS):
        student.start_check(check.id)
        try:
            message = check.run(student, check.public_cases)
            hidden = hidden_cases(check.id)
            if hidden:
                try:
                    message = check.run(student, hidden)
                except CheckFailed as err:
                    return verdict(0, f"{HIDDEN_FAILURE}{err}", err.mistake, err.error_type)
            return verdict(check.points, f"ok: {message}")
        except Interrupted:
            continue  # the run was lost to a notebook cell: once more, on a fresh run
        except CheckFailed as err:
            return verdict(0, str(err), err.mistake, err.error_type)
        except SandboxUnavailable:
            raise
        except Exception as err:  # the code returned something the check could not even inspect
            return verdict(0, f"The check could not inspect what your code returned ({type(err).__name__}: {err}).",
                           mistake="uninspectable")
    return verdict(0, f"Not graded: notebook cells ended the grading process {MAX_INTERRUPTIONS} times while this "
                      "check ran.", mistake="interrupted")


def _failed_everywhere(student_id: str, problem: str, references: str, start: float) -> SubmissionResult:
    checks = [CheckResult(c.id, 0, c.points, problem, mistake="ungradable") for c in CHECKS]
    return SubmissionResult(student_id, checks, references=references, problem=problem,
                            seconds=time.perf_counter() - start)


def grade_notebook(path: Path, student_id: str, isolate: bool = True, timeout: float = config.CALL_TIMEOUT_S,
                   cell_timeout: float = config.CELL_TIMEOUT_S, budget: float = config.SUBMISSION_TIMEOUT_S,
                   figures: bool = False) -> SubmissionResult:
    """Grade the notebook at ``path`` in sandboxes. Never raises for anything the submission does;
    raises SandboxUnavailable when the sandbox cannot be set up (nothing about the student).

    With ``figures``, also draw the student's pictures for the feedback page.
    """
    start, path = time.perf_counter(), Path(path)
    torch.set_num_threads(config.GRADER_TORCH_THREADS)  # the cores are for the sandboxes
    references = load_references()["manifest"]["fingerprint"]
    try:
        program = read_program(path)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except SubmissionError as err:
        return _failed_everywhere(student_id, str(err), references, start)
    student = SandboxStudent(program, isolate=isolate, timeout=timeout, cell_timeout=cell_timeout, budget=budget,
                             figures=figures)
    verdicts, seconds, pictures, drawing = {}, {}, {}, {}

    def lane(checks):
        for check in checks:
            began = time.perf_counter()
            verdicts[check.id] = run_check(check, student)
            seconds[check.id] = time.perf_counter() - began

    try:
        _run_side_by_side([functools.partial(lane, checks) for checks in lanes(CHECKS)], student, config.CHECK_LANES)
        if figures:  # after the checks: the pictures reuse what they memoised (the real fooling image)
            began = time.perf_counter()
            pictures = _figures(student)
            drawing["figures"] = time.perf_counter() - began
    finally:
        student.close()
    timings = dict(student.timings, checks={c.id: seconds[c.id] for c in CHECKS}, **drawing)
    checks = [verdicts[c.id] for c in CHECKS]
    return SubmissionResult(student_id, checks, notebook_sha256=digest, references=references,
                            notebook_errors={str(k): v for k, v in sorted(student.cell_errors.items())},
                            cell_first_lines=first_lines(program.cells, student.cell_errors),
                            isolation=student.isolation or {}, printed=student.printed(),
                            seconds=time.perf_counter() - start, figures=pictures, timings=timings)


def lanes(checks) -> list:
    """The checks in lanes (``Check.lane``: one per student function, and one per check that shares
    nothing with the others), in the notebook's order; a lane's checks share what they memoise of
    the student's calls (``student.memo``), so they run one after another, in one thread."""
    by_lane = {}
    for check in checks:
        by_lane.setdefault(check.lane, []).append(check)
    return list(by_lane.values())


def _run_side_by_side(jobs, student, threads: int) -> None:
    """Run ``jobs`` (callables) on ``threads`` threads, in order, each lane's checks in one sandbox
    worker of the run they share, so that a submission's checks use every core. The first
    exception (SandboxUnavailable) stops the rest: the run is ended, no other starts."""
    if threads <= 1:
        for job in jobs:
            job()
        return
    with concurrent.futures.ThreadPoolExecutor(threads, thread_name_prefix="check-lane") as pool:
        futures = [pool.submit(job) for job in jobs]
        try:
            for future in futures:
                future.result()
        except BaseException:
            student.stop()
            raise


def _figures(student) -> dict:
    from .feedback_figures import student_figures  # matplotlib, only when pictures are wanted

    return student_figures(student)


@contextlib.contextmanager
def grading_environment():
    """nbgrader's environment variables, for a notebook run in this process."""
    saved = {k: os.environ.get(k) for k in GRADING_ENVIRONMENT}
    os.environ.update(GRADING_ENVIRONMENT)
    try:
        yield
    finally:
        for key, value in saved.items():
            os.environ.pop(key) if value is None else os.environ.__setitem__(key, value)


def grade_in_process(path: Path, student_id: str) -> SubmissionResult:
    """Grade a trusted notebook in this process, each check at its grade cell (the kit's tests)."""
    start, path = time.perf_counter(), Path(path)
    program = read_program(path)
    namespace, errors, verdicts = new_namespace(), {}, {}
    student = InProcessStudent(namespace)
    with grading_environment():
        for step in program.steps:
            if isinstance(step, CodeCell):
                error = run_cell(step, namespace)
                if error:
                    errors[str(step.number)] = error
            else:
                verdicts.update((c, run_check(CHECKS_BY_ID[c], student)) for c in step.checks)
    return SubmissionResult(student_id, [verdicts[c.id] for c in CHECKS], notebook_sha256=hashlib.sha256(
        path.read_bytes()).hexdigest(), references=load_references()["manifest"]["fingerprint"],
        notebook_errors=errors, cell_first_lines=first_lines(program.cells, errors), seconds=time.perf_counter() - start)
