"""Running a submission in sandboxes: the grader's side.

``SandboxStudent`` is the ``Student`` the checks call. It runs the notebook (a
``notebook.Program``) in a ``SandboxRun``: a keeper forked by the fork server, which puts an
init in fresh namespaces (``sandbox_child``, ``isolation``); the init runs the cells and forks a
worker per check at the check's checkpoint. A call goes to that check's worker. A fault costs
only what it touches:

- a call that runs past its time limit fails its check, and its worker (with its process group)
  is ended; the other workers go on;
- a call that floods the output or sends garbage fails its check and ends the run;
- a worker that exits or crashes fails its own check; the run goes on;
- a cell that runs past its budget is stopped (the next cell runs); a cell that hangs on or ends
  the init's process is skipped in every later run; neither costs a check.

A call's limits count the worker's own seconds, which load does not stretch (``worker_clock``);
everything a submission gets is bounded by one wall-clock budget per submission.
"""
import itertools
import os
import socket
import threading
import time

import torch

from netvis.checks.student import Call, CallFault, CheckFailed, ModelReport
from netvis.checks.tiny import TinyNet

import netvis
from netvis.config import data_dir

from . import config, isolation, modes, scratch, wire
from .files import alive
from .notebook import CodeCell
from .sandbox_run import INIT, Interrupted, SandboxRun, SandboxUnavailable, _OutputCollector
from .worker_clock import STRETCH, WorkerClock

__all__ = ["FIGURES", "Interrupted", "SandboxRun", "SandboxStudent", "SandboxUnavailable", "plan_for",
           "verify_isolation"]

FIGURES = "figures"
"""The pseudo-check that draws the feedback pictures on the notebook's final namespace."""


class _Lane(threading.local):
    """One thread's check: its id, its run, its worker's socket and pid, and the worker's own seconds
    its calls have taken so far (``worker_clock``)."""

    check = socket = pid = run = None
    spent = 0.0


def plan_for(program, isolate, cell_timeout: float, final_extras=()) -> dict:
    """What a run's keeper and init need: the steps, the isolation mode and the limits.

    ``isolate``: an isolation mode (``modes.CHOICES``), True for "auto", False for "none";
    SandboxUnavailable where it cannot be had here."""
    try:
        mode = modes.choose(isolate)
    except modes.NoIsolation as err:
        raise SandboxUnavailable(str(err)) from None
    steps = [{"cell": s.number, "source": s.source} if isinstance(s, CodeCell) else {"checks": list(s.checks)}
             for s in program.steps]
    steps[-1]["checks"] += list(final_extras)
    data = data_dir()
    binds = isolation.sandbox_binds(data)
    workers = sum(len(s.get("checks", ())) for s in steps)
    grader_only = (config.KIT_ROOT / "README.md", config.KIT_ROOT / "autograder", config.SOLUTION_NOTEBOOK,
                   config.REFERENCES_DIR / "manifest.json", *config.GRADER_ONLY_PATHS)
    return {
        "mode": mode, "binds": binds, "root": isolation.prepare_root(binds) if mode == "namespaces" else None,
        "scratch": str(scratch.base()), "data": os.path.realpath(data),
        "read": modes.readable_paths(binds, os.path.dirname(netvis.__file__)),
        "steps": steps, "skip": [], "cell_timeout": cell_timeout,
        "limits": {"memory": config.MEMORY_LIMIT_BYTES, "file_size": config.MAX_FILE_BYTES,
                   "processes": config.MAX_PROCESSES + workers},
        "hidden_paths": [str(p) for p in grader_only],
    }


