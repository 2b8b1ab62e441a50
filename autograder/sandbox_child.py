"""The sandbox from the inside: what the fork server's child does with a submission.

Three kinds of process, all forked from the pre-warmed fork server (``forkserver``):

- the *keeper* enters the namespaces (``isolation.enter``) and forks the init; it runs no
  student code, tells the grader the init's pid and kills the init (and with it the whole
  PID namespace) when the grader closes its control pipe;
- the *init* builds the private root, drops its privileges and runs the notebook's cells in
  order (``cells.run_cell``, each under a time budget), reporting each cell to the grader; at
  each checkpoint it forks a *worker* per check there;
- a *worker* holds the namespace exactly as it was at its checkpoint and answers the grader's
  call requests for one check (``serve``), so that whatever one check's calls do (hang, crash,
  exit, leave state behind) touches no other check.

Messages go through ``wire`` (no pickle); every verdict is decided by the grader.
"""
import os
import select
import shutil
import signal
import socket
import sys

import torch
from torch import nn

from netvis.checks.student import call_function
from netvis.visualize import ascend_from_noise

from . import cells, isolation, modes, seccomp, wire
from .config import MAX_MESSAGE_BYTES

LANDLOCK_TASK_MARGIN = 64
"""Tasks a landlock-mode sandbox may add beyond the grader's at its start (the grader's threads come
and go, and RLIMIT_NPROC counts every task of the user)."""


def keeper_main(main: socket.socket, control: int, swept: int, workers: list) -> None:
    """The keeper: read the plan, isolate (``plan["mode"]``), fork the init, guard it until told to
    stop, then end everything the run left. Its exit closes ``swept``: the grader's sign that
    nothing of the run is left (it waits for that where no PID namespace ends the run's processes).

    ``workers`` holds a (socket, output pipe) pair per worker, in the plan's order.
    """
    plan = wire.decode(wire.receive(main, MAX_MESSAGE_BYTES))
    mode = plan["mode"]
    try:
        user = isolation.enter() if mode == "namespaces" else _private_user(plan)
    except OSError as err:
        wire.send(main, wire.encode({"event": "failed", "step": f"isolating ({mode})", "error": str(err)}))
        return
    release_read, release_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(release_write)
        os.close(control)
        os.close(swept)
        os.read(release_read, 1)  # wait until the grader knows this process's pid
        os.close(release_read)
        init_main(main, workers, plan, user)
        os._exit(0)
    wire.send(main, wire.encode({"event": "started", "pid": pid}))
    os.write(release_write, b"1")
    main.close()
    for sock, output in workers:
        sock.close()
        os.close(output)
    if mode == "namespaces":
        while os.read(control, 4096):  # EOF: the grader is done (or gone)
            pass
        os.kill(pid, signal.SIGKILL)  # the PID namespace's init: everything inside dies with it
        os.waitpid(pid, 0)
        return
    _until_done_or_init_ends(control, pid)  # as a PID namespace would: the init's end ends the run
    modes.sweep(user["uid"] if mode == "uid" else None)  # every descendant, and every process of the uid
    shutil.rmtree(user["folder"], ignore_errors=True)


def _until_done_or_init_ends(control: int, init: int) -> None:
    """Wait until the grader closes ``control`` or the init ends, whichever comes first; then kill
    the init. (Its workers and whatever else the run started would otherwise live on holding the
    run's sockets: the sweep after this ends them all, as an init's end does in a PID namespace.)"""
    init_fd = os.pidfd_open(init)
    poller = select.poll()
    poller.register(control, select.POLLIN)
    poller.register(init_fd, select.POLLIN)
    while True:
        ready = dict(poller.poll())
        if init_fd in ready or (control in ready and not os.read(control, 4096)):
            break
    os.close(init_fd)
    os.kill(init, signal.SIGKILL)


def _private_user(plan: dict) -> dict:
    """Without namespaces: the run's user and its private folder; this keeper becomes the subreaper
    of everything the run starts, so that a daemon it leaves still comes back here to be killed."""
    modes.become_subreaper()
    mode = plan["mode"]
    uid = modes.UID_BASE + os.getpid() if mode == "uid" else None
    user = f"uid {uid}" if uid is not None else "not isolated" if mode == "none" else f"own uid {os.getuid()}"
    return {"user": user, "uid": uid, "folder": modes.private_folder(plan["scratch"], uid), "switch_to_root": False}


