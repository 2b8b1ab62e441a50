"""A seccomp filter for sandboxes: no network, no debugging of other processes, no kernel features
that could reach past the sandbox's walls. Built as a classic BPF program with ctypes; no library.

The filter answers these system calls with an error (the process goes on):

- ``socket`` for the network families (AF_INET, AF_INET6, AF_NETLINK, AF_PACKET): no network, not
  even loopback, and no reading of the host's interfaces; AF_UNIX stays (Python's socketpairs);
- ``ptrace``, ``process_vm_readv``/``writev``, ``pidfd_getfd``: no reading or steering another
  process, the grader included, even one of the same uid;
- ``mount`` and its relatives, ``unshare``, ``setns``, ``pivot_root``: no new namespaces or mounts;
- ``keyctl``, ``add_key``, ``request_key``: no kernel keyrings (shared per uid);
- ``io_uring_*`` (it would open sockets past this filter), ``bpf``, ``perf_event_open``,
  ``userfaultfd``, ``open_by_handle_at``;
- on x86-64, every call of the x32 ABI (numbers from 0x40000000), whose numbers the list above
  would not match.

A call made with another architecture's convention (a 32-bit int 0x80 on x86-64) ends the process.
Installing it needs NO_NEW_PRIVS (``install`` sets it); it holds for every thread (TSYNC) and is
inherited by every child, for good.
"""
import ctypes
import errno
import platform
import socket
import struct

AF_NETLINK, AF_PACKET = 16, 17
DENIED_FAMILIES = (socket.AF_INET, socket.AF_INET6, AF_NETLINK, AF_PACKET)

_X86_64 = {
    "arch": 0xC000003E, "seccomp": 317, "socket": 41, "ptrace": 101, "process_vm_readv": 310,
    "process_vm_writev": 311, "pidfd_getfd": 438, "mount": 165, "umount2": 166, "pivot_root": 155,
    "unshare": 272, "setns": 308, "keyctl": 250, "add_key": 248, "request_key": 249, "bpf": 321,
    "perf_event_open": 298, "userfaultfd": 323, "open_by_handle_at": 304, "io_uring_setup": 425,
    "io_uring_enter": 426, "io_uring_register": 427, "open_tree": 428, "move_mount": 429, "fsopen": 430,
    "fsconfig": 431, "fsmount": 432, "fspick": 433, "mount_setattr": 442,
}
_AARCH64 = {
    "arch": 0xC00000B7, "seccomp": 277, "socket": 198, "ptrace": 117, "process_vm_readv": 270,
    "process_vm_writev": 271, "pidfd_getfd": 438, "mount": 40, "umount2": 39, "pivot_root": 41,
    "unshare": 97, "setns": 268, "keyctl": 219, "add_key": 217, "request_key": 218, "bpf": 280,
    "perf_event_open": 241, "userfaultfd": 282, "open_by_handle_at": 265, "io_uring_setup": 425,
    "io_uring_enter": 426, "io_uring_register": 427, "open_tree": 428, "move_mount": 429, "fsopen": 430,
    "fsconfig": 431, "fsmount": 432, "fspick": 433, "mount_setattr": 442,
}
SYSCALLS = {"x86_64": _X86_64, "aarch64": _AARCH64}.get(platform.machine())
"""This machine's system call numbers (None: the kit has no filter for this architecture)."""
DENIED = sorted(set(SYSCALLS or {}) - {"arch", "seccomp", "socket"})

# Classic BPF: the opcodes this filter uses, and seccomp's verdicts.
LD_ABS_W, JEQ_K, JGE_K, RET_K = 0x20, 0x15, 0x35, 0x06
RET_ALLOW, RET_KILL_PROCESS, RET_ERRNO = 0x7FFF0000, 0x80000000, 0x00050000
NR, ARCH, ARG0 = 0, 4, 16
"""Offsets in struct seccomp_data: the call's number, its architecture, its first argument (low half)."""
PR_SET_NO_NEW_PRIVS, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC = 38, 1, 1

_libc = ctypes.CDLL(None, use_errno=True)


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _op(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def program() -> bytes:
    """The filter's instructions (8 bytes each), as the kernel reads them."""
    if SYSCALLS is None:
        raise OSError(errno.ENOSYS, f"the kit has no seccomp filter for {platform.machine()}")
    refuse = _op(RET_K, RET_ERRNO | errno.EPERM)
    code = [_op(LD_ABS_W, ARCH), _op(JEQ_K, SYSCALLS["arch"], 1, 0), _op(RET_K, RET_KILL_PROCESS),
            _op(LD_ABS_W, NR)]
    if SYSCALLS is _X86_64:
        code += [_op(JGE_K, 0x40000000, 0, 1), refuse]
    families = [_op(LD_ABS_W, ARG0)]
    for family in DENIED_FAMILIES:
        families += [_op(JEQ_K, family, 0, 1), _op(RET_K, RET_ERRNO | errno.EAFNOSUPPORT)]
    families.append(_op(RET_K, RET_ALLOW))
    code += [_op(JEQ_K, SYSCALLS["socket"], 0, len(families))] + families
    for name in DENIED:
        code += [_op(JEQ_K, SYSCALLS[name], 0, 1), refuse]
    code.append(_op(RET_K, RET_ALLOW))
    return b"".join(code)


def install() -> None:
    """Set NO_NEW_PRIVS and install the filter on every thread of this process; OSError if the
    kernel refuses (no seccomp, or a filter already forbids it)."""
    if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(NO_NEW_PRIVS) failed")
    code = program()
    buffer = ctypes.create_string_buffer(code, len(code))
    prog = _Program(len(code) // 8, ctypes.addressof(buffer))
    if _libc.syscall(SYSCALLS["seccomp"], SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC,
                     ctypes.byref(prog)) != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"installing the seccomp filter failed: {errno.errorcode.get(number, number)}")
