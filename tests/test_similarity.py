"""The similarity report (``python -m autograder similarity``): extraction, normalisation, ranking, the page.

A class is built in a temporary folder from ``tests/similarity_class``: six independent
implementations in different styles, and planted copies of two of them and of a "public
solution", disguised by renamed variables, reordered statements, changed comments and prints.
Fast: no sandbox, no torch.
"""
import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder import code_norm, similarity
from autograder.__main__ import main
from autograder.config import KIT_ROOT, NOTEBOOK_NAME, SOLUTION_NOTEBOOK
from autograder.dev.variants import Variant, build_submission
from autograder.notebook import load_notebook
from autograder.config import RELEASE_NOTEBOOK
from netvis.checks import STUDENT_FUNCTIONS

CLASS_DIR = KIT_ROOT / "tests" / "similarity_class"
STYLES = ["style_a", "style_b", "style_c", "style_d", "style_e", "style_f"]
PLANTED = {("copy_of_b", "style_b"), ("copy_of_e", "style_e")}
SCREENSHOT = KIT_ROOT / "build" / "screenshots" / "similarity.png"


def _stubs() -> dict:
    cells = load_notebook(RELEASE_NOTEBOOK).cells
    return {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in cells
            if c.metadata.get("nbgrader", {}).get("grade_id") in STUDENT_FUNCTIONS}


