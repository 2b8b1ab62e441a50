"""From the records to the LMS imports: a Canvas download taken in, the policy applied (a late
submission, an extension), hand grades merged (one missing), the CSVs' columns and values, the
pages re-rendered; Gradescope's visibility of hidden cases and its late penalty from
submission_metadata.json. Synthetic results: no sandbox, except the one slow test at the end."""
import csv
import json
import zipfile

import pytest

from autograder import gradebook, gradescope
from autograder.__main__ import main as autograder_main
from autograder.config import KIT_ROOT, NOTEBOOK_NAME
from autograder.lms import take_in
from autograder.policy import Policy, load
from autograder.reports import gradescope_results, write_student
from autograder.results import HIDDEN_FAILURE, RECORD_NAME, CheckResult, SubmissionResult
from netvis.checks import CHECKS

POLICY = """
[assignment]
name = "Network Visualization"
canvas_id = 777
due = 2026-03-01T23:59:00-05:00

[late]
penalty_percent = 10
per = "day"
cap_percent = 50
on_gradescope = true

[extensions]
file = "extensions.csv"

[extra_credit]
mode = "add"
cap = 3
"""


def _result(student, lost=(), hidden=()) -> SubmissionResult:
    checks = [CheckResult(c.id, 0 if c.id in lost + hidden else c.points, c.points,
                          f"{HIDDEN_FAILURE}the gradient is wrong" if c.id in hidden
                          else "it is wrong" if c.id in lost else "ok: fine") for c in CHECKS]
    return SubmissionResult(student, checks, notebook_sha256="ab" * 32, references="cd" * 32)


def _rows(path) -> list:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def course(tmp_path):
    """A Canvas download taken in, two students graded (synthetic records), a policy and hand grades."""
    download = tmp_path / "submissions.zip"
    with zipfile.ZipFile(download, "w") as archive:
        archive.writestr(f"smithjohn_12345_900_{NOTEBOOK_NAME}", b"{}")
        archive.writestr(f"doejane_late_23456_901_{NOTEBOOK_NAME}", b"{}")
        archive.writestr("syllabus.pdf", b"%PDF")
    times = tmp_path / "times.csv"
    times.write_text("student,submitted_at\n12345,2026-03-02T10:00:00Z\ndoejane,2026-03-03T06:00:00Z\n")
    out = tmp_path / "out"
    staging, intake = take_in(download, out, times)
    assert {u["file"] for u in intake.unmatched} == {"syllabus.pdf"}
    write_student(out, _result("canvas-12345"))
    lost = ("make_fooling_image-fools", "grad_cam-no_side_effects")
    write_student(out, _result("canvas-23456", lost=lost))
    (tmp_path / "extensions.csv").write_text("student,extra_hours\n12345,24\nghost,48\n")
    (tmp_path / "policy.toml").write_text(POLICY)
    hand = tmp_path / "hand.csv"
    hand.write_text("student,question,points\n"
                    + "".join(f"canvas-12345,inline_question_{i},2\n" for i in range(1, 6))
                    + "doejane,inline_question_1,1.5\ndoejane,inline_question_3,2\ndoejane,inline_question_4,1\n"
                    + "nobody,inline_question_1,2\n")
    return out, load(tmp_path / "policy.toml"), hand


