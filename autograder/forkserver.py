"""The fork server behind the sandbox: one pre-warmed process that forks a child per submission.

Importing torch takes seconds; forking a process that already has it takes milliseconds. The
grader starts the server once (``prestart`` lets it do so before its own heavy imports, so both
import in parallel) and then asks it for a fresh child per submission. This module imports
nothing heavy at the top: the server imports torch and the sandbox itself, in its own process.
"""
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading

from .framing import read_exactly, receive, send

FD_VARIABLE = "NETVIS_FORKSERVER_FD"
PREAMBLE_LIMIT = 16 << 20


def _serve_forks(control) -> None:
    """Warm torch up, run the preamble once, then fork a child per request until EOF.

    A request carries two descriptors: the child's socket and the write end of its output pipe.
    The reply is the child's pid.
    """
    import signal

    import torch

    from .sandbox import child_main, warm_up

    torch.set_num_threads(1)
    warm_up()
    try:
        preamble = receive(control, PREAMBLE_LIMIT).decode()
    except EOFError:  # the grader finished (or failed) before it needed a child
        return
    exec(compile(preamble, "<preamble>", "exec"), {})
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped automatically
    while True:
        message, fds, _, _ = socket.recv_fds(control, 16, 2)
        if not message:
            return
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            try:
                control.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                os.setsid()
                os.dup2(fds[1], 1)
                os.dup2(fds[1], 2)
                os.close(fds[1])
                child_main(socket.socket(fileno=fds[0]))
            finally:
                os._exit(0)
        for fd in fds:
            os.close(fd)
        control.sendall(struct.pack("!i", pid))


class ForkServer:
    """The grader's handle on the fork server: one per grading process, started on first use."""

    _instance = None
    _lock = threading.Lock()

    def __init__(self):
        self.control, theirs = socket.socketpair()
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), FD_VARIABLE: str(theirs.fileno()),
               "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1",
               "PYTHONUNBUFFERED": "1", "TQDM_DISABLE": "1", "HOME": tempfile.gettempdir()}
        if "PYTHONPATH" in os.environ:  # e.g. the Gradescope bundle's own source tree
            env["PYTHONPATH"] = os.environ["PYTHONPATH"]
        self.proc = subprocess.Popen([sys.executable, *_interpreter_flags(), "-m", "autograder.forkserver"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     pass_fds=[theirs.fileno()], env=env, cwd=tempfile.gettempdir())
        theirs.close()
        self.preamble_sent = False

    @classmethod
    def get(cls) -> "ForkServer":
        with cls._lock:
            if cls._instance is None or cls._instance.proc.poll() is not None:
                cls._instance = cls()
            return cls._instance

    @classmethod
    def prestart(cls) -> None:
        """Start the server now, so that it imports torch while the grader does."""
        cls.get()

    def spawn(self, preamble: str, fds: list) -> int:
        """Fork a fresh child that uses ``fds`` (its socket, its output); return its pid.

        ``preamble`` (the notebook's setup code) runs once in the server, before its first fork.
        """
        with self._lock:
            if not self.preamble_sent:
                send(self.control, preamble.encode())
                self.preamble_sent = True
            socket.send_fds(self.control, [b"x"], fds)
            return struct.unpack("!i", read_exactly(self.control, 4))[0]


def _interpreter_flags() -> list:
    """This interpreter's -S and -I, so that the server finds the same packages as the grader."""
    return [flag for flag, on in (("-S", sys.flags.no_site), ("-I", sys.flags.isolated)) if on]


if __name__ == "__main__":
    _serve_forks(socket.socket(fileno=int(os.environ[FD_VARIABLE])))
