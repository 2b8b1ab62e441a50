"""What students get (autograder/handout.py): the bundle holds no solution, and runs on its own."""
import functools
import http.server
import json
import os
import re
import subprocess
import threading
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder.config import KIT_ROOT, NOTEBOOK_NAME, SOLUTION_NOTEBOOK
from autograder.dev.variants import read_variant, write_notebook
from autograder.handout import BUNDLE_FOLDER, notebook_with_url, write_student_bundle

REGION = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END \1", re.DOTALL)
STYLE = KIT_ROOT / "tests" / "corpus" / "styles" / "helpers_and_constants.py"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return write_student_bundle(tmp_path_factory.mktemp("bundle") / "netvis_student.zip")


def _solution_lines() -> set:
    """Every line of the solution notebook's solution and hidden-test regions that says something
    (not the scaffolding that the release keeps around them)."""
    source = nbformat.read(SOLUTION_NOTEBOOK, as_version=4)
    public = "\n".join(REGION.sub("", c.source) for c in source.cells)
    lines = {line.strip() for c in source.cells for _, region in REGION.findall(c.source)
             for line in region.splitlines() if len(line.strip()) > 20}
    return {line for line in lines if line not in public}


def test_bundle_is_one_folder_with_what_students_need(bundle):
    names = zipfile.ZipFile(bundle).namelist()
    assert {n.split("/")[0] for n in names} == {BUNDLE_FOLDER}
    for needed in [NOTEBOOK_NAME, "README.md", "requirements.txt", "get_datasets.sh", "netvis/__init__.py",
                   "netvis/__main__.py", "netvis/selfcheck.py", "netvis/checks/__init__.py"]:
        assert f"{BUNDLE_FOLDER}/{needed}" in names
    assert zipfile.ZipFile(bundle).getinfo(f"{BUNDLE_FOLDER}/get_datasets.sh").external_attr >> 16 & 0o111
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".pt", ".pth", ".npz"))]


def test_no_file_in_the_bundle_holds_anything_of_the_solution(bundle):
    secret = _solution_lines()
    assert len(secret) > 30  # the solution regions were found (lines of over 20 characters: not `img.grad.zero_()`,
    # which a check message names)
    with zipfile.ZipFile(bundle) as archive:
        for name in archive.namelist():
            text = archive.read(name).decode("utf-8", errors="replace")
            leaked = [line for line in secret if line in text]
            assert not leaked, (name, leaked[:3])
            assert not re.search(r"^\s*(from|import)\s+autograder", text, re.MULTILINE), name  # nor the grader
            assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text, name


def test_student_requirements_pin_what_the_kit_pins_and_no_grading_tools():
    def pins(path):
        return dict(line.split("==") for line in path.read_text().splitlines() if "==" in line and not line.startswith("#"))

    student, kit = pins(KIT_ROOT / "assignment" / "requirements.txt"), pins(KIT_ROOT / "requirements.txt")
    assert {"torch", "torchvision", "jupyterlab", "nbclient"} <= set(student)
    assert not {"nbgrader", "playwright", "pytest", "captum"} & set(student)
    assert all(kit[name] == version for name, version in student.items()), "assignment/requirements.txt drifted"


def test_the_bundle_url_goes_into_the_locked_setup_cell_with_a_valid_checksum():
    from nbgrader.utils import compute_checksum

    notebook = nbformat.reads(notebook_with_url("https://example.org/netvis_student.zip"), as_version=4)
    cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "get_helpers")
    assert 'BUNDLE_URL = "https://example.org/netvis_student.zip"' in cell.source
    assert cell.metadata.nbgrader["checksum"] == compute_checksum(cell)
    with pytest.raises(ValueError, match="BUNDLE_URL"):
        notebook_with_url('http://x/"; import os; os.system("id")')


def _unzip(bundle: Path, into: Path) -> Path:
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(into)
    folder = into / BUNDLE_FOLDER
    (folder / "get_datasets.sh").chmod(0o755)  # zipfile does not restore modes
    return folder


def _run(python, *args, cwd, env=None, timeout=900):
    """``python ARGS`` as a student runs it: no PYTHONPATH of the developer's, unless ``env`` sets one."""
    return subprocess.run([str(python), *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, **{"PYTHONPATH": "", **(env or {})}))


