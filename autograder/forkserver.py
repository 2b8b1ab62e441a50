"""The fork server behind the sandbox: one pre-warmed process that forks a keeper per sandbox.

Importing torch takes seconds; forking a process that already has it takes milliseconds. The
grader starts the server once (``prestart`` lets it do so before its own heavy imports, so both
import in parallel) and then asks it for a fresh sandbox per submission (``spawn``). This module
imports nothing heavy at the top: the server imports torch and the sandbox's child side in its
own process.
"""
import os
import socket
import struct
import subprocess
import sys
import threading

from . import scratch
from .framing import read_exactly

FD_VARIABLE = "NETVIS_FORKSERVER_FD"
HUGE_PAGES = "glibc.malloc.hugetlb=1"
"""glibc's malloc asks for transparent huge pages (where the kernel offers them on request, as
Debian's does; elsewhere the setting is ignored). Torch's libraries allocate hundreds of MB at
import, and the init forks a worker per check: a fork copies one page-table entry per 2 MB
instead of 512 (the init's 30 forks of one submission: 1.55 s before, 1.18 s after)."""
MADV_HUGEPAGE, MADV_COLLAPSE, HUGE_PAGE = 14, 25, 1 << 21
MAX_FDS = 253
"""Linux's SCM_MAX_FD: the most descriptors one message can carry (4 + 2 per check; see ``spawn``)."""


def _warm_up() -> None:
    """Import what submissions use and run one convolution forward and backward, so that torch
    reads /proc/cpuinfo and sets up its kernels while it still can."""
    import IPython.display  # noqa: F401
    import matplotlib.pyplot  # noqa: F401
    import torch
    import tqdm.auto  # noqa: F401

    import netvis.checks  # noqa: F401
    import netvis.explain  # noqa: F401
    import netvis.visualize  # noqa: F401

    torch.set_num_threads(1)
    X = torch.zeros(1, 3, 8, 8, requires_grad=True)
    torch.nn.functional.conv2d(X, torch.zeros(2, 3, 3, 3)).sum().backward()


def _settle_into_huge_pages() -> None:
    """Back the warm-up's anonymous memory with transparent huge pages (madvise MADV_COLLAPSE,
    Linux 6.1 and later; elsewhere, or where the kernel refuses, nothing changes).

    Python's object arenas and torch's allocations outside malloc's heap (about 200 MB after the
    warm-up) are in 4 kB pages otherwise, and every fork copies one page-table entry per page,
    then tears them down at the child's end: a fork and exit of this process took 25-30 ms before,
    8-12 ms after. It costs 0.2-0.4 s once and pays for itself within one submission's 30 forks
    (on 2 cores, medians of alternating runs: a warm grading 3.8 s and 6.9 CPU-s before, 3.5 s and
    6.2 CPU-s after; a cold ``check`` 10.0 s before, 8.6 s after). The memory's contents do not
    change, so nothing a sandbox sees does."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    try:
        with open("/proc/self/maps") as maps:
            regions = [line.split() for line in maps]
    except OSError:  # no /proc: the forks cost what they cost
        return
    for fields in regions:
        private_anonymous = fields[1] == "rw-p" and (len(fields) == 5 or fields[5] == "[heap]")
        if not private_anonymous:
            continue
        start, end = (int(bound, 16) for bound in fields[0].split("-"))
        start, end = -(-start // HUGE_PAGE) * HUGE_PAGE, end // HUGE_PAGE * HUGE_PAGE
        if end - start >= HUGE_PAGE:
            libc.madvise(start, end - start, MADV_HUGEPAGE)  # later faults there get huge pages too
            libc.madvise(start, end - start, MADV_COLLAPSE)


def _serve_forks(control: socket.socket) -> None:
    """Fork a keeper per request until EOF. A request carries the sandbox's descriptors: its main
    socket, the read end of its control pipe, the write end of the init's output pipe, the write
    end of its swept pipe (closed when the keeper ends), then a
    socket and the write end of an output pipe per worker. The reply is the keeper's pid."""
    import signal

    from .sandbox_child import keeper_main

    _warm_up()
    _settle_into_huge_pages()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # keepers are reaped automatically
    while True:
        try:
            message, fds, flags, _ = socket.recv_fds(control, 16, MAX_FDS)
        except OSError:
            return
        if not message:
            return
        if flags & socket.MSG_CTRUNC:  # descriptors were lost on the way: no keeper could serve every check
            for fd in fds:
                os.close(fd)
            control.sendall(struct.pack("!i", -1))
            continue
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            try:
                control.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                os.setsid()
                main, control_read, output, swept, *rest = fds
                os.dup2(output, 1)
                os.dup2(output, 2)
                os.close(output)
                workers = [(socket.socket(fileno=sock), out) for sock, out in zip(rest[::2], rest[1::2])]
                keeper_main(socket.socket(fileno=main), control_read, swept, workers)
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
        folder = str(scratch.base())  # its caches and temporary files too: nothing in the shared folder
        self.control, theirs = socket.socketpair()
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), FD_VARIABLE: str(theirs.fileno()),
               "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1",
               "PYTHONUNBUFFERED": "1", "TQDM_DISABLE": "1", "MPLBACKEND": "Agg", "HOME": folder, "TMPDIR": folder,
               "GLIBC_TUNABLES": HUGE_PAGES, **scratch.cache_environment()}
        for name in ("PYTHONPATH", "NETVIS_DATA_DIR"):  # e.g. the Gradescope bundle's own tree
            if name in os.environ:
                env[name] = os.environ[name]
        self.proc = subprocess.Popen([sys.executable, *_interpreter_flags(), "-m", "autograder.forkserver"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     pass_fds=[theirs.fileno()], env=env, cwd=folder)
        theirs.close()

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

    def spawn(self, fds: list) -> int:
        """Fork a fresh keeper that uses ``fds`` (see ``_serve_forks``); return its pid."""
        if len(fds) > MAX_FDS:
            raise ValueError(f"{len(fds)} descriptors for one sandbox, over the {MAX_FDS} one message can carry: "
                             "the assignment has too many checks for one run")
        with self._lock:
            socket.send_fds(self.control, [b"x"], fds)
            pid = struct.unpack("!i", read_exactly(self.control, 4))[0]
        if pid < 0:
            raise OSError("the fork server received the sandbox's descriptors truncated")
        return pid


def _interpreter_flags() -> list:
    """This interpreter's -S and -I, so that the server finds the same packages as the grader."""
    return [flag for flag, on in (("-S", sys.flags.no_site), ("-I", sys.flags.isolated)) if on]


if __name__ == "__main__":
    _serve_forks(socket.socket(fileno=int(os.environ[FD_VARIABLE])))
    # The grader is gone: end without the interpreter's teardown (1 to 2 s with torch loaded), for
    # this process holds the grader's stderr, and whoever reads that pipe waits for its end.
    sys.stderr.flush()
    os._exit(0)
