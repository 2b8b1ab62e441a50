"""One notebook, one grade: the batch grader, nbgrader, the Gradescope runner and the notebook's
own test cells agree, on notebooks built cell by cell the way students build them.

- Correct notebooks in every style get full marks, with the same score for every check, everywhere.
- Notebooks that show no work earn at most 1 point anywhere (of the 38, Part 5's extra credit
  included); the blank release earns 0.
"""
import concurrent.futures
import json
import shutil

import pytest
from nbgrader.api import Gradebook

import autograder.selftest  # noqa: F401  imported before the threads below: two threads importing IPython at once can deadlock
from autograder import gradescope
from autograder.__main__ import main as autograder_main
from autograder.answer_key import execute_notebook
from autograder.config import ASSIGNMENT_ID, NOTEBOOK_NAME, RELEASE_NOTEBOOK
from autograder.dev.variants import CORPUS_DIR, read_variant, write_notebook
from autograder.nbgrader_course import generate_release, make_course, nbgrader, submit
from autograder.results import read_record
from netvis.checks import CHECKS, CHECKS_BY_ID

pytestmark = pytest.mark.slow

STYLES = sorted((CORPUS_DIR / "styles").glob("*.py"))
NO_WORK = sorted((CORPUS_DIR / "no_work").glob("*.py"))
WAYS = ("batch", "nbgrader", "gradescope", "own test cells")
ONE_THREAD = {"OMP_NUM_THREADS": "1"}
"""Kernels run side by side on two cores: one thread each, or torch's threads fight."""


@pytest.fixture(scope="module")
def submissions(tmp_path_factory):
    """{student: kind}: one folder per notebook, as an instructor collects them."""
    root = tmp_path_factory.mktemp("submissions")
    kinds = {"blank": "blank"}
    (root / "blank").mkdir()
    shutil.copy(RELEASE_NOTEBOOK, root / "blank" / NOTEBOOK_NAME)
    for path in STYLES + NO_WORK:
        write_notebook(read_variant(path), root / path.stem)
        kinds[path.stem] = "correct" if path in STYLES else "no work"
    return root, kinds


def _batch(root, out) -> dict:
    assert autograder_main(["grade", str(root), "--out", str(out), "--workers", "2"]) == 0
    return {s.name: {c.id: c.points for c in read_record(out / s.name).checks} for s in root.iterdir()}


def _nbgrader(root, course, students) -> dict:
    make_course(course)
    generate_release(course)
    collected = course.parent / f"{course.name}-submissions"
    for student in students:
        shutil.copytree(root / student, collected / student)
    submit(course, collected)
    nbgrader("autograde", ASSIGNMENT_ID, course_dir=course, env=ONE_THREAD)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return {s: {c.id: gradebook.find_grade(c.id, "NetworkVisualization", ASSIGNMENT_ID, s).score for c in CHECKS}
                for s in students}


def _gradescope(root, tmp) -> dict:
    """Gradescope's run_autograder entry, on each notebook."""
    scores = {}
    for folder in sorted(root.iterdir()):
        results = tmp / f"{folder.name}.json"
        gradescope.run(folder, results)
        scores[folder.name] = {t["name"].replace(": ", "-", 1): t["score"] for t in json.loads(results.read_text())["tests"]}
    return scores


def _own_test_cells(path) -> dict:
    """Restart & run all, as nbgrader Validate does: a test cell's points if it printed no error."""
    nb, _ = execute_notebook(path, allow_errors=True, env=dict(ONE_THREAD, NBGRADER_EXECUTION="validate"))
    points = {}
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in CHECKS_BY_ID and grade_id not in points:
            failed = any(o.output_type == "error" for o in cell.outputs)
            points[grade_id] = 0 if failed else CHECKS_BY_ID[grade_id].points
    return points


@pytest.fixture(scope="module")
def graded(submissions, tmp_path_factory):
    """{way: {student: {check id: points}}}. The four ways run side by side: much of a kernel's
    time is spent starting and talking to it, so two cores carry more than two streams. The two
    kernel ways (about 23 s a notebook) each run in halves: one stream of ten kernels was the
    longest chain, and the cores idled at its end (the fixture took 383 s; 343 s in halves, and
    334 s in thirds, which holds six kernels at once for little more)."""
    root, kinds = submissions
    tmp = tmp_path_factory.mktemp("ways")
    students = sorted(kinds)

    def own_test_cells(half):
        return {s: _own_test_cells(root / s / NOTEBOOK_NAME) for s in half}

    def graders():
        return _batch(root, tmp / "batch"), _gradescope(root, tmp)

    halves = students[0::2], students[1::2]
    with concurrent.futures.ThreadPoolExecutor(5) as pool:
        courses = [pool.submit(_nbgrader, root, tmp / f"course{k}", half) for k, half in enumerate(halves)]
        own = [pool.submit(own_test_cells, half) for half in reversed(halves)]
        batch, gradescope_scores = pool.submit(graders).result()
        return {"batch": batch, "nbgrader": {s: p for half in courses for s, p in half.result().items()},
                "gradescope": gradescope_scores, "own test cells": {s: p for half in own for s, p in half.result().items()}}


def test_the_corpus_covers_the_styles_and_kinds_of_no_work():
    """Helpers, imports and constants in cells of their own; constants in the function's cell;
    redefinitions; per-image loops; torch.autograd.grad; .data updates; stray errors; magics."""
    names = {p.stem for p in STYLES}
    assert names == {"helpers_and_constants", "redefinitions_and_magics", "per_image_loops_and_stray_errors",
                     "autograd_grad_data_updates"}
    assert len(NO_WORK) >= 5


@pytest.mark.parametrize("way", WAYS)
def test_correct_notebooks_get_full_marks_in_every_way(submissions, graded, way):
    _, kinds = submissions
    for student in (s for s, kind in kinds.items() if kind == "correct"):
        lost = {c: p for c, p in graded[way][student].items() if p != CHECKS_BY_ID[c].points}
        assert not lost, f"{student} graded by {way} lost {lost}"


@pytest.mark.parametrize("way", WAYS)
def test_no_work_earns_at_most_one_point_in_every_way(submissions, graded, way):
    _, kinds = submissions
    for student in (s for s, kind in kinds.items() if kind != "correct"):
        earned = {c: p for c, p in graded[way][student].items() if p}
        limit = 0 if kinds[student] == "blank" else 1
        assert sum(earned.values()) <= limit, f"{student} graded by {way} earned {earned}"


def test_every_way_gives_every_check_the_same_score(graded):
    for student, scores in graded["batch"].items():
        for way in WAYS[1:]:
            assert graded[way][student] == scores, f"{student}: {way} differs from the batch grader"