def verify_isolation(report: dict) -> None:
    """SandboxUnavailable unless the init saw what a sandbox of its mode must: no grader files, no
    network, nothing writable but its own folder; with namespaces, no process but its own; without,
    no way to signal the keeper outside it."""
    problems = []
    if report.get("host_paths_visible"):
        problems.append(f"the grader's files can be read inside: {', '.join(report['host_paths_visible'])}"
                        + ("" if report.get("mode") == "namespaces" else
                           " (make them unreadable to other users: `python -m autograder protect`, and "
                           "keep the submissions and output folders private, mode 0700)"))
    if report.get("root_writable") is not False:
        problems.append("it can write outside its own folder")
    if report.get("mode") == "namespaces":
        if set(report.get("interfaces", [])) - {"lo"}:
            problems.append(f"network interfaces are visible inside: {', '.join(report['interfaces'])}")
        if report.get("pid") != 1:
            problems.append("it has no PID namespace of its own")
    else:
        if report.get("unreadable_runtime"):
            problems.append(f"its user cannot read {', '.join(report['unreadable_runtime'])} (let other users read "
                            "them, and pass through every folder above them: chmod o+rx)")
        if report.get("network_blocked") is not True:
            problems.append("it can open network sockets")
        if report.get("keeper_signalable") is not False:
            problems.append("it can signal processes outside it")
        if report.get("mode") == "uid" and report.get("uid") in (0, os.getuid()):
            problems.append("it runs as the grader's own user")
        if not isinstance(report.get("canary"), int):
            problems.append("it did not report the process it leaves behind for the keeper to kill")
    if problems:
        raise SandboxUnavailable("The sandbox is not isolated: " + "; ".join(problems) + ".")


