"""The fork server: every check of the assignment, the feedback pictures included, gets its worker
in one sandbox, and a request it cannot carry whole is refused, never served in part."""
import os
import subprocess
import sys

import pytest

from autograder.dev.variants import EXAMPLES_DIR
from autograder.forkserver import HUGE_PAGES, MAX_FDS, ForkServer
from autograder.grading import grade_notebook
from autograder.sandbox import FIGURES, SandboxRun, SandboxUnavailable, plan_for
from autograder.notebook import read_program
from netvis.checks import CHECKS

SOLUTION = EXAMPLES_DIR / "solution" / "NetworkVisualization.ipynb"


def test_a_run_with_every_check_and_the_pictures_fits_in_one_message():
    # the sandbox's descriptors: main socket, control pipe, init's output, then a socket and a pipe per worker
    assert 3 + 2 * (len(CHECKS) + 1) <= MAX_FDS


def test_too_many_descriptors_are_refused_before_anything_is_sent():
    server = ForkServer.get()
    fds = [os.open(os.devnull, os.O_RDONLY) for _ in range(MAX_FDS + 1)]
    try:
        with pytest.raises(ValueError, match="too many checks"):
            server.spawn(fds)
    finally:
        for fd in fds:
            os.close(fd)


def test_a_run_that_cannot_be_spawned_is_the_graders_problem_not_the_students(monkeypatch):
    monkeypatch.setattr("autograder.forkserver.MAX_FDS", 10)
    program = read_program(SOLUTION)
    plan = plan_for(program, isolate=False, cell_timeout=30)
    with pytest.raises(SandboxUnavailable, match="could not start a sandbox"):
        SandboxRun(plan, [c.id for c in CHECKS])


def test_the_feedback_pictures_come_from_the_first_run(monkeypatch):
    """Regression: with Part 5's checks the pictures' worker was the 65th descriptor, lost on the way;
    the run died at the last checkpoint and started again until the submission's budget ran out."""
    runs = []
    original = SandboxRun.__init__
    monkeypatch.setattr(SandboxRun, "__init__", lambda self, *a, **k: (runs.append(1), original(self, *a, **k))[1])
    result = grade_notebook(SOLUTION, "solution", figures=True, budget=300)
    assert result.score == result.max_score
    assert len(runs) == 1, f"{len(runs)} runs for one notebook"
    assert set(result.figures) >= {"compute_saliency_maps", "make_fooling_image"}


def test_the_server_asks_glibc_for_huge_pages_and_keeps_its_own_environment():
    server = ForkServer.get()
    environ = dict(item.split("=", 1) for item in
                   open(f"/proc/{server.proc.pid}/environ").read().split("\0") if "=" in item)
    assert environ["GLIBC_TUNABLES"] == HUGE_PAGES == "glibc.malloc.hugetlb=1"
    assert environ["OMP_NUM_THREADS"] == "1" and "NETVIS_DATA_MIRROR" not in environ


def test_settling_into_huge_pages_keeps_the_memory_and_backs_it_with_huge_pages():
    """The fork server's anonymous memory moves into transparent huge pages (cheaper forks), where
    the kernel offers them on request; its contents are the same afterwards."""
    script = """
import hashlib
from autograder.forkserver import _settle_into_huge_pages
def huge_kb():
    return next(int(line.split()[1]) for line in open("/proc/self/smaps_rollup") if line.startswith("AnonHugePages:"))
data = bytearray(b"\\x5a" * (64 << 20))
data[::4096] = bytes(range(256)) * (len(data[::4096]) // 256)
digest, before = hashlib.sha256(data).hexdigest(), huge_kb()
_settle_into_huge_pages()
print(before, huge_kb(), digest == hashlib.sha256(data).hexdigest())
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                          env=dict(os.environ, GLIBC_TUNABLES=""))
    before, after, same = done.stdout.split()
    assert same == "True"
    thp = open("/sys/kernel/mm/transparent_hugepage/enabled").read()
    if "[never]" not in thp and tuple(map(int, os.uname().release.split(".")[:2])) >= (6, 1):
        assert int(after) >= int(before) + (48 << 10), (before, after)  # most of the 64 MB
    else:
        assert int(after) >= int(before)
