"""Leave no trace: a grader's one temporary folder is gone when it ends, even after os._exit; a
killed grader's folder is removed by the next run, never a live one's; no usable temporary folder
means a refusal, never the current folder."""
import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from autograder import scratch
from autograder.config import KIT_ROOT, RELEASE_NOTEBOOK, SOLUTION_NOTEBOOK

COMMAND = [sys.executable, "-m", "autograder"]


def test_the_folder_is_made_once_private_to_listing_and_removed_by_cleanup(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(scratch, "_BASE", None)
    folder = scratch.base()
    assert folder.parent == tmp_path and folder.name.startswith(f"{scratch.PREFIX}{os.getpid()}-")
    assert scratch.base() == folder and folder.stat().st_mode & 0o777 == 0o711
    assert set(scratch.cache_environment().values()) <= {str(folder / n) for n in ("torchinductor", "triton", "matplotlib")}
    scratch.cleanup()
    assert list(tmp_path.iterdir()) == []


def test_only_ended_runs_folders_are_removed(tmp_path):
    ended, live, other = (tmp_path / f"{scratch.PREFIX}{name}" for name in ("1-ended", "2-live", "3-other"))
    for folder in (ended, live):
        folder.mkdir()
        (folder / scratch.LOCK).touch()
    other.mkdir()  # no lock yet: a run between its mkdtemp and its flock is spared while it is new
    holder = subprocess.Popen([sys.executable, "-c", "import fcntl, sys, time; f = open(sys.argv[1]); "
                               "fcntl.flock(f, fcntl.LOCK_EX); print(1, flush=True); time.sleep(60)",
                               str(live / scratch.LOCK)], stdout=subprocess.PIPE)
    try:
        holder.stdout.readline()
        assert scratch.remove_ended(tmp_path) == [ended]
        assert sorted(p.name for p in tmp_path.iterdir()) == [live.name, other.name]
    finally:
        holder.kill()
        holder.wait()
    assert sorted(scratch.remove_ended(tmp_path)) == [live]


def test_no_usable_temporary_folder_is_a_refusal_not_the_current_folder(tmp_path):
    if os.geteuid() != 0:
        pytest.fail("this test mounts read-only folders over /tmp and /var/tmp in a mount namespace: run it as root")
    shadow = ("for f in /tmp /var/tmp; do mount --bind $f $f && mount -o remount,bind,ro $f; done && "
              "exec \"$@\"")  # read-only, not hidden: the kit may live under /tmp
    done = subprocess.run(["unshare", "--mount", "sh", "-c", shadow, "shadow", *COMMAND, "check",
                           str(SOLUTION_NOTEBOOK)], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, TMPDIR=str(tmp_path / "missing")))
    assert done.returncode == 3 and "no usable temporary folder" in done.stderr and "TMPDIR" in done.stderr, done.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_gradings_leave_nothing_even_after_one_was_killed_and_the_other_keeps_its_grades(tmp_path):
    """A check, then two batches at once of which one is killed half-way, then a clean check: the
    temporary folder is empty after each, but for the killed run's folder until the next run."""
    temporary, env = tmp_path / "tmp", dict(os.environ, NETVIS_CACHE_DIR=str(tmp_path / "cache"))
    temporary.mkdir()
    for folder in (temporary, *temporary.parents):  # a sandbox's uid passes through to its root skeleton
        if folder.stat().st_mode & 0o001 == 0:
            folder.chmod(folder.stat().st_mode | 0o001)
    env["TMPDIR"] = str(temporary)
    blank = tmp_path / "blank.ipynb"
    nbformat.write(nbformat.read(str(RELEASE_NOTEBOOK), as_version=4), str(blank))
    done = subprocess.run([*COMMAND, "check", str(blank)], env=env, capture_output=True, text=True, cwd=KIT_ROOT)
    assert done.returncode == 0 and "total 0 / 38" in done.stdout, done.stderr[-2000:]
    assert list(temporary.iterdir()) == []

    classes = {}
    for name in ("kept", "killed"):
        for student, notebook in (("solution", SOLUTION_NOTEBOOK), ("blank", RELEASE_NOTEBOOK)):
            (tmp_path / name / student).mkdir(parents=True)
            nbformat.write(nbformat.read(str(notebook), as_version=4), str(tmp_path / name / student / notebook.name))
        classes[name] = subprocess.Popen([*COMMAND, "grade", str(tmp_path / name), "--out", str(tmp_path / f"{name}-out")],
                                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                         cwd=KIT_ROOT, start_new_session=True)
    deadline = time.monotonic() + 300
    while len(list(temporary.glob(f"{scratch.PREFIX}*/sandbox-*")) + list(temporary.glob(f"{scratch.PREFIX}*/root-*"))) < 2:
        assert time.monotonic() < deadline and classes["killed"].poll() is None
        time.sleep(0.2)
    time.sleep(3)  # half-way: its sandboxes are running cells
    os.killpg(classes["killed"].pid, signal.SIGKILL)
    classes["killed"].communicate()
    stdout, stderr = classes["kept"].communicate(timeout=900)
    assert classes["kept"].returncode == 0, stderr[-2000:]
    with open(tmp_path / "kept-out" / "grades.csv") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    assert float(rows["solution"]["total"]) == 38 and float(rows["blank"]["total"]) == 0, rows
    time.sleep(2)  # the killed grader's keepers end once they see it gone
    assert all(p.name.startswith(scratch.PREFIX) for p in temporary.iterdir())  # the killed run's, at most

    done = subprocess.run([*COMMAND, "check", str(blank)], env=env, capture_output=True, text=True, cwd=KIT_ROOT)
    assert done.returncode == 0 and "total 0 / 38" in done.stdout, done.stderr[-2000:]
    assert list(temporary.iterdir()) == []
