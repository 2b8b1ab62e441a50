"""Before anyone is graded: prove the sandbox on the reference solution.

The grader grades the solution notebook in exactly the sandbox it is about to use. Unless that
earns full marks, it refuses to grade: a broken sandbox must never turn into low grades.

A passed self-test is remembered on disk (``$NETVIS_CACHE_DIR``, else ``~/.cache/netvis-kit``)
under a key made of everything its verdict depends on: the kit's code, solution and references,
the isolation mode and limits, who the grader is (uid and gid maps, capabilities), the kernel,
the Python and torch, and what the sandbox is shown. A second ``check`` on the same machine then
grades nobody twice; any change of those, and every failure, runs the self-test again.
"""
import hashlib
import json
import os
import sys
import threading
import time
from importlib import metadata
from pathlib import Path

from netvis.config import data_dir

from . import isolation, modes
from .config import KIT_ROOT, REFERENCES_DIR, SOLUTION_NOTEBOOK
from .files import atomic_write_text
from .grading import grade_notebook
from .sandbox import SandboxUnavailable

SECURITY_PAGE = "docs/security.md"
"""Where the isolation modes, and what each host needs for one, are explained."""


class SelfTestFailed(RuntimeError):
    """The sandbox cannot grade the reference solution correctly here; the message says why and what to do."""


_PROVEN = {}
"""(isolate, limits) -> isolation report, for the sandboxes this process has proven."""


def self_test(isolate: bool = True, **limits) -> dict:
    """Grade the reference solution in the sandbox (once per process and setting, and once for as
    long as nothing it depends on changes); return the isolation report, or raise SelfTestFailed."""
    return _self_test(isolate, limits)[0]


def _self_test(isolate: bool, limits: dict) -> tuple:
    """``self_test``'s report, and whether a verdict remembered (in this process or on disk) was used."""
    key = (isolate, tuple(sorted(limits.items())))
    if key in _PROVEN:
        return _PROVEN[key], True
    remembered = _cache_file(isolate, limits)
    try:
        _PROVEN[key] = json.loads(remembered.read_text())["isolation"]
        return _PROVEN[key], True
    except (OSError, ValueError, KeyError, TypeError):
        _PROVEN[key] = _prove(isolate, limits)
        _remember(remembered, _PROVEN[key])
        return _PROVEN[key], False


def _kit_fingerprint() -> str:
    digest = hashlib.sha256()
    folders = [KIT_ROOT / "autograder", KIT_ROOT / "assignment" / "netvis"]
    files = [p for folder in folders for p in sorted(folder.rglob("*")) if p.is_file() and "__pycache__" not in p.parts]
    for path in files + [SOLUTION_NOTEBOOK, Path(REFERENCES_DIR) / "manifest.json"]:
        digest.update(str(path).encode() + b"\0" + (path.read_bytes() if path.is_file() else b"missing") + b"\0")
    return digest.hexdigest()


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _cache_key(isolate: bool, limits: dict) -> str:
    """sha256 of everything the self-test's verdict depends on."""
    data, status = data_dir(), _read("/proc/self/status").splitlines()
    facts = {
        "kit": _kit_fingerprint(), "isolate": isolate, "mode": _mode(isolate), "limits": sorted(limits.items()),
        "uid": [os.getuid(), os.geteuid(), os.getgid()], "maps": [_read("/proc/self/uid_map"), _read("/proc/self/gid_map")],
        "capabilities": [line for line in status if line.startswith(("Cap", "NoNewPrivs"))],
        "kernel": list(os.uname()), "python": sys.executable, "torch": metadata.version("torch"),
        "binds": isolation.sandbox_binds(data),
        "data": sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in data.glob("*") if p.is_file()),
        "environment": {k: v for k, v in os.environ.items() if k.startswith("NETVIS_")},
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()).hexdigest()


