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
