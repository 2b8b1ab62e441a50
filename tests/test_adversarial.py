"""Hostile submissions gain nothing, and cannot hurt the batch or other students.

The whole adversarial corpus is graded in one sandboxed batch with two workers, beside an
honest solution and a notebook whose locked and grade cells were tampered with.
"""
import csv
import json
import os
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.slow

from autograder import config
from autograder.__main__ import main as autograder_main
from autograder.dev.variants import Variant, build_submission, read_variant
from netvis.checks import CHECKS

ADVERSARIAL = sorted((Path(__file__).parent / "adversarial").glob("*.py"))
TIMEOUT_S, TINY_TIMEOUT_S = 30, 3
"""Short limits for the small models and the pictures: many attacks loop there, and most of this
test's time is spent waiting them out (the real model's checks keep a loaded machine's margin)."""


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


@pytest.fixture(scope="module")
def graded(tmp_path_factory, module_monkeypatch):
    submissions = tmp_path_factory.mktemp("submissions")
    out = tmp_path_factory.mktemp("out")
    notebooks = {"honest": build_submission(Variant("honest", set(), "", {})), "tampered": _tampered_notebook()}
    notebooks.update({p.stem: build_submission(read_variant(p)) for p in ADVERSARIAL})
    for student, nb in notebooks.items():
        (submissions / student).mkdir()
        nbformat.write(nb, str(submissions / student / "NetworkVisualization.ipynb"))
    module_monkeypatch.setattr(config, "TINY_CALL_TIMEOUT_S", TINY_TIMEOUT_S)
    module_monkeypatch.setattr(config, "FIGURES_TIMEOUT_S", TINY_TIMEOUT_S)
    code = autograder_main(["grade", str(submissions), "--out", str(out), "--workers", "4", "--timeout", str(TIMEOUT_S),
                            "--cell-timeout", "4"])
    with open(out / "grades.csv") as f:
        grades = {row["student"]: row for row in csv.DictReader(f)}
    return code, out, grades


def test_corpus_has_the_attacks():
    assert len(ADVERSARIAL) >= 12


def test_batch_completes_for_everyone(graded):
    code, out, grades = graded
    assert code == 0
    assert set(grades) == {"honest", "tampered"} | {p.stem for p in ADVERSARIAL}
    for student in grades:
        assert json.loads((out / student / "results.json").read_text())["score"] == float(grades[student]["total"])


def test_honest_student_keeps_full_marks(graded):
    _, _, grades = graded
    assert float(grades["honest"]["total"]) == float(grades["honest"]["max"])


def test_tampering_with_locked_and_grade_cells_gains_nothing(graded):
    _, _, grades = graded
    assert float(grades["tampered"]["total"]) == 0


@pytest.mark.parametrize("path", ADVERSARIAL, ids=[p.stem for p in ADVERSARIAL])
def test_attack_gains_no_points(graded, path):
    _, out, grades = graded
    row = grades[path.stem]
    variant = read_variant(path)
    won = {check_id for check_id in variant.expected_failures if float(row[check_id]) > 0}
    assert not won, f"{path.stem} scored on {won}"
    results = json.loads((out / path.stem / "results.json").read_text())
    assert results["score"] <= 38 and "1000" not in (out / "grades.csv").read_text()


def test_nothing_was_written_outside_the_sandbox(graded):
    _, out, _ = graded
    assert not Path("/tmp/HACKED").exists()
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == ["grades.csv"]
    for folder in (p for p in out.iterdir() if p.is_dir()):
        assert sorted(p.name for p in folder.iterdir()) == ["feedback.html", "grading.json", "results.json"]


def test_no_sandbox_process_survives(graded):
    from autograder.forkserver import ForkServer

    server = ForkServer.get().proc.pid  # the fork server of this process, which graded the batch
    assert [pid for pid in os.listdir("/proc") if pid.isdigit() and _parent_of(pid) == server] == []


def _parent_of(pid: str):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError):
        return None
