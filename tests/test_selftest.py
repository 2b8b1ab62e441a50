"""The self-test's verdict is remembered while nothing it depends on changes (autograder/selftest.py)."""
import pytest

from autograder import isolation, selftest


@pytest.fixture
def proofs(tmp_path, monkeypatch):
    """Count the real self-tests; each "process" starts with an empty in-memory record."""
    runs = []

    def prove(isolate, limits):
        runs.append((isolate, dict(limits)))
        if limits.get("budget") == 13:
            raise selftest.SelfTestFailed("the solution did not get full marks")
        return {"mode": "namespaces", "pid": 1}

    monkeypatch.setenv("NETVIS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(selftest, "_prove", prove)
    monkeypatch.setattr(selftest, "_PROVEN", {})
    return runs


def _new_process(monkeypatch):
    monkeypatch.setattr(selftest, "_PROVEN", {})


def test_a_second_run_on_the_same_machine_does_not_grade_the_solution_again(proofs, monkeypatch):
    assert selftest.self_test(True, timeout=60) == {"mode": "namespaces", "pid": 1}
    _new_process(monkeypatch)
    assert selftest.self_test(True, timeout=60) == {"mode": "namespaces", "pid": 1}
    assert len(proofs) == 1


def test_the_background_self_test_says_whether_its_verdict_was_remembered(proofs, monkeypatch):
    first = selftest.BackgroundSelfTest(True, timeout=60)
    first.verdict()
    _new_process(monkeypatch)
    second = selftest.BackgroundSelfTest(True, timeout=60)
    second.verdict()
    assert (first.remembered, second.remembered, len(proofs)) == (False, True, 1)


@pytest.mark.parametrize("change", ["isolation", "limits", "sandbox", "kernel", "kit"])
def test_any_change_it_depends_on_proves_the_sandbox_again(proofs, monkeypatch, change):
    selftest.self_test(True, timeout=60)
    _new_process(monkeypatch)
    isolate, limits = True, {"timeout": 60}
    if change == "isolation":
        isolate = False
    elif change == "limits":
        limits = {"timeout": 30}
    elif change == "sandbox":
        binds = isolation.sandbox_binds
        monkeypatch.setattr(isolation, "sandbox_binds", lambda data: binds(data)[:-1])
    elif change == "kernel":
        real = selftest.os.uname
        monkeypatch.setattr(selftest.os, "uname", lambda: tuple(real())[:2] + ("6.99.0-other",) + tuple(real())[3:])
    else:
        real = selftest._kit_fingerprint
        monkeypatch.setattr(selftest, "_kit_fingerprint", lambda: real() + "-edited")
    selftest.self_test(isolate, **limits)
    assert len(proofs) == 2


def test_a_failed_self_test_is_never_remembered(proofs, monkeypatch):
    for _ in range(2):
        _new_process(monkeypatch)
        with pytest.raises(selftest.SelfTestFailed):
            selftest.self_test(True, budget=13)
    assert len(proofs) == 2


def test_an_unwritable_cache_only_means_proving_again(proofs, monkeypatch, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("NETVIS_CACHE_DIR", str(blocker))
    for _ in range(2):
        _new_process(monkeypatch)
        selftest.self_test(True, timeout=60)
    assert len(proofs) == 2
