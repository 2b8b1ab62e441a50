"""Shared fixtures: the real data and model, loaded once per test session."""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # what the sandbox uses; on 2 shared cores two threads per
import pytest  # noqa: E402  process spin against each other (a TinyNet step took 170 ms instead of 1 ms)
import torch  # noqa: E402

torch.set_num_threads(1)

import netvis

HEAVY = ("test_adversarial.py", "test_grading_ways.py", "test_containers.py")
"""Modules that each run four to six gradings or kernels at once: one pytest-xdist worker runs them
one after the other, first (the two at the same time would want about as much memory as a 24 GiB
machine has, and each keeps both cores busy on its own)."""
SPREAD = ("test_corpus.py",)
"""Modules of independent tests, handed to the workers one test at a time (as ``--dist load``)."""


def pytest_collection_modifyitems(items):
    """The heavy modules first, then the other slow tests, the spread ones last: pytest-xdist hands out
    modules in this order (``--no-loadscope-reorder``), so the longest start first and the short ones
    fill in at the end. The sort is stable: a module's tests keep their order."""
    def rank(item):
        name = item.path.name
        return 0 if name in HEAVY else 1 if item.get_closest_marker("slow") else 3 if name in SPREAD else 2
    items.sort(key=rank)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """With ``--dist loadscope`` (as ``make test`` runs): a module's tests (classes included) go to one worker, so its
    module fixtures (a graded corpus, a JupyterLab server) are built once; the heavy modules share one
    scope; the spread modules' tests go one by one."""
    if config.getoption("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ModuleScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            module = nodeid.split("::", 1)[0]
            name = module.rsplit("/", 1)[-1]
            return "heavy modules" if name in HEAVY else nodeid if name in SPREAD else module

    return ModuleScheduling(config, log)


@pytest.fixture(scope="session")
def imagenet():
    """(X uint8 (25, 224, 224, 3), y (25,), class_names) of the validation images."""
    return netvis.load_imagenet_val()


@pytest.fixture(scope="session")
def squeezenet():
    """The pretrained SqueezeNet on the CPU, eval mode, frozen."""
    torch.manual_seed(0)
    return netvis.load_pretrained_squeezenet()


@pytest.fixture(scope="module")
def module_monkeypatch():
    """A monkeypatch that lasts for a module's tests (for module-scoped fixtures)."""
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="session")
def student_python(tmp_path_factory):
    """A Python with the kit's packages but not the kit: a venv whose ``site-packages`` holds one
    ``.pth`` line, the kit venv's ``site-packages``. That folder is added to ``sys.path``, but its
    own ``.pth`` files (the kit's editable install) are not run, so ``import netvis`` works only
    where a ``netvis/`` folder sits beside the code, as on a student's machine."""
    import subprocess
    import sys
    import sysconfig
    from pathlib import Path

    venv = tmp_path_factory.mktemp("student-python") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    own = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                         capture_output=True, text=True, check=True).stdout.strip()
    Path(own, "kit-packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    probe = subprocess.run([str(python), "-c", "import torch, nbclient, netvis"], capture_output=True, text=True,
                           cwd=venv, env=dict(os.environ, PYTHONPATH=""))
    assert "No module named 'netvis'" in probe.stderr, probe.stderr  # torch and nbclient are there; the kit is not
    return python


@pytest.fixture(scope="session")
def data_mirror(tmp_path_factory) -> str:
    """Where ``get_datasets.sh`` fetches from in tests: ``$NETVIS_DATA_MIRROR`` as CI sets it, else a
    mirror of the kit's own verified ``datasets/`` (links and their SHA256SUMS), so that the suite
    runs offline wherever ``make data`` has run once."""
    import hashlib
    from pathlib import Path

    from autograder.config import KIT_ROOT

    if os.environ.get("NETVIS_DATA_MIRROR"):
        return os.environ["NETVIS_DATA_MIRROR"]
    files = sorted(p for p in (KIT_ROOT / "datasets").iterdir() if p.suffix in (".npz", ".pth"))
    if not files:
        pytest.fail("no data to mirror: run `make data` (or set NETVIS_DATA_MIRROR) first")
    mirror = tmp_path_factory.mktemp("mirror")
    sums = []
    for path in files:
        (mirror / path.name).symlink_to(path)
        sums.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}\n")
    Path(mirror, "SHA256SUMS").write_text("".join(sums))
    return str(mirror)
