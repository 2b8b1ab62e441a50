"""Cells run as a kernel runs them: errors stay with their cell, magics behave, shells never run."""
import multiprocessing
import os
import time

import pytest

from autograder.cells import new_namespace, run_cell
from autograder.notebook import CodeCell, to_python


def _run(namespace, source, number=1, timeout=None):
    return run_cell(CodeCell(number, to_python(source)), namespace, timeout)


def test_an_error_stays_with_its_cell_and_the_next_cell_runs():
    namespace = new_namespace()
    error = _run(namespace, "a = 1\nundefined_name\nb = 2", number=7)
    assert "NameError" in error and '<notebook cell 7>", line 2' in error
    assert _run(namespace, "c = a + 1") is None
    assert namespace["c"] == 2 and "b" not in namespace


def test_syntax_errors_and_exits_are_the_cells_errors():
    namespace = new_namespace()
    assert _run(namespace, "def f(:\n    pass").startswith("SyntaxError")
    assert "SystemExit" in _run(namespace, "import sys\nsys.exit(3)")


def test_timing_magics_run_their_code_and_shell_commands_never_run(tmp_path):
    namespace = new_namespace()
    marker = tmp_path / "ran"
    assert _run(namespace, f"%time x = 40\n!touch {marker}\nfiles = !ls\n%matplotlib inline\nx?") is None
    assert _run(namespace, "%%time\ny = x + 2") is None
    assert namespace["y"] == 42 and namespace["files"] == [] and not marker.exists()


def test_a_slow_cell_is_stopped_at_its_budget():
    namespace = new_namespace()
    error = _run(namespace, "while True:\n    pass", timeout=0.2)
    assert error == "The cell did not finish within 0.2 s and was stopped."
    assert _run(namespace, "z = 1") is None


def _spin_on(cpu: int):
    os.sched_setaffinity(0, {cpu})
    while True:
        pass


def test_a_cell_that_waits_for_a_cpu_is_not_charged_for_the_wait_but_a_sleeping_one_is():
    """1 s of work under a 2 s budget, sharing one CPU with two busy processes (about 3 s of
    wall-clock time): it runs to its end. A cell that sleeps is stopped at its budget."""
    namespace, mine = new_namespace(), os.sched_getaffinity(0)
    cpu = min(mine)
    spinners = [multiprocessing.Process(target=_spin_on, args=(cpu,), daemon=True) for _ in range(2)]
    for process in spinners:
        process.start()
    os.sched_setaffinity(0, {cpu})
    try:
        started = time.monotonic()
        assert _run(namespace, "import time\nc = time.process_time()\nwhile time.process_time() - c < 1:\n"
                               "    pass", timeout=2.0) is None
        assert time.monotonic() - started > 2.0, "the CPU was not shared: this shows nothing"
    finally:
        os.sched_setaffinity(0, mine)
        for process in spinners:
            process.kill()
    started = time.monotonic()
    assert _run(namespace, "time.sleep(5)", timeout=0.5) == "The cell did not finish within 0.5 s and was stopped."
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize("source", ["display(1)", "get_ipython().user_ns['w'] = 5", "__name__ == '__main__'"])
def test_the_kernels_names_are_there(source):
    assert _run(new_namespace(), source) is None
