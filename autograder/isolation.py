"""Linux namespaces for the sandbox, without privileges: the kit's own unshare, mounts and pivot_root.

A sandbox gets its own user, PID, mount, network, IPC and UTS namespaces. That needs no
privilege where unprivileged user namespaces are allowed (most Linux machines, as an ordinary
user or as root, with or without CAP_SYS_ADMIN). The process that enters them (``enter``,
outside the new PID namespace) forks the sandbox's init, which builds a private root
(``build_root``: a read-only skeleton with a tmpfs /tmp, /proc, and read-only binds of the Python
runtime, the installed packages and the data), pivots into it and drops every capability (``drop_privileges``).

The user mapping depends on who grades: an ordinary user maps its own uid; root maps a uid of
its own per sandbox (a helper outside the namespace writes the map, as newuidmap does); root
without CAP_SETUID cannot map any uid and runs unmapped, where nothing can be written.
"""
import ctypes
import errno as errno_module
import os
import platform
import resource
import site
import socket
import sys
import sysconfig
import tempfile

from . import scratch

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 0x1, 0x2, 0x4, 0x8
MS_REMOUNT, MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 0x20, 0x1000, 0x2000, 0x4000, 0x40000
MNT_DETACH = 2
PR_SET_NO_NEW_PRIVS, PR_CAPBSET_DROP = 38, 24
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}.get(platform.machine())
SYS_CAPSET = {"x86_64": 126, "aarch64": 91}.get(platform.machine())
CAP_SETGID, CAP_SETUID = 6, 7
UID_BASE = 200000
"""As root, a sandbox runs as uid UID_BASE + the pid of its entering process: unique among live sandboxes."""
DEVICES = ("/dev/null", "/dev/zero", "/dev/random", "/dev/urandom")
TMP_SIZE = "64m"

_libc = ctypes.CDLL(None, use_errno=True)


class IsolationError(OSError):
    """A step of building the sandbox failed; the message names the step and the system's reason."""

    step = ""


def _check(result: int, step: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        error = IsolationError(errno, f"{step} failed: {os.strerror(errno)}")
        error.step = step
        raise error


def _mount(source, target: str, fstype, flags: int, data=None) -> None:
    encode = lambda s: None if s is None else s.encode()
    _check(_libc.mount(encode(source), target.encode(), encode(fstype), ctypes.c_ulong(flags), encode(data)),
           f"mount {source or fstype} on {target}")


def _effective_capabilities() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1], 16) for line in status if line.startswith("CapEff"))


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


# ------------------------------------------------------------------ parent side: what to show

DATA_MOUNT = "/netvis-data"
"""Where the sandbox sees the data folder, wherever it is on the host (``NETVIS_DATA_DIR`` inside)."""
STAGED = "/.staged"
"""Where binds whose path is under /tmp (a kit cloned there) wait in the skeleton until the private
/tmp is mounted and their mount points are made in it."""


def _in_tmp(path: str) -> bool:
    return (path + os.sep).startswith("/tmp/")


def sandbox_binds(data_dir) -> list:
    """(host folder, path inside) pairs the sandbox sees, read-only: system libraries, the Python
    runtime and the installed packages at their own paths, and the data at DATA_MOUNT. Never the
    kit, the references or any submission."""
    packages = [p for p in sys.path if os.path.basename(p) in ("site-packages", "dist-packages")]
    paths = ["/usr", sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"],
             *site.getsitepackages(), *packages]
    paths = [os.path.realpath(p) for p in paths if p and os.path.isdir(p)]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64"):
        if os.path.isdir(top) and not os.path.islink(top):
            paths.append(top)
    unique = sorted(set(paths))
    runtime = [p for p in unique if not any(p != q and p.startswith(q + os.sep) for q in unique)]
    return [(p, p) for p in runtime] + [(os.path.realpath(data_dir), DATA_MOUNT)]


_ROOTS = {}


