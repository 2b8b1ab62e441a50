"""What the grader writes: Gradescope's results.json, the feedback page, grades.csv, the table."""
import csv
import json

from autograder.reports import feedback_html, grade_table, gradescope_results, read_results, write_grades, write_student
from autograder.results import CheckResult, SubmissionResult
from netvis.checks import CHECKS


def _result(student="alice", lost=("class_visualization_update_step-direction",)) -> SubmissionResult:
    checks = [CheckResult(c.id, 0 if c.id in lost else c.points, c.points, "With l2_reg = 0.001 ... <b>" if c.id in lost
                          else "ok: fine") for c in CHECKS]
    return SubmissionResult(student, checks, notebook_sha256="ab" * 32, references="cd" * 32,
                            notebook_errors={"6": "NameError: name 'X_tensr' is not defined"},
                            isolation={"mode": "namespaces", "user": "uid 200123"},
                            figures={"Class visualisation": "iVBORw0KGgo="})


def test_gradescope_results_name_each_check_and_record_the_isolation():
    results = gradescope_results(_result())
    assert results["score"] == 34 and len(results["tests"]) == len(CHECKS)
    assert results["tests"][0]["name"] == "compute_saliency_maps: shape"
    assert results["extra_data"]["isolation"]["mode"] == "namespaces"
    assert "Cell 6: NameError" in results["output"]


def test_feedback_page_shows_checks_cell_errors_and_pictures_escaped():
    page = feedback_html(_result())
    assert "34 / 38" in page and "&lt;b&gt;" in page
    assert "Cell 6" in page and "X_tensr" in page and 'src="data:image/png;base64,iVBORw0KGgo="' in page


def test_a_finished_student_is_read_back_and_tabled(tmp_path):
    write_student(tmp_path, _result("bob", lost=()))
    write_student(tmp_path, _result("alice"))
    (tmp_path / "carol").mkdir()  # started, never finished: no record
    results = read_results(tmp_path)
    assert [r.student for r in results] == ["alice", "bob"] and results[0].notebook_errors
    with open(write_grades(tmp_path, results)) as f:
        rows = list(csv.DictReader(f))
    assert [(r["student"], r["total"]) for r in rows] == [("alice", "34"), ("bob", "38")]
    table = grade_table(results)
    assert "class_vis" in table and "34/38" in table and "38/38" in table
    assert json.loads((tmp_path / "bob" / "results.json").read_text())["score"] == 38
