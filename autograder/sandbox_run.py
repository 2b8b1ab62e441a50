"""One execution of a submitted notebook in a fresh sandbox, seen from the grader.

A ``SandboxRun`` asks the fork server for a keeper (``sandbox_child``), sends it the plan, reads
the init's events (setup, cells, checkpoints) in a thread of its own, collects every process's
output (``_OutputCollector``), and hands each check's worker socket to the lane that asks
(a duplicate: only that lane reads and closes it). ``kill`` ends the whole run; ``end_worker``
one worker. ``sandbox.SandboxStudent`` decides when to start, reuse or retire runs.
"""
import os
import selectors
import signal
import socket
import threading
import time
from typing import Optional

from . import config, wire
from .framing import readable
from .forkserver import ForkServer
from .worker_clock import STRETCH, WorkerClock, child_pid

CELL_GRACE_S = 10.0
"""How long past its budget the grader waits for a cell before it kills the run."""
INIT = "the notebook"
"""The output source of the init, which runs the notebook's cells."""


class SandboxUnavailable(RuntimeError):
    """The sandbox could not be set up here; nothing about the submission. The message says why."""


class Interrupted(Exception):
    """The run was lost to something other than the check in progress; run the check again."""


class _OutputCollector(threading.Thread):
    """Reads the output pipes of a run's processes (the init's and each worker's), keeps the first
    MAX_OUTPUT_BYTES in all, and reports the first process that floods."""

    FLOOD_BYTES = 16 * config.MAX_OUTPUT_BYTES
    DRAIN_S = 1.0
    """After ``drain``: how long the collector may go on reading output that keeps coming."""

    def __init__(self, pipes: dict, on_flood):
        super().__init__(daemon=True)
        self.pipes, self.on_flood, self.kept = pipes, on_flood, bytearray()
        self.totals = dict.fromkeys(pipes, 0)
        self.draining = None

    def drain(self) -> None:
        """Read what the pipes hold now, then stop: the run has been killed, and its processes
        need not have ended (their teardown goes on without the grader waiting for it)."""
        self.draining = time.monotonic() + self.DRAIN_S

    def run(self) -> None:
        with selectors.DefaultSelector() as selector:
            for source, fd in self.pipes.items():
                selector.register(fd, selectors.EVENT_READ, source)
            while selector.get_map():
                draining = self.draining is not None
                ready = selector.select(0.01 if draining else 0.05)
                if draining and (not ready or time.monotonic() > self.draining):
                    return self._close(selector)
                for key, _ in ready:
                    chunk = os.read(key.fd, 65536)
                    if not chunk:
                        selector.unregister(key.fd)
                        os.close(key.fd)
                        continue
                    self.totals[key.data] += len(chunk)
                    room = config.MAX_OUTPUT_BYTES - len(self.kept)
                    if room > 0:
                        self.kept += chunk[:room]
                    if self.totals[key.data] > self.FLOOD_BYTES:
                        self.on_flood(key.data)
                        return self._close(selector)

    @staticmethod
    def _close(selector) -> None:
        for fd in list(selector.get_map()):
            selector.unregister(fd)
            os.close(fd)


