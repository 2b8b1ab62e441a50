"""Grading a folder of submissions: parallel, shardable, resumable.

SUBMISSIONS_DIR holds one folder per student id with that student's notebook inside. Each
finished student's ``results.json`` is written last and atomically, so a run killed at any
moment resumes where it stopped: students with results for the same notebook and references
are not graded again.
"""
import concurrent.futures
import hashlib
import queue
import shutil
from pathlib import Path

from tqdm import tqdm

from .config import NOTEBOOK_NAME
from .grading import grade_notebook
from .references import load as load_references
from .reports import read_student, write_grades, write_student


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


def grade_directory(submissions_dir: Path, out_dir: Path, workers: int = 1, shard=(1, 1), timeout: float = None,
                    progress: bool = True) -> list:
    """Grade every student of the shard into ``out_dir``; return all results found there."""
    submissions_dir, out_dir = Path(submissions_dir), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for partial in out_dir.glob("**/.*.*"):  # temporary files of a run that was killed mid-write
        partial.unlink()
    references = load_references()["manifest"]["solution_sha256"]
    todo = [s for s in students_in(submissions_dir, shard)
            if not _is_current(read_student(out_dir / s), submissions_dir / s / NOTEBOOK_NAME, references)]
    slots = queue.Queue()
    for slot in range(workers):
        slots.put(slot)

    def grade(student: str):
        slot = slots.get()
        try:
            notebook = submissions_dir / student / NOTEBOOK_NAME
            result = grade_notebook(notebook, student, slot=slot, timeout=timeout, figures=True)
            write_student(out_dir, result)
            return result
        finally:
            slots.put(slot)

    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool, \
            tqdm(total=len(todo), desc="grading", unit="student", disable=not progress) as bar:
        for future in concurrent.futures.as_completed([pool.submit(grade, s) for s in todo]):
            future.result()
            bar.update()
    results = [r for r in (read_student(p) for p in sorted(out_dir.iterdir()) if p.is_dir()) if r is not None]
    write_grades(out_dir, results)
    return results


def merge(out_dirs: list, merged: Path) -> list:
    """Combine the per-student results of several shards' output folders into one, with one grades.csv."""
    merged = Path(merged)
    merged.mkdir(parents=True, exist_ok=True)
    for out_dir in out_dirs:
        for folder in sorted(Path(out_dir).iterdir()):
            if folder.is_dir() and read_student(folder) is not None and Path(out_dir).resolve() != merged.resolve():
                shutil.copytree(folder, merged / folder.name, dirs_exist_ok=True)
    results = [r for r in (read_student(p) for p in sorted(merged.iterdir()) if p.is_dir()) if r is not None]
    write_grades(merged, results)
    return results
