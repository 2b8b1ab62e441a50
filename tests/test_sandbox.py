"""The sandbox: isolated wherever instructors grade, proven before grading, and a fault costs only
what it touches."""
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from autograder import config, isolation
from autograder.batch import grade_directory
from autograder.dev.variants import CORPUS_DIR, EXAMPLES_DIR, read_variant, write_notebook
from autograder.grading import grade_notebook
from autograder.selftest import SelfTestFailed
from autograder.config import KIT_ROOT

pytestmark = pytest.mark.slow

FAULTS = sorted((CORPUS_DIR / "faults").glob("*.py"))
SOLUTION = EXAMPLES_DIR / "solution" / "NetworkVisualization.ipynb"
FULL_MARKS_ISOLATED = "total 38 / 38 (isolation: namespaces)"


@pytest.mark.parametrize("path", FAULTS, ids=[p.stem for p in FAULTS])
def test_a_fault_costs_only_the_checks_it_touches(path, tmp_path, monkeypatch):
    monkeypatch.setattr(config, "TINY_CALL_TIMEOUT_S", 4.0)
    variant = read_variant(path)
    result = grade_notebook(write_notebook(variant, tmp_path), variant.name, timeout=10, cell_timeout=4)
    lost = {c.id: c.message for c in result.checks if not c.passed}
    assert set(lost) == variant.expected_failures, lost
    mistakes = {c.id: c.mistake for c in result.checks if not c.passed}
    assert all(mistakes.values()), mistakes  # every loss is named, a fault by its kind
    if variant.name == "saliency_exits":
        assert set(mistakes.values()) == {"fault-exit"}, mistakes
    if variant.name == "fooling_no_cap":
        assert mistakes == {"make_fooling_image-within_budget": "fooling-never-stops"}
    if variant.name == "fooling_no_cap":  # told why
        assert "the target was out of reach and your loop does not stop after 100 iterations" in \
            lost["make_fooling_image-within_budget"].lower()


def test_the_isolation_in_force_is_reported_from_inside():
    report = grade_notebook(SOLUTION, "solution").isolation
    assert report["mode"] == "namespaces" and report["pid"] == 1
    assert report["interfaces"] == ["lo"] and report["host_paths_visible"] == [] and not report["root_writable"]


def test_a_sandbox_that_fails_its_self_test_grades_nobody(tmp_path, monkeypatch):
    """Here the sandbox hides the data folder: the solution's own notebook cannot load the model."""
    binds = isolation.sandbox_binds
    monkeypatch.setattr(isolation, "sandbox_binds", lambda data_dir: binds(data_dir)[:-1])
    with pytest.raises(SelfTestFailed, match="Notebook errors:\n  cell 5: FileNotFoundError"):
        grade_directory(EXAMPLES_DIR, tmp_path / "out", isolate=True, timeout=20, cell_timeout=20, budget=300)
    assert not list((tmp_path / "out").rglob("*"))


def _check_command(python=sys.executable) -> list:
    return [python, "-m", "autograder", "check", str(SOLUTION)]


def _as_nobody() -> tuple:
    """Command, environment and folder for grading as nobody: Debian's python3 (readable by all), the
    kit's packages on PYTHONPATH, and a copy of the references that nobody may read."""
    tmp_path = Path(tempfile.mkdtemp(prefix="netvis-nobody-"))
    references = tmp_path / "references"
    shutil.copytree(config.REFERENCES_DIR, references)
    for path in [tmp_path, references, *references.iterdir()]:
        shutil.chown(path, "nobody")
    site_packages = next(p for p in sys.path if p.endswith("site-packages") and str(KIT_ROOT) in p)
    env = dict(os.environ, HOME=str(tmp_path), NETVIS_REFERENCES_DIR=str(references),
               NETVIS_DATA_DIR=str(KIT_ROOT / "datasets"),
               PYTHONPATH=os.pathsep.join([site_packages, str(KIT_ROOT / "assignment"), str(KIT_ROOT)]))
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] + _check_command("/usr/bin/python3"), env, tmp_path


def test_full_isolation_as_an_ordinary_user():
    """As root, the grader is run as nobody. As root, the other tests grade with full capabilities, and
    tests/test_adversarial.py without CAP_SYS_ADMIN and without any capability."""
    command, env, cwd = _as_nobody() if os.geteuid() == 0 else (_check_command(), os.environ, None)
    closed = [p for p in KIT_ROOT.parents if not p.stat().st_mode & 0o001]  # e.g. a clone in `mktemp -d`
    try:
        for folder in closed:  # nobody may pass through (not list) them while this test runs
            folder.chmod(folder.stat().st_mode | 0o001)
        done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd)
    finally:
        for folder in closed:
            folder.chmod(folder.stat().st_mode & ~0o001)
        if cwd is not None:
            shutil.rmtree(cwd, ignore_errors=True)
    assert done.returncode == 0 and FULL_MARKS_ISOLATED in done.stdout, done.stderr[-2000:]


def test_where_namespaces_are_forbidden_auto_falls_back_and_namespaces_refuses_with_the_cause():
    """Inside a user namespace whose limit on nested ones is 0 (as ``user.max_user_namespaces=0``):
    asked for namespaces, the grader refuses and names the sysctl; left to choose, it grades in the
    next mode that works there (its root maps no other uid, so Landlock)."""
    forbid = ["unshare", "--user", "--map-root-user", "sh", "-c",
              'echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"', "forbid"]
    refused, fallback = [subprocess.Popen(forbid + _check_command() + flags, stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, text=True, cwd=KIT_ROOT)
                         for flags in (["--isolation", "namespaces"], [])]
    stdout, stderr = refused.communicate(timeout=600)
    assert refused.returncode == 3 and "total" not in stdout
    assert "user.max_user_namespaces" in stderr and "--no-isolation" not in stderr, stderr[-2000:]
    stdout, stderr = fallback.communicate(timeout=600)
    assert fallback.returncode == 0 and "total 38 / 38 (isolation: landlock)" in stdout, stderr[-2000:]

