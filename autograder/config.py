"""The autograder's settings, in one place."""
import os
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parents[1]
"""The kit's top folder (the autograder never finds it through ``netvis``, whose copy may sit elsewhere,
as in nbgrader's ``autograded/<student>/`` folders)."""

SOLUTION_NOTEBOOK = KIT_ROOT / "solutions" / "NetworkVisualization.ipynb"
RELEASE_NOTEBOOK = KIT_ROOT / "assignment" / "NetworkVisualization.ipynb"
NOTEBOOK_NAME = "NetworkVisualization.ipynb"
COURSE_DIR = KIT_ROOT / "autograder" / "course"
ASSIGNMENT_ID = "netvis"

REFERENCES_DIR = Path(os.environ.get("NETVIS_REFERENCES_DIR") or KIT_ROOT / "build" / "references")
GRADER_ONLY_PATHS = []
"""Folders of the grader's that a sandbox must not read, besides the kit (the submissions and
output folders of a batch, Gradescope's results): each sandbox proves it cannot before it runs
anything, which without namespaces or Landlock means they must be unreadable to other users."""

REFERENCES_TARGET = "make references"
"""The command that regenerates the reference tensors; errors about them name it."""

# Limits on each submission's sandboxed child process (see autograder/sandbox.py).
CALL_TIMEOUT_S = float(os.environ.get("NETVIS_CALL_TIMEOUT_S", 60))
"""Limit on one check's calls of a student function, in the worker's own seconds: wall-clock time less
the time it waited for a CPU, so that load does not change a grade (``worker_clock``)."""
MEMORY_LIMIT_BYTES = 3 << 30
"""Address space the student's code may add on top of what torch has mapped at start."""
MAX_PROCESSES = 32
"""Processes and threads the sandbox user may run at once (fork bombs stop here)."""
MAX_OUTPUT_BYTES = 1 << 20
"""Printed output kept per submission; more than 16 times this kills the child."""
MAX_FILE_BYTES = 1 << 20
"""Largest file the student's code may write (into its empty, private directory)."""
MAX_MESSAGE_BYTES = 256 << 20
"""Largest result the child may send back."""
TINY_CALL_TIMEOUT_S = float(os.environ.get("NETVIS_TINY_CALL_TIMEOUT_S", 15))
"""Limit (the worker's own seconds) on one call whose models are all the checks' small TinyNets
(milliseconds of work)."""
CELL_TIMEOUT_S = float(os.environ.get("NETVIS_CELL_TIMEOUT_S", 30))
"""Budget of one notebook cell, in the init's own seconds (``worker_clock``; demos run with nbgrader's
short GRADING settings)."""
SUBMISSION_TIMEOUT_S = float(os.environ.get("NETVIS_SUBMISSION_TIMEOUT_S", 600))
"""Wall-clock budget of one submission: its notebook's runs and all its checks."""
CHECK_LANES = max(1, int(os.environ.get("NETVIS_CHECK_LANES", 2)))
"""Checks of one submission run side by side in this many threads, a lane (one student function's
checks) each, in the workers of one sandbox run; 1 grades one check at a time. Two lanes share the
cores, and a worker waiting for one is not charged for the wait (``worker_clock``), so the verdicts
are the same; 2 grades a submission faster on an idle machine (5.5 s against 8.0 s warm)."""
GRADER_TORCH_THREADS = 1
"""Threads of the grader's own torch work while it grades in sandboxes: the verdicts' small tensors
gain nothing from a second thread, whose OpenMP spinning takes a core from the sandboxes (on 2 cores
the grader's CPU time per submission halved, from 2.1 to 1.1 s)."""
FIGURES_TIMEOUT_S = float(os.environ.get("NETVIS_FIGURES_TIMEOUT_S", 20))
"""Limit (the worker's own seconds) on each call that draws the student's pictures for the feedback
page (no points)."""
