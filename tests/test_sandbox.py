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
from netvis.config import KIT_ROOT

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


def test_a_loop_without_a_cap_is_told_why(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "TINY_CALL_TIMEOUT_S", 4.0)
    result = grade_notebook(write_notebook(read_variant(CORPUS_DIR / "faults" / "fooling_no_cap.py"), tmp_path), "s")
    message = next(c.message for c in result.checks if c.id == "make_fooling_image-within_budget")
    assert "the target was out of reach and your loop does not stop after 100 iterations" in message.lower()


def test_the_isolation_in_force_is_reported_from_inside():
    report = grade_notebook(SOLUTION, "solution").isolation
    assert report["mode"] == "namespaces" and report["pid"] == 1
    assert report["interfaces"] == ["lo"] and report["host_paths_visible"] == [] and not report["root_writable"]


def test_a_sandbox_that_fails_its_self_test_grades_nobody(tmp_path, monkeypatch):
    """Here the sandbox hides the data folder: the solution's own notebook cannot load the model."""
    binds = isolation.sandbox_binds
    monkeypatch.setattr(isolation, "sandbox_binds", lambda data_dir: binds(data_dir)[:-1])
    with pytest.raises(SelfTestFailed, match="Notebook errors:\n  cell 4: FileNotFoundError"):
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


SETTINGS = (["root", "root without CAP_SYS_ADMIN", "root without any capability", "an ordinary user"]
            if os.geteuid() == 0 else ["an ordinary user"])
"""The settings instructors grade in that this machine can recreate (as root: all of them)."""


@pytest.mark.parametrize("setting", SETTINGS)
def test_full_isolation_in_every_setting(setting, tmp_path):
    command, env = _check_command(), os.environ
    if setting == "root without CAP_SYS_ADMIN":
        command = ["setpriv", "--bounding-set=-sys_admin", "--inh-caps=-sys_admin"] + command
    elif setting == "root without any capability":
        command = ["setpriv", "--bounding-set=-all", "--inh-caps=-all"] + command
    elif setting == "an ordinary user" and os.geteuid() == 0:
        command, env, tmp_path = _as_nobody()
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path)
    finally:
        shutil.rmtree(tmp_path, ignore_errors=True)
    assert done.returncode == 0 and FULL_MARKS_ISOLATED in done.stdout, done.stderr[-2000:]


def test_refuses_where_namespaces_are_forbidden_unless_told_not_to_isolate():
    """Inside a user namespace whose limit on nested ones is 0, as a seccomp profile would forbid them."""
    forbid = ["unshare", "--user", "--map-root-user", "sh", "-c",
              'echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"', "forbid"]
    refused = subprocess.run(forbid + _check_command(), capture_output=True, text=True, cwd=KIT_ROOT)
    assert refused.returncode == 3 and "total" not in refused.stdout
    assert "seccomp=unconfined" in refused.stderr and "--no-isolation" in refused.stderr
    unisolated = subprocess.run(forbid + _check_command() + ["--no-isolation"], capture_output=True, text=True,
                                cwd=KIT_ROOT)
    assert unisolated.returncode == 0 and "total 38 / 38 (isolation: none)" in unisolated.stdout