class SandboxStudent:
    """A submission run in sandboxes; the checks' ``Student`` (see the module docstring)."""

    def __init__(self, program, isolate: bool = True, timeout: float = config.CALL_TIMEOUT_S,
                 cell_timeout: float = config.CELL_TIMEOUT_S, budget: float = config.SUBMISSION_TIMEOUT_S,
                 figures: bool = False):
        self.timeout, self.budget = timeout, budget
        self.checks = [c for step in program.steps if hasattr(step, "checks") for c in step.checks]
        self.checks += [FIGURES] if figures else []
        self.plan = plan_for(program, isolate, cell_timeout, [FIGURES] if figures else [])
        self.isolate = self.plan["mode"] != "none"
        self.ended = []
        """The retired runs (without a PID namespace, close() waits until each has left nothing)."""
        self.deadline = time.monotonic() + budget
        self.memo, self.cell_errors, self.skipped, self.printed_bytes = {}, {}, set(), bytearray()
        self.runs, self.isolation, self.run, self.stopped = 0, None, None, False
        self.timings = {"setup": 0.0, "cells": {}}
        """Seconds: starting sandboxes up to their isolation reports, and each cell (the last run's time)."""
        self.lane = _Lane()
        """The check being run, its worker's socket and its deadline, per thread: lanes of checks
        run side by side (``grading``), each in its own thread, on the one run they share."""
        self.lock = threading.RLock()
        self.requests = itertools.count(1)

    # -- runs
    def _retire(self) -> None:
        run, self.run = self.run, None
        run.kill("done")
        run.output.drain()
        run.reader.join(timeout=5)
        if not run.reader.is_alive():
            run.main.close()
        run.output.join(timeout=5)
        self.ended.append(run)
        self.cell_errors.update(run.cell_errors)
        self.timings["cells"].update(run.cell_seconds)
        if run.flooded == INIT and run.running_cell:
            self.cell_errors[run.running_cell] = (f"The cell printed more than {_OutputCollector.FLOOD_BYTES >> 20} MB, "
                                                  "so the grader stopped it and skipped it for the rest of the grading.")
        blamed = run.lost == "cell" or run.flooded == INIT
        stopped = run.timed_out | ({run.running_cell} if blamed and run.running_cell else set())
        for number in stopped - {None}:
            self.skipped.add(number)
            self.cell_errors.setdefault(number, "The cell hung or ended the notebook's process, so the grader "
                                                "skipped it for the rest of the grading.")
        room = config.MAX_OUTPUT_BYTES - len(self.printed_bytes)
        self.printed_bytes += run.printed()[:max(room, 0)]

    def _current_run(self) -> SandboxRun:
        with self.lock:  # lanes share the run: one of them retires a lost one and starts the next
            return self._current_run_locked()

    def _current_run_locked(self) -> SandboxRun:
        if self.stopped:
            raise SandboxUnavailable("the grading of this submission was stopped")
        if self.run is not None and self.run.lost is not None:
            self._retire()
        if self.run is None:
            if time.monotonic() > self.deadline:
                raise CheckFailed(f"Not run: your notebook used up its time budget ({self.budget:g} s) "
                                  "before this check; see the notebook errors above.", mistake="not-run-budget")
            self.run = SandboxRun(dict(self.plan, skip=sorted(self.skipped)), self.checks)
            self.runs += 1
            started = time.monotonic()
            report = self.run.wait_for_setup(time.monotonic() + 120)
            self.timings["setup"] += time.monotonic() - started
            if self.isolate:
                verify_isolation(report)
            self.isolation = self.isolation or report
        return self.run

    def start_check(self, check_id: str) -> None:
        """This thread's next calls go to ``check_id``'s worker; together they may take ``timeout`` of
        the worker's own seconds."""
        self._drop_socket()
        self.lane.check, self.lane.pid, self.lane.run, self.lane.spent = check_id, None, None, 0.0

    def _drop_socket(self) -> None:
        """Close this lane's socket (only this thread ever uses or closes it)."""
        if self.lane.socket is not None:
            self.lane.socket.close()
            self.lane.socket = None

    def _worker_socket(self) -> socket.socket:
        lane = self.lane
        if lane.socket is None:
            while lane.socket is None and time.monotonic() < self.deadline:
                lane.run = self._current_run()
                lane.socket = lane.run.worker(lane.check, self.deadline)
            if lane.socket is None:
                raise CheckFailed(f"Not run: your notebook did not reach this check's test cell within its "
                                  f"time budget ({self.budget:g} s in all); see the notebook errors above.",
                                  mistake="not-run-budget")
            lane.pid = lane.run.worker_pid(lane.check)
        return lane.socket

    def stop(self) -> None:
        """End the run now, and start no other: every lane's check ends with SandboxUnavailable."""
        with self.lock:
            self.stopped = True
            if self.run is not None:
                self.run.kill("stopped")

    def close(self) -> None:
        self._drop_socket()  # this thread's; lane threads' close with their thread-local state
        with self.lock:
            self.stopped = True
            if self.run is not None:
                self._retire()
        self._wait_for_sweeps()

    def _wait_for_sweeps(self) -> None:
        """Without a PID namespace: return only once every run's keeper has killed all that the run
        left (its processes, the uid's, the canary daemon) and removed its folder; SandboxUnavailable
        if one has not, so nothing is written for this submission."""
        runs, self.ended = self.ended, []
        wait = self.plan["mode"] in ("uid", "landlock")
        for run in runs:
            if not wait:
                run.wait_swept(0)
                continue
            canary = (run.isolation or {}).get("canary")
            if not run.wait_swept(modes.SWEEP_S + 10) or (canary is not None and alive(canary)):
                raise SandboxUnavailable("a process that the sandbox left behind survived the end of its run "
                                         "(the keeper could not sweep it); nothing was written for this submission")

    def printed(self) -> str:
        return bytes(self.printed_bytes).decode(errors="replace")

    # -- calls
    def call(self, name: str, *args, followups=(), with_model_state: bool = False,
             record_forwards: bool = False) -> Call:
        """The student's call in this check's worker. It gets TINY_CALL_TIMEOUT_S where its models are
        all small TinyNets, FIGURES_TIMEOUT_S for the feedback pictures, else the rest of the check's time."""
        small = all(isinstance(getattr(a, "model", a), TinyNet) for a in args if hasattr(a, "parameters"))
        request = {"function": name, "args": list(args), "with_model_state": with_model_state,
                   "record_forwards": record_forwards,
                   "followups": [{str(k): v for k, v in f.items()} for f in followups]}
        limit = config.FIGURES_TIMEOUT_S if self.lane.check == FIGURES else config.TINY_CALL_TIMEOUT_S if small else self.timeout
        response = self._exchange(request, limit, f"running {name}")
        if response.get("undefined"):
            raise CheckFailed(f"{name} is not defined where this check's test cell is: keep the cell with "
                              f"`def {name}(...)` above it, and make sure that cell runs without errors.",
                              mistake="undefined")
        model = response.get("model")
        report = ModelReport(training=bool(model["training"]), hooks=int(model["hooks"]),
                             state=model.get("state")) if model else None
        history = [tuple(h if h is not None else a for h, a in zip(after, args)) for after in response["history"]]
        forwards = response.get("forwards") if record_forwards else None  # what the sandbox says it evaluated
        forwards = [f for f in forwards if isinstance(f, torch.Tensor)] if isinstance(forwards, list) else []
        count = response.get("forward_count")
        count = count if type(count) is int and count >= len(forwards) else len(forwards)
        error_type = response.get("error_type")  # the sandbox's word: a name, used for counting only
        error_type = error_type[:100] if isinstance(error_type, str) and error_type.isidentifier() else ""
        return Call(value=response["value"], args=history[-1] if history else tuple(args), model=report,
                    error=response["error"], error_type=error_type, history=history, forwards=forwards,
                    forward_count=count)

    def visualize_class(self, model, target: int, iterations: int, image_size: int):
        """The uint8 image (H, W, 3) the student's class step makes from the standard noise."""
        request = {"program": "class visualization", "args": [model, target, iterations, image_size]}
        return self._exchange(request, config.FIGURES_TIMEOUT_S, "drawing your class visualisation")["value"]

    def _exchange(self, request: dict, limit: float, what: str) -> dict:
        """Send ``request`` to this lane's worker and wait for its answer, for at most ``limit`` of the
        worker's own seconds and what is left of the check's ``timeout`` (``worker_clock``). Only the
        time from the request's sending to the answer's first byte is charged: not the grader's own
        work between calls, nor the transfers, which load slows as much as it slows the grader."""
        lane = self.lane
        sock = self._worker_socket()
        run = lane.run
        request = dict(request, id=next(self.requests))
        try:
            transfer = min(limit * STRETCH, self.deadline - time.monotonic())  # wall-clock, for a transfer
            sock.settimeout(max(transfer, 0.01))
            wire.send(sock, wire.encode(request))
            clock = WorkerClock(lane.pid)
            own_deadline = min(limit, self.timeout - lane.spent)
            wall_deadline = min(limit * STRETCH, self.deadline - clock.started)
            while True:
                if not clock.until_readable(sock, own_deadline, wall_deadline):
                    raise socket.timeout
                charged = clock.own()
                lane.spent += charged
                sock.settimeout(max(min(transfer, self.deadline - time.monotonic()), 0.01))  # a message has begun
                response = wire.decode(wire.receive(sock, config.MAX_MESSAGE_BYTES))
                if isinstance(response, dict) and response.get("id") == request["id"]:
                    return response
                clock, own_deadline = WorkerClock(lane.pid), own_deadline - charged  # an earlier request's answer
        except socket.timeout:
            run.end_worker(lane.check, sock)
            raise CallFault("timeout", f"Your code did not finish in time while {what} (the limit was "
                            f"{limit:g} s of its own time): is there a loop that never ends?") from None
        except wire.WireError as err:
            run.kill("call", blamed=lane.check)
            raise CallFault("garbage", f"Your code sent back something the grader cannot read while {what}: "
                            f"{err}.") from None
        except (EOFError, OSError):
            self._drop_socket()
            with run.changed:  # the init's end, if that is what this is, shows on its socket at once
                run.changed.wait_for(lambda: run.lost is not None, timeout=0.5)
            if run.lost == "output" and run.flooded == lane.check:
                raise CallFault("output", f"Your code printed more than {_OutputCollector.FLOOD_BYTES >> 20} MB "
                                f"while {what}; the grader stopped it. Remove the prints from your "
                                "functions.") from None
            if self.stopped:
                raise SandboxUnavailable("the grading of this submission was stopped") from None
            others = run.lost == "output" or run.lost == "call" and run.blamed != lane.check
            if others or (run.lost in ("cell", "ended") and not run.notebook_done):
                raise Interrupted from None  # lost to the notebook's cells or another lane's check, not to this one
            raise CallFault("exit", f"Your code ended its process while {what}: don't call exit(), sys.exit() "
                            "or os._exit(), and don't crash the interpreter.") from None
