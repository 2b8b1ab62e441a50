"""The three ways of grading agree: nbgrader (autograde + export), the batch CLI, and the
notebook's own test cells (which nbgrader Validate runs)."""
import csv
import json

import pytest

from autograder.__main__ import main as autograder_main
from autograder.nbgrader_course import generate_release, make_course, nbgrader, submit
from autograder.dev.variants import EXAMPLES_DIR
from netvis.checks import STUDENT_FUNCTIONS


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    out = tmp_path_factory.mktemp("batch")
    assert autograder_main(["grade", str(EXAMPLES_DIR), "--out", str(out), "--workers", "2"]) == 0
    with open(out / "grades.csv") as f:
        return out, {row["student"]: row for row in csv.DictReader(f)}


def test_batch_writes_csv_gradescope_json_and_feedback(batch):
    out, grades = batch
    assert set(grades) == {p.name for p in EXAMPLES_DIR.iterdir()}
    assert float(grades["solution"]["total"]) == float(grades["solution"]["max"]) == 38
    assert float(grades["class_l2_added"]["class_visualization_update_step-direction"]) == 0
    for student in grades:
        results = json.loads((out / student / "results.json").read_text())
        assert results["score"] == float(grades[student]["total"])
        for test in results["tests"]:
            assert test["name"].split(":")[0] in STUDENT_FUNCTIONS
            assert {"name", "score", "max_score", "output", "visibility"} <= set(test)
        page = (out / student / "feedback.html").read_text()
        assert "Your saliency maps" in page and "Reference fooling image" in page


@pytest.mark.slow
def test_nbgrader_autograde_and_export_match_the_batch_cli(batch, tmp_path):
    _, grades = batch
    course = make_course(tmp_path / "course")
    generate_release(course)
    students = submit(course, EXAMPLES_DIR)
    nbgrader("autograde", "netvis", course_dir=course)
    nbgrader("generate_feedback", "netvis", course_dir=course)
    nbgrader("export", course_dir=course)
    with open(course / "grades.csv") as f:
        exported = {row["student_id"]: row for row in csv.DictReader(f)}
    for student in students:
        assert float(exported[student]["score"]) == float(grades[student]["total"]), student
        assert (course / "feedback" / student / "netvis" / "NetworkVisualization.html").is_file()
    assert float(exported["solution"]["max_score"]) > float(exported["solution"]["score"])  # inline questions wait for a human


def test_nbgrader_validate_is_the_students_self_check(tmp_path):
    from autograder.config import RELEASE_NOTEBOOK

    unfinished = nbgrader("validate", str(RELEASE_NOTEBOOK), check=False)
    assert "VALIDATION FAILED" in unfinished.stdout + unfinished.stderr
    assert "NotImplementedError" in unfinished.stdout + unfinished.stderr


@pytest.mark.slow
def test_nbgrader_validate_passes_a_finished_notebook():
    finished = nbgrader("validate", str(EXAMPLES_DIR / "solution" / "NetworkVisualization.ipynb"), check=False)
    assert "Success! Your notebook passes all the tests." in finished.stdout + finished.stderr
