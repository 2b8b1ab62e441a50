"""Running a submission's code in a short-lived, locked-down child process.

The grader (parent) never runs student code. For each submission the fork server
(``forkserver``) forks a child that already has torch; the child executes the extracted
definitions and then answers call requests: plain tensors go in, plain tensors come out (see
``wire``). Every verdict is decided in the parent, with its own model copies and references.

Before it runs any student code the child locks itself down: as root it leaves the network
(a new, empty network namespace), chroots into an empty private directory and drops to an
unprivileged uid of its own; always it caps its address space, process count, file size and
core dumps. The parent adds a wall-clock limit per check and a cap on printed output, and
kills everything the sandbox uid runs when a submission is done.
"""
import ast
import ctypes
import importlib
import os
import resource
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import warnings

import torch
from torch import nn

from netvis.checks.calls import Call, CheckFailed, ModelReport, count_hooks, format_exception

from . import config, wire
from .forkserver import ForkServer

PREIMPORT_ALLOWED = {"torch", "torchvision", "numpy", "scipy", "math", "random", "itertools", "functools",
                     "collections", "netvis", "tqdm", "copy", "typing", "operator", "time", "IPython"}
"""Top-level packages a submission may import; they are loaded before the lockdown."""
CLONE_NEWNET = 0x40000000


# ----------------------------------------------------------------------------- child side

def _lock_down(workdir: str, uid, limits: dict) -> None:
    """Leave the network, chroot, drop privileges, cap resources. Irreversible."""
    with open("/proc/self/statm") as statm:
        mapped = int(statm.read().split()[0]) * resource.getpagesize()
    if uid is not None:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.unshare(CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNET) failed")
        os.chroot(workdir)
        os.chdir("/")
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    else:
        os.chdir(workdir)
    resource.setrlimit(resource.RLIMIT_AS, (mapped + limits["memory"],) * 2)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_size"],) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    running = 0 if uid is not None else len(processes_of(os.getuid())) + threading.active_count()
    resource.setrlimit(resource.RLIMIT_NPROC, (running + limits["processes"],) * 2)


def warm_up() -> None:
    """One convolution forward and backward, so torch reads /proc/cpuinfo and sets up its
    kernels while it still can."""
    X = torch.zeros(1, 3, 8, 8, requires_grad=True)
    nn.functional.conv2d(X, torch.zeros(2, 3, 3, 3)).sum().backward()


def _copy_report(model, with_state: bool) -> dict:
    report = {"training": model.training, "hooks": count_hooks(model)}
    if with_state:
        report["state"] = dict(model.state_dict())
    return report


def _serve(sock, namespace: dict) -> None:
    while True:
        try:
            request = wire.decode(wire.receive(sock, config.MAX_MESSAGE_BYTES), allow_models=True)
        except EOFError:
            return
        args = list(request["args"])
        model = next((a for a in args if isinstance(a, nn.Module)), None)
        fn, history, value, error = namespace.get(request["function"]), [], None, None
        for replacements in [{}] + list(request["followups"]):
            for position, replacement in replacements.items():
                args[int(position)] = replacement
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    value = fn(*args)
            except (Exception, SystemExit) as err:
                error = format_exception(err)
            history.append([a.detach().clone() if isinstance(a, torch.Tensor) else None for a in args])
            if error is not None:
                break
        response = {"id": request["id"], "value": value, "history": history, "error": error,
                    "model": _copy_report(model, request["with_model_state"]) if model is not None else None}
        try:
            payload = wire.encode(response)
        except Exception as err:  # e.g. a value that cannot be encoded
            payload = wire.encode({"id": request["id"], "value": None, "history": [], "model": None,
                                   "error": f"the result could not be sent back: {err}"})
        sys.stdout.flush()
        wire.send(sock, payload)


