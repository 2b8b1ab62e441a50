"""Shared fixtures: the real data and model, loaded once per test session."""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # what the sandbox uses; on 2 shared cores two threads per
import pytest  # noqa: E402  process spin against each other (a TinyNet step took 170 ms instead of 1 ms)
import torch  # noqa: E402

torch.set_num_threads(1)

import netvis


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