def _mode(isolate) -> str:
    try:
        return modes.choose(isolate)
    except modes.NoIsolation:
        return "unavailable"


def cache_dir() -> Path:
    """The user's cache folder for the kit ($NETVIS_CACHE_DIR, else $XDG_CACHE_HOME or ~/.cache, then
    netvis-kit): what the kit remembers lives there, never in the kit's folder, which may be read-only."""
    folder = os.environ.get("NETVIS_CACHE_DIR") or Path(os.environ.get("XDG_CACHE_HOME") or
                                                       Path.home() / ".cache") / "netvis-kit"
    return Path(folder)


def _cache_file(isolate: bool, limits: dict) -> Path:
    return cache_dir() / "selftest" / f"{_cache_key(isolate, limits)}.json"


def _remember(path: Path, report: dict) -> None:
    """Keep a passed self-test's report; where nothing can be written, the next run proves again."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps({"isolation": report}, default=str))
    except OSError:
        pass


def refusal(err: SandboxUnavailable, isolate) -> SelfTestFailed:
    """The refusal to grade where the sandbox cannot be set up: why, and what to do (the reason
    names, mode by mode, what would make one work; see SECURITY_PAGE)."""
    advice = (f"Nothing was graded; {SECURITY_PAGE} explains each isolation mode." if isolate not in (False, "none")
              else "Report this as a bug in the kit.")
    return SelfTestFailed(f"Cannot grade here: the sandbox could not be set up: {err} {advice}")


def _prove(isolate: bool, limits: dict) -> dict:
    try:
        result = grade_notebook(SOLUTION_NOTEBOOK, "self-test", isolate=isolate, **limits)
    except SandboxUnavailable as err:
        raise refusal(err, isolate) from None
    if not result.full_marks or result.notebook_errors:
        failed = "".join(f"\n  {c.id}: {c.message.splitlines()[0]}" for c in result.checks if not c.passed)
        errors = "".join(f"\n  cell {n}: {e.splitlines()[-1]}" for n, e in result.notebook_errors.items())
        raise SelfTestFailed(f"Cannot grade here: the reference solution does not run cleanly in this sandbox "
                             f"(it scored {result.score:g}/{result.max_score:g}, extra credit "
                             f"{result.extra_score:g}/{result.extra_max_score:g}), so grades would be wrong. "
                             "Nothing was graded." + (f"\nFailed checks:{failed}" if failed else "")
                             + (f"\nNotebook errors:{errors}" if errors else ""))
    return result.isolation


class BackgroundSelfTest:
    """The self-test on another core while grading starts: ``verdict()`` waits for it and raises
    SelfTestFailed if it failed. Nothing graded may be written before ``verdict()`` returns."""

    def __init__(self, isolate: bool = True, **limits):
        self.failure, self.seconds, self.remembered, self.isolation = None, 0.0, False, {}
        self.thread = threading.Thread(target=self._prove, args=(isolate, limits), daemon=True)
        self.thread.start()

    def _prove(self, isolate: bool, limits: dict) -> None:
        start = time.perf_counter()
        try:
            self.isolation, self.remembered = _self_test(isolate, limits)
        except SelfTestFailed as err:
            self.failure = err
        self.seconds = time.perf_counter() - start

    def verdict(self) -> None:
        self.thread.join()
        if self.failure is not None:
            raise self.failure


def grade_one_after_self_test(path, student: str, isolate: bool = True, **limits):
    """Grade one notebook while the self-test runs beside it; return its result only if the
    self-test passes, else raise SelfTestFailed."""
    proof = BackgroundSelfTest(isolate, **limits)
    try:
        result = grade_notebook(path, student, isolate=isolate, **limits)
    except SandboxUnavailable as err:
        proof.verdict()  # its reason first, if it has one
        raise refusal(err, isolate) from None
    proof.verdict()
    result.timings["self-test"] = proof.seconds
    result.timings["self-test remembered"] = proof.remembered
    return result