def init_main(main: socket.socket, workers: list, plan: dict, user: dict) -> None:
    """The init: lock down, run the cells, fork a worker at each checkpoint, then wait."""
    mode, limits, extra = plan["mode"], dict(plan["limits"]), {}
    try:
        if mode == "namespaces":
            isolation.build_root(plan["root"], plan["binds"], user)
            isolation.drop_privileges(user["switch_to_root"])
            home = "/tmp"
        else:
            home = user["folder"]
            os.environ["NETVIS_DATA_DIR"] = plan["data"]
            if mode == "landlock":  # the grader's own processes count against the same user's limit
                limits["processes"] += modes.tasks_of(os.getuid()) + LANDLOCK_TASK_MARGIN
            if mode == "none":
                os.chdir(home)
            else:
                extra["landlock"] = modes.lock_down(mode, user, plan["read"], home)
        isolation.apply_limits(limits)
    except OSError as err:
        wire.send(main, wire.encode({"event": "failed", "step": "locking down", "error": str(err)}))
        return
    report = dict(isolation.observe(plan["hidden_paths"], mode, [source for source, _ in plan["binds"]]), mode=mode, user=user["user"], **extra)
    try:
        if mode == "namespaces":
            seccomp.install()  # after observing, which reads the interfaces over netlink
        if mode in ("uid", "landlock"):
            report["canary"] = modes.leave_canary()
        report["seccomp"] = mode != "none"
    except OSError as err:
        wire.send(main, wire.encode({"event": "failed", "step": "locking down", "error": str(err)}))
        return
    wire.send(main, wire.encode({"event": "isolated", "report": report}))
    os.environ.update(cells.GRADING_ENVIRONMENT, HOME=home, TMPDIR=home, MPLCONFIGDIR=home, XDG_CACHE_HOME=home,
                      TORCHINDUCTOR_CACHE_DIR=os.path.join(home, "torchinductor"))
    torch.manual_seed(0)
    channels = dict(zip(plan["worker_checks"], workers))
    namespace, me, forked = cells.new_namespace(), os.getpid(), {}
    os.setsid()  # the init's session: what a cell starts, and nothing else, is in it
    for step in plan["steps"]:
        if "cell" in step:
            if step["cell"] in plan["skip"]:
                continue
            wire.send(main, wire.encode({"event": "cell", "number": step["cell"]}))
            error = cells.run_cell(_Cell(step["cell"], step["source"]), namespace, plan["cell_timeout"])
            _only_in(me)
            end_strays(me, keep=set(forked.values()))
            wire.send(main, wire.encode({"event": "cell done", "number": step["cell"], "error": error}))
        else:
            for check_id in step["checks"]:
                forked[check_id] = _fork_worker(channels, check_id, namespace, main)
            wire.send(main, wire.encode({"event": "checkpoint", "checks": step["checks"],
                                         "pids": {c: forked[c] for c in step["checks"]}}))
    wire.send(main, wire.encode({"event": "done"}))
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # as the namespace's init, reap whatever ends
    while main.recv(4096):
        pass


def end_strays(me: int, keep=()) -> None:
    """SIGKILL (and reap) every other process of this process's session but ``keep``: the processes
    a cell or a call started end with it, so that a fork bomb's copies cannot outlive the code that
    forked them."""
    session = os.getsid(0)
    for _ in range(1000):
        strays = [pid for pid in _processes() if pid != me and pid not in keep and _session_of(pid) == session]
        for pid in strays:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            pass
        if not strays:
            return


def _processes() -> list:
    try:
        return [int(entry) for entry in os.listdir("/proc") if entry.isdigit()]
    except OSError:  # no /proc in this sandbox: nothing to sweep
        return []


def _session_of(pid: int):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return None if fields[0] in ("Z", "X") else int(fields[3])
    except (OSError, IndexError, ValueError):
        return None


def _only_in(pid: int) -> None:
    """End this process if it is a copy that the student's code forked (it must not speak for the original)."""
    if os.getpid() != pid:
        os._exit(0)


class _Cell:
    """A notebook.CodeCell as the init receives it (the child never imports nbformat)."""

    def __init__(self, number, source):
        self.number, self.source = number, source
        self.label = f"<notebook cell {number}>"


def _fork_worker(channels: dict, check_id: str, namespace: dict, main: socket.socket) -> int:
    """Fork the worker of ``check_id``, with its own socket and output pipe, and let go of both here:
    the worker is then their only holder, so its end shows at once on the grader's side (torch
    keeps one thread: a process whose OpenMP pool has several threads cannot fork safely)."""
    sys.stdout.flush()
    sys.stderr.flush()
    sock, output = channels.pop(check_id)
    pid = os.fork()
    if pid == 0:
        try:
            main.close()
            for other, other_output in channels.values():
                other.close()
                os.close(other_output)
            os.dup2(output, 1)
            os.dup2(output, 2)
            os.close(output)
            serve(sock, namespace)
        finally:
            os._exit(0)
    sock.close()
    os.close(output)
    return pid


def serve(sock: socket.socket, namespace: dict) -> None:
    """Answer call requests on ``sock`` until it closes: one ``call_function`` each."""
    me = os.getpid()
    os.setsid()  # the worker's session: what its calls start, and nothing else, is in it
    while True:
        try:
            request = wire.decode(wire.receive(sock, MAX_MESSAGE_BYTES), allow_models=True)
        except EOFError:
            return
        try:
            response = _answer(request, namespace)
            _only_in(me)
            end_strays(me)
            payload = wire.encode(response)
        except Exception as err:  # e.g. a returned value that cannot be encoded
            payload = wire.encode({"id": request.get("id"), "value": None, "history": [], "model": None,
                                   "error": f"the result could not be sent back: {type(err).__name__}: {err}"})
        sys.stdout.flush()
        wire.send(sock, payload)


def _answer(request: dict, namespace: dict) -> dict:
    if request.get("program") == "class visualization":
        return {"id": request["id"], "value": _class_visualization(namespace, *request["args"]),
                "history": [], "model": None, "error": None}
    fn = namespace.get(request["function"])
    if not callable(fn):
        return {"id": request["id"], "undefined": True}
    call = call_function(fn, list(request["args"]), request["followups"], request["with_model_state"],
                         bool(request.get("record_forwards")))
    model = call.model
    return {"id": request["id"], "value": call.value, "error": call.error, "error_type": call.error_type,
            "history": [[a if isinstance(a, torch.Tensor) else None for a in after] for after in call.history],
            "model": None if model is None else {"training": model.training, "hooks": model.hooks, "state": model.state},
            "forwards": call.forwards, "forward_count": call.forward_count}


def _class_visualization(namespace, model: nn.Module, target: int, iterations: int, image_size: int):
    """The image the student's class step makes from the standard noise (for the feedback page)."""
    step = namespace["class_visualization_update_step"]
    image, _ = ascend_from_noise(lambda img: step(img, model, target, 1e-3, 25), num_iterations=iterations,
                                 image_size=image_size, progress=False)
    return torch.from_numpy(image)

