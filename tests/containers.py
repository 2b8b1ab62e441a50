"""Support for tests that run code inside real Docker containers, offline, with Docker's default
security settings (or stricter ones), e.g. to grade a notebook the way a Docker-based grading
service would.

The containers need no registry: their image (``base_image()``) is a skeleton of empty directories,
and the host's ``/usr``, ``/etc``, Python installation and the kit are bind-mounted read-only at
their own paths, so the kit's venv Python (``KIT_PYTHON``) runs in them unchanged. They have no
network (``--network none``). The daemon is the kit's own (``.ci/dockerd``) unless ``$DOCKER_HOST``
names one that answers.

This is a support module, not a test file::

    from containers import run_in_container, KIT_PYTHON
    result = run_in_container([KIT_PYTHON, "-c", "import torch"], user="1000:1000", cap_drop="ALL")
"""
from __future__ import annotations

import fcntl
import functools
import hashlib
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import uuid
from pathlib import Path

KIT = Path(__file__).resolve().parent.parent
"""The kit's root (the repository this file lies in); containers see it at the same path."""
KIT_PYTHON = str(KIT / ".venv" / "bin" / "python")
"""The kit's venv Python, as containers run it (its symlink leads into the bind-mounted Python)."""
KIT_SOCKET = "unix:///run/netvis-docker.sock"
"""Where ``.ci/dockerd`` starts the kit's own daemon."""
DOCKERD_SCRIPT = KIT / ".ci" / "dockerd"
HOME = "/tmp/home"
"""$HOME in the containers: created on their tmpfs /tmp, so writable by any user."""
TMPFS_SIZE = "4g"
DEFAULT_TIMEOUT = 120.0

# Namespace flags of clone(2) (CLONE_NEWTIME, 0x80, is left out: in clone's flags that bit is part of
# the exit signal; only clone3 and unshare take it).
_CLONE_NAMESPACE_FLAGS = {
    "CLONE_NEWNS": 0x00020000,
    "CLONE_NEWCGROUP": 0x02000000,
    "CLONE_NEWUTS": 0x04000000,
    "CLONE_NEWIPC": 0x08000000,
    "CLONE_NEWUSER": 0x10000000,
    "CLONE_NEWPID": 0x20000000,
    "CLONE_NEWNET": 0x40000000,
}
_EPERM, _ENOSYS = 1, 38
_ARCHITECTURES = {
    "x86_64": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
    "aarch64": ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"],
}


def _docker_cli() -> str:
    """The path of a docker client (the first on $PATH, else Debian's); RuntimeError if there is none."""
    cli = shutil.which("docker") or ("/usr/bin/docker" if os.path.exists("/usr/bin/docker") else None)
    if cli is None:
        raise RuntimeError("no docker client: as root run .ci/dockerd (it installs Debian's docker.io and "
                           "starts a daemon), or install docker.io and set DOCKER_HOST")
    return cli


def _answers(host: str) -> bool:
    """Whether a Docker daemon answers at ``host`` (a DOCKER_HOST url) within 20 s."""
    try:
        result = subprocess.run([_docker_cli(), "-H", host, "version", "--format", "{{.Server.Version}}"],
                                stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
    except (subprocess.TimeoutExpired, RuntimeError):
        return False
    return result.returncode == 0


@functools.lru_cache(maxsize=None)
def docker_host() -> str:
    """The DOCKER_HOST url of a daemon that answers: ``$DOCKER_HOST`` if set and it answers; else, as
    root, the kit's own daemon, which ``.ci/dockerd`` installs and starts when needed; else, as any
    other user, the kit's daemon if it already answers. Raises RuntimeError saying what to do when
    none can be had (the container tests then fail, they never skip). Remembered per process."""
    tried = []
    env_host = os.environ.get("DOCKER_HOST")
    if env_host:
        if _answers(env_host):
            return env_host
        tried.append(f"DOCKER_HOST={env_host} does not answer")
    if os.geteuid() == 0:
        result = subprocess.run([str(DOCKERD_SCRIPT)], stdin=subprocess.DEVNULL, capture_output=True,
                                text=True, timeout=600)
        lines = result.stdout.split()
        if result.returncode == 0 and lines and _answers(lines[-1]):
            return lines[-1]
        tried.append(f"{DOCKERD_SCRIPT} failed (exit {result.returncode}): "
                     f"{(result.stderr or result.stdout).strip()[-2000:]}")
    elif _answers(KIT_SOCKET):
        return KIT_SOCKET
    else:
        tried.append(f"not root, so {DOCKERD_SCRIPT} cannot start the kit's daemon, and none answers "
                     f"on {KIT_SOCKET}")
    raise RuntimeError("no Docker daemon for the container tests: " + "; ".join(tried) + ". Run "
                       f"`sudo {DOCKERD_SCRIPT}` (it installs Debian's docker.io and starts a daemon on "
                       f"{KIT_SOCKET}) and export DOCKER_HOST={KIT_SOCKET}, or set DOCKER_HOST to a "
                       "daemon you may use.")


def docker(*args: str, timeout: float = 120, check: bool = True, input: bytes | None = None
           ) -> subprocess.CompletedProcess:
    """Runs ``docker -H <docker_host()> ARGS...`` and returns its CompletedProcess (bytes output);
    with ``check``, a failure raises RuntimeError carrying the command's stderr."""
    command = [_docker_cli(), "-H", docker_host(), *args]
    result = subprocess.run(command, input=input, stdin=None if input is not None else subprocess.DEVNULL,
                            capture_output=True, timeout=timeout)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed (exit {result.returncode}): "
                           f"{result.stderr.decode(errors='replace').strip()}")
    return result


