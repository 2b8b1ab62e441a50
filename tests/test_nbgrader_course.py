"""The nbgrader course (autograder/nbgrader_course.py): the exchange cycle as a JupyterHub course runs it.

The instructor generates and releases; students fetch (the helpers come with the notebook), work
in a Python that has the packages but not the kit, and submit; the instructor collects,
autogrades with the instructor's own helpers, and releases feedback that students fetch.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.config import ASSIGNMENT_ID, KIT_ROOT, NOTEBOOK_NAME
from autograder.dev.variants import read_variant, write_notebook
from autograder.handout import helper_files
from autograder.nbgrader_course import make_course, sync_helpers

STYLE = KIT_ROOT / "tests" / "corpus" / "styles" / "redefinitions_and_magics.py"
TAMPERED_RUN_CHECK = '''

def run_check(check_id, namespace, cases=None):  # a student's edit: every test cell prints ok
    print(f"{check_id}: ok, trust me")
'''


def test_course_source_carries_the_helpers_as_copies_kept_in_step(tmp_path):
    course = make_course(tmp_path / "course")
    written = sync_helpers(course)
    assert "netvis/checks/__init__.py" in written and "get_datasets.sh" in written
    source = course / "source" / ASSIGNMENT_ID
    for path, name in helper_files():
        assert (source / name).read_bytes() == path.read_bytes() and not (source / name).is_symlink()
    (source / "netvis" / "checks" / "__init__.py").write_text("edited")
    (source / "netvis" / "old_module.py").write_text("")
    assert sync_helpers(course) == ["netvis/checks/__init__.py"]
    assert not (source / "netvis" / "old_module.py").exists()


AS_HUB_USER = ("import sys, nbgrader.utils; nbgrader.utils.get_osusername = lambda: 'jovyan'; "
               "from nbgrader.apps.nbgraderapp import main; sys.argv[0] = 'nbgrader'; main()")
"""nbgrader names a student after the OS user, except that the user ``jovyan`` (a hub's single-user
container) is named by ``JUPYTERHUB_USER``: students here are such containers, one per name."""


def _nbgrader(*args, cwd: Path, exchange: Path, user: str = "") -> str:
    """One nbgrader command, with the kit's Python but no venv on PATH (as the README runs it): the
    instructor's, or with ``user`` a student's on a hub."""
    env = dict(os.environ, PATH="/usr/bin:/bin", JUPYTERHUB_USER=user)
    if user:
        env["HOME"] = str(cwd)  # each student's own home, where nbgrader caches what they submitted
    start = ["-c", AS_HUB_USER] if user else ["-m", "nbgrader"]
    result = subprocess.run([sys.executable, *start, *args, f"--Exchange.root={exchange}"], cwd=cwd,
                            env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "not recognized" not in result.stderr, result.stderr[-2000:]
    return result.stdout + result.stderr


@pytest.mark.slow
def test_exchange_cycle_grades_with_the_instructors_helpers(tmp_path, student_python):
    exchange, course = tmp_path / "exchange", make_course(tmp_path / "course")
    exchange.mkdir(mode=0o777)
    for command in ("generate_assignment", "release_assignment"):
        _nbgrader(command, ASSIGNMENT_ID, cwd=course, exchange=exchange)

    homes = {}
    for student in ("alice", "mallory"):
        homes[student] = tmp_path / "home" / student
        homes[student].mkdir(parents=True)
        _nbgrader("fetch_assignment", ASSIGNMENT_ID, "--course", "netvis", cwd=homes[student], exchange=exchange,
                  user=student)
    fetched = homes["alice"] / ASSIGNMENT_ID
    assert (fetched / "netvis" / "checks" / "__init__.py").is_file() and (fetched / "get_datasets.sh").is_file()

    # The fetched notebook runs in a Python without the kit, on the hub's one copy of the data.
    hub = {"NETVIS_DATA_DIR": str(KIT_ROOT / "datasets"), "PYTHONPATH": ""}
    blank = subprocess.run([str(student_python), "-m", "netvis", "check"], cwd=fetched, capture_output=True, text=True,
                           env=dict(os.environ, **hub), timeout=900)
    assert "Public points: 0/38" in blank.stdout, blank.stdout[-3000:] + blank.stderr[-3000:]
    assert "NotImplementedError" in blank.stdout and "ModuleNotFoundError" not in blank.stdout

    # Alice writes a correct notebook cell by cell; Mallory makes her copy of the checks print ok
    # everywhere and submits the blank notebook.
    (fetched / NOTEBOOK_NAME).write_bytes(write_notebook(read_variant(STYLE), tmp_path / "alice").read_bytes())
    tampered = homes["mallory"] / ASSIGNMENT_ID / "netvis" / "checks" / "__init__.py"
    tampered.write_text(tampered.read_text() + TAMPERED_RUN_CHECK)
    for student, home in homes.items():
        _nbgrader("submit", ASSIGNMENT_ID, "--course", "netvis", cwd=home, exchange=exchange, user=student)

    _nbgrader("collect", ASSIGNMENT_ID, cwd=course, exchange=exchange)
    _nbgrader("autograde", ASSIGNMENT_ID, "--force", cwd=course, exchange=exchange)
    graded_helpers = course / "autograded" / "mallory" / ASSIGNMENT_ID / "netvis" / "checks" / "__init__.py"
    assert graded_helpers.read_bytes() == (KIT_ROOT / "assignment" / "netvis" / "checks" / "__init__.py").read_bytes()

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = {s: gradebook.find_submission(ASSIGNMENT_ID, s).code_score for s in homes}
    assert scores == {"alice": 48, "mallory": 0}  # nbgrader sums every grade cell: 38 + Part 5's 10 extra credit

    for command in ("generate_feedback", "release_feedback"):
        _nbgrader(command, ASSIGNMENT_ID, cwd=course, exchange=exchange)
    _nbgrader("fetch_feedback", ASSIGNMENT_ID, "--course", "netvis", cwd=homes["alice"], exchange=exchange,
              user="alice")
    feedback = list((fetched / "feedback").rglob("NetworkVisualization.html"))
    assert len(feedback) == 1, feedback  # hers alone
    # nbgrader has no extra-credit cells: its maximum is 38 + 6 by hand + Part 5's 10 + 4 by hand; the inline
    # questions wait for the instructor
    assert "Score: 48.0 / 58.0" in feedback[0].read_text()
