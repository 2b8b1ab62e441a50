"""What the grader writes: Gradescope's results.json, the feedback page, grades.csv, the table."""
import csv
import json
import re

import netvis.checks
from autograder import gradescope
from autograder.feedback_page import part_views
from autograder.reports import feedback_html, grade_table, gradescope_results, read_results, write_grades, write_student
from autograder.results import CheckResult, FigureRow, SubmissionResult, Tile
from netvis.checks import CHECKS, Part
from autograder.config import KIT_ROOT

TRACEBACK = ("Traceback (most recent call last):\n  File \"<notebook cell 6>\", line 2, in <module>\n"
             "NameError: name 'X_tensr' is not defined <script>alert(1)</script>")


def _result(student="alice", lost=("class_visualization_update_step-direction",)) -> SubmissionResult:
    checks = [CheckResult(c.id, 0 if c.id in lost else c.points, c.points, "With l2_reg = 0.001 ... <b>" if c.id in lost
                          else "ok: fine") for c in CHECKS]
    return SubmissionResult(student, checks, notebook_sha256="ab" * 32, references="cd" * 32,
                            notebook_errors={"6": TRACEBACK}, cell_first_lines={"6": "saliency = compute(X_tensr)"},
                            isolation={"mode": "namespaces", "user": "uid 200123"},
                            figures={"class_visualization_update_step": [FigureRow("Same noise", [
                                Tile("yours", note="Your code could not make a class visualisation."),
                                Tile("reference", "iVBORw0KGgo=")])]})


def test_gradescope_results_name_each_check_and_record_the_isolation():
    results = gradescope_results(_result())
    assert results["score"] == 34 and len(results["tests"]) == len(CHECKS)
    assert results["tests"][0]["name"] == "compute_saliency_maps: shape"
    assert results["extra_data"]["isolation"]["mode"] == "namespaces"
    assert results["extra_data"]["extra_credit"] == results["extra_data"]["extra_credit_max"] == 10
    assert results["tests"][-1]["name"] == "grad_cam: no_side_effects" and results["tests"][-1]["tags"] == ["extra credit"]
    assert "tags" not in results["tests"][0]
    assert "Extra credit (Part 5, not in the score): 10 / 10" in results["output"]
    assert "Cell 6: Traceback" in results["output"] and "NameError: name 'X_tensr'" in results["output"]


def test_feedback_page_shows_checks_cell_errors_and_pictures_escaped():
    page = feedback_html(_result())
    assert "34 / 38 points — saliency 9/9 · fooling 9/9 · class visualisation 6/10 · features 10/10" in page
    assert "Extra credit: 10 / 10 points — explanations 10/10" in page and 'id="part-5"' in page
    assert "&lt;b&gt;" in page and "<b>" not in page
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the student's text is escaped
    error = re.search(r'<li class="cell-error">(.*?)</li>', page, re.S).group(1)
    assert "Cell 6" in error and "saliency = compute(X_tensr)" in error and "NameError: name &#39;X_tensr&#39;" in error
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in page and "could not make a class visualisation" in page
    assert page.index('id="part-1"') < page.index('id="part-2"') < page.index('id="part-3"') < page.index('id="part-4"')
    part_3 = page[page.index('id="part-3"'):page.index('id="part-4"')]
    assert "✗ fail" in part_3 and "direction" in part_3 and "Same noise" in part_3


def test_a_new_part_appears_from_its_checks_and_extra_credit_is_totalled_apart(monkeypatch):
    extra = Part(6, "Extra credit: guided backprop", "guided backprop", ("guided_backprop",), extra_credit=True)
    monkeypatch.setattr(netvis.checks, "PARTS", netvis.checks.PARTS + (extra,))
    monkeypatch.setattr("autograder.feedback_page.PARTS", netvis.checks.PARTS)
    result = _result()
    result.checks += [CheckResult("guided_backprop-shape", 2, 2, "ok: fine"), CheckResult("guided_backprop-values", 0, 3, "off"),
                      CheckResult("unlisted_function-works", 1, 1, "ok")]
    views = part_views(result)
    assert [(v.part.number, v.part.short) for v in views][-3:] == [(5, "explanations"), (6, "guided backprop"),
                                                                   (7, "unlisted_function")]
    page = feedback_html(result)
    assert "35 / 39 points —" in page and "unlisted_function 1/1" in page  # extra credit is not in the main total
    assert "Extra credit: 12 / 15 points — explanations 10/10 · guided backprop 2/5" in page and 'id="part-6"' in page


def test_the_template_ships_with_the_package_and_the_gradescope_bundle():
    bundled = {str(p.relative_to(KIT_ROOT)) for relative in gradescope.SOURCES for p in gradescope._files(KIT_ROOT / relative)}
    assert "autograder/templates/feedback.html.j2" in bundled
    assert 'autograder = ["templates/*.j2"]' in (KIT_ROOT / "pyproject.toml").read_text()


def test_a_finished_student_is_read_back_and_tabled(tmp_path):
    write_student(tmp_path, _result("bob", lost=()))
    write_student(tmp_path, _result("alice"))
    (tmp_path / "carol").mkdir()  # started, never finished: no record
    results = read_results(tmp_path)
    assert [r.student for r in results] == ["alice", "bob"] and results[0].notebook_errors
    with open(write_grades(tmp_path, results)) as f:
        rows = list(csv.DictReader(f))
    assert [(r["student"], r["total"]) for r in rows] == [("alice", "34"), ("bob", "38")]
    assert [(r["extra_credit"], r["extra_credit_max"], r["grad_cam-values"]) for r in rows] == [("10", "10", "2")] * 2
    table = grade_table(results)
    assert "class_vis" in table and "34/38" in table and "38/38" in table
    assert table.splitlines()[0].split()[-2:] == ["extra", "total"] and table.splitlines()[1].split()[-2:] == ["10/10", "34/38"]
    assert json.loads((tmp_path / "bob" / "results.json").read_text())["score"] == 38
