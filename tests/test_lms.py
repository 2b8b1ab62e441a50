"""Intake of LMS downloads: Canvas's flat files and Moodle's folders, as zips or unpacked, into
one staging folder per student, with intake.json listing every choice and every unmatched file."""
import json
import zipfile

import pytest

from autograder.lms import INTAKE_NAME, IntakeError, detect, read_intake, take_in
from netvis.selfcheck import write_submission

NOTEBOOK = "NetworkVisualization.ipynb"


def _nb(tag: str) -> bytes:
    return json.dumps({"cells": [], "metadata": {"tag": tag}, "nbformat": 4, "nbformat_minor": 5}).encode()


def _canvas_zip(tmp_path):
    """A Canvas 'Download Submissions' zip: a resubmission, a late submit zip, a student without a
    notebook, and a file that is no submission at all."""
    notebook = tmp_path / NOTEBOOK
    notebook.write_bytes(_nb("doe"))
    submit = write_submission(notebook, tmp_path / "submission.zip")
    path = tmp_path / "submissions.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"smithjohn_12345_900_{NOTEBOOK}", _nb("first"))
        archive.writestr("smithjohn_12345_900_NetworkVisualization-1.ipynb", _nb("second"))
        archive.write(submit, "doejane_late_23456_901_submission.zip")
        archive.writestr("leeann_34567_902_notes.txt", b"my answers")
        archive.writestr("README.txt", b"exported by hand")
    return path


def test_a_canvas_zip_is_staged_per_student_with_the_latest_notebook_and_the_late_flag(tmp_path):
    source = _canvas_zip(tmp_path)
    assert detect(source) == "canvas"
    staging, intake = take_in(source, tmp_path / "out")
    assert sorted(p.name for p in staging.iterdir()) == ["canvas-12345", "canvas-23456"]
    assert json.loads((staging / "canvas-12345" / NOTEBOOK).read_text())["metadata"]["tag"] == "second"
    assert json.loads((staging / "canvas-23456" / NOTEBOOK).read_text())["metadata"]["tag"] == "doe"
    students = read_intake(tmp_path / "out")
    smith, doe = students["canvas-12345"], students["canvas-23456"]
    assert smith["name"] == "smithjohn" and smith["lms_ids"] == {"canvas_user_id": "12345", "canvas_submission_id": "900"}
    assert smith["file"] == "smithjohn_12345_900_NetworkVisualization-1.ipynb" and not smith["late"]
    assert "chose smithjohn_12345_900_NetworkVisualization-1.ipynb (the latest)" in smith["notes"][0]
    assert doe["late"] and doe["file"] == f"doejane_late_23456_901_submission.zip!{NOTEBOOK}"
    record = json.loads((tmp_path / "out" / INTAKE_NAME).read_text())
    unmatched = {u["file"]: u["reason"] for u in record["unmatched"]}
    assert set(unmatched) == {"leeann_34567_902_notes.txt", "README.txt"}
    assert any("canvas-34567" in w and "no notebook" in w for w in record["warnings"])


def test_a_moodle_folder_is_staged_per_participant_and_online_text_is_listed(tmp_path):
    source = tmp_path / "moodle"
    (source / "Jane Doe_5501_assignsubmission_file_").mkdir(parents=True)
    (source / "Jane Doe_5501_assignsubmission_file_" / NOTEBOOK).write_bytes(_nb("jane"))
    (source / "Jane Doe_5501_assignsubmission_onlinetext_").mkdir()
    (source / "Jane Doe_5501_assignsubmission_onlinetext_" / "onlinetext.html").write_text("<p>hi</p>")
    (source / "Bob Ray_5502_assignsubmission_file_" / "work").mkdir(parents=True)
    (source / "Bob Ray_5502_assignsubmission_file_" / "work" / "mine.ipynb").write_bytes(_nb("bob"))
    (source / "grades.csv").write_text("x\n")
    assert detect(source) == "moodle"
    times = tmp_path / "times.csv"
    times.write_text("student,submitted_at\n5501,2026-03-02T10:00:00+01:00\nnobody,2026-03-02T10:00:00Z\n")
    staging, intake = take_in(source, tmp_path / "out", times)
    assert sorted(p.name for p in staging.iterdir()) == ["moodle-5501", "moodle-5502"]
    jane = intake.submissions["moodle-5501"]
    assert jane.name == "Jane Doe" and jane.lms_ids == {"moodle_participant_id": "5501"}
    assert jane.submitted_at == "2026-03-02T10:00:00+01:00"
    assert intake.submissions["moodle-5502"].file == f"Bob Ray_5502_assignsubmission_file_/work/mine.ipynb"
    assert {u["file"] for u in intake.unmatched} == {"grades.csv", "Jane Doe_5501_assignsubmission_onlinetext_/onlinetext.html"}
    assert "--times: nobody matches no submission" in intake.warnings


def test_a_flat_moodle_zip_is_read_and_a_later_download_replaces_the_staged_students(tmp_path):
    """Moodle with "Download submissions in folders" off: every file at the top, prefixed with the
    participant's name, id and plugin. A student missing from a later download of the same OUT is
    no longer staged (so not graded again)."""
    source = tmp_path / "moodle.zip"
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr(f"Jane Doe_5501_assignsubmission_file_{NOTEBOOK}", _nb("jane"))
        archive.writestr(f"Bob Ray_5502_assignsubmission_file_{NOTEBOOK}", _nb("bob"))
        archive.writestr("Bob Ray_5502_assignsubmission_onlinetext_onlinetext.html", b"<p>hi</p>")
    assert detect(source) == "moodle"
    staging, intake = take_in(source, tmp_path / "out")
    assert sorted(p.name for p in staging.iterdir()) == ["moodle-5501", "moodle-5502"]
    assert intake.submissions["moodle-5502"].name == "Bob Ray"
    assert [u["file"] for u in intake.unmatched] == ["Bob Ray_5502_assignsubmission_onlinetext_onlinetext.html"]
    later = tmp_path / "later.zip"
    with zipfile.ZipFile(later, "w") as archive:
        archive.writestr(f"Jane Doe_5501_assignsubmission_file_{NOTEBOOK}", _nb("jane again"))
    staging, _ = take_in(later, tmp_path / "out")
    assert [p.name for p in staging.iterdir()] == ["moodle-5501"]
    assert json.loads((staging / "moodle-5501" / NOTEBOOK).read_text())["metadata"]["tag"] == "jane again"


def test_a_folder_per_student_is_graded_as_it_is(tmp_path):
    (tmp_path / "ada").mkdir()
    (tmp_path / "ada" / NOTEBOOK).write_bytes(_nb("ada"))
    assert detect(tmp_path) == "folders"
    assert take_in(tmp_path, tmp_path / "out") == (tmp_path, None)


def test_times_without_a_zone_are_refused(tmp_path):
    (tmp_path / "ada").mkdir()
    times = tmp_path / "times.csv"
    times.write_text("student,submitted_at\nada,2026-03-02T10:00:00\n")
    with pytest.raises(IntakeError, match="no time zone"):
        take_in(tmp_path, tmp_path / "out", times)


def test_merging_shards_keeps_the_intake(tmp_path):
    from autograder.batch import merge

    source = _canvas_zip(tmp_path)
    take_in(source, tmp_path / "shard1")
    take_in(source, tmp_path / "shard2")
    merge([tmp_path / "shard1", tmp_path / "shard2"], tmp_path / "merged")
    assert set(read_intake(tmp_path / "merged")) == {"canvas-12345", "canvas-23456", "canvas-34567"}
