"""The class report from synthetic records: counts, flags, quartiles, links, escaping, merging."""
import json
import shutil

import pytest

from autograder import class_report
from autograder.__main__ import main as autograder_main
from autograder.batch import merge
from autograder.results import CheckResult, SubmissionResult, write_record
from netvis.checks import CHECKS, CHECKS_BY_ID

SHAPE, VALUES, FOOLS = "compute_saliency_maps-shape", "compute_saliency_maps-values", "make_fooling_image-fools"
ISOLATION = {"mode": "namespaces", "user": "mapped"}


def submission(student, failures=None, errors=None, seconds=10.0, extra_lost=False) -> SubmissionResult:
    """A record: every check passed except ``failures`` ({check id: mistake id}); with ``extra_lost``,
    every extra-credit check failed (unnamed)."""
    failures = dict(failures or {})
    checks = []
    for check in CHECKS:
        extra = extra_lost and CHECKS_BY_ID[check.id].function in ("smooth_grad", "integrated_gradients", "grad_cam")
        failed = check.id in failures or extra
        checks.append(CheckResult(check.id, 0 if failed else check.points, check.points,
                                  "wrong" if failed else "ok", mistake=failures.get(check.id, "")))
    return SubmissionResult(student, checks, references="abc123", notebook_errors=dict(errors or {}),
                            cell_first_lines={k: "secret_student_code = 1" for k in (errors or {})},
                            isolation=ISOLATION, seconds=seconds)


def sample_class() -> list:
    """Five students: three squeeze mistakes, two loss gradients, a timeout, cell errors, an id "<script>"."""
    return [
        submission("alice", seconds=12.0),
        submission("bob", {SHAPE: "saliency-squeeze"}, {"7": "Traceback...\nNameError: name 'x' is not defined"},
                   seconds=30.5),
        submission("<script>", {SHAPE: "saliency-squeeze", VALUES: "saliency-gradient-of-loss"},
                   {"7": "IndexError: tuple index out of range"}, seconds=8.0, extra_lost=True),
        submission("dave", {VALUES: "saliency-gradient-of-loss", FOOLS: "fault-timeout"},
                   {"7": "NameError: name 'y' is not defined", "12": "stopped: ran out of time"}, seconds=61.0),
        submission("erin", {SHAPE: "saliency-squeeze"}, seconds=20.0),
    ]


def _check(data, check_id):
    return next(row for row in data["checks"] if row["id"] == check_id)


def test_pass_rates_mistakes_and_review_flags():
    data = class_report.summary(sample_class())
    shape = _check(data, SHAPE)
    assert (shape["students"], shape["passed"], shape["failed"], shape["pass_rate"]) == (5, 2, 3, 0.4)
    assert shape["review"]  # 3 of 5 fail: more than half
    assert shape["mistakes"] == [{"id": "saliency-squeeze", "title": ".squeeze() dropped the batch dimension for N = 1",
                                  "count": 3, "students": ["<script>", "bob", "erin"]}]
    values = _check(data, VALUES)
    assert values["failed"] == 2 and not values["review"]  # 2 of 5: not more than half
    assert [m["id"] for m in values["mistakes"]] == ["saliency-gradient-of-loss"]
    smooth = _check(data, "smooth_grad-values")
    assert smooth["extra_credit"] and smooth["mistakes"][0]["title"] == "Not named"
    assert [row["id"] for row in data["checks"]] == [c.id for c in CHECKS]


def test_quartiles_apart_for_the_assignment_and_the_extra_credit():
    assert class_report.quartiles([1, 2, 3, 4]) == {"min": 1, "q1": 1.75, "median": 2.5, "q3": 3.25, "max": 4}
    assert class_report.quartiles([7]) == {"min": 7, "q1": 7, "median": 7, "q3": 7, "max": 7}
    assert set(class_report.quartiles([]).values()) == {None}
    data = class_report.summary(sample_class())
    assignment, extra = data["scores"]["assignment"], data["scores"]["extra_credit"]
    full = sum(c.points for c in CHECKS if not c.id.startswith(("smooth", "integrated", "grad_cam")))
    shape_points, values_points, fools_points = (CHECKS_BY_ID[i].points for i in (SHAPE, VALUES, FOOLS))
    scores = sorted([full, full - shape_points, full - shape_points - values_points,
                     full - values_points - fools_points, full - shape_points])
    assert assignment["max_points"] == full and assignment["counts"] == {f"{s:g}": scores.count(s) for s in sorted(set(scores))}
    assert assignment["median"] == scores[2] and assignment["min"] == scores[0] and assignment["max"] == full
    assert extra["counts"] == {"0": 1, f"{extra['max_points']:g}": 4} and extra["median"] == extra["max_points"]