class SandboxRun:
    """One execution of the notebook in a fresh sandbox, with a worker per check."""

    workers: dict

    def __init__(self, plan: dict, checks: list):
        self.plan, self.checks, self.workers = plan, checks, {}
        self.cell_errors, self.timed_out, self.available = {}, set(), set()
        self.isolation = self.failure = self.lost = self.running_cell = self.flooded = self.init_pid = None
        self.blamed = None
        """The check whose call ended the run (``kill``), if one did."""
        self.worker_pids = {}
        """check id -> the worker's pid inside the run's PID namespace (as the init reports it)."""
        self.cell_started, self.cell_seconds = None, {}
        """When the running cell started (monotonic), and each finished cell's seconds in this run."""
        self.notebook_done = False
        self.changed = threading.Condition()
        self.main, theirs = socket.socketpair()
        control_read, self.control = os.pipe()
        pipes, theirs_fds = {}, [theirs.fileno(), control_read]
        for source in [INIT] + list(checks):
            read_end, write_end = os.pipe()
            pipes[source] = read_end
            if source != INIT:
                mine, worker_end = socket.socketpair()
                self.workers[source] = mine
                theirs_fds.append(worker_end.detach())
            theirs_fds.append(write_end)
        self.swept, swept_write = os.pipe()
        """Read end of a pipe that only the keeper holds open: its EOF says the run left nothing."""
        theirs_fds.insert(3, swept_write)
        try:
            self.keeper = ForkServer.get().spawn(theirs_fds)
        except (OSError, ValueError) as err:
            for fd in [*pipes.values(), self.swept]:
                os.close(fd)
            raise SandboxUnavailable(f"the fork server could not start a sandbox: {err}") from err
        finally:
            theirs.close()
            for fd in theirs_fds[1:]:
                os.close(fd)
        self.output = _OutputCollector(pipes, self._flood)
        self.output.start()
        wire.send(self.main, wire.encode(dict(plan, worker_checks=list(checks))))
        self.reader = threading.Thread(target=self._read_events, daemon=True)
        self.reader.start()

    def _flood(self, source) -> None:
        self.flooded = source
        self.kill("output")

    # -- the init's reports
    def _read_events(self) -> None:
        clock = None  # while a cell runs: the init's own seconds since it started (worker_clock)
        limit = self.plan["cell_timeout"] + CELL_GRACE_S
        try:
            while True:
                try:
                    if clock is not None and not clock.until_readable(self.main, limit, limit * STRETCH):
                        raise socket.timeout  # the cell ran past its budget of the init's own time
                    self.main.settimeout(None if clock is None else max(limit * STRETCH - clock.wall(), 0.01))
                    event = wire.decode(wire.receive(self.main, config.MAX_MESSAGE_BYTES))
                except socket.timeout:  # past its budget, or a message begun and never finished
                    self.timed_out.add(self.running_cell)
                    self.kill("cell")
                    return
                clock = self._handle(event)
        except (EOFError, OSError, wire.WireError):
            if self.lost is None and self.running_cell is not None:
                self.lost = "cell"  # the cell ended (or garbled) the init's process
        finally:
            with self.changed:
                self.lost = self.lost or "ended"
                self.changed.notify_all()

    def _handle(self, event: dict) -> Optional[WorkerClock]:
        """Record one event; return the clock of the cell it starts (None: no cell running)."""
        kind = event.get("event") if isinstance(event, dict) else None
        with self.changed:
            if kind in ("started", "failed", "isolated") and self.isolation is not None:
                raise wire.WireError("a setup report after the submission's code started")
            if kind == "started":
                self.init_pid = event.get("pid")
            elif kind == "failed":
                self.failure = f"{event.get('step')}: {event.get('error')}"
            elif kind == "isolated":
                self.isolation = event.get("report")
            elif kind == "cell":
                self.running_cell = int(event["number"])
                self.cell_started = time.monotonic()
                self.changed.notify_all()
                return WorkerClock(self.init_pid)
            elif kind == "cell done":
                if self.cell_started is not None:
                    self.cell_seconds[str(event.get("number"))] = time.monotonic() - self.cell_started
                    self.cell_started = None
                if event.get("error"):
                    self.cell_errors[int(event["number"])] = str(event["error"])
                if str(event.get("error", "")).startswith("The cell did not finish within"):
                    self.timed_out.add(int(event["number"]))
                self.running_cell = None
            elif kind == "checkpoint":
                self.available.update(str(c) for c in event.get("checks", []))
                self.worker_pids.update(event.get("pids", {}))
            elif kind == "done":
                self.notebook_done = True
            self.changed.notify_all()
        return None

    def wait_for_setup(self, deadline: float) -> dict:
        """The isolation report, once the init has locked itself down; SandboxUnavailable if it could not."""
        with self.changed:
            self.changed.wait_for(lambda: self.isolation or self.failure or self.lost,
                                  timeout=max(deadline - time.monotonic(), 0))
        if self.isolation is None:
            self.kill("setup")
            raise SandboxUnavailable(self.failure or "the sandbox did not start (its process ended or hung "
                                     "before reporting); see the grader's log")
        return self.isolation

    def worker(self, check_id: str, deadline: float) -> Optional[socket.socket]:
        """A socket of its own (a duplicate) on ``check_id``'s worker, once the notebook has reached
        its checkpoint; None if the run ended first or the deadline passed.

        Only the lane that asked uses and closes it: ``kill`` in another thread shuts the worker's
        socket down (which wakes this one's reads) and closes its own copy, so a descriptor number
        closed under a thread blocked on it, and reused at once by a new run, never happens."""
        with self.changed:
            self.changed.wait_for(lambda: check_id in self.available or self.lost,
                                  timeout=max(deadline - time.monotonic(), 0))
            if check_id not in self.available or self.lost:
                return None
            return self.workers[check_id].dup()  # under the lock that kill() closes them under

    # -- ending
    def kill(self, reason: str, blamed: Optional[str] = None) -> None:
        """End the run (the keeper kills the init, and the PID namespace with it); ``blamed``: the
        check whose call ended it (its next calls fail; other lanes' checks run again)."""
        with self.changed:
            if self.lost is None or self.lost == "ended":
                self.lost, self.blamed = reason, blamed
            self.changed.notify_all()
            control, self.control = self.control, None  # close it once: its number may be reused at once
            if control is not None:
                os.close(control)
            for sock in (self.main, *self.workers.values()):
                try:
                    sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked on it or on a duplicate
                except OSError:
                    pass
                if sock is not self.main:  # the reader thread reads main: _retire closes it after the reader ends
                    sock.close()

    def worker_pid(self, check_id: str) -> Optional[int]:
        """``check_id``'s worker's pid as this process sees it (only the init's children qualify,
        whatever the init claims); None if it cannot be found."""
        return child_pid(self.init_pid, self.worker_pids.get(check_id))

    def end_worker(self, check_id: str, sock: socket.socket) -> None:
        """End one check's worker and its process group, the other workers going on (the whole run
        ends where the worker cannot be found, or does not end within a second); ``sock``: the
        lane's socket on it."""
        pid = self.worker_pid(check_id)
        if pid is not None and self.lost is None:
            try:
                os.killpg(pid, signal.SIGKILL)
                sock.settimeout(1.0)
                while sock.recv(65536):  # the worker's last words, if any, then its end
                    pass
                return
            except (OSError, socket.timeout):
                pass
        self.kill("call", blamed=check_id)

    def wait_swept(self, timeout: float) -> bool:
        """Wait (up to ``timeout`` s) for the keeper to end, having killed every process of the run
        and removed its folder; whether it did. Closes the pipe either way."""
        fd, self.swept = self.swept, None
        if fd is None:
            return True
        try:
            ended = time.monotonic() + timeout
            while True:
                if not readable(fd, max(ended - time.monotonic(), 0)):
                    return False
                if not os.read(fd, 4096):
                    return True
        finally:
            os.close(fd)

    def printed(self) -> bytes:
        return bytes(self.output.kept)