def prepare_root(binds: list) -> str:
    """An empty skeleton holding a mount point for every bind (made once per grader process)."""
    key = tuple(binds)
    if key not in _ROOTS:
        root = tempfile.mkdtemp(prefix="root-", dir=scratch.base())
        targets = [target for _, target in binds]
        for path in targets + [STAGED + t for t in targets if _in_tmp(t)] + ["/tmp", "/proc", "/dev"]:
            os.makedirs(root + path, exist_ok=True)
        for device in DEVICES:
            open(root + device, "w").close()
        for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64"):
            if os.path.islink(top):
                os.symlink(os.readlink(top), root + top)
        for folder, _, _ in os.walk(root):
            os.chmod(folder, 0o755)
        _ROOTS[key] = root
    return _ROOTS[key]


# ------------------------------------------------------------ child side: entering, locking down

def enter() -> dict:
    """Enter new user, mount, network, IPC, UTS and PID namespaces (the PID one for children).

    Returns how the user is mapped: {"user": "own uid N" | "uid N" | "unmapped"}.
    """
    if SYS_PIVOT_ROOT is None:
        raise IsolationError(0, f"namespaces are not supported on {platform.machine()} by this kit")
    euid, egid = os.geteuid(), os.getegid()
    capabilities = _effective_capabilities()
    can_map = euid == 0 and capabilities >> CAP_SETUID & 1 and capabilities >> CAP_SETGID & 1
    uid = UID_BASE + os.getpid()
    helper = _start_map_writer(uid) if can_map else None
    _check(_libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWPID),
           "unshare (creating namespaces)")
    if helper:
        _finish_map_writer(*helper)
        return {"user": f"uid {uid}", "switch_to_root": True}
    if euid != 0:
        try:
            _write("/proc/self/setgroups", "deny")
            _write("/proc/self/uid_map", f"0 {euid} 1")
            _write("/proc/self/gid_map", f"0 {egid} 1")
        except OSError as err:
            error = IsolationError(err.errno, f"writing the uid map failed: {err.strerror}")
            error.step = "writing the uid map"
            raise error from None
        return {"user": f"own uid {euid}", "switch_to_root": False}
    return {"user": "unmapped", "switch_to_root": False}


def _start_map_writer(uid: int):
    """Fork a helper that stays outside and writes this process's uid and gid maps once it has unshared."""
    go_read, go_write = os.pipe()
    done_read, done_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(go_write)
            if os.read(go_read, 1):
                target = os.getppid()
                _write(f"/proc/{target}/uid_map", f"0 {uid} 1")
                _write(f"/proc/{target}/gid_map", f"0 {uid} 1")
                os.write(done_write, b"1")
        finally:
            os._exit(0)
    os.close(go_read)
    os.close(done_write)
    return pid, go_write, done_read


def _finish_map_writer(pid: int, go_write: int, done_read: int) -> None:
    os.write(go_write, b"1")
    os.close(go_write)
    written = os.read(done_read, 1)
    os.close(done_read)
    os.waitpid(pid, 0)
    if written != b"1":
        error = IsolationError(errno_module.EPERM, "writing the sandbox's uid map failed")
        error.step = "writing the uid map"
        raise error


def build_root(root: str, binds: list, user: dict) -> None:
    """Make ``root`` this mount namespace's root, read-only: the binds read-only, a fresh tmpfs /tmp
    and /proc, the host's root detached. Run in the new PID namespace's init, before anything else.

    The binds are made as the host user, who can reach their sources. Those under /tmp are staged
    and moved onto the private /tmp once ``user``'s mapped uid can make their mount points there;
    an unmapped user, who could write nothing there anyway, keeps the skeleton's read-only /tmp."""
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _bind_read_only(root, root)  # the skeleton is shared by a grader's sandboxes: nobody writes to it
    private_tmp = user["user"] != "unmapped"
    staged = [target for _, target in binds if private_tmp and _in_tmp(target)]
    for source, target in binds:
        _bind_read_only(source, root + (STAGED + target if target in staged else target))
    for device in DEVICES:
        _mount(device, root + device, None, MS_BIND)
    if private_tmp:
        _mount("tmpfs", root + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={TMP_SIZE},mode=1777")
    if staged:
        _become_mapped_user(user["switch_to_root"])
        for target in staged:
            os.makedirs(root + target, exist_ok=True)
            _mount(root + STAGED + target, root + target, None, MS_MOVE)
    try:
        _mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    except IsolationError:
        pass  # some containers mask /proc; the sandbox works without it
    os.chdir(root)
    _check(_libc.syscall(SYS_PIVOT_ROOT, b".", b"."), "pivot_root")
    _check(_libc.umount2(b".", MNT_DETACH), "detaching the host's root")
    os.chdir("/tmp")
    os.environ["NETVIS_DATA_DIR"] = DATA_MOUNT


def _bind_read_only(source: str, target: str) -> None:
    _mount(source, target, None, MS_BIND | MS_REC)
    flags = os.statvfs(target).f_flag
    kept = sum(ms for st, ms in ((os.ST_NOSUID, MS_NOSUID), (os.ST_NODEV, MS_NODEV), (os.ST_NOEXEC, MS_NOEXEC))
               if flags & st)
    _mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | kept)