def _base_tar() -> bytes:
    """The base image's file system as a tar, byte for byte the same on every call: Debian's
    directory skeleton with its merged-/usr symlinks, /tmp 1777, /root and /home 0755, all root's."""
    entries = [  # (name, mode or link target)
        ("dev", 0o755), ("etc", 0o755), ("home", 0o755), ("proc", 0o755), ("root", 0o755),
        ("run", 0o755), ("sys", 0o755), ("tmp", 0o1777), ("usr", 0o755), ("usr/bin", 0o755),
        ("usr/lib", 0o755), ("usr/lib64", 0o755), ("usr/sbin", 0o755), ("var", 0o755),
        ("var/tmp", 0o1777),
        ("bin", "usr/bin"), ("lib", "usr/lib"), ("lib64", "usr/lib64"), ("sbin", "usr/sbin"),
    ]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, what in entries:
            info = tarfile.TarInfo(name)
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            info.mtime = 0
            if isinstance(what, str):
                info.type, info.linkname, info.mode = tarfile.SYMTYPE, what, 0o777
            else:
                info.type, info.mode = tarfile.DIRTYPE, what
            tar.addfile(info)
    return buffer.getvalue()


@functools.lru_cache(maxsize=None)
def base_image() -> str:
    """The name of the containers' image, ``netvis-base:<hash of its tar>``: made by ``docker import``
    from the skeleton tar of ``_base_tar()`` (no registry is needed), once per daemon; later calls
    find it by its name, which changes with its content."""
    data = _base_tar()
    name = f"netvis-base:{hashlib.sha256(data).hexdigest()[:16]}"
    # One importer at a time (pytest-xdist workers): two imports would leave an untagged copy.
    with open(os.path.join(tempfile.gettempdir(), "netvis-docker-import.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if docker("image", "inspect", name, check=False).returncode != 0:
            docker("import", "--message", "netvis-kit tests: directory skeleton (tests/containers.py)",
                   "-", name, input=data)
    return name


def _python_root() -> str | None:
    """The real directory of this Python's installation (``sys.base_prefix``), which containers need
    bound; None when it lies under /usr, which they have anyway."""
    root = os.path.realpath(sys.base_prefix)
    return None if root == "/usr" or root.startswith("/usr/") else root


def _mount(source, target, read_only: bool) -> list[str]:
    """The ``--mount`` option binding host path ``source`` at ``target`` (recursively)."""
    spec = f"type=bind,source={source},target={target}" + (",readonly" if read_only else "")
    return ["--mount", spec]


def run_in_container(command: list, *, user=None, cap_drop=None, security_opt=(), kit_read_only=False,
                     mount_kit: bool = True, env=None, extra_mounts=(), timeout: float = DEFAULT_TIMEOUT, name: str | None = None,
                     input: str | None = None) -> subprocess.CompletedProcess:
    """Runs ``command`` (a list; its first item a path inside the container, e.g. ``KIT_PYTHON``) in a
    new container, ``docker run --rm --network none`` of ``base_image()``, and returns the
    CompletedProcess of ``docker run`` (text stdout and stderr; returncode the command's own, or
    125-127 when docker could not run it).

    The container sees, bound at their own paths: /usr, /etc and the real directory of this
    Python's ``sys.base_prefix`` (e.g. /root/.pyenv/versions/3.11.7) read-only, and the kit,
    read-only when ``kit_read_only`` else read-write (not at all without ``mount_kit``: then the
    working directory is /tmp); a tmpfs /tmp (exec, mode 1777, 4 GB at most);
    HOME=/tmp/home (created there before the command runs), OMP_NUM_THREADS=1, then ``env`` (a dict);
    working directory the kit. Otherwise Docker's defaults (its seccomp profile and capabilities)
    hold unless changed by ``user`` (``--user``, e.g. "1000:1000"), ``cap_drop`` (a name such as
    "ALL", or several), ``security_opt`` (e.g. ["no-new-privileges", "seccomp=/path/profile.json"])
    and ``extra_mounts`` (``(source, target)`` or ``(source, target, "ro"|"rw")``, read-only unless
    "rw"). ``input`` is given to the command's stdin.

    The container is named ``name`` (default: unique per call). On timeout it is killed and removed
    and ``subprocess.TimeoutExpired`` is raised; it is removed whatever happens."""
    name = name or f"netvis-test-{os.getpid()}-{uuid.uuid4().hex[:12]}"
    cli, host, image = _docker_cli(), docker_host(), base_image()
    args = [cli, "-H", host, "run", "--rm", "--name", name, "--network", "none"]
    if input is not None:
        args.append("--interactive")
    args += _mount("/usr", "/usr", True) + _mount("/etc", "/etc", True)
    python_root = _python_root()
    if python_root:
        args += _mount(python_root, python_root, True)
    if mount_kit:
        args += _mount(KIT, KIT, kit_read_only)
    for mount in extra_mounts:
        source, target, *mode = mount
        args += _mount(os.path.realpath(source), target, (mode or ["ro"])[0] != "rw")
    args += ["--tmpfs", f"/tmp:rw,exec,nosuid,nodev,mode=1777,size={TMPFS_SIZE}",
             "--workdir", str(KIT) if mount_kit else "/tmp"]
    environment = {"HOME": HOME, "OMP_NUM_THREADS": "1", **(env or {})}
    for key, value in environment.items():
        args += ["--env", f"{key}={value}"]
    if user is not None:
        args += ["--user", str(user)]
    for capability in [cap_drop] if isinstance(cap_drop, str) else (cap_drop or ()):
        args += ["--cap-drop", capability]
    for option in [security_opt] if isinstance(security_opt, str) else security_opt:
        args += ["--security-opt", option]
    # /bin/sh is the host's (/usr/bin/sh through the image's bin -> usr/bin).
    args += [image, "/bin/sh", "-c", 'mkdir -p "$HOME" && exec "$@"', "sh", *map(str, command)]
    finished = False
    try:
        result = subprocess.run(args, input=input, stdin=None if input is not None else subprocess.DEVNULL,
                                capture_output=True, text=True, timeout=timeout)
        finished = True
        return result
    except subprocess.TimeoutExpired:
        subprocess.run([cli, "-H", host, "kill", name], capture_output=True, timeout=60)
        raise
    finally:
        if not finished:  # --rm removes it once it stops; make sure, as the client may not have waited
            subprocess.run([cli, "-H", host, "rm", "--force", name], capture_output=True, timeout=60)


def seccomp_profile(path, landlock_enosys: bool = True) -> Path:
    """Writes to ``path`` (and returns it) a seccomp profile in Docker's JSON format
    (``--security-opt seccomp=PATH``) that behaves like Docker's default profile for what a sandbox
    touches, for a process without CAP_SYS_ADMIN: every system call is allowed
    (``defaultAction`` SCMP_ACT_ALLOW) except that unshare, setns, mount, umount2 and pivot_root
    fail with EPERM; clone fails with EPERM when its flags ask for any new namespace (one
    SCMP_CMP_MASKED_EQ rule per CLONE_NEW* flag); clone3 fails with ENOSYS (so that C libraries
    fall back to clone, as under Docker's profile). With ``landlock_enosys``,
    landlock_create_ruleset, landlock_add_rule and landlock_restrict_self also fail with ENOSYS,
    as on a kernel older than 5.13 (without Landlock)."""
    rules = [
        {"names": ["unshare", "setns", "mount", "umount2", "pivot_root"], "action": "SCMP_ACT_ERRNO",
         "errnoRet": _EPERM},
    ]
    for flag, value in _CLONE_NAMESPACE_FLAGS.items():
        rules.append({"names": ["clone"], "action": "SCMP_ACT_ERRNO", "errnoRet": _EPERM,
                      "args": [{"index": 0, "value": value, "valueTwo": value, "op": "SCMP_CMP_MASKED_EQ"}],
                      "comment": f"clone with {flag}"})
    rules.append({"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": _ENOSYS})
    if landlock_enosys:
        rules.append({"names": ["landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self"],
                      "action": "SCMP_ACT_ERRNO", "errnoRet": _ENOSYS})
    profile = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": rules}
    architectures = _ARCHITECTURES.get(platform.machine())
    if architectures:
        profile["architectures"] = architectures
    path = Path(path)
    path.write_text(json.dumps(profile, indent=2) + "\n")
    return path