def test_cells_by_exception_type_and_health():
    data = class_report.summary(sample_class())
    assert data["cells"][0] == {"cell": "7", "count": 3, "errors": [
        {"type": "NameError", "count": 2, "students": ["bob", "dave"]},
        {"type": "IndexError", "count": 1, "students": ["<script>"]}]}
    assert data["cells"][1]["errors"][0]["type"] == "stopped"
    health = data["health"]
    assert health["timeouts"] == 1 and list(health["faults"]) == ["fault-timeout"]
    assert health["faults"]["fault-timeout"]["students"] == ["dave"]
    assert health["isolation"] == {"namespaces": 5} and health["references"] == {"abc123": 5}
    assert data[class_report.RUN_KEY]["isolation"] == ["namespaces (mapped)"]
    assert [r["student"] for r in data[class_report.RUN_KEY]["slowest"]] == ["dave", "bob", "erin", "alice",
                                                                             "<script>"]


def test_page_links_escapes_and_shows_no_student_code():
    page = class_report.render_html(class_report.summary(sample_class()))
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert 'href="%3Cscript%3E/feedback.html"' in page
    assert 'href="bob/feedback.html"' in page and 'href="erin/feedback.html"' in page
    assert "secret_student_code" not in page and "name &#39;x&#39; is not defined" not in page
    assert page.count('<span class="flag">review</span>') == sum(r["review"] for r in
                                                                 class_report.summary(sample_class())["checks"])
    assert page.count("data:image/png;base64,") == 2  # the assignment's histogram and the extra credit's


def test_written_by_report_and_merge_and_merged_shards_give_the_same_report(tmp_path):
    whole, shards = tmp_path / "whole", [tmp_path / "shard1", tmp_path / "shard2"]
    for index, result in enumerate(sample_class()):
        for out in (whole, shards[index % 2]):
            (out / result.student).mkdir(parents=True, exist_ok=True)
            write_record(out / result.student, result)
    assert autograder_main(["report", str(whole)]) == 0
    merge(shards, tmp_path / "merged")
    one, merged = ((p / class_report.JSON_NAME).read_text() for p in (whole, tmp_path / "merged"))
    assert one == merged and json.loads(one)["students"] == sorted(r.student for r in sample_class())
    assert (tmp_path / "merged" / class_report.HTML_NAME).read_text() == (whole / class_report.HTML_NAME).read_text()
    assert not list(tmp_path.glob("**/.*.tmp"))


def test_old_records_without_mistakes_still_load_and_report(tmp_path):
    record = submission("old", {SHAPE: "saliency-squeeze"}).to_dict()
    for check in record["checks"]:
        del check["mistake"], check["error_type"]
    folder = tmp_path / "old"
    folder.mkdir()
    (folder / "grading.json").write_text(json.dumps(record))
    class_report.write_class_report(tmp_path)
    data = json.loads((tmp_path / class_report.JSON_NAME).read_text())
    assert _check(data, SHAPE)["mistakes"][0]["id"] == ""


@pytest.mark.parametrize("text, kind", [("Traceback\n  File x\nValueError: bad", "ValueError"),
                                        ("torch.cuda.OutOfMemoryError: no", "torch.cuda.OutOfMemoryError"),
                                        ("KeyboardInterrupt", "KeyboardInterrupt"), ("", "other"),
                                        ("the cell ran past 60 s and was stopped", "other")])
def test_error_type_takes_only_a_leading_name(text, kind):
    assert class_report.error_type(text) == kind


def test_an_empty_folder_gives_an_empty_report(tmp_path):
    shutil.rmtree(tmp_path)
    tmp_path.mkdir()
    class_report.write_class_report(tmp_path)
    data = json.loads((tmp_path / class_report.JSON_NAME).read_text())
    assert data["students"] == [] and data["scores"]["assignment"]["median"] is None


def test_each_runs_self_test_is_listed_and_merged(tmp_path):
    """A batch records its passed self-test per shard; merge carries them; the page lists them."""
    from types import SimpleNamespace

    for shard in ((1, 2), (2, 2)):
        folder = tmp_path / f"shard{shard[0]}"
        write_record((folder / f"s{shard[0]}").mkdir(parents=True) or folder / f"s{shard[0]}", submission(f"s{shard[0]}"))
        proof = SimpleNamespace(isolation={"mode": "landlock", "user": "uid 1000", "landlock": 7},
                                remembered=shard[0] == 2, seconds=12.34)
        class_report.write_self_test(folder, shard, proof)
    merge([tmp_path / "shard1", tmp_path / "shard2"], tmp_path / "merged")
    tests = json.loads((tmp_path / "merged" / class_report.JSON_NAME).read_text())[class_report.RUN_KEY]["self_tests"]
    assert [(t["shard"], t["remembered"], t["isolation"]) for t in tests] == [
        ("1/2", False, "landlock (uid 1000, Landlock ABI 7)"), ("2/2", True, "landlock (uid 1000, Landlock ABI 7)")]
    page = (tmp_path / "merged" / class_report.HTML_NAME).read_text()
    assert "shard 1/2: passed, landlock (uid 1000, Landlock ABI 7), proved in 12.3 s" in page
    assert "shard 2/2: passed" in page and "verdict remembered" in page
    assert "s1" in json.loads((tmp_path / "merged" / class_report.JSON_NAME).read_text())["students"]
