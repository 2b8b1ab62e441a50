"""The isolation modes, and the strongest one this host allows.

- ``namespaces``: a private root, PID, network, IPC and UTS namespaces (``isolation``). Needs
  unprivileged user namespaces and a fresh /proc: most Linux machines, not Docker's defaults.
- ``uid``: the grader is root without namespaces (Gradescope; Docker or a pod as root). Each
  sandbox runs as a uid of its own (UID_BASE + its keeper's pid) with no groups and no
  capabilities, NO_NEW_PRIVS, the seccomp filter (``seccomp``), a private 0700 folder, Landlock on
  top where the kernel has it; every process of that uid is killed before anything is written.
  Without Landlock, the grader's own files must be unreadable to other users (``protect``).
- ``landlock``: an ordinary user without namespaces (a JupyterHub pod, a Kubernetes pod under the
  "restricted" standard, a CI job). Landlock rules (read the system, the packages, the data and the
  helpers; write only its private folder) with signals and abstract sockets scoped (ABI 6 and
  later, else refused: a sandbox of the grader's own uid could signal it), the seccomp filter.
- ``none``: only for trusted code (``--isolation none``).

``choose("auto")`` probes each mode in a forked child (once per process) and takes the first that
works; ``choose(MODE)`` requires that one. ``NoIsolation`` carries each mode's reason and the
advice that fits it.
"""
import ctypes
import errno
import os
import shutil
import signal
import time

from . import isolation, landlock, seccomp

MODES = ("namespaces", "uid", "landlock")
CHOICES = ("auto", *MODES, "none")
UID_BASE = isolation.UID_BASE
PR_SET_CHILD_SUBREAPER = 36
SWEEP_S = 30.0
"""How long a keeper may take to kill what its sandbox left behind."""


class NoIsolation(RuntimeError):
    """No isolation mode (or not the one asked for) works here; the message says why and what to change."""


# ------------------------------------------------------------------ choosing

_PROBED = {}


def choose(requested) -> str:
    """The mode to grade in: ``requested`` if it works (True or "auto": the first that does);
    NoIsolation otherwise. False or "none": no isolation."""
    if requested in (False, "none"):
        return "none"
    wanted = MODES if requested in (True, "auto") else (requested,)
    if not set(wanted) <= set(MODES):
        raise ValueError(f"unknown isolation mode {requested!r}: choose one of {', '.join(CHOICES)}")
    reasons = {}
    for mode in wanted:
        reasons[mode] = probe(mode)
        if reasons[mode] is None:
            return mode
    raise NoIsolation(refusal(reasons))


def probe(mode: str):
    """None if ``mode`` works here, else why not (remembered for this process)."""
    if mode not in _PROBED:
        _PROBED[mode] = _in_child(globals()[f"_try_{mode}"])
    return _PROBED[mode]


def _in_child(attempt):
    """Run ``attempt()`` in a forked child; None if it returned, else the text of what it raised."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        try:
            attempt()
            status = 0
        except BaseException as err:  # noqa: BLE001 -- everything goes back to the parent as text
            os.write(write_end, str(err).encode()[:4000] or type(err).__name__.encode())
            status = 1
        os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        said = pipe.read().decode(errors="replace")
    _, status = os.waitpid(pid, 0)
    return None if os.waitstatus_to_exitcode(status) == 0 else (said or "the probe's process died")


def _try_namespaces() -> None:
    try:
        isolation.enter()
    except isolation.IsolationError as err:
        raise RuntimeError(_namespace_cause(err)) from None
    pid = os.fork()  # the new PID namespace's first process, as a sandbox's init
    if pid == 0:
        status = 0
        try:
            isolation.mount_fresh_proc()
        except isolation.IsolationError as err:
            status = 3 if err.errno == errno.EPERM else 4
        os._exit(status)
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    if code == 3:
        raise RuntimeError("a fresh /proc cannot be mounted: /proc is masked here (Docker masks paths under /proc "
                           "unless started with `--security-opt systempaths=unconfined`; Kubernetes: "
                           "`securityContext.procMount: Unmasked`)")
    if code:
        raise RuntimeError("a fresh /proc could not be mounted in a new PID namespace")


def _namespace_cause(err) -> str:
    step = getattr(err, "step", "")
    if err.errno == errno.ENOSPC:
        return ("user namespaces are disabled (user.max_user_namespaces is 0): "
                "`sysctl -w user.max_user_namespaces=10000`")
    if "map" in step:
        return ("the new user namespace's uid map cannot be written: AppArmor restricts unprivileged user "
                "namespaces here (Ubuntu 23.10 and later): `sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`, "
                "or an AppArmor profile that allows them for this Python")
    if err.errno == errno.EPERM:
        masked = " and `--security-opt systempaths=unconfined` (it masks /proc)" if _proc_masked() else ""
        return ("creating user namespaces is refused (EPERM: a seccomp profile, such as Docker's, containerd's "
                "and CRI-O's default, or a security module): in Docker, `--security-opt seccomp=unconfined`"
                f"{masked}; Kubernetes: `seccompProfile: Unconfined`")
    return str(err)


def _proc_masked() -> bool:
    """Whether something is mounted over a path under /proc (Docker's masked paths)."""
    try:
        with open("/proc/self/mountinfo") as mounts:
            return any(line.split()[4].startswith("/proc/") for line in mounts)
    except OSError:
        return False


def _try_uid() -> None:
    if os.geteuid() != 0:
        raise RuntimeError("the grader is not root (only root can run each sandbox as a uid of its own)")
    caps = isolation._effective_capabilities()
    if not (caps >> isolation.CAP_SETUID & 1 and caps >> isolation.CAP_SETGID & 1):
        raise RuntimeError("root lacks CAP_SETUID and CAP_SETGID here (as with `--cap-drop ALL`): keep them "
                           "(`--cap-add SETUID --cap-add SETGID`)")
    _become(UID_BASE + os.getpid())
    _lock(landlock.abi() >= 1, [], [])


def _try_landlock() -> None:
    version = landlock.abi()
    if version < 1:
        raise RuntimeError("Landlock is not available (Linux 5.13 or later with Landlock enabled: "
                           "`lsm=...,landlock` on the kernel's command line)")
    if version < landlock.SIGNAL_SCOPE_ABI:
        raise RuntimeError(f"Landlock ABI {version} cannot keep a sandbox from signalling the grader, which runs "
                           f"as the same user (ABI {landlock.SIGNAL_SCOPE_ABI}, Linux 6.12, can)")
    isolation.drop_capabilities(strict=False)
    _lock(True, [], [])


def refusal(reasons: dict) -> str:
    """Why no mode could be used, mode by mode, and what would make one work."""
    lines = "".join(f"\n  - {mode}: {reason}" for mode, reason in reasons.items())
    return ("no isolation mode works on this machine, so student code cannot be run safely here:" + lines +
            "\nAny one of these changes is enough. (Grading without isolation, `--isolation none`, is only "
            "for code you trust.)")


# ------------------------------------------------------------------ locking a sandbox down

def _become(uid: int) -> None:
    """As root: give up every capability (the bounding set too) and become ``uid``, with no groups."""
    isolation.drop_bounding_set()
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)  # leaving uid 0 clears the permitted and effective capabilities


