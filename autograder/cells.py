"""Running notebook cells the way a kernel runs them, in whatever process holds the namespace.

The sandboxed child and the in-process grader share this: a fresh ``__main__`` namespace with
``get_ipython()`` and ``display``, each cell compiled and executed in turn, an error in one cell
recorded against it (the next cell still runs), and matplotlib figures closed after each cell.
"""
import builtins
import contextlib
import signal
import sys

from netvis.checks.student import format_exception

from .worker_clock import STRETCH, WorkerClock

GRADING_ENVIRONMENT = {"NBGRADER_EXECUTION": "autograde"}
"""What nbgrader sets while it grades; the setup cell's ``GRADING`` flag reads it (short demos)."""


class CellTimeout(BaseException):
    """A cell ran past its time budget (raised inside it by an alarm)."""


class NotebookShell:
    """What ``get_ipython()`` returns while a submission runs.

    Magics that time or capture code (``%time``, ``%%timeit``, ``%%capture``...) run the code
    once; every other magic does nothing, and shell commands (``!pip``, ``%%bash``) never run.
    """

    RUNS_CODE = {"time", "timeit", "capture", "prun"}

    def __init__(self, namespace: dict):
        self.user_ns = namespace
        self.label = "<notebook cell>"

    def _run(self, code: str) -> None:
        exec(compile(code, self.label, "exec"), self.user_ns)

    def run_line_magic(self, name: str, line: str, _stack_depth=None):
        if name in self.RUNS_CODE:
            self._run(line)

    def run_cell_magic(self, name: str, line: str, cell: str):
        if name in self.RUNS_CODE:
            self._run(cell)

    def system(self, command: str) -> None:
        """Shell commands never run while grading."""

    def getoutput(self, command: str, split: bool = True) -> list:
        return []


def _display(*objects, **kwargs) -> None:
    """IPython's display() outside a kernel: nothing is rendered while grading."""


def new_namespace() -> dict:
    """A kernel's fresh user namespace: ``__main__``, ``get_ipython`` and ``display``."""
    namespace = {"__name__": "__main__", "__builtins__": builtins, "display": _display}
    shell = NotebookShell(namespace)
    namespace["get_ipython"] = lambda: shell
    return namespace


@contextlib.contextmanager
def _alarm(seconds):
    """Raise CellTimeout in this (main) thread after ``seconds`` of this process's own time
    (``worker_clock``: waiting for a CPU is not charged); None for no limit."""
    if not seconds:
        yield
        return
    clock = WorkerClock("self")

    def expire(signum, frame):
        left = clock.remaining(seconds, seconds * STRETCH)
        if left > 0.01:  # it waited for a CPU: look again when its own time may be up
            signal.setitimer(signal.ITIMER_REAL, left)
            return
        raise CellTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_cell(cell, namespace: dict, timeout=None):
    """Execute ``cell`` (a notebook.CodeCell) in ``namespace``; return its error as text, or None.

    ``timeout`` (seconds, main thread only) interrupts a cell that runs too long.
    """
    namespace["get_ipython"]().label = cell.label
    try:
        code = compile(cell.source, cell.label, "exec")
    except (SyntaxError, ValueError) as err:
        return f"{type(err).__name__}: {err}"
    try:
        with _alarm(timeout):
            exec(code, namespace)
    except CellTimeout:
        return f"The cell did not finish within {timeout:g} s and was stopped."
    except (Exception, SystemExit, KeyboardInterrupt) as err:
        return format_exception(err)
    finally:
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is not None:
            pyplot.close("all")
    return None
