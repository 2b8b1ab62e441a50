"""Cells run as a kernel runs them: errors stay with their cell, magics behave, shells never run."""
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


@pytest.mark.parametrize("source", ["display(1)", "get_ipython().user_ns['w'] = 5", "__name__ == '__main__'"])
def test_the_kernels_names_are_there(source):
    assert _run(new_namespace(), source) is None
