"""Atomic writes, and cleaning up only the leftovers of writers that died on this host."""
import os
import socket
import subprocess
import sys

import pytest

from autograder.files import atomic_write, atomic_write_text, remove_stale_temporaries


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "results.json"
    atomic_write_text(target, "old")

    def broken(f):
        f.write(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(target, broken)
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["results.json"]


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_only_dead_writers_leftovers_on_this_host_are_removed(tmp_path):
    host = socket.gethostname().replace(".", "-")
    (tmp_path / "alice").mkdir()
    dead = tmp_path / "alice" / f".results.json.{host}.{_dead_pid()}.abcd1234.tmp"
    alive = tmp_path / "alice" / f".results.json.{host}.{os.getpid()}.abcd1234.tmp"
    elsewhere = tmp_path / f".grades.csv.other-host.{_dead_pid()}.abcd1234.tmp"
    for path in (dead, alive, elsewhere):
        path.write_text("partial")
    assert remove_stale_temporaries(tmp_path) == [dead]
    assert alive.exists() and elsewhere.exists() and not dead.exists()