def test_the_gradebook_applies_the_policy_and_the_hand_grades(course):
    out, policy, hand = course
    before = (out / "canvas-23456" / RECORD_NAME).read_bytes()
    rows, warnings = gradebook.write(out, policy, hand)
    assert "extension for ghost, who never submitted" in warnings
    assert "hand grade for nobody, an unknown student" in warnings
    smith, doe = _rows(out / gradebook.FINAL_NAME)
    fooling = next(c.points for c in CHECKS if c.id == "make_fooling_image-fools")
    grad_cam = next(c.points for c in CHECKS if c.id == "grad_cam-no_side_effects")
    automatic_max = smith["automatic_max"]
    # smith: 5 h late, but 24 h of extension: on time; all hand grades; extra credit 10 + 4 capped at 3
    assert smith["student"] == "canvas-12345" and smith["canvas_user_id"] == "12345" and smith["lms"] == "canvas"
    assert smith["days_late"] == "0" and smith["late_penalty"] == "0" and smith["hand_total"] == "6"
    assert smith["extra_credit"] == "3" and smith["complete"] == "yes"
    assert float(smith["final"]) == float(automatic_max) + 6 + 3 and smith["max"] == f"{float(automatic_max) + 6:g}"
    assert "extension to 2026-03-02T23:59:00-05:00" in smith["notes"]
    # doe: 1 day 1 hour late: two started days, 20%; inline_question_2 and _5 not graded: incomplete
    automatic = float(automatic_max) - fooling
    assert doe["automatic"] == f"{automatic:g}" and doe["name"] == "doejane"
    assert doe["inline_question_1"] == "1.5" and doe["inline_question_2"] == "" and doe["inline_question_5"] == ""
    assert doe["days_late"] == "1.04" and doe["late_penalty_percent"] == "20"
    assert float(doe["late_penalty"]) == round((automatic + 3.5) * 0.2, 2)
    assert doe["extra_credit"] == f"{min(10 - grad_cam + 1, 3):g}"
    assert doe["final"] == "" and doe["complete"] == "no"
    assert "incomplete: no hand grade yet for inline_question_2, inline_question_5" in doe["notes"]
    # the imports: Canvas's header exactly, the incomplete grade left empty; no Moodle student
    with open(out / gradebook.CANVAS_NAME, newline="") as f:
        canvas = list(csv.reader(f))
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Network Visualization (777)"]
    assert canvas[1] == ["smithjohn", "12345", "", "", "", smith["final"]]
    assert canvas[2] == ["doejane", "23456", "", "", "", ""]
    assert (out / gradebook.MOODLE_NAME).read_text().splitlines() == ["Identifier,Full name,Grade,Maximum Grade"]
    # the pages: lateness and hand grades shown; the record is still the automatic result
    page = (out / "canvas-23456" / "feedback.html").read_text()
    assert "1.04 day(s) late: penalty 20%" in page and "not graded yet" in page and "Final grade: incomplete" in page
    assert "inline_question_4 (extra credit)" in page and "inline_question_1 (extra credit)" not in page
    results = json.loads((out / "canvas-23456" / "results.json").read_text())
    assert results["extra_data"]["days_late"] == 1.04 and results["extra_data"]["final"] is None
    assert (out / "canvas-23456" / RECORD_NAME).read_bytes() == before


def test_the_gradebook_command_prints_the_final_grades(course, capsys):
    out, _, hand = course
    assert autograder_main(["gradebook", str(out), "--policy", str(out.parent / "policy.toml"),
                            "--hand-grades", str(hand)]) == 0
    printed = capsys.readouterr()
    assert "canvas-23456" in printed.out and "warning: extension for ghost, who never submitted" in printed.err
    (out.parent / "bad.toml").write_text('[assignment]\ndue = 2026-03-01T23:59:00\n')
    assert autograder_main(["gradebook", str(out), "--policy", str(out.parent / "bad.toml")]) == 2
    assert "[assignment] due: 2026-03-01T23:59:00 has no time zone" in capsys.readouterr().err


def test_moodle_imports_by_participant_or_by_email_from_a_roster(tmp_path):
    source = tmp_path / "moodle" / "Jane Doe_5501_assignsubmission_file_"
    source.mkdir(parents=True)
    (source / NOTEBOOK_NAME).write_text("{}")
    out = tmp_path / "out"
    take_in(tmp_path / "moodle", out)
    write_student(out, _result("moodle-5501"))
    hand = tmp_path / "hand.csv"
    hand.write_text("student,question,points\n" + "".join(f"5501,inline_question_{i},2\n" for i in range(1, 6)))
    rows, _ = gradebook.write(out, Policy(), hand)
    final = rows[0].adjustments.final
    assert _rows(out / gradebook.MOODLE_NAME) == [{"Identifier": "Participant 5501", "Full name": "Jane Doe",
                                                    "Grade": f"{final:g}", "Maximum Grade": f"{rows[0].adjustments.max_points:g}"}]
    (tmp_path / "roster.csv").write_text("student,email\nJane Doe,jane@example.edu\n")
    (tmp_path / "policy.toml").write_text('[moodle]\nidentifier = "email"\nroster = "roster.csv"\n')
    gradebook.write(out, load(tmp_path / "policy.toml"), hand)
    assert _rows(out / gradebook.MOODLE_NAME) == [{"Email address": "jane@example.edu", "Full name": "Jane Doe",
                                                    "Network Visualization": f"{final:g}"}]


@pytest.mark.parametrize("visibility", ["visible", "after_due_date", "after_published", "hidden"])
def test_gradescope_shows_public_results_and_totals_at_once_and_hidden_messages_per_policy(visibility):
    lost, hidden = "make_fooling_image-fools", "compute_saliency_maps-values"
    results = gradescope_results(_result("submission", lost=(lost,), hidden=(hidden,)), hidden_visibility=visibility)
    assert results["visibility"] == "visible" and results["score"] == _result("s", (lost, hidden)).score
    tests = {t["name"]: t for t in results["tests"]}
    assert all(t["visibility"] == "visible" for name, t in tests.items() if not name.endswith("(hidden case)"))
    assert tests["make_fooling_image: fools"]["output"].endswith("it is wrong")
    public = tests["compute_saliency_maps: values"]
    assert public["score"] == 0 and public["visibility"] == "visible"
    if visibility == "visible":
        assert len(tests) == len(CHECKS) and public["output"].endswith("Fails a hidden case: the gradient is wrong")
    else:
        assert len(tests) == len(CHECKS) + 1 and "the gradient is wrong" not in public["output"]
        split = tests["compute_saliency_maps: values (hidden case)"]
        assert split == {"name": "compute_saliency_maps: values (hidden case)", "score": 0, "max_score": 0,
                         "output": f"{HIDDEN_FAILURE}the gradient is wrong", "visibility": visibility}


