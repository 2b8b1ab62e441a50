"""Hostile submissions gain nothing, and cannot hurt the batch or other students, in the settings
with the fewest privileges that instructors grade in.

The grader runs as a separate process, as an instructor runs it. As root, it grades twice at the
same time: without CAP_SYS_ADMIN, as in Docker and on Gradescope, the whole corpus beside an honest
solution and a notebook whose locked and grade cells were tampered with; and without any capability,
where the sandbox's user is unmapped, the submission that kills every process it can signal (there
the kernel applies no process limit: a fork bomb loses what it touches, but loads the machine for
its time budget, slowing the other batch too much for this suite). Elsewhere, as the user this runs as, the whole corpus.
"""
import csv
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from autograder.class_report import SELF_TESTS_DIR

pytestmark = pytest.mark.slow

from autograder.dev.variants import Variant, build_submission, read_variant
from netvis.checks import CHECKS

ADVERSARIAL = sorted((Path(__file__).parent / "adversarial").glob("*.py"))
ON_PROCESSES = ["kill_everything"]
SETTINGS = ({"root without CAP_SYS_ADMIN": ["setpriv", "--bounding-set=-sys_admin", "--inh-caps=-sys_admin"],
             "root without any capability": ["setpriv", "--bounding-set=-all", "--inh-caps=-all"]}
            if os.geteuid() == 0 else {"this user": []})
USERS = {"root without any capability": "unmapped", "root without CAP_SYS_ADMIN": "uid", "this user": "own uid"}
"""How the sandbox's user shows in results.json in each setting."""

GRADER = Path(__file__).parent / "grade_and_find_strays.py"
BUDGETS = ["--timeout", "8", "--cell-timeout", "5"]
"""Seconds of a worker's own CPU time per check and per cell. The attacks that loop, glob the whole
file system or flood spend them all, so they set this module's length; the honest student's largest
check, ``fools`` with its two real-image ascents, took 0.9 s of its own on a loaded machine."""


@dataclass
class Batch:
    code: int
    out: Path
    grades: dict
    strays: list


def _tampered_notebook():
    """Stubs left as they are; the setup cell patches the checks; grade cells deleted or duplicated."""
    nb = build_submission(Variant("tampered", set(), "", {}))
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if grade_id in {c.function for c in CHECKS}:
            cell.source = "def %s(*args, **kwargs):\n    raise NotImplementedError()" % grade_id
        if grade_id == "setup":
            cell.source = ("import netvis.checks\nnetvis.checks.run_check = lambda *a, **k: None\n"
                           "import torch\ntorch.allclose = lambda *a, **k: True\n")
    grade_cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    copies = [nbformat.v4.new_code_cell(grade_cells[1].source, metadata=grade_cells[1].metadata) for _ in range(3)]
    nb.cells = [c for c in nb.cells if c not in grade_cells[::2]] + copies
    return nb


def _class(folder: Path, attacks: list) -> Path:
    notebooks = {"honest": build_submission(Variant("honest", set(), "", {}))}
    if len(attacks) == len(ADVERSARIAL):
        notebooks["tampered"] = _tampered_notebook()
    notebooks.update({p.stem: build_submission(read_variant(p)) for p in attacks})
    for student, nb in notebooks.items():
        (folder / student).mkdir(parents=True)
        nbformat.write(nb, str(folder / student / "NetworkVisualization.ipynb"))
    return folder


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict:
    """{setting: Batch}; the settings' batches run at the same time."""
    root, runs = tmp_path_factory.mktemp("adversarial"), {}
    for number, (setting, prefix) in enumerate(SETTINGS.items()):
        attacks = ADVERSARIAL if number == 0 else [p for p in ADVERSARIAL if p.stem in ON_PROCESSES]
        submissions, out = _class(root / f"class{number}", attacks), root / f"out{number}"
        command = [*prefix, sys.executable, str(GRADER), "grade", str(submissions), "--out", str(out),
                   "--workers", "4" if number == 0 else "2", *BUDGETS]
        runs[setting] = out, subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    batches = {}
    for setting, (out, run) in runs.items():
        stdout, stderr = run.communicate(timeout=900)
        assert run.returncode == 0 and stdout.strip(), (setting, stderr[-3000:])
        report = json.loads(stdout.splitlines()[-1])
        assert report["code"] == 0, (setting, stderr[-3000:])
        with open(out / "grades.csv") as f:
            grades = {row["student"]: row for row in csv.DictReader(f)}
        batches[setting] = Batch(out=out, grades=grades, **report)
    return batches


