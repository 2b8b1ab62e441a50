"""Time limits that load does not stretch: a worker's own time.

A check's calls are held to a limit in *the worker's own seconds*: wall-clock time less the time
the worker spent ready to run but waiting for a CPU (the second field of Linux's
``/proc/<pid>/schedstat``). On an idle machine the two are the same. On a loaded one (two Slurm
shards on 2 cores, two lanes of checks, a busy login node) the wall clock runs on while the worker
waits its turn, and a correct 100-iteration fooling loop could run past its limit: the same
notebook would earn less on a busier machine. A worker's own seconds do not grow with load, so
its grade does not depend on it.

Code that waits (``time.sleep``, a blocked read) is charged in full, as before: only waiting for a
CPU is not charged. Two bounds keep this from being a way around the limits:

- at most ``STRETCH`` times the limit of wall-clock time passes, whatever the waiting (a student's
  own busy threads make their worker wait; they cannot buy more than that);
- the submission's wall-clock budget (``config.SUBMISSION_TIMEOUT_S``) still bounds everything.

Where the kernel keeps no scheduler statistics, or the worker cannot be found, a worker's own time
is wall-clock time, the limits' former meaning.
"""
import os
import time
from typing import Optional, Union

from .framing import readable

STRETCH = 8.0
"""Wall-clock time a limit may take, in multiples of the limit, however long the worker waited."""


def _waited(pid: Union[int, str, None]) -> Optional[float]:
    """Seconds the process ``pid`` (its main thread; "self" for this process) has spent runnable and
    waiting for a CPU; None if unknown."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/schedstat") as stats:
            return int(stats.read().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return None


class WorkerClock:
    """A worker's own seconds since the clock was started (see the module docstring)."""

    def __init__(self, pid: Union[int, str, None]):
        self.pid = pid
        self.started = time.monotonic()
        self.waited_at_start = _waited(pid)

    def wall(self) -> float:
        """Wall-clock seconds since the start."""
        return time.monotonic() - self.started

    def own(self) -> float:
        """Seconds since the start, less those the worker spent waiting for a CPU."""
        now, waited = self.wall(), _waited(self.pid)
        if waited is None or self.waited_at_start is None:
            return now
        return max(now - max(waited - self.waited_at_start, 0.0), 0.0)

    def remaining(self, own_deadline: float, wall_deadline: float) -> float:
        """Seconds to wait (wall-clock) before looking again: the worker's own time left before
        ``own_deadline``, no later than ``wall_deadline`` (both in seconds since the start); 0 or
        less once either has passed."""
        return min(own_deadline - self.own(), wall_deadline - self.wall())

    def until_readable(self, sock, own_deadline: float, wall_deadline: float) -> bool:
        """Wait until ``sock`` has something to read (True), or until ``own_deadline`` of the worker's
        own seconds or ``wall_deadline`` has passed (False); both in seconds since the start."""
        while True:
            wait = self.remaining(own_deadline, wall_deadline)
            if wait <= 0:
                return False
            if readable(sock, wait):
                return True


def child_pid(parent: Optional[int], inner_pid) -> Optional[int]:
    """The pid, as this process sees it, of ``parent``'s child whose pid inside its PID namespace is
    ``inner_pid`` (only ``parent``'s children qualify, whatever ``parent`` claims); None if none.
    Reads the parent's list of children where the kernel keeps one, else scans /proc."""
    if not isinstance(parent, int) or not isinstance(inner_pid, int):
        return None
    try:
        with open(f"/proc/{parent}/task/{parent}/children") as listing:
            candidates = listing.read().split()
    except OSError:
        candidates = os.listdir("/proc")
    for entry in candidates:
        try:
            with open(f"/proc/{entry}/status") as status:
                fields = dict(line.split(":", 1) for line in status if ":" in line)
            if int(fields["PPid"]) == parent and int(fields["NSpid"].split()[-1]) == inner_pid:
                return int(entry)
        except (OSError, KeyError, ValueError):
            continue
    return None
