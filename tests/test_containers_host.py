"""What the kit's Python meets inside real Docker containers (tests/containers.py), measured: Docker's
default seccomp profile and capabilities as root, an unprivileged read-only setup, and
``containers.seccomp_profile`` (Docker's namespace rules, and no Landlock as on a kernel < 5.13).
These tests need a Docker daemon (.ci/dockerd starts one as root); without one they fail."""
import json
import subprocess
import uuid

import pytest

import containers
from containers import KIT, KIT_PYTHON, run_in_container

PROBE = r'''
import ctypes, errno, json, os, socket
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
CLONE_NEWUSER, SIGCHLD = 0x10000000, 17
SYS_clone3, SYS_landlock_create_ruleset = 435, 444  # the same on every architecture
SYS_clone = {"x86_64": 56, "aarch64": 220}[os.uname().machine]

def outcome(value):
    """0 or more: the value; else the errno's name."""
    return value if value >= 0 else errno.errorcode[ctypes.get_errno()]

def status(field):
    return next(line.split(":", 1)[1].strip() for line in open("/proc/self/status")
                if line.startswith(field + ":"))

facts = {"uid": os.getuid(), "seccomp": status("Seccomp"), "cap_eff": status("CapEff"),
         "no_new_privs": status("NoNewPrivs"), "interfaces": [n for _, n in socket.if_nameindex()]}


def in_child(measure):
    """measure() in a forked child (which may change its namespaces or ids), its JSON result."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.write(write, json.dumps(measure()).encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    return json.loads(os.read(read, 1000))

def clone_newuser():
    pid = libc.syscall(SYS_clone, ctypes.c_ulong(CLONE_NEWUSER | SIGCHLD), None, None, None, None)
    if pid == 0:
        os._exit(0)
    if pid > 0:
        os.waitpid(pid, 0)
    return outcome(pid)

def setresuid():  # gives away root for good
    try:
        os.setresuid(12345, 12345, 12345)
        return list(os.getresuid())
    except OSError as e:
        return errno.errorcode[e.errno]

facts["unshare_newuser"] = in_child(lambda: outcome(libc.unshare(CLONE_NEWUSER)))
facts["clone_newuser"] = in_child(clone_newuser)
facts["clone3"] = outcome(libc.syscall(SYS_clone3, None, ctypes.c_size_t(0)))
facts["landlock_abi"] = outcome(libc.syscall(SYS_landlock_create_ruleset, None, ctypes.c_size_t(0),
                                             ctypes.c_uint32(1)))  # LANDLOCK_CREATE_RULESET_VERSION
facts["setresuid_child"] = in_child(setresuid)
print(json.dumps(facts))
'''


def probe(**options):
    """The facts PROBE measures, in a container of run_in_container(**options), as a dict."""
    result = run_in_container([KIT_PYTHON, "-c", PROBE], timeout=60, **options)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def profile(tmp_path_factory):
    """containers.seccomp_profile's file (Landlock answered with ENOSYS)."""
    return containers.seccomp_profile(tmp_path_factory.mktemp("seccomp") / "profile.json")


