"""Grading a folder of submissions: parallel, shardable, resumable, and independent of other runs.

SUBMISSIONS_DIR holds one folder per student id with that student's notebook inside. Each
finished student's record is written last and atomically, so a run killed at any moment resumes
where it stopped: students with a record for the same notebook and references are not graded
again. Any number of runs may share a machine and an output folder (shards do): they share no
uid, no process and no temporary file.
"""
import concurrent.futures
import hashlib
import shutil
import sys
import traceback
from pathlib import Path

from tqdm import tqdm

from .config import NOTEBOOK_NAME
from .files import remove_stale_temporaries
from . import config, modes
from .class_report import SELF_TESTS_DIR, write_class_report, write_self_test
from .grading import grade_notebook
from .lms import INTAKE_NAME
from .references import load as load_references
from .reports import read_results, write_grades, write_student
from .results import read_record
from .sandbox import SandboxUnavailable
from .selftest import BackgroundSelfTest, SelfTestFailed, refusal


def students_in(submissions_dir: Path, shard=(1, 1)) -> list:
    """Sorted student ids (sub-folder names); with ``shard=(i, n)`` every n-th from the i-th."""
    index, count = shard
    if not 1 <= index <= count:
        raise ValueError(f"--shard {index}/{count}: need 1 <= i <= n")
    students = sorted(p.name for p in Path(submissions_dir).iterdir() if p.is_dir() and not p.name.startswith("."))
    return students[index - 1::count]


def _is_current(result, notebook: Path, references: str) -> bool:
    try:
        digest = hashlib.sha256(notebook.read_bytes()).hexdigest()
    except OSError:
        digest = ""
    return result is not None and result.references == references and result.notebook_sha256 == digest


def grade_directory(submissions_dir: Path, out_dir: Path, workers: int = 1, shard=(1, 1), progress: bool = True,
                    isolate: bool = True, **limits) -> tuple:
    """Grade every student of the shard into ``out_dir``; nothing is written before the sandbox
    passes its self-test (which runs beside the first students).

    Returns (all results found in ``out_dir``, {student: error} for those that could not be
    graded because of a fault in the grader, not in their notebook). ``limits`` are
    ``grade_notebook``'s time limits.
    """
    submissions_dir, out_dir = Path(submissions_dir), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    out_dir.chmod(out_dir.stat().st_mode & ~0o007)  # grades are nobody else's business (nor a sandbox's)
    config.GRADER_ONLY_PATHS.extend(p.resolve() for p in (submissions_dir, out_dir))
    proof = BackgroundSelfTest(isolate, **limits)
    remove_stale_temporaries(out_dir)
    references = load_references()["manifest"]["fingerprint"]
    todo = [s for s in students_in(submissions_dir, shard)
            if not _is_current(read_record(out_dir / s), submissions_dir / s / NOTEBOOK_NAME, references)]
    errors = {}

    def grade(student: str) -> None:
        try:
            result = grade_notebook(submissions_dir / student / NOTEBOOK_NAME, student, isolate=isolate,
                                    figures=True, **limits)
            proof.verdict()
            write_student(out_dir, result)
        except SandboxUnavailable as err:
            proof.verdict()
            raise refusal(err, isolate) from None
        except SelfTestFailed:
            raise
        except Exception:  # a fault of the grader's: this student is not graded, the class goes on
            errors[student] = traceback.format_exc()
            print(f"error: could not grade {student}; the batch goes on:\n{errors[student]}", file=sys.stderr)

    if _shares_the_graders_uid(isolate):  # one sandbox at a time, the self-test's first: see below
        proof.verdict()
        workers = 1
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool, \
            tqdm(total=len(todo), desc="grading", unit="student", disable=not progress) as bar:
        futures = [pool.submit(grade, s) for s in todo]
        try:
            for future in concurrent.futures.as_completed(futures):
                future.result()
                bar.update()
        except SelfTestFailed:
            for future in futures:
                future.cancel()
            raise
    proof.verdict()  # also when nobody was left to grade
    write_self_test(out_dir, shard, proof)
    results = read_results(out_dir)
    write_grades(out_dir, results)
    write_class_report(out_dir, results)
    return results, errors


def _shares_the_graders_uid(isolate) -> bool:
    """In the ``landlock`` mode every sandbox runs as the grader's own user, whose process limit
    (RLIMIT_NPROC) counts them all: a fork bomb in one sandbox could keep another from forking
    its workers. There a batch grades one student at a time, after the self-test."""
    try:
        return modes.choose(isolate) == "landlock"
    except modes.NoIsolation:
        return False  # the self-test refuses with the reasons


def merge(out_dirs: list, merged: Path) -> list:
    """Combine the per-student results of several shards' output folders into one, with one grades.csv
    (and the first shard's intake.json, which every shard of one LMS download wrote alike) and one
    class report."""
    merged = Path(merged)
    merged.mkdir(parents=True, exist_ok=True)
    for out_dir in out_dirs:
        if Path(out_dir).resolve() == merged.resolve():
            continue
        intake = Path(out_dir) / INTAKE_NAME
        if intake.is_file() and not (merged / INTAKE_NAME).is_file():
            shutil.copy2(intake, merged / INTAKE_NAME)
        for record in sorted((Path(out_dir) / SELF_TESTS_DIR).glob("*.json")):
            (merged / SELF_TESTS_DIR).mkdir(exist_ok=True)
            shutil.copy2(record, merged / SELF_TESTS_DIR / record.name)
        for folder in sorted(Path(out_dir).iterdir()):
            if folder.is_dir() and read_record(folder) is not None:
                shutil.copytree(folder, merged / folder.name, dirs_exist_ok=True)
    results = read_results(merged)
    write_grades(merged, results)
    write_class_report(merged, results)
    return results