def _lock(with_landlock: bool, read: list, write: list):
    """NO_NEW_PRIVS, Landlock (if asked) and the seccomp filter; the Landlock ABI used or None."""
    if ctypes.CDLL(None, use_errno=True).prctl(seccomp.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(NO_NEW_PRIVS) failed")
    version = landlock.restrict(read=read, write=write) if with_landlock else None
    seccomp.install()
    return version


def lock_down(mode: str, user: dict, read: list, folder: str):
    """In a sandbox's init (``uid`` or ``landlock``): become its user, then lock down; the folder
    ``folder`` is its only writable one. Returns the Landlock ABI in force (None: none)."""
    if mode == "uid":
        _become(user["uid"])
    else:
        isolation.drop_capabilities(strict=False)
    os.chdir(folder)
    write = [folder, "/dev/null", "/dev/zero"]
    return _lock(mode == "landlock" or landlock.abi() >= 1, read, write)


def readable_paths(binds: list, helpers: str) -> list:
    """What a sandbox without a private root may read: the binds' sources (system, Python, packages,
    data), the helpers, /etc, /proc and a few devices."""
    return [source for source, _ in binds] + [helpers, "/etc", "/proc", "/dev/urandom", "/dev/random",
                                              "/sys/devices/system/cpu"]


# ------------------------------------------------------------------ the keeper's side

def private_folder(parent: str, uid) -> str:
    """A fresh 0700 folder under ``parent`` for one sandbox, owned by ``uid`` (None: this user)."""
    folder = os.path.join(parent, f"sandbox-{os.getpid()}")
    shutil.rmtree(folder, ignore_errors=True)  # a dead keeper's of the same pid
    os.mkdir(folder, 0o700)
    if uid is not None:
        os.chown(folder, uid, uid)
    return folder


def become_subreaper() -> None:
    """Orphans of this process's descendants (a double fork, a daemon) become its children."""
    ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def sweep(uid=None) -> None:
    """Kill and reap every descendant of this (subreaper) process; as root with ``uid``, also every
    process of that uid (kill(-1) from a child that becomes it). Returns once none is left, or after
    SWEEP_S."""
    me, deadline, sweeper = os.getpid(), time.monotonic() + SWEEP_S, None
    if uid is not None:
        sweeper = os.fork()
    if sweeper == 0:
        try:
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            while time.monotonic() < deadline and os.kill(-1, signal.SIGKILL) is None:
                time.sleep(0.005)
        except OSError:
            pass  # ESRCH: nothing of that uid is left but this process
        os._exit(0)
    while time.monotonic() < deadline:
        for pid in set(_children(me)) - {sweeper}:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def _children(parent: int) -> list:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == parent:
                        found.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return found


def tasks_of(uid: int) -> int:
    """How many tasks (threads included: what RLIMIT_NPROC counts) run as ``uid`` now."""
    count = 0
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and os.stat(f"/proc/{entry}").st_uid == uid:
                count += len(os.listdir(f"/proc/{entry}/task"))
        except OSError:
            pass
    return count


def leave_canary() -> int:
    """Start a process that escapes its session (a double fork and setsid), as a daemon would; its
    pid. The keeper's sweep must kill it: the grader checks that it did."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        os.setsid()
        grandchild = os.fork()
        if grandchild == 0:
            os.closerange(0, 1 << 16)  # a daemon: none of the run's sockets or pipes held
            while True:
                signal.pause()
        os.write(write_end, str(grandchild).encode())
        os._exit(0)
    os.close(write_end)
    os.waitpid(pid, 0)
    with os.fdopen(read_end) as pipe:
        return int(pipe.read())