def test_base_image_is_a_skeleton_imported_once():
    name = containers.base_image()
    assert containers.base_image.__wrapped__() == name  # imported again: found by its name
    size, layers = containers.docker("image", "inspect", name, "--format",
                                     "{{.Size}} {{len .RootFS.Layers}}").stdout.split()
    assert int(size) < 1024 and int(layers) == 1  # directories and links only (vfs: 0 B, overlay2: 31 B)
    result = run_in_container([KIT_PYTHON, "-c", "import os; print(os.readlink('/bin'), os.readlink('/lib64'), "
                               "oct(os.stat('/tmp').st_mode), oct(os.stat('/root').st_mode), os.getcwd(), "
                               "os.environ['HOME'], os.path.isdir(os.environ['HOME']), "
                               "os.environ['OMP_NUM_THREADS'])"], timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["usr/bin", "usr/lib64", "0o41777", "0o40755", str(KIT), "/tmp/home",
                                     "True", "1"]


def test_default_profile_as_root():
    """Docker's default profile, root with Docker's default capabilities: no new namespaces (the
    profile gates unshare and clone's CLONE_NEW* flags on CAP_SYS_ADMIN), clone3 answers ENOSYS,
    a forked child may give away root with setresuid, and Landlock works (this dockerd's profile
    allows its system calls; the kernel reports its ABI)."""
    facts = probe()
    assert facts["uid"] == 0 and facts["seccomp"] == "2"  # 2: a seccomp filter is on
    assert facts["unshare_newuser"] == "EPERM"
    assert facts["clone_newuser"] == "EPERM"
    assert facts["clone3"] == "ENOSYS"
    assert facts["setresuid_child"] == [12345, 12345, 12345]
    assert isinstance(facts["landlock_abi"], int) and facts["landlock_abi"] >= 1, facts["landlock_abi"]
    assert facts["interfaces"] == ["lo"]


def test_default_masks_kernel_files():
    """Docker masks some of /proc (with /dev/null or an empty read-only tmpfs) and mounts /proc/sys
    and /sys read-only, even for root."""
    code = ("import os\n"
            "print(open('/proc/timer_list').read() == '', os.listdir('/proc/acpi'), os.listdir('/sys/firmware'))\n"
            "for path in ('/proc/sys/kernel/hostname', '/sys/kernel/profiling'):\n"
            "    try:\n"
            "        open(path, 'w').close()\n"
            "    except OSError as e:\n"
            "        print(path, e.strerror)\n")
    result = run_in_container([KIT_PYTHON, "-c", code], timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["True [] []",
                                          "/proc/sys/kernel/hostname Read-only file system",
                                          "/sys/kernel/profiling Read-only file system"]


def test_unprivileged_read_only_kit():
    """As a user with no capabilities and no_new_privs, the kit mounted read-only: the kit's Python
    imports torch and netvis (the kit's own copy), cannot write into the kit, can write /tmp and
    run programs from it."""
    marker = f"container-write-{uuid.uuid4().hex[:8]}"
    code = f"""
import errno, os, subprocess, torch, netvis
print(os.getuid(), os.getgid(), netvis.__file__)
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
print(status["CapEff"].strip(), status["NoNewPrivs"].strip())
for path in ("{KIT}/{marker}", "{KIT}/assignment/{marker}"):
    try:
        open(path, "w").close()
    except OSError as e:
        print(errno.errorcode[e.errno])
with open("/tmp/run.sh", "w") as f:
    f.write("#!/bin/sh\\necho ran from tmp\\n")
os.chmod("/tmp/run.sh", 0o755)
print(subprocess.run(["/tmp/run.sh"], capture_output=True, text=True).stdout.strip())
print(torch.ones(2).sum().item())
"""
    result = run_in_container([KIT_PYTHON, "-c", code], user="1000:1000", cap_drop="ALL",
                              security_opt=["no-new-privileges"], kit_read_only=True, timeout=90)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"1000 1000 {KIT}/assignment/netvis/__init__.py",
                                          "0000000000000000 1", "EROFS", "EROFS", "ran from tmp", "2.0"]
    assert not (KIT / marker).exists() and not (KIT / "assignment" / marker).exists()


def test_read_write_kit_is_writable_by_root():
    """Without kit_read_only the kit is bound read-write: root in the container writes a file
    that the host sees."""
    name = f".container-write-{uuid.uuid4().hex[:8]}"
    try:
        result = run_in_container(["/bin/sh", "-c", f"echo hello > {KIT}/{name}"], timeout=60)
        assert result.returncode == 0, result.stderr
        assert (KIT / name).read_text() == "hello\n"
    finally:
        (KIT / name).unlink(missing_ok=True)


def test_unconfined_allows_user_namespaces():
    """Without seccomp (``seccomp=unconfined``) root in the container may make a user namespace, and
    clone3 reaches the kernel (EINVAL for its empty arguments): the EPERM and ENOSYS above are the
    profile's doing."""
    facts = probe(security_opt=["seccomp=unconfined"])
    assert facts["seccomp"] == "0"
    assert facts["unshare_newuser"] == 0
    assert isinstance(facts["clone_newuser"], int) and facts["clone_newuser"] > 0
    assert facts["clone3"] == "EINVAL"


def test_own_profile(profile):
    """containers.seccomp_profile: as Docker's profile for new namespaces and clone3, but Landlock
    answers ENOSYS; fork and setresuid still work; --network none leaves only the loopback."""
    facts = probe(security_opt=[f"seccomp={profile}"])
    assert facts["seccomp"] == "2"
    assert facts["unshare_newuser"] == "EPERM"
    assert facts["clone_newuser"] == "EPERM"
    assert facts["clone3"] == "ENOSYS"
    assert facts["landlock_abi"] == "ENOSYS"
    assert facts["setresuid_child"] == [12345, 12345, 12345]
    assert facts["interfaces"] == ["lo"]


def test_own_profile_without_landlock_rule(tmp_path):
    """With landlock_enosys=False the profile leaves Landlock to the kernel."""
    path = containers.seccomp_profile(tmp_path / "profile.json", landlock_enosys=False)
    facts = probe(security_opt=[f"seccomp={path}"], user="1000:1000", cap_drop="ALL",
                  kit_read_only=True)
    assert facts["uid"] == 1000 and facts["cap_eff"] == "0000000000000000"
    assert isinstance(facts["landlock_abi"], int) and facts["landlock_abi"] >= 1
    assert facts["unshare_newuser"] == "EPERM"


def test_timeout_kills_and_removes_the_container():
    name = f"netvis-test-timeout-{uuid.uuid4().hex[:12]}"
    with pytest.raises(subprocess.TimeoutExpired):
        run_in_container(["/bin/sleep", "60"], name=name, timeout=3)
    left = containers.docker("ps", "--all", "--quiet", "--filter", f"name=^/{name}$").stdout
    assert left.strip() == b""
