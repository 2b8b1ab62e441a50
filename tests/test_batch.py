"""The batch grader at class scale: repeatable, parallel, shardable, resumable, portable."""
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile

import pytest

from autograder.batch import grade_directory, merge
from autograder.gradescope import write_bundle
from autograder.grading import grade_notebook
from autograder.dev.variants import EXAMPLES_DIR, write_class

NOTEBOOK = "NetworkVisualization.ipynb"


def _scores(results) -> dict:
    return {r.student: [(c.id, c.points) for c in r.checks] for r in results}


@pytest.fixture(scope="module")
def class_of_20(tmp_path_factory):
    """20 students: the 5 sample submissions, 4 times each under different ids."""
    return write_class(tmp_path_factory.mktemp("class"), copies=4)


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    """The sample submissions graded in one plain run: (output folder, results)."""
    out = tmp_path_factory.mktemp("whole")
    return out, grade_directory(EXAMPLES_DIR, out, progress=False)


@pytest.mark.slow
def test_scores_do_not_depend_on_the_number_of_workers(class_of_20, tmp_path):
    one = grade_directory(class_of_20, tmp_path / "one", workers=1, progress=False)
    two = grade_directory(class_of_20, tmp_path / "two", workers=2, progress=False)
    assert len(one) == 20
    assert _scores(one) == _scores(two)
    assert (tmp_path / "one" / "grades.csv").read_text() == (tmp_path / "two" / "grades.csv").read_text()


def test_the_same_submission_scores_the_same_ten_times():
    notebook = EXAMPLES_DIR / "class_l2_added" / NOTEBOOK
    scores = {tuple((c.id, c.points) for c in grade_notebook(notebook, "s").checks) for _ in range(10)}
    assert len(scores) == 1


def test_shards_merge_into_the_whole_class(whole, tmp_path):
    whole_out, whole_results = whole
    first = grade_directory(EXAMPLES_DIR, tmp_path / "s1", shard=(1, 2), progress=False)
    second = grade_directory(EXAMPLES_DIR, tmp_path / "s2", shard=(2, 2), progress=False)
    assert len(first) == 3 and len(second) == 2
    merged = merge([tmp_path / "s1", tmp_path / "s2"], tmp_path / "merged")
    assert _scores(merged) == _scores(whole_results)
    assert (tmp_path / "merged" / "grades.csv").read_text() == (whole_out / "grades.csv").read_text()


@pytest.mark.slow
def test_a_killed_run_resumes_without_losing_or_regrading(class_of_20, whole, tmp_path):
    out = tmp_path / "out"
    command = [sys.executable, "-m", "autograder", "grade", str(class_of_20), "--out", str(out), "--workers", "2"]
    run = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while len(list(out.glob("*/results.json"))) < 4 and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    finished = {p.parent.name: p.stat().st_mtime_ns for p in out.glob("*/results.json")}
    assert 4 <= len(finished) < 20
    for path in out.glob("*/results.json"):
        json.loads(path.read_text())  # never half-written

    results = grade_directory(class_of_20, out, workers=2, progress=False)
    assert len(results) == 20
    assert all((out / s / "results.json").stat().st_mtime_ns == t for s, t in finished.items())
    assert not list(out.glob("**/.*.*"))
    with open(out / "grades.csv") as f:
        rows = list(csv.DictReader(f))
    assert sorted(r["student"] for r in rows) == sorted(p.name for p in class_of_20.iterdir())
    expected = _scores(whole[1])  # student <example>_<k> submitted the sample <example>
    assert _scores(results) == {s: expected[s.rsplit("_", 1)[0]] for s in _scores(results)}


def test_gradescope_bundle_runs_against_a_fake_autograder_tree(tmp_path):
    bundle = write_bundle(tmp_path / "autograder.zip")
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as z:  # what Gradescope does with the bundle
        names = z.namelist()
        z.extractall(root / "source")
    assert {"setup.sh", "run_autograder", "build/references/references.pt", "autograder/__main__.py"} <= set(names)
    assert any(n.startswith("datasets/squeezenet1_1") for n in names)
    for script in ("setup.sh", "run_autograder"):
        assert subprocess.run(["bash", "-n", root / "source" / script]).returncode == 0
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    shutil.copy(EXAMPLES_DIR / "fooling_never_stops" / NOTEBOOK, root / "submission")
    # As after setup.sh: `python3` finds the kit in source/, not this checkout's editable install
    # (-S skips the .pth files that point at it; the pinned packages come in through PYTHONPATH).
    shim = tmp_path / "bin" / "python3"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\nexec {sys.executable} -S "$@"\n')
    shim.chmod(0o755)
    site_packages = [p for p in sys.path if p.endswith("site-packages")]
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), PATH=f"{shim.parent}:{os.environ['PATH']}",
               PYTHONPATH=os.pathsep.join([str(root / "source"), str(root / "source" / "assignment"), *site_packages]))
    done = subprocess.run(["bash", root / "run_autograder"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    which = subprocess.run(["python3", "-c", "import autograder; print(autograder.__file__)"], env=env, cwd=root / "source",
                           capture_output=True, text=True, check=True)
    assert which.stdout.startswith(str(root / "source"))  # the bundle's own copy graded it
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 36
    lost = [t["name"] for t in results["tests"] if t["score"] < t["max_score"]]
    assert lost == ["make_fooling_image: stops_when_fooled"]
