"""Every known bug loses exactly the checks it breaks; answers that show no work earn nothing.

The fast tier: each variant's functions, checked in this process (public and hidden cases). The
notebooks themselves, run cell by cell in every way of grading, are in test_grading_ways.
"""
import functools
from pathlib import Path

import pytest

from autograder.dev.variants import functions_namespace, read_variant
from autograder.grading import run_check
from netvis.checks import CHECKS, CHECKS_BY_ID, InProcessStudent

CORPUS = Path(__file__).parent / "corpus"
BUGS = sorted(CORPUS.glob("*.py"))
NO_WORK = sorted((CORPUS / "no_work").glob("*.py"))


@functools.lru_cache(maxsize=None)
def _verdicts(path):
    """(the variant, its verdicts), computed once per variant for every test that reads them."""
    variant = read_variant(path)
    student = InProcessStudent(functions_namespace(variant))
    return variant, [run_check(check, student) for check in CHECKS]


def test_corpus_covers_the_known_bugs_and_the_kinds_of_no_work():
    assert len(BUGS) >= 20 and len(NO_WORK) >= 5
    for variant in map(read_variant, BUGS):
        assert variant.expected_failures <= set(CHECKS_BY_ID), variant.name


def _together(name: str):
    """A variant's tests in one xdist worker (make test-fast: --dist loadgroup), where ``_verdicts`` has them."""
    return pytest.mark.xdist_group(name)


@pytest.mark.parametrize("path", [pytest.param(p, id=p.stem, marks=_together(p.stem)) for p in BUGS])
def test_bug_loses_exactly_its_checks(path):
    variant, results = _verdicts(path)
    messages = {r.id: r.message for r in results if not r.passed}
    assert set(messages) == variant.expected_failures, messages
    full_marks = sum(c.points for c in CHECKS)
    assert sum(r.points for r in results) == full_marks - sum(CHECKS_BY_ID[i].points for i in variant.expected_failures)


@pytest.mark.parametrize("path", [pytest.param(p, id=p.stem, marks=_together(p.stem)) for p in NO_WORK])
def test_no_work_earns_at_most_one_point(path):
    _, results = _verdicts(path)
    assert sum(r.points for r in results) <= 1, {r.id: r.message for r in results if r.passed}


@pytest.mark.parametrize("name, mistake", [pytest.param(*pair, marks=_together(pair[0])) for pair in [
    ("class_descent", "gradient ascent adds the gradient"),
    ("class_l2_added", "the L2 term is added"),
    ("class_l2_not_squared", "instead of ||I||^2"),
    ("class_no_zero_grad", "img.grad.zero_()"),
    ("saliency_squeeze", ".squeeze()"),
    ("saliency_no_channel_max", "maximum of |gradient| over the channel"),
    ("saliency_no_eval", "model.eval()"),
    ("fooling_never_stops", "predicted the target after step 9, but your loop took 100 steps"),
    ("fooling_old_prediction", "it tests the prediction computed before its step"),
    ("fooling_step_first", "X was already classified as the target, yet your function took a step"),
    ("fooling_gives_up_early", "stopped after 20 steps without reaching the target"),
    ("fooling_past_100", "your loop took 1000 steps: stop after 100 iterations"),
    ("fooling_unnormalized", "it is lr * g, not normalised"),
    ("fooling_norm_squared", "not by its square"),
    ("fooling_modifies_input", "work on a copy"),
    ("fooling_descent", "NaN"),
    ("fooling_descent", "gradient ascent adds the gradient"),
    ("capture_no_finally", "finally"),
    ("grad_cam_no_relu", "the ReLU is missing"),
    ("grad_cam_from_loss", "gradient of a loss"),
    ("grad_cam_wrong_layer", "not of the layer"),
    ("ig_no_baseline_factor", "(X - baseline) factor is missing"),
    ("ig_left_riemann", "left Riemann sum"),
    ("ig_from_loss", "gradient of a loss"),
    ("ig_accumulates", "accumulate across steps"),
    ("smooth_grad_no_noise", "noise is never added"),
    ("smooth_grad_accumulates", "accumulate across samples"),
    ("attribution_leaves_eval", "model.train(training)"),
    ("attribution_leaves_eval", "hook(s) are left"),
]])
def test_feedback_names_the_mistake(name, mistake):
    _, results = _verdicts(CORPUS / f"{name}.py")
    assert mistake in " ".join(r.message for r in results if not r.passed)


@_together(NO_WORK[0].stem)
def test_no_work_feedback_says_what_the_points_wait_for():
    _, results = _verdicts(NO_WORK[0])
    assert any("This check counts only once" in r.message for r in results)