def test_gradescope_takes_the_late_penalty_from_submission_metadata(tmp_path):
    policy = load((tmp_path / "p.toml").write_text(POLICY.replace('file = "extensions.csv"', "")) and tmp_path / "p.toml")
    metadata = {"id": 1, "created_at": "2026-03-03T06:00:00.000000-08:00",
                "assignment": {"due_date": "2026-03-01T23:59:00.000000-08:00", "late_due_date": None},
                "users": [{"email": "a@example.edu", "id": 9, "name": "A"}]}
    result = _result("submission")
    late = gradescope.late_adjustments(metadata, policy, result)
    assert late.days_late == 1.25 and late.penalty_percent == 20 and late.penalty_points == round(result.score * 0.2, 2)
    results = gradescope_results(result, late)
    assert results["score"] == result.score - late.penalty_points and "penalty 20%" in results["output"]
    metadata["users"][0]["assignment"] = {"due_date": "2026-03-04T23:59:00.000000-08:00"}  # an extension
    assert gradescope.late_adjustments(metadata, policy, result) is None
    assert gradescope.late_adjustments(metadata, None, result) is None


@pytest.mark.slow
def test_a_canvas_download_is_graded_and_reaches_the_gradebook(tmp_path):
    """The solution and the blank release in a Canvas zip, through `grade` and `gradebook`."""
    download = tmp_path / "submissions.zip"
    with zipfile.ZipFile(download, "w") as archive:
        archive.write(KIT_ROOT / "examples" / "submissions" / "solution" / NOTEBOOK_NAME, f"sol_1_10_{NOTEBOOK_NAME}")
        archive.write(KIT_ROOT / "assignment" / NOTEBOOK_NAME, f"blank_late_2_20_{NOTEBOOK_NAME}")
        archive.writestr("stray.txt", b"?")
    out = tmp_path / "out"
    assert autograder_main(["grade", str(download), "--out", str(out)]) == 0
    assert autograder_main(["gradebook", str(out)]) == 0
    solution, blank = _rows(out / gradebook.FINAL_NAME)
    assert solution["student"] == "canvas-1" and solution["automatic"] == solution["automatic_max"]
    assert blank["student"] == "canvas-2" and float(blank["automatic"]) < float(blank["automatic_max"])
    assert solution["complete"] == blank["complete"] == "no"  # no hand grades given
    assert json.loads((out / "intake.json").read_text())["unmatched"][0]["file"] == "stray.txt"


def test_two_submissions_under_one_name_are_a_warning(tmp_path):
    out = tmp_path / "out"
    source = tmp_path / "moodle"
    for pid in ("5501", "5509"):
        (source / f"Jane Doe_{pid}_assignsubmission_file_").mkdir(parents=True)
        (source / f"Jane Doe_{pid}_assignsubmission_file_" / NOTEBOOK_NAME).write_text("{}")
        write_student(out, _result(f"moodle-{pid}"))
    take_in(source, out)
    _, warnings = gradebook.write(out, Policy())
    assert "two submissions from one student? moodle-5501, moodle-5509 share the name 'jane doe'" in warnings


def test_gradescope_run_applies_the_bundled_policy_and_the_metadata(tmp_path, monkeypatch):
    import autograder.selftest

    hidden = "compute_saliency_maps-values"
    monkeypatch.setattr(autograder.selftest, "grade_one_after_self_test",
                        lambda notebook, student, isolate, **limits: _result(student, hidden=(hidden,)))
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY.replace('file = "extensions.csv"', "") + '\n[gradescope]\nhidden_visibility = "hidden"\n')
    metadata = tmp_path / "submission_metadata.json"
    metadata.write_text(json.dumps({"created_at": "2026-03-02T06:00:00-05:00",
                                    "assignment": {"due_date": "2026-03-01T23:59:00-05:00"}, "users": []}))
    (tmp_path / "submission").mkdir()
    score = gradescope.run(tmp_path / "submission", tmp_path / "results.json", policy_path=policy, metadata_path=metadata)
    results = json.loads((tmp_path / "results.json").read_text())
    earned = _result("s", (hidden,)).score
    assert score == results["score"] == round(earned - round(earned * 0.1, 2), 2)
    assert results["extra_data"]["days_late"] == 0.25
    assert [t["visibility"] for t in results["tests"] if t["name"].endswith("(hidden case)")] == ["hidden"]