def test_helpers_find_the_data_beside_the_notebook_or_say_where_they_looked(bundle, tmp_path, student_python,
                                                                              data_mirror):
    folder = _unzip(bundle, tmp_path)
    env = {"NETVIS_DATA_DIR": ""}
    missing = _run(student_python, "-c", "import netvis; netvis.load_imagenet_val()", cwd=folder, env=env)
    assert "FileNotFoundError" in missing.stderr
    assert str(folder / "datasets") in missing.stderr and "./get_datasets.sh" in missing.stderr
    fetched = subprocess.run(["./get_datasets.sh"], cwd=folder, capture_output=True, text=True,
                             env=dict(os.environ, NETVIS_DATA_DIR="", NETVIS_DATA_MIRROR=data_mirror))
    assert fetched.returncode == 0, fetched.stderr
    found = _run(student_python, "-c", "from netvis.config import data_dir; print(data_dir())", cwd=folder, env=env)
    assert found.stdout.strip() == str(folder / "datasets")
    elsewhere = _run(student_python, "-c", "import netvis; print(netvis.config.data_dir())", cwd=tmp_path,
                     env=dict(env, PYTHONPATH=str(folder)))  # another working folder: beside the helpers
    assert elsewhere.stdout.strip() == str(folder / "datasets"), elsewhere.stderr
    explicit = _run(student_python, "-c", "from netvis.config import data_dir; print(data_dir())", cwd=folder,
                    env={"NETVIS_DATA_DIR": str(tmp_path / "shared")})
    assert explicit.stdout.strip() == str(tmp_path / "shared")


@pytest.mark.slow
def test_unzipped_bundle_runs_a_correct_notebook_with_every_test_cell_passing(bundle, tmp_path, student_python,
                                                                              data_mirror):
    """As a student: unzip outside the kit, fetch the data, write the solution cell by cell, check."""
    folder = _unzip(bundle, tmp_path)
    fetched = subprocess.run(["./get_datasets.sh"], cwd=folder, capture_output=True, text=True,
                             env=dict(os.environ, NETVIS_DATA_DIR="", NETVIS_DATA_MIRROR=data_mirror))
    assert fetched.returncode == 0, fetched.stderr
    written = write_notebook(read_variant(STYLE), tmp_path / "written")
    (folder / NOTEBOOK_NAME).write_bytes(written.read_bytes())
    checked = _run(student_python, "-m", "netvis", "check", cwd=folder, env={"NETVIS_DATA_DIR": ""})
    print(checked.stdout[-3000:])
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-3000:]
    assert "Public points: 38/38" in checked.stdout
    assert checked.stdout.count(" ok") >= 20 and "Cells that raised" not in checked.stdout
    packed = _run(student_python, "-m", "netvis", "submit", "--no-check", cwd=folder)
    assert packed.returncode == 0, packed.stderr
    with zipfile.ZipFile(folder / "netvis_submission.zip") as archive:
        assert archive.read(NOTEBOOK_NAME) == (folder / NOTEBOOK_NAME).read_bytes()


def _serve(folder: Path):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


EXECUTE = """
import sys, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True).execute()
nbformat.write(nb, sys.argv[1])
"""


def _errors(notebook: Path) -> dict:
    cells = nbformat.read(notebook, as_version=4).cells
    return {c.metadata.get("nbgrader", {}).get("grade_id", i): f"{o.ename}: {o.evalue}"
            for i, c in enumerate(cells) if c.cell_type == "code" for o in c.outputs if o.output_type == "error"}


@pytest.mark.slow
def test_colab_notebook_alone_fetches_the_bundle_and_the_data(tmp_path, student_python, data_mirror):
    """A folder that holds only the notebook, as in Colab: its first cell fetches the bundle over
    (loopback) HTTP, unpacks it, fetches the data; the notebook then runs up to the first stub."""
    served = tmp_path / "served"
    served.mkdir()
    server = _serve(served)
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/netvis_student.zip"
        write_student_bundle(served / "netvis_student.zip", url)
        colab = tmp_path / "colab"
        colab.mkdir()
        notebook = colab / NOTEBOOK_NAME
        notebook.write_bytes((served / "colab" / NOTEBOOK_NAME).read_bytes())
        run = _run(student_python, "-c", EXECUTE, str(notebook), cwd=colab,
                   env={"NETVIS_DATA_DIR": "", "NETVIS_DATA_MIRROR": data_mirror})
        assert run.returncode == 0, run.stderr[-3000:]
    finally:
        server.shutdown()
        server.server_close()  # nothing listens there any more: the offline case below
    assert (colab / "netvis" / "__init__.py").is_file() and (colab / "datasets" / "imagenet_val_25.npz").is_file()
    errors = _errors(notebook)
    assert not {"get_helpers", "setup", "load_model_and_data"} & set(errors), errors
    assert any("NotImplementedError" in e for e in errors.values())  # the first stub, as in a fresh release
    printed = json.dumps(nbformat.read(notebook, as_version=4).cells[2].outputs)
    assert "running on cpu" in printed or "running on cuda" in printed

    # Nothing to fetch from: the first cell says what to do, in one sentence.
    alone = tmp_path / "offline"
    alone.mkdir()
    (alone / NOTEBOOK_NAME).write_bytes((served / "colab" / NOTEBOOK_NAME).read_bytes())
    _run(student_python, "-c", EXECUTE, str(alone / NOTEBOOK_NAME), cwd=alone)
    message = _errors(alone / NOTEBOOK_NAME)["get_helpers"]
    assert message.startswith("RuntimeError: Could not download http://127.0.0.1:") and \
        "upload netvis_student.zip beside this notebook" in message