def test_corpus_has_the_attacks():
    assert len(ADVERSARIAL) >= 12


def test_batch_completes_for_everyone(graded):
    for setting, batch in graded.items():
        assert batch.code == 0, setting
        attacks = ADVERSARIAL if "tampered" in batch.grades else [p for p in ADVERSARIAL if p.stem in ON_PROCESSES]
        assert set(batch.grades) - {"tampered"} == {"honest"} | {p.stem for p in attacks}
        for student, row in batch.grades.items():
            assert json.loads((batch.out / student / "results.json").read_text())["score"] == float(row["total"])


def test_honest_student_keeps_full_marks_in_a_sandbox_of_its_own(graded):
    for setting, batch in graded.items():
        assert float(batch.grades["honest"]["total"]) == float(batch.grades["honest"]["max"]), setting
        isolation = json.loads((batch.out / "honest" / "results.json").read_text())["extra_data"]["isolation"]
        assert isolation["mode"] == "namespaces" and isolation["user"].startswith(USERS[setting]), (setting, isolation)
        assert isolation["pid"] == 1 and isolation["interfaces"] == ["lo"] and not isolation["host_paths_visible"]


def test_tampering_with_locked_and_grade_cells_gains_nothing(graded):
    assert [float(b.grades["tampered"]["total"]) for b in graded.values() if "tampered" in b.grades] == [0]


@pytest.mark.parametrize("path", ADVERSARIAL, ids=[p.stem for p in ADVERSARIAL])
def test_attack_gains_no_points(graded, path):
    expected_failures = read_variant(path).expected_failures
    for setting, batch in graded.items():
        if path.stem in batch.grades:
            won = {check_id for check_id in expected_failures if float(batch.grades[path.stem][check_id]) > 0}
            assert not won, f"{path.stem} scored on {won} ({setting})"
            assert json.loads((batch.out / path.stem / "results.json").read_text())["score"] <= 38
            assert "1000" not in (batch.out / "grades.csv").read_text()


def test_nothing_was_written_outside_the_sandbox(graded):
    assert not Path("/tmp/HACKED").exists()
    for batch in graded.values():
        assert sorted(p.name for p in batch.out.iterdir() if p.is_file()) == [
            "class_report.html", "class_report.json", "grades.csv"]
        assert [p.name for p in (batch.out / SELF_TESTS_DIR).iterdir()] == ["shard-1-of-1.json"]
        for folder in (p for p in batch.out.iterdir() if p.is_dir() and p.name != SELF_TESTS_DIR):
            assert sorted(p.name for p in folder.iterdir()) == ["feedback.html", "grading.json", "results.json"]


def test_no_sandbox_process_survives(graded):
    assert {setting: batch.strays for setting, batch in graded.items()} == {setting: [] for setting in graded}


def test_the_class_report_of_a_hostile_class_agrees_with_its_grades(graded):
    """The class report of a real graded class (the corpus, the honest student, the tampered
    notebook), checked against grades.csv: the students, each check's passes and review flag, every
    failure counted under one named mistake, the loops counted as timeouts."""
    from netvis.checks import CHECKS_BY_ID

    for setting, batch in graded.items():
        report = json.loads((batch.out / "class_report.json").read_text())
        assert report["students"] == sorted(batch.grades), setting
        for row in report["checks"]:
            most = CHECKS_BY_ID[row["id"]].points
            passed = [s for s, g in batch.grades.items() if float(g[row["id"]]) == most]
            assert row["passed"] == len(passed), (setting, row["id"])
            assert row["review"] == ((len(batch.grades) - len(passed)) / len(batch.grades) > 0.5), (setting, row["id"])
            failed = [s for m in row["mistakes"] for s in m["students"]]
            assert sorted(failed) == sorted(set(batch.grades) - set(passed)), (setting, row["id"])
            assert all(m["id"] for m in row["mistakes"]), (setting, row["id"])
        if "infinite_loop" in batch.grades:
            assert "infinite_loop" in report["health"]["faults"]["fault-timeout"]["students"]
            assert report["health"]["timeouts"] >= 1
