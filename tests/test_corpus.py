"""Every known bug loses exactly the checks it breaks; answers that show no work earn nothing.

The fast tier: each variant's functions, checked in this process (public and hidden cases). The
notebooks themselves, run cell by cell in every way of grading, are in test_grading_ways.
"""
from pathlib import Path

import pytest

from autograder.dev.variants import functions_namespace, read_variant
from autograder.grading import run_check
from netvis.checks import CHECKS, CHECKS_BY_ID, InProcessStudent

CORPUS = Path(__file__).parent / "corpus"
BUGS = sorted(CORPUS.glob("*.py"))
NO_WORK = sorted((CORPUS / "no_work").glob("*.py"))


def _verdicts(path):
    """(the variant, its verdicts): every check, public and hidden cases, in this process."""
    variant = read_variant(path)
    student = InProcessStudent(functions_namespace(variant))
    return variant, [run_check(check, student) for check in CHECKS]


def test_corpus_covers_the_known_bugs_and_the_kinds_of_no_work():
    assert len(BUGS) >= 20 and len(NO_WORK) >= 5
    for variant in map(read_variant, BUGS):
        assert variant.expected_failures <= set(CHECKS_BY_ID), variant.name


MISTAKES = {
    "class_descent": ["gradient ascent adds the gradient"],
    "class_l2_added": ["the L2 term is added"],
    "class_l2_not_squared": ["instead of ||I||^2"],
    "class_no_zero_grad": ["img.grad.zero_()"],
    "saliency_squeeze": [".squeeze()"],
    "saliency_squeeze_scores": ["a .squeeze() without a dimension dropped the batch dimension"],
    "saliency_hardcoded_batch": ["does it assume a batch of 5"],
    "saliency_from_loss": ["the gradient of a loss"],
    "saliency_from_log_softmax": ["the gradient of a loss"],
    "saliency_neg_log_prob": ["the gradient of a loss"],
    "saliency_no_channel_max": ["maximum of |gradient| over the channel"],
    "saliency_no_eval": ["model.eval()"],
    "fooling_never_stops": ["predicted the target after step 9, but your loop took 100 steps"],
    "fooling_old_prediction": ["it tests the prediction computed before its step"],
    "fooling_step_first": ["X was already classified as the target, yet your function took a step"],
    "fooling_gives_up_early": ["stopped after 20 steps without reaching the target"],
    "fooling_past_100": ["your loop took 1000 steps: stop after 100 iterations"],
    "fooling_unnormalized": ["it is lr * g, not normalised"],
    "fooling_norm_squared": ["not by its square"],
    "fooling_modifies_input": ["work on a copy"],
    "fooling_descent": ["NaN", "gradient ascent adds the gradient"],
    "capture_no_finally": ["finally"],
    "grad_cam_no_relu": ["the ReLU is missing"],
    "grad_cam_from_loss": ["gradient of a loss"],
    "grad_cam_wrong_layer": ["not of the layer"],
    "ig_no_baseline_factor": ["(X - baseline) factor is missing"],
    "ig_left_riemann": ["left Riemann sum"],
    "ig_from_loss": ["gradient of a loss"],
    "ig_accumulates": ["accumulate across steps"],
    "smooth_grad_no_noise": ["noise is never added"],
    "smooth_grad_accumulates": ["accumulate across samples"],
    "attribution_leaves_eval": ["model.train(training)", "hook(s) are left"],
}
"""What each bug's feedback must say."""

MISTAKE_IDS = {
    "saliency_squeeze": {"saliency-squeeze"},
    "saliency_squeeze_scores": {"saliency-squeeze"},
    "saliency_hardcoded_batch": {"saliency-batch-size"},
    "saliency_from_loss": {"saliency-gradient-of-loss"},
    "saliency_from_log_softmax": {"saliency-gradient-of-loss"},
    "saliency_neg_log_prob": {"saliency-gradient-of-loss"},
    "saliency_no_abs": {"saliency-no-abs"},
    "saliency_no_channel_max": {"saliency-no-channel-max"},
    "saliency_no_eval": {"saliency-no-eval"},
    "class_l2_not_squared": {"ascent-l2-not-squared"},
    "class_l2_added": {"ascent-l2-added"},
    "fooling_never_stops": {"fooling-steps-after-fooled"},
    "capture_no_finally": {"hooks-left-on-error"},
    "grad_cam_no_relu": {"cam-no-relu"},
    "ig_left_riemann": {"ig-left-riemann"},
}
"""The mistake ids each bug's failures must name (among others)."""


@pytest.mark.parametrize("path", BUGS, ids=[p.stem for p in BUGS])
def test_bug_loses_exactly_its_checks_and_its_feedback_names_the_mistake(path):
    """One test per variant reads its verdicts, so that they (seconds each: a real-image ascent runs
    up to 100 steps) are computed once, whichever pytest-xdist worker runs it."""
    variant, results = _verdicts(path)
    messages = {r.id: r.message for r in results if not r.passed}
    assert set(messages) == variant.expected_failures, messages
    full_marks = sum(c.points for c in CHECKS)
    assert sum(r.points for r in results) == full_marks - sum(CHECKS_BY_ID[i].points for i in variant.expected_failures)
    for mistake in MISTAKES.get(path.stem, []):
        assert mistake in " ".join(messages.values()), (mistake, messages)
    named = {r.mistake for r in results if not r.passed}
    assert MISTAKE_IDS.get(path.stem, set()) <= named, (named, messages)
    assert all(r.mistake for r in results if not r.passed), messages  # every failure is named
    if path.stem in ("saliency_squeeze_scores", "saliency_hardcoded_batch"):  # the call's own record of the type
        assert {r.error_type for r in results if not r.passed} == {"IndexError" if "squeeze" in path.stem
                                                                   else "RuntimeError"}


def test_the_named_mistakes_are_bugs_of_the_corpus():
    assert len(MISTAKES) >= 20 and set(MISTAKES) <= {p.stem for p in BUGS}


@pytest.mark.parametrize("path", NO_WORK, ids=[p.stem for p in NO_WORK])
def test_no_work_earns_at_most_one_point(path):
    _, results = _verdicts(path)
    assert sum(r.points for r in results) <= 1, {r.id: r.message for r in results if r.passed}
    if path == NO_WORK[0]:  # and its feedback says what the points wait for
        assert any("This check counts only once" in r.message for r in results)
