"""Landlock, Linux's unprivileged access control (5.13 and later), with ctypes: a sandbox that may
read only the folders it is given and write only its own.

``restrict(read=..., write=...)`` handles every file-system right that this kernel's Landlock ABI
knows, grants reading (and executing) beneath ``read`` and everything beneath ``write``, refuses
TCP binds and connects (ABI 4 and later), and scopes abstract unix sockets and signals to the
sandbox (ABI 6 and later: it can signal no process outside its own domain, the grader included).
Landlock also forbids a sandboxed process to ptrace one outside its domain (every ABI), which
closes /proc/<pid>/mem, environ and fd of the grader too. The restriction holds for the process
and all its children, for good.
"""
import ctypes
import errno
import os

SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446  # the same on every architecture
CREATE_RULESET_VERSION, RULE_PATH_BENEATH = 1, 1

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, MAKE_DIR, MAKE_REG = 1 << 4, 1 << 5, 1 << 6, 1 << 7, 1 << 8
MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK, MAKE_SYM = 1 << 9, 1 << 10, 1 << 11, 1 << 12
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
FS_RIGHTS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 4: (1 << 15) - 1, 5: (1 << 16) - 1}
"""Every file-system right of each ABI (later ABIs add none)."""
FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV
"""The rights that apply to a file (a rule on a file may grant only these)."""
READ = EXECUTE | READ_FILE | READ_DIR
NET_BIND_TCP, NET_CONNECT_TCP = 1, 2
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1, 2
SIGNAL_SCOPE_ABI = 6
"""The first ABI that scopes signals (Linux 6.12)."""

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def abi() -> int:
    """This kernel's Landlock ABI version; 0 where Landlock is missing, disabled or filtered out."""
    version = _libc.syscall(SYS_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(CREATE_RULESET_VERSION))
    return max(int(version), 0)


def _fs_rights(version: int) -> int:
    return FS_RIGHTS_BY_ABI[min(version, max(FS_RIGHTS_BY_ABI))]


def restrict(read=(), write=(), version=None) -> int:
    """Restrict this process (and its future children) to reading beneath ``read`` and doing
    anything beneath ``write``; paths that do not exist are skipped. Returns the ABI used; OSError
    if Landlock is missing or refuses (NO_NEW_PRIVS must be set first)."""
    version = abi() if version is None else version
    if version < 1:
        raise OSError(errno.ENOSYS, "Landlock is not available in this kernel")
    handled = _fs_rights(version)
    attr = _RulesetAttr(handled_access_fs=handled)
    size = 8
    if version >= 4:
        attr.handled_access_net, size = NET_BIND_TCP | NET_CONNECT_TCP, 16
    if version >= SIGNAL_SCOPE_ABI:
        attr.scoped, size = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL, 24
    ruleset = _libc.syscall(SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "creating a Landlock ruleset failed")
    try:
        for paths, rights in ((read, READ & handled), (write, handled)):
            for path in paths:
                _allow(ruleset, path, rights)
        if _libc.syscall(SYS_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    finally:
        os.close(ruleset)
    return version


def _allow(ruleset: int, path: str, rights: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # not there: nothing to allow
    try:
        if not os.path.isdir(path):
            rights &= FILE_RIGHTS
        rule = _PathBeneath(allowed_access=rights, parent_fd=fd)
        if _libc.syscall(SYS_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(RULE_PATH_BENEATH),
                         ctypes.byref(rule), ctypes.c_uint32(0)) != 0:
            raise OSError(ctypes.get_errno(), f"adding a Landlock rule for {path} failed")
    finally:
        os.close(fd)
