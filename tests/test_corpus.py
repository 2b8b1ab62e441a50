"""Every known bug loses exactly the checks it breaks; every correct style gets full marks."""
from pathlib import Path

import nbformat
import pytest

from autograder.grading import grade_notebook
from autograder.dev.variants import build_submission, read_variant
from netvis.checks import CHECKS_BY_ID

CORPUS = sorted((Path(__file__).parent / "corpus").glob("*.py"))


def _grade(variant, tmp_path, sandbox):
    path = tmp_path / variant.name / "NetworkVisualization.ipynb"
    path.parent.mkdir()
    nbformat.write(build_submission(variant), str(path))
    return grade_notebook(path, variant.name, sandbox=sandbox)


def _failed(result) -> set:
    return {c.id for c in result.checks if not c.passed}


def test_corpus_covers_the_known_bugs_and_styles():
    names = {p.stem for p in CORPUS}
    assert len([n for n in names if n.startswith("correct_")]) >= 3
    assert len(names) >= 20
    for variant in map(read_variant, CORPUS):
        assert variant.expected_failures <= set(CHECKS_BY_ID), variant.name


@pytest.mark.slow
@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_variant_gets_its_expected_verdicts(path, tmp_path):
    variant = read_variant(path)
    result = _grade(variant, tmp_path, sandbox=False)
    messages = {c.id: c.message for c in result.checks if not c.passed}
    assert _failed(result) == variant.expected_failures, messages
    lost = sum(CHECKS_BY_ID[i].points for i in variant.expected_failures)
    assert result.score == result.max_score - lost


@pytest.mark.parametrize("name, mistake", [
    ("class_descent", "gradient ascent adds the gradient"),
    ("class_l2_added", "the L2 term is added"),
    ("class_l2_not_squared", "instead of ||I||^2"),
    ("class_no_zero_grad", "img.grad.zero_()"),
    ("saliency_squeeze", ".squeeze()"),
    ("saliency_no_channel_max", "maximum of |gradient| over the channel"),
    ("saliency_no_eval", "model.eval()"),
    ("fooling_never_stops", "stop as soon as it predicts the target"),
    ("fooling_modifies_input", "work on a copy"),
    ("capture_no_finally", "finally"),
])
def test_feedback_names_the_mistake(name, mistake, tmp_path):
    variant = read_variant(Path(__file__).parent / "corpus" / f"{name}.py")
    result = _grade(variant, tmp_path, sandbox=False)
    messages = " ".join(c.message for c in result.checks if not c.passed)
    assert mistake in messages


@pytest.mark.slow
@pytest.mark.parametrize("name", ["correct_unnormalized_no_grad", "class_l2_not_squared", "capture_no_finally"])
def test_sandbox_and_in_process_agree(name, tmp_path):
    variant = read_variant(Path(__file__).parent / "corpus" / f"{name}.py")
    sandboxed = _grade(variant, tmp_path / "sandbox", sandbox=True) if (tmp_path / "sandbox").mkdir() is None else None
    in_process = _grade(variant, tmp_path, sandbox=False)
    assert [(c.id, c.points) for c in sandboxed.checks] == [(c.id, c.points) for c in in_process.checks]
