"""The batch grader at class scale: the table, resuming, sharding on Slurm and Kubernetes, faults
that cost one student, and the Gradescope bundle."""
import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile

import pytest
import yaml

from autograder import batch
from autograder.__main__ import main as autograder_main
from autograder.batch import grade_directory, merge
from autograder.class_report import JSON_NAME as CLASS_REPORT, RUN_KEY
from autograder.dev.variants import EXAMPLES_DIR
from autograder.gradescope import write_bundle
from autograder.reports import read_results
from autograder.config import KIT_ROOT

pytestmark = pytest.mark.slow

NOTEBOOK = "NetworkVisualization.ipynb"
CLUSTER = KIT_ROOT / "examples" / "cluster"
ONE_CPU = {"OMP_NUM_THREADS": "1"}
"""Four shard processes share this machine's two cores, as if each were given one by the scheduler."""


def _scores(results) -> dict:
    return {r.student: [(c.id, c.points) for c in r.checks] for r in results}


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    """The sample submissions graded by `grade --workers 2`, as an instructor runs it:
    (output folder, results, what it printed on stdout and stderr)."""
    out = tmp_path_factory.mktemp("whole")
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        assert autograder_main(["grade", str(EXAMPLES_DIR), "--out", str(out), "--workers", "2"]) == 0
    return out, read_results(out), stdout.getvalue(), stderr.getvalue()


def test_grade_prints_the_table_with_two_workers_and_nothing_of_the_solution(whole):
    out, _, stdout, stderr = whole
    lines = stdout.splitlines()
    assert lines[0].split() == ["student", "saliency", "fooling", "class_vis", "capture", "filter_vis", "extra", "total"]
    assert [line.split()[0] for line in lines[1:6]] == sorted(p.name for p in EXAMPLES_DIR.iterdir())
    assert lines[5].split()[-1] == "38/38"
    assert "Fooled the model" not in stdout + stderr  # the solution's own prints stay silent
    page = (out / "class_l2_added" / "feedback.html").read_text()
    assert "Your saliency maps" in page and "Part 3. Class visualisation" in page and "Your fooling image" in page
    assert 'class="missing"' not in page  # each of its pictures was drawn


def _class_report(out) -> dict:
    """class_report.json less its run-dependent part (seconds)."""
    data = json.loads((out / CLASS_REPORT).read_text())
    del data[RUN_KEY]
    return data


def test_the_class_report_counts_each_named_mistake_with_links(whole):
    out = whole[0]
    checks = {row["id"]: row for row in _class_report(out)["checks"]}
    named = {(check_id, m["id"]): m["students"] for check_id, row in checks.items() for m in row["mistakes"]}
    assert named[("compute_saliency_maps-shape", "saliency-squeeze")] == ["saliency_squeeze"]
    assert named[("make_fooling_image-stops_when_fooled", "fooling-steps-after-fooled")] == ["fooling_never_stops"]
    assert named[("class_visualization_update_step-direction", "ascent-l2-added")] == ["class_l2_added"]
    assert named[("capture_activations-removes_hooks", "hooks-left")] == ["capture_hooks_left"]
    assert all(m != "" for _, m in named) and not any(row["review"] for row in checks.values())
    assert checks["compute_saliency_maps-shape"]["pass_rate"] == 0.8
    page = (out / "class_report.html").read_text()
    assert 'href="saliency_squeeze/feedback.html"' in page and "def compute_saliency_maps" not in page
    [proof] = json.loads((out / CLASS_REPORT).read_text())[RUN_KEY]["self_tests"]  # the run's own self-test
    assert proof["passed"] and proof["shard"] == "1/1" and proof["isolation"].startswith("namespaces")
    assert "shard 1/1: passed, namespaces" in page


