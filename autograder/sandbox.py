"""Running a submission's code in a short-lived, locked-down child process.

The grader (parent) never runs student code. For each submission it starts a child
(``python -m autograder.sandbox``) that imports torch, executes the extracted definitions and
then answers call requests: plain tensors go in, plain tensors come out (see ``wire``). Every
verdict is decided in the parent, with its own model copies and references.

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
import subprocess
import sys
import tempfile
import threading
import time
import warnings

import torch
from torch import nn

from netvis.checks.calls import Call, CheckFailed, ModelReport, count_hooks, format_exception

from . import config, wire
from .notebook import preamble

FD_VARIABLE = "NETVIS_SANDBOX_FD"
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
    if uid is not None:
        resource.setrlimit(resource.RLIMIT_NPROC, (limits["processes"],) * 2)


def _warm_up() -> None:
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
        response = {"value": value, "history": history, "error": error,
                    "model": _copy_report(model, request["with_model_state"]) if model is not None else None}
        try:
            payload = wire.encode(response)
        except Exception as err:  # e.g. a value that cannot be encoded
            payload = wire.encode(dict(response, value=None, error=f"the result could not be sent back: {err}"))
        sys.stdout.flush()
        wire.send(sock, payload)


def child_main() -> None:
    sock = socket.socket(fileno=int(os.environ[FD_VARIABLE]))
    init = wire.decode(wire.receive(sock, config.MAX_MESSAGE_BYTES))
    torch.set_num_threads(1)
    _warm_up()
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

    def __init__(self, proc, on_flood):
        super().__init__(daemon=True)
        self.proc, self.on_flood, self.kept, self.total = proc, on_flood, bytearray(), 0

    def run(self) -> None:
        for chunk in iter(lambda: self.proc.stdout.read1(65536), b""):
            self.total += len(chunk)
            room = config.MAX_OUTPUT_BYTES - len(self.kept)
            if room > 0:
                self.kept += chunk[:room]
            if self.total > 16 * config.MAX_OUTPUT_BYTES:
                self.on_flood()
                return


def _preimports(extracted) -> list:
    modules = set()
    for _, source in extracted.chunks:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                modules.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules.add(node.module)
    return sorted(m for m in modules if m.split(".")[0] in PREIMPORT_ALLOWED)


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


class SandboxStudent:
    """A submission's functions, called in a locked-down child process (see the module docstring).

    ``call`` has the signature of ``netvis.checks.InProcessStudent.call``; sandbox failures
    (timeout, exit, crash, output flood) raise CheckFailed with a message for the student.
    """

    def __init__(self, extracted, slot: int = 0, timeout: float = config.CALL_TIMEOUT_S):
        self.extracted, self.timeout = extracted, timeout
        self.uid = config.SANDBOX_UID_BASE + slot if os.geteuid() == 0 else None
        self.memo, self.definition_errors = {}, {}
        self.deadline = None
        self.proc = self.sock = self.output = self.workdir = None
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
    def start_check(self, timeout: float = None) -> None:
        """Begin a check: its calls share one wall-clock budget."""
        self.deadline = time.monotonic() + (timeout or self.timeout)

    def _start(self) -> None:
        self.workdir = tempfile.mkdtemp(prefix="netvis-sandbox-")
        if self.uid is not None:
            os.chown(self.workdir, self.uid, self.uid)
        parent, child = socket.socketpair()
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.workdir, FD_VARIABLE: str(child.fileno()),
               "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1",
               "PYTHONUNBUFFERED": "1", "TQDM_DISABLE": "1"}
        self.proc = subprocess.Popen([sys.executable, "-m", "autograder.sandbox"], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, pass_fds=[child.fileno()],
                                     start_new_session=True, env=env, cwd=self.workdir)
        child.close()
        self.sock = parent
        self.output = _OutputCollector(self.proc, self._kill)
        self.output.start()
        wire.send(self.sock, wire.encode(dict(self._init, workdir=self.workdir)))
        ready = self._receive("starting your code", time.monotonic() + max(self.timeout, 120))
        self.definition_errors = ready["errors"]

    def _kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.uid is not None:
            kill_uid(self.uid)

    def _stop(self) -> None:
        self._kill()
        if self.proc is not None:
            self.proc.wait()
            self.output.join(timeout=5)
            self.sock.close()
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
        self.proc = self.sock = self.workdir = None

    def close(self) -> None:
        self._stop()

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
            self.proc.wait()
            code = self.proc.returncode
            flooded = self.output.total > 16 * config.MAX_OUTPUT_BYTES
            self._stop()
            if flooded:
                raise CheckFailed(f"Your code printed more than {16 * config.MAX_OUTPUT_BYTES >> 20} MB while "
                                  f"{what}; the grader stopped it. Remove the prints from your functions.")
            raise CheckFailed(f"Your code ended the grading process while {what} (exit status {code}): "
                              "don't call exit(), sys.exit() or os._exit(), and don't crash the interpreter.")
        except wire.WireError as err:
            self._stop()
            raise CheckFailed(f"Your code sent back something the grader cannot read while {what}: {err}.")

    def call(self, name: str, *args, followups=(), with_model_state: bool = False) -> Call:
        if name in self.extracted.problems:
            raise CheckFailed(self.extracted.problems[name])
        if self.proc is None:
            try:
                self._start()
            except TimeoutError:
                raise CheckFailed("Your definitions did not finish loading in time.") from None
        if name in self.definition_errors:
            raise CheckFailed(self.definition_errors[name])
        request = {"function": name, "args": list(args), "followups": [{str(k): v for k, v in f.items()} for f in followups],
                   "with_model_state": with_model_state}
        deadline = self.deadline or time.monotonic() + self.timeout
        try:
            wire.send(self.sock, wire.encode(request))
        except OSError:
            self._stop()
            raise CheckFailed(f"The grading process of your code died before {name} could run.") from None
        try:
            response = self._receive(f"running {name}", deadline)
        except TimeoutError:
            raise CheckFailed(f"{name} did not finish within the time limit ({self.timeout:.0f} s for a check): "
                              "is there a loop that never ends?") from None
        model = response["model"]
        report = ModelReport(training=bool(model["training"]), hooks=int(model["hooks"]), state=model.get("state")) if model else None
        history = [tuple(h if h is not None else a for h, a in zip(after, args)) for after in response["history"]]
        return Call(value=response["value"], args=history[-1] if history else tuple(args), model=report,
                    error=response["error"], history=history)


if __name__ == "__main__":
    child_main()