def _become_mapped_user(switch_to_root: bool) -> None:
    """Where a helper mapped a uid of the sandbox's own, become it: the namespace's root, which keeps
    its capabilities inside."""
    if switch_to_root:
        os.setresgid(0, 0, 0)
        os.setgroups([])
        os.setresuid(0, 0, 0)


def mount_fresh_proc() -> None:
    """In a new PID and mount namespace: mount a fresh /proc over the old one (what a sandbox's root
    needs; refused where the host's /proc has masked paths)."""
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)


def drop_bounding_set() -> None:
    """Remove every capability from the bounding set (needs CAP_SETPCAP; a no-op for those missing)."""
    for capability in range(64):
        if _libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0 and ctypes.get_errno() == 22:
            break  # EINVAL: past the last capability this kernel knows


def drop_capabilities(strict: bool = True) -> None:
    """Give up every capability for good: the bounding set, then the effective, permitted and
    inheritable sets (``strict``: failing to is an error)."""
    drop_bounding_set()
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable: all empty
    result = _libc.syscall(SYS_CAPSET, header, data)
    if strict:
        _check(result, "capset (dropping capabilities)")


def drop_privileges(switch_to_root: bool) -> None:
    """Become the namespace's mapped user (where there is one), then give up every capability for good."""
    _become_mapped_user(switch_to_root)
    socket.sethostname("sandbox")
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")
    drop_capabilities()


def apply_limits(limits: dict) -> None:
    """Cap the address space (above what is mapped now), file size, core dumps and processes."""
    with open("/proc/self/statm") as statm:
        mapped = int(statm.read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (mapped + limits["memory"],) * 2)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_size"],) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NPROC, (limits["processes"],) * 2)


def observe(hidden_paths: list, mode: str = "namespaces", runtime=()) -> dict:
    """What the sandbox can see, from inside, before any student code runs. Without a private root
    (``uid``, ``landlock``), a grader's path counts as visible where it can be read or listed, and
    the network and the keeper (the init's parent, outside the sandbox) are tried directly, and
    every folder of ``runtime`` (Python, the packages, the data) must be readable."""
    private_root = mode == "namespaces"
    visible = [p for p in hidden_paths if (os.path.exists(p) if private_root else _readable(p))]
    processes = [p for p in os.listdir("/proc") if p.isdigit()] if os.path.isdir("/proc/self") else []
    report = {"pid": os.getpid(), "processes": len(processes), "host_paths_visible": visible,
              "root_writable": _writable("/"), "uid": os.getuid(), "python": sys.version.split()[0]}
    if private_root:
        report["interfaces"] = [name for _, name in socket.if_nameindex()]
    else:
        report["unreadable_runtime"] = [p for p in runtime if not _readable(p)]
        report["network_blocked"] = _network_blocked()
        report["keeper_signalable"] = _signalable(os.getppid())
    return report


def _readable(path: str) -> bool:
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            with open(path, "rb") as f:
                f.read(1)
        return True
    except OSError:
        return False


def _network_blocked() -> bool:
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.socket(family, socket.SOCK_STREAM).close()
            return False
        except OSError:
            pass
    return True


def _signalable(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def _writable(folder: str) -> bool:
    try:
        fd, path = tempfile.mkstemp(dir=folder)
    except OSError:
        return False
    os.close(fd)
    os.unlink(path)
    return True
