"""A call's time limit counts the worker's own seconds: load does not change a grade."""
import multiprocessing
import os
import time

import pytest

from autograder import config
from autograder.notebook import CodeCell, Checkpoint, Program
from autograder.sandbox import SandboxStudent
from autograder.worker_clock import STRETCH, WorkerClock, child_pid
from netvis.checks.student import CallFault

SPIN = '''
import time

def spin(cpu_seconds):
    """Busy for ``cpu_seconds`` of this process's CPU time; returns the wall-clock seconds it took."""
    started, cpu = time.monotonic(), time.process_time()
    while time.process_time() - cpu < cpu_seconds:
        pass
    return time.monotonic() - started

def nap(seconds):
    time.sleep(seconds)
'''


def _spin_forever(own_session: bool = False):
    if own_session:  # where the kernel groups processes by session (autogroup), a session is what shares
        os.setsid()
    while True:
        pass


def _spinners(count: int, own_sessions: bool = False) -> list:
    processes = [multiprocessing.Process(target=_spin_forever, args=(own_sessions,), daemon=True)
                 for _ in range(count)]
    for process in processes:
        process.start()
    return processes


def test_waiting_for_a_cpu_is_not_charged_but_sleeping_is():
    spinners = _spinners(2)
    try:
        mine = multiprocessing.Process(target=_spin_forever, daemon=True)
        mine.start()
        for pid in [mine.pid] + [p.pid for p in spinners]:
            os.sched_setaffinity(pid, {min(os.sched_getaffinity(0))})  # three busy processes, one CPU
        clock = WorkerClock(mine.pid)
        time.sleep(1.5)
        assert clock.own() < 0.7 * clock.wall(), (clock.own(), clock.wall())  # about a third
        mine.kill()
    finally:
        for process in spinners:
            process.kill()
    sleeper = multiprocessing.Process(target=time.sleep, args=(5,), daemon=True)
    sleeper.start()
    clock = WorkerClock(sleeper.pid)
    time.sleep(1.0)
    assert clock.own() > 0.9 * clock.wall()
    sleeper.kill()


def test_a_process_that_cannot_be_found_is_timed_by_the_wall_clock():
    clock = WorkerClock(None)
    time.sleep(0.2)
    assert clock.own() == pytest.approx(clock.wall(), abs=0.01)
    assert clock.remaining(own_deadline=10, wall_deadline=0.1) < 0  # whichever deadline comes first


def test_only_a_child_of_the_given_parent_is_found():
    child = multiprocessing.Process(target=time.sleep, args=(5,), daemon=True)
    child.start()
    try:
        assert child_pid(os.getpid(), child.pid) == child.pid  # no PID namespace: the same pid
        assert child_pid(os.getppid(), child.pid) is None
        assert child_pid(os.getpid(), "1") is None
    finally:
        child.kill()


def _student(monkeypatch, limit: float) -> SandboxStudent:
    monkeypatch.setattr(config, "TINY_CALL_TIMEOUT_S", limit)  # calls without a model get this limit
    student = SandboxStudent(Program([CodeCell(1, SPIN), Checkpoint(("spin",))]), timeout=limit)
    student.start_check("spin")
    return student


@pytest.mark.slow
def test_a_call_slowed_by_load_keeps_its_grade_and_a_sleeping_one_still_ends(monkeypatch):
    """1.5 s of work under a 3 s limit, on a machine with two busy processes per CPU: about 4.5 s of
    wall-clock time, yet within the limit. A call that sleeps past it still ends at the limit."""
    student = _student(monkeypatch, 3.0)
    try:
        student.call("spin", 0.1)  # the sandbox is up
        spinners = _spinners(2 * len(os.sched_getaffinity(0)), own_sessions=True)  # the sandbox has its own
        try:
            took = student.call("spin", 1.5).value
        finally:
            for process in spinners:
                process.kill()
        assert took > 3.0, f"the machine was not loaded enough to show anything ({took:.1f} s)"
    finally:
        student.close()
    student = _student(monkeypatch, 2.0)
    try:
        started = time.monotonic()
        with pytest.raises(CallFault, match="did not finish in time .* 2 s of its own time"):
            student.call("nap", 30)
        assert time.monotonic() - started < 2.0 * STRETCH
    finally:
        student.close()