def _slurm_task(index, count, submissions, out) -> subprocess.Popen:
    env = dict(os.environ, **ONE_CPU, SLURM_ARRAY_TASK_ID=str(index), SLURM_ARRAY_TASK_COUNT=str(count),
               SLURM_SUBMIT_DIR=str(KIT_ROOT), SLURM_CPUS_PER_TASK="1", SUBMISSIONS=str(submissions), OUT=str(out))
    return subprocess.Popen(["bash", str(CLUSTER / "grade-array.sbatch")], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def _kubernetes_pod(index, count, submissions, out) -> subprocess.Popen:
    container = yaml.safe_load((CLUSTER / "grade-indexed-job.yaml").read_text())["spec"]["template"]["spec"]["containers"][0]
    env = dict(os.environ, **ONE_CPU, JOB_COMPLETION_INDEX=str(index), SUBMISSIONS=str(submissions), OUT=str(out), SHARDS=str(count))
    command = container["command"] + container["args"]
    return subprocess.Popen(command, env=env, cwd=KIT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def test_a_slurm_array_and_a_kubernetes_job_at_once_each_write_the_grades_of_one_run_alone(whole, tmp_path):
    """Two gradings of one class on one machine at the same time, four processes in all: a Slurm
    array of two tasks and an Indexed Job of two pods, each pair sharing its output folder as on a
    cluster's shared file system. Each merges into a grades.csv identical, byte for byte, to that of
    `grade` alone (the `whole` fixture): the runs never touch each other, and grading is deterministic."""
    tasks = [start(i, 2, EXAMPLES_DIR, tmp_path / start.__name__)
             for start, ids in ((_slurm_task, (1, 2)), (_kubernetes_pod, (0, 1))) for i in ids]
    for task in tasks:
        assert task.wait(timeout=600) == 0, task.stderr.read()[-2000:]
    alone = (whole[0] / "grades.csv").read_bytes()
    for out in (tmp_path / "_slurm_task", tmp_path / "_kubernetes_pod"):
        assert _scores(merge([out], out)) == _scores(whole[1])
        assert (out / "grades.csv").read_bytes() == alone
        assert _class_report(out) == _class_report(whole[0])  # shards merged: the report of one run
        assert not list(out.glob("**/.*.tmp"))


def test_a_killed_run_resumes_without_losing_or_regrading(whole, tmp_path):
    students, out = tmp_path / "class", tmp_path / "out"
    for example in ("class_l2_added", "solution"):
        shutil.copytree(EXAMPLES_DIR / example, students / f"{example}_0")
    command = [sys.executable, "-m", "autograder", "grade", str(students), "--out", str(out), "--workers", "1"]
    run = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not list(out.glob("*/grading.json")) and time.monotonic() < deadline:
        time.sleep(0.1)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    finished = {p.parent.name: p.stat().st_mtime_ns for p in out.glob("*/grading.json")}
    assert len(finished) == 1
    for path in out.glob("*/*.json"):
        json.loads(path.read_text())  # never half-written

    results, errors = grade_directory(students, out, workers=2, progress=False)
    assert len(results) == 2 and not errors
    assert all((out / s / "grading.json").stat().st_mtime_ns == t for s, t in finished.items())
    assert not list(out.glob("**/.*.tmp"))
    expected = _scores(whole[1])  # student <example>_<k> submitted the sample <example>
    assert _scores(results) == {s: expected[s.rsplit("_", 1)[0]] for s in _scores(results)}


def test_a_grader_fault_costs_one_student_and_a_rerun_retries_them(whole, tmp_path, monkeypatch, capsys):
    for student in ("class_l2_added", "solution"):
        shutil.copytree(EXAMPLES_DIR / student, tmp_path / "class" / student)
    write_student, out = batch.write_student, tmp_path / "out"

    def failing_for_one(out_dir, result):
        if result.student == "class_l2_added":
            raise OSError("disk full")
        write_student(out_dir, result)

    monkeypatch.setattr(batch, "write_student", failing_for_one)
    assert autograder_main(["grade", str(tmp_path / "class"), "--out", str(out)]) == 1
    printed = capsys.readouterr()
    assert "class_l2_added" in printed.err and "Run the same command again" in printed.err
    assert [p.parent.name for p in out.glob("*/grading.json")] == ["solution"]
    monkeypatch.setattr(batch, "write_student", write_student)
    assert autograder_main(["grade", str(tmp_path / "class"), "--out", str(out)]) == 0
    assert _scores(read_results(out)) == {s: v for s, v in _scores(whole[1]).items() if s in ("class_l2_added", "solution")}


GRADESCOPE_POLICY = """
[assignment]
due = 2026-03-01T23:59:00-05:00

[late]
penalty_percent = 10
per = "day"
on_gradescope = true

[gradescope]
hidden_visibility = "after_published"
"""


def test_gradescope_bundle_runs_in_a_fake_autograder_tree_without_cap_sys_admin(tmp_path):
    """The bundle, with a course policy, as Gradescope runs it: setup's tree, run_autograder, and
    submission_metadata.json saying the submission came a day and a half late."""
    policy = tmp_path / "policy.toml"
    policy.write_text(GRADESCOPE_POLICY)
    bundle = write_bundle(tmp_path / "autograder.zip", policy=policy)
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as z:  # what Gradescope does with the bundle
        names = z.namelist()
        z.extractall(root / "source")
    assert {"setup.sh", "run_autograder", "build/references/references.pt", "autograder/__main__.py"} <= set(names)
    assert any(n.startswith("datasets/squeezenet1_1") for n in names)
    assert not [n for n in names if n.startswith(("autograder/dev/", "autograder/course/"))]
    for script in ("setup.sh", "run_autograder"):
        assert subprocess.run(["bash", "-n", root / "source" / script]).returncode == 0
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    shutil.copy(EXAMPLES_DIR / "fooling_never_stops" / NOTEBOOK, root / "submission")
    (root / "submission_metadata.json").write_text(json.dumps({  # Gradescope's fields, as it writes them
        "id": 123456, "created_at": "2026-03-03T11:59:00.000000-05:00", "assignment": {
            "due_date": "2026-03-01T23:59:00.000000-05:00", "late_due_date": "2026-03-05T23:59:00.000000-05:00"},
        "users": [{"email": "student@example.edu", "id": 1234, "name": "A Student"}]}))
    # As after setup.sh: `python3` finds the kit in source/, not this checkout's editable install
    # (-S skips the .pth files that point at it; the pinned packages come in through PYTHONPATH).
    shim = tmp_path / "bin" / "python3"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\nexec {sys.executable} -S "$@"\n')
    shim.chmod(0o755)
    site_packages = [p for p in sys.path if p.endswith("site-packages")]
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), PATH=f"{shim.parent}:{os.environ['PATH']}",
               PYTHONPATH=os.pathsep.join([str(root / "source"), str(root / "source" / "assignment"), *site_packages]))
    # Gradescope's container: root without CAP_SYS_ADMIN (where the grader runs as root here).
    without_sys_admin = ["setpriv", "--bounding-set=-sys_admin", "--inh-caps=-sys_admin"] if os.geteuid() == 0 else []
    done = subprocess.run([*without_sys_admin, "bash", root / "run_autograder"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    which = subprocess.run(["python3", "-c", "import autograder; print(autograder.__file__)"], env=env, cwd=root / "source",
                           capture_output=True, text=True, check=True)
    assert which.stdout.startswith(str(root / "source"))  # the bundle's own copy graded it
    results = json.loads((root / "results" / "results.json").read_text())
    isolation = results["extra_data"]["isolation"]
    assert isolation["mode"] == "namespaces" and isolation["user"] != "unmapped"
    lost = [t["name"] for t in results["tests"] if t["score"] < t["max_score"]]
    assert lost == ["make_fooling_image: stops_when_fooled"]
    # 37 points, late by 1.5 days: two started days at 10% each, from the metadata
    assert results["extra_data"]["points"] == 37 and results["extra_data"]["days_late"] == 1.5
    assert results["extra_data"]["late_penalty"] == 7.4 and results["score"] == 29.6
    assert "Late by 1.50 day(s): penalty 20% = 7.4 point(s)." in results["output"]
    assert results["visibility"] == "visible"  # the totals, always
    hidden = [t for t in results["tests"] if t["visibility"] != "visible"]
    assert all(t["visibility"] == "after_published" and t["max_score"] == 0 and t["name"].endswith("(hidden case)")
               for t in hidden)