def child_main(sock) -> None:
    """A forked child: load the submission, lock down, then answer calls until the socket closes."""
    init = wire.decode(wire.receive(sock, config.MAX_MESSAGE_BYTES))
    for module in init["preimport"]:
        try:
            importlib.import_module(module)
        except ImportError:
            pass  # the submission's own import statement will report it
    namespace = {"__name__": "__submission__"}
    exec(compile(init["preamble"], "<preamble>", "exec"), namespace)
    _lock_down(init["workdir"], init["uid"], init["limits"])
    torch.manual_seed(0)
    errors = {}
    for label, source, names in init["chunks"]:
        try:
            exec(compile(source, label, "exec"), namespace)
        except (Exception, SystemExit) as err:
            for name in names:
                errors[name] = f"Defining {name} raised an exception:\n{format_exception(err)}"
    wire.send(sock, wire.encode({"ready": True, "errors": errors}))
    _serve(sock, namespace)


# ---------------------------------------------------------------------------- parent side

class _OutputCollector(threading.Thread):
    """Reads the child's stdout+stderr, keeps the first MAX_OUTPUT_BYTES, kills a flood."""

    FLOOD_BYTES = 16 * config.MAX_OUTPUT_BYTES
    """Printed output at which the child is killed."""

    def __init__(self, stream, on_flood):
        super().__init__(daemon=True)
        self.stream, self.on_flood, self.kept, self.total = stream, on_flood, bytearray(), 0

    def run(self) -> None:
        with self.stream:
            for chunk in iter(lambda: self.stream.read1(65536), b""):
                self.total += len(chunk)
                room = config.MAX_OUTPUT_BYTES - len(self.kept)
                if room > 0:
                    self.kept += chunk[:room]
                if self.flooded:
                    self.on_flood()
                    return

    @property
    def flooded(self) -> bool:
        return self.total > self.FLOOD_BYTES


def _preimports(extracted) -> list:
    modules = set()
    for _, source in extracted.chunks:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                modules.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules.add(node.module)
    return sorted(m for m in modules if m.split(".")[0] in PREIMPORT_ALLOWED)


def processes_of(uid: int) -> list:
    """Pids of the live processes whose real uid is ``uid``; zombies (dead, not yet reaped by
    whoever inherited them) are left out: they run nothing."""
    pids = []
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and os.stat(f"/proc/{entry}").st_uid == uid:
                with open(f"/proc/{entry}/stat") as stat:
                    if stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X"):
                        pids.append(int(entry))
        except (OSError, IndexError):
            pass
    return pids


