"""Hidden cases of the checks: what nbgrader's hidden tests and the batch grader add.

``hidden_cases(check_id)`` lists the cases a student never sees; ``run_hidden`` runs them in a
notebook, from the hidden part of a grade cell.
"""
from netvis.checks import run_check

from .references import HIDDEN_FOOLING_PAIRS, load


def _fooling_cases(check_id):
    steps = load()["fooling_steps"]
    return [{"image_index": i, "target": t, "reference_steps": steps[(i, t)]} for i, t in HIDDEN_FOOLING_PAIRS]


HIDDEN = {
    "compute_saliency_maps-values": lambda cid: load()["cases"][cid],
    "make_fooling_image-fools": _fooling_cases,
    "make_fooling_image-within_budget": _fooling_cases,
    "make_fooling_image-stops_when_fooled": _fooling_cases,
    "class_visualization_update_step-direction": lambda cid: load()["cases"][cid],
    "capture_activations-values": lambda cid: load()["cases"][cid],
    "filter_visualization_update_step-direction": lambda cid: load()["cases"][cid],
}


def hidden_cases(check_id: str) -> list:
    """The hidden cases of one check ([] for checks that have none), each marked ``hidden``
    so that messages about it leave out its inputs."""
    provider = HIDDEN.get(check_id)
    return [dict(case, hidden=True) for case in provider(check_id)] if provider else []


def run_hidden(check_id: str, namespace: dict) -> None:
    """Run a check's hidden cases on the functions in ``namespace`` (a grade cell's globals())."""
    run_check(check_id, namespace, cases=hidden_cases(check_id))