def variant_from_file(path: Path) -> Variant:
    """The file's student functions in their cells (its imports and helpers above the first), the
    other functions left as the release's stubs, as a student who did not do them."""
    text = path.read_text()
    tree = ast.parse(text)
    variant = Variant(path.stem, set(), "")
    variant.sources.update(_stubs())
    extra = [ast.get_source_segment(text, n) for n in tree.body
             if not (isinstance(n, ast.FunctionDef) and n.name in STUDENT_FUNCTIONS)
             and not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
    first = True
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in STUDENT_FUNCTIONS:
            source = ast.get_source_segment(text, node)
            if first:
                source, first = "\n\n".join(extra + [source]), False
            variant.sources[node.name] = source
    return variant


def write_student(root: Path, name: str, variant: Variant) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    nbformat.write(build_submission(variant), str(folder / NOTEBOOK_NAME))
    return folder


@pytest.fixture(scope="module")
def klass(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("class")
    for name in STYLES + ["copy_of_b", "copy_of_e", "copy_of_public"]:
        write_student(root, name, variant_from_file(CLASS_DIR / f"{name}.py"))
    (root / "unreadable").mkdir()
    (root / "unreadable" / NOTEBOOK_NAME).write_text("{ not json")
    return root


@pytest.fixture(scope="module")
def known(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("known")
    shutil.copy(CLASS_DIR / "public_solution.py", folder / "public_solution.py")
    shutil.copy(SOLUTION_NOTEBOOK, folder / "kit_solution.ipynb")
    return folder


@pytest.fixture(scope="module")
def report(klass, known, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    return similarity.write_report(klass, out, against=known), out


def _function(source: str, name: str = "compute_saliency_maps"):
    return code_norm.functions_in_sources([source])[name]


# --- normalisation ---------------------------------------------------------------------------

SALIENCY = '''
def compute_saliency_maps(X, y, model):
    """My docstring."""
    saliency = None
    model.eval()  # evaluation mode
    X = X.clone().requires_grad_()
    scores = model(X).gather(1, y.view(-1, 1)).squeeze()
    scores.sum().backward()
    saliency = X.grad.abs().max(dim=1).values
    return saliency
'''

RENAMED = '''
def compute_saliency_maps(images, labels, net):
    # a different comment
    net.eval()
    images = images.clone().requires_grad_()
    print("debugging", images.shape)
    picked = net(images).gather(7, labels.view(-3, 1)).squeeze()
    picked.sum().backward()  # backprop
    out = images.grad.abs().max(dim=1).values
    return out
'''


def test_renaming_comments_prints_and_literals_do_not_change_the_normalised_tokens():
    assert _function(SALIENCY).normalised == _function(RENAMED).normalised


def test_attribute_names_and_modules_are_kept_local_names_abstracted():
    tokens = _function(SALIENCY).normalised.split()
    assert {"eval", "backward", "abs", "grad", "gather"} <= set(tokens)
    assert "scores" not in tokens and "X" not in tokens and "model" not in tokens
    other = _function(SALIENCY.replace(".abs()", ".square()")).normalised
    assert other != _function(SALIENCY).normalised  # a different method is a different program


def test_starter_lines_are_stripped():
    stub = _stubs()["compute_saliency_maps"]
    assert "compute_saliency_maps" not in code_norm.functions_in_sources([stub])  # the stub alone: nothing written
    filled = stub.replace("    raise NotImplementedError()\n", "    model.eval()\n    saliency = X.abs()\n")
    tokens = _function(filled).normalised
    assert tokens == "V . eval ( ) V = V . abs ( )"  # no signature, docstring, `saliency = None`, return


def test_a_function_that_does_not_parse_falls_back_to_tokens():
    broken = SALIENCY.replace("scores.sum().backward()", "scores.sum(.backward(")
    function = _function(broken)
    assert not function.parsed and "backward" in function.normalised.split()


def test_a_cell_that_does_not_parse_is_compared_and_never_breaks_the_report(tmp_path):
    broken = SALIENCY.replace("scores.sum().backward()", "scores.sum(.backward(")
    nested = "def make_fooling_image(X, target_y, model):\n    return " + "(" * 300 + "X" + ")" * 300 + "\n"
    for name, source in (("broken", broken), ("fine", SALIENCY)):
        variant = Variant(name, set(), "")
        variant.sources.update(_stubs())
        variant.sources["compute_saliency_maps"] = source
        variant.sources["make_fooling_image"] = nested
        write_student(tmp_path / "class", name, variant)
    result = similarity.write_report(tmp_path / "class", tmp_path / "out")
    assert not result.skipped and len(result.pairs) == 1
    saliency = next(f for f in result.pairs[0].functions if f.name == "compute_saliency_maps")
    assert 0.5 < saliency.likeness < 1.0


def test_the_last_definition_counts_as_in_a_kernel():
    later = "def compute_saliency_maps(X, y, model):\n    return X.abs().sum(dim=1)\n"
    assert code_norm.functions_in_sources([SALIENCY, later])["compute_saliency_maps"].normalised == \
        "return V . abs ( ) . sum ( V = N )"


# --- ranking ---------------------------------------------------------------------------------

def _key(match) -> tuple:
    return tuple(sorted((match.first, match.second)))


def test_planted_copies_rank_first_and_independent_pairs_stay_below_the_threshold(report):
    report, _ = report
    planted = {tuple(sorted(p)) for p in PLANTED}
    assert {_key(m) for m in report.pairs[:len(planted)]} == planted
    for match in report.pairs[len(planted):]:
        assert match.score < similarity.THRESHOLD, f"{match.first} & {match.second}: {match.score:.2f}"
    assert all(m.score > similarity.THRESHOLD for m in report.pairs[:len(planted)])
    assert len(report.pairs) == 9 * 8 // 2


def test_against_finds_the_copied_public_solution_first(report):
    report, _ = report
    top = report.against[0]
    assert (top.first, top.second) == ("copy_of_public", "public_solution.py")
    assert top.score > similarity.THRESHOLD
    own = [m.second for m in report.against if m.first == "copy_of_public"]
    assert own[0] == "public_solution.py" and "kit_solution.ipynb" in own


def test_a_function_everyone_writes_alike_does_not_raise_a_pair(tmp_path):
    common = ("def compute_saliency_maps(X, y, model):\n    model.eval()\n    X.requires_grad_()\n"
              "    model(X).gather(1, y.view(-1, 1)).sum().backward()\n    return X.grad.abs().amax(dim=1)\n")
    for name in STYLES + ["copy_of_b"]:
        variant = variant_from_file(CLASS_DIR / f"{name}.py")
        helpers = variant.sources["compute_saliency_maps"].rsplit("def compute_saliency_maps", 1)[0]
        variant.sources["compute_saliency_maps"] = helpers + common
        write_student(tmp_path / "class", name, variant)
    result = similarity.write_report(tmp_path / "class", tmp_path / "out")
    assert _key(result.pairs[0]) == ("copy_of_b", "style_b")
    for match in result.pairs[1:]:
        assert match.score < similarity.THRESHOLD
        saliency = next(f for f in match.functions if f.name == "compute_saliency_maps")
        assert saliency.likeness == pytest.approx(1.0) and saliency.z == pytest.approx(0.0)


# --- the files and the command ---------------------------------------------------------------

def test_json_lists_ranked_pairs_with_per_function_scores_and_the_skipped(report):
    report, out = report
    data = json.loads((out / "similarity.json").read_text())
    scores = [p["score"] for p in data["pairs"]]
    assert scores == sorted(scores, reverse=True)
    assert sorted(data["pairs"][0]["ids"]) in [sorted(p) for p in PLANTED]
    assert set(data["pairs"][0]["functions"]) >= {"compute_saliency_maps", "make_fooling_image"}
    assert data["against"][0]["ids"] == ["copy_of_public", "public_solution.py"]
    assert data["against_by_submission"]["copy_of_public"][0]["solution"] == "public_solution.py"
    assert set(data["against_by_submission"]) == set(STYLES) | {"copy_of_b", "copy_of_e", "copy_of_public"}
    assert "unreadable" in data["skipped"] and "not a readable Jupyter notebook" in data["skipped"]["unreadable"]
    assert "not a verdict" in data["note"]


def test_page_marks_shared_code_says_it_is_no_verdict_and_escapes_student_text(tmp_path, klass):
    hostile = SALIENCY.replace("model.eval()", "model.eval()\n    tag = '</pre><script>alert(1)</script>'")
    for name in ("hostile_1", "hostile_2"):
        variant = Variant(name, set(), "")
        variant.sources.update(_stubs())
        variant.sources["compute_saliency_maps"] = hostile
        write_student(tmp_path / "class", name, variant)
    similarity.write_report(tmp_path / "class", tmp_path / "out")
    page = (tmp_path / "out" / "similarity.html").read_text()
    assert "for a person to review, not a verdict" in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<mark>" in page and "hostile_1 &amp; hostile_2" in page


def _run(*args, cwd=KIT_ROOT):
    return subprocess.run([sys.executable, "-m", "autograder", "similarity", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, env=dict(os.environ, OMP_NUM_THREADS="1"), timeout=300)


def test_command_writes_only_into_its_folder_and_leaves_a_grade_output_untouched(klass, known, report, tmp_path):
    graded = tmp_path / "graded"  # what `grade --out` leaves: grades.csv and a folder per student
    for student in ("style_a", "copy_of_b"):
        (graded / student).mkdir(parents=True)
        (graded / student / "feedback.html").write_text("<p>your feedback</p>")
        (graded / student / "results.json").write_text("{}")
    (graded / "grades.csv").write_text("student,score\n")
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in graded.rglob("*") if p.is_file()}
    submissions = {p: p.stat().st_mtime_ns for p in klass.rglob("*")}
    done = _run(klass, "--out", tmp_path / "report", "--against", known)
    assert done.returncode == 0, done.stderr
    assert "not a verdict" in done.stdout and "skipped: unreadable" in done.stdout
    assert sorted(p.name for p in (tmp_path / "report").iterdir()) == ["similarity.html", "similarity.json"]
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in graded.rglob("*") if p.is_file()} == before
    assert {p: p.stat().st_mtime_ns for p in klass.rglob("*")} == submissions
    assert not any("similarity" in p.name for p in graded.rglob("*"))
    # another process (another string-hash seed) gives the same report
    assert (tmp_path / "report" / "similarity.json").read_text() == (report[1] / "similarity.json").read_text()


@pytest.mark.parametrize("case", ["file", "empty", "no_notebooks", "against"])
def test_bad_input_is_a_clear_error(tmp_path, klass, case, capsys):
    target, extra = tmp_path / "class", []
    if case == "file":
        target.write_text("not a folder")
    elif case == "empty":
        target.mkdir()
    elif case == "no_notebooks":
        (target / "alice").mkdir(parents=True)
        (target / "alice" / "notes.txt").write_text("hello")
    else:
        target, extra = klass, ["--against", tmp_path / "missing"]
    status = main(["similarity", str(target), "--out", str(tmp_path / "out"), *map(str, extra)])
    assert status == 2
    assert {"file": "neither a folder nor a zip", "empty": "no notebooks found", "no_notebooks": "no notebooks found",
            "against": "is not a folder"}[case] in capsys.readouterr().err
    assert not (tmp_path / "out" / "similarity.html").exists()


# --- the page in a browser -------------------------------------------------------------------

def test_screenshot_of_the_page(report):
    chromium = os.environ.get("NETVIS_CHROMIUM", "/usr/bin/chromium")
    if not Path(chromium).is_file():
        pytest.fail(f"{chromium} not found: install Debian's chromium (apt-get install chromium; .ci/run does), "
                    "or set NETVIS_CHROMIUM to a Chromium binary")
    from playwright.sync_api import sync_playwright

    _, out = report
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 1350})
        page.goto((out / "similarity.html").as_uri())
        assert page.locator("#ranked-pairs tr.flag").count() == 2  # the two planted pairs
        page.screenshot(path=str(SCREENSHOT), full_page=False)  # the notice, the ranking, the first pair
        browser.close()
    assert SCREENSHOT.stat().st_size > 20_000


def test_a_canvas_download_is_compared_as_grade_takes_it(klass, tmp_path):
    """The command takes what `grade` takes: a Canvas zip is staged under the output folder, and its
    students are the Canvas users (the planted copy and its original among them)."""
    import zipfile

    download = tmp_path / "submissions.zip"
    with zipfile.ZipFile(download, "w") as archive:
        for user, name in enumerate(["style_b", "copy_of_b", "style_c", "style_d"], start=101):
            archive.write(klass / name / NOTEBOOK_NAME, f"{name.replace('_', '')}_{user}_9{user}_{NOTEBOOK_NAME}")
    done = _run(download, "--out", tmp_path / "report")
    assert done.returncode == 0, done.stderr
    pairs = json.loads((tmp_path / "report" / "similarity.json").read_text())["pairs"]
    assert set(pairs[0]["ids"]) == {"canvas-101", "canvas-102"} and len(pairs) == 6