def kill_uid(uid: int) -> None:
    """SIGKILL every process running as ``uid`` (what kill(-1) does for that user)."""
    pid = os.fork()
    if pid == 0:  # only async-signal-safe calls until _exit
        try:
            os.setgid(uid)
            os.setuid(uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    deadline = time.monotonic() + 2
    while processes_of(uid) and time.monotonic() < deadline:  # SIGKILL takes a moment to land
        time.sleep(0.01)


class SandboxStudent:
    """A submission's functions, called in a locked-down child process (see the module docstring).

    ``call`` has the signature of ``netvis.checks.InProcessStudent.call``; sandbox failures
    (timeout, exit, crash, output flood) raise CheckFailed with a message for the student.
    """

    def __init__(self, extracted, slot: int = 0, timeout: float = config.CALL_TIMEOUT_S):
        from .notebook import preamble  # here, not at the top: the child never needs nbformat

        self.extracted, self.timeout = extracted, timeout
        self.uid = config.SANDBOX_UID_BASE + slot if os.geteuid() == 0 else None
        self.memo, self.definition_errors, self.requests = {}, {}, 0
        self.broken = {}
        """Function -> why it is not run again: it hung or killed its process once already."""
        self.deadline = None
        self.pid = self.sock = self.output = self.workdir = None
        self._init = {
            "preamble": preamble(),
            "chunks": [(label, source, sorted(self._names(source))) for label, source in extracted.chunks],
            "preimport": _preimports(extracted),
            "uid": self.uid,
            "limits": {"memory": config.MEMORY_LIMIT_BYTES, "file_size": config.MAX_FILE_BYTES,
                       "processes": config.MAX_PROCESSES},
        }

    @staticmethod
    def _names(source: str) -> set:
        return {n.name for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)}

    # -- lifecycle
    def start_check(self) -> None:
        """Begin a check: its calls share one wall-clock budget, counted from its first call."""
        self.deadline = None

    def _start(self) -> None:
        self.workdir = tempfile.mkdtemp(prefix="netvis-sandbox-")
        if self.uid is not None:
            kill_uid(self.uid)  # leftovers of a grader that was killed
            os.chown(self.workdir, self.uid, self.uid)
        self.sock, theirs = socket.socketpair()
        read_end, write_end = os.pipe()
        try:
            self.pid = ForkServer.get().spawn(self._init["preamble"], [theirs.fileno(), write_end])
        finally:
            theirs.close()
            os.close(write_end)
        self.output = _OutputCollector(os.fdopen(read_end, "rb"), self._kill)
        self.output.start()
        wire.send(self.sock, wire.encode(dict(self._init, workdir=self.workdir)))
        ready = self._receive("starting your code", time.monotonic() + max(self.timeout, 120))
        self.definition_errors = ready["errors"]

    def _kill(self) -> None:
        if self.pid is not None:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if self.uid is not None:
            kill_uid(self.uid)

    def _stop(self) -> None:
        self._kill()
        if self.sock is not None:
            self.sock.close()
            self.output.join(timeout=5)
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
        self.pid = self.sock = self.workdir = None

    def close(self) -> None:
        self._stop()

    def _strays(self) -> bool:
        """Whether processes other than the child run as the sandbox uid."""
        return self.uid is not None and any(pid != self.pid for pid in processes_of(self.uid))

    def printed(self) -> str:
        return bytes(self.output.kept).decode(errors="replace") if self.output else ""

    # -- calls
    def _receive(self, what: str, deadline: float):
        self.sock.settimeout(max(deadline - time.monotonic(), 0.01))
        try:
            return wire.decode(wire.receive(self.sock, config.MAX_MESSAGE_BYTES))
        except socket.timeout:
            self._stop()
            raise TimeoutError
        except EOFError:
            self._stop()
            if self.output.flooded:
                raise CheckFailed(f"Your code printed more than {_OutputCollector.FLOOD_BYTES >> 20} MB while "
                                  f"{what}; the grader stopped it. Remove the prints from your functions.")
            raise CheckFailed(f"Your code ended the grading process while {what}: don't call exit(), "
                              "sys.exit() or os._exit(), and don't crash the interpreter.")
        except wire.WireError as err:
            self._stop()
            raise CheckFailed(f"Your code sent back something the grader cannot read while {what}: {err}.")

    def call(self, name: str, *args, followups=(), with_model_state: bool = False) -> Call:
        if name in self.extracted.problems:
            raise CheckFailed(self.extracted.problems[name])
        if name in self.broken:
            raise CheckFailed(f"{self.broken[name]} (It was not run again.)")
        if self.pid is None:
            try:
                self._start()
            except TimeoutError:
                raise CheckFailed("Your definitions did not finish loading in time.") from None
        if name in self.definition_errors:
            raise CheckFailed(self.definition_errors[name])
        self.requests += 1
        request = {"id": self.requests, "function": name, "args": list(args),
                   "followups": [{str(k): v for k, v in f.items()} for f in followups],
                   "with_model_state": with_model_state}
        if self.deadline is None:
            self.deadline = time.monotonic() + self.timeout
        deadline = self.deadline
        try:
            wire.send(self.sock, wire.encode(request))
        except OSError:
            self._stop()
            raise CheckFailed(f"The grading process of your code died before {name} could run.") from None
        try:
            response = self._receive(f"running {name}", deadline)
            while response.get("id") != self.requests:  # a stale answer, e.g. from a forked copy
                response = self._receive(f"running {name}", deadline)
        except TimeoutError:
            self.broken[name] = (f"{name} did not finish within the time limit ({self.timeout:.0f} s for a check): "
                                 "is there a loop that never ends?")
            raise CheckFailed(self.broken[name]) from None
        except CheckFailed as err:  # the child died or sent garbage while running this function
            self.broken[name] = str(err)
            raise
        if self._strays():
            self._stop()  # the call left processes behind: start afresh for the next call
            raise CheckFailed(f"{name} started processes of its own; the grader stopped them all.")
        model = response["model"]
        report = ModelReport(training=bool(model["training"]), hooks=int(model["hooks"]), state=model.get("state")) if model else None
        history = [tuple(h if h is not None else a for h, a in zip(after, args)) for after in response["history"]]
        return Call(value=response["value"], args=history[-1] if history else tuple(args), model=report,
                    error=response["error"], history=history)

