"""The hidden cases: the one table of them, their references, and how the checks get them.

Students never see these inputs. ``generate`` runs the solution on each of them (``make
references``); ``hidden_cases(check_id)`` hands a check its hidden cases, which the batch
grader appends to the public ones and nbgrader's hidden tests run through ``run_hidden``.
Exact values use small TinyNet models whose weights are stored with them (or made from their
seed, as the fooling trajectories' models are, with the solution's step count stored beside
each case); nothing stored depends on the SqueezeNet weights.
"""

import torch

from netvis.checks import InProcessStudent, fooling, run_check
from netvis.checks.ascent import CLASS_STEP, FILTER_STEP
from netvis.checks.tiny import make_images, make_tiny_model

from .references import load, save
from .solution import solution_namespace

FOOLING_PAIRS = [(1, 821), (11, 443)]
"""(validation image index, target class): 7 steps each for the solution, so that the checks stay fast."""
FOOLING_TRAJECTORIES = [(33, 8), (30, 1), (31, 6), (30, 8)]
"""(TinyNet seed, target) of the trajectory checks: the solution takes 0 (X already fools the model), 5, 32
and 78 steps (tests/test_checks.py asserts the ranges)."""
FOOLING_UNREACHABLE = [(25, 4)]
"""(TinyNet seed, target) made out of reach (``fooling.unreachable_case``): the solution takes all 100 steps."""
SALIENCY_SEEDS = (101, 102)
CLASS_STEP_TARGETS = [(111, {"target": 3}), (112, {"target": 8})]
FILTER_STEP_TARGETS = [(131, {"layer": "features.5", "channel": 3}), (132, {"layer": "features.2", "channel": 7})]
CAPTURE_SEED, CAPTURE_LAYERS = 121, ["features.1", "features.4", "features.6", "classifier.1"]
L2_SCALES = (None, 1.0, 0.5, 4.0)
"""Each step case runs at l2_reg = 1e-3 (None) and at these multiples of the l2_reg where the
score's and the regulariser's gradients have equal norms, so every known mistake shows."""
SEEDS = sorted({*SALIENCY_SEEDS, CAPTURE_SEED, *(s for s, _ in CLASS_STEP_TARGETS + FILTER_STEP_TARGETS),
                *(s for s, _ in FOOLING_TRAJECTORIES + FOOLING_UNREACHABLE)})


def _tiny(seed):
    return make_tiny_model(seed), make_images(seed + 1000, 1)


def _saliency_cases(solution):
    cases = []
    for seed in SALIENCY_SEEDS:
        model, X = make_tiny_model(seed), make_images(seed + 1000, 5)
        y = torch.randint(0, 10, (5,), generator=torch.Generator().manual_seed(seed))
        expected = solution["compute_saliency_maps"](X, y, model).detach()
        cases.append(dict(model_state=model.state_dict(), X=X, y=y, expected=expected))
    return cases


def _step_cases(step, solution, targets):
    cases = []
    for seed, target in targets:
        model, img = _tiny(seed)
        g = step.gain_gradient(target, model, img)
        comparable = float(g.norm() / (2 * img.norm()))
        for scale in L2_SCALES:
            case = dict(target, model_state=model.state_dict(), img=img, learning_rate=0.5,
                        l2_reg=1e-3 if scale is None else scale * comparable)
            start = img.clone().requires_grad_()
            solution[step.name](*step.arguments(case, start, model, case["learning_rate"]))
            cases.append(dict(case, reference_delta=start.detach() - img))
    return cases


def _capture_cases(solution):
    model, X = make_tiny_model(CAPTURE_SEED), make_images(CAPTURE_SEED + 1000, 2)
    with torch.no_grad():
        activations = solution["capture_activations"](model, X, CAPTURE_LAYERS)
    return [dict(model_state=model.state_dict(), X=X, expected={k: v.detach() for k, v in activations.items()})]


def reference_steps(solution, case: dict) -> int:
    """The steps the solution's loop takes on a trajectory case, counted as the checks count them."""
    X, target, model = fooling._case_inputs(case)
    call = InProcessStudent(solution).call(fooling.NAME, X, target, model, record_forwards=True)
    call.raise_error(fooling.NAME)
    return fooling.trajectory(call, X, target, model).steps


def _trajectory_cases(solution):
    return [dict(seed=seed, target=target, reference_steps=reference_steps(solution, dict(seed=seed, target=target)))
            for seed, target in FOOLING_TRAJECTORIES]


def generate() -> dict:
    """Run the solution on every hidden case; save the references; return the manifest."""
    solution = solution_namespace()
    cases = {
        "compute_saliency_maps-values": _saliency_cases(solution),
        "class_visualization_update_step-direction": _step_cases(CLASS_STEP, solution, CLASS_STEP_TARGETS),
        "filter_visualization_update_step-direction": _step_cases(FILTER_STEP, solution, FILTER_STEP_TARGETS),
        "capture_activations-values": _capture_cases(solution),
        "make_fooling_image-trajectories": _trajectory_cases(solution),
    }
    return save({"cases": cases}, SEEDS)


def _fooling_cases():
    return [{"image_index": i, "target": t} for i, t in FOOLING_PAIRS]


def _trajectory_cases_in_use():
    return load()["payload"]["cases"]["make_fooling_image-trajectories"]


HIDDEN = {
    "compute_saliency_maps-values": lambda: load()["payload"]["cases"]["compute_saliency_maps-values"],
    "make_fooling_image-fools": _fooling_cases,
    "make_fooling_image-within_budget": lambda: [{"unreachable": True, "seed": s, "target": t} for s, t in FOOLING_UNREACHABLE],
    "make_fooling_image-stops_when_fooled": _trajectory_cases_in_use,
    "make_fooling_image-no_extra_step": _trajectory_cases_in_use,
    "make_fooling_image-keeps_fooled_input": _trajectory_cases_in_use,
    "make_fooling_image-no_early_stop": _trajectory_cases_in_use,
    "make_fooling_image-step_length": _trajectory_cases_in_use,
    "class_visualization_update_step-direction":
        lambda: load()["payload"]["cases"]["class_visualization_update_step-direction"],
    "capture_activations-values": lambda: load()["payload"]["cases"]["capture_activations-values"],
    "filter_visualization_update_step-direction":
        lambda: load()["payload"]["cases"]["filter_visualization_update_step-direction"],
}


def hidden_cases(check_id: str) -> list:
    """The hidden cases of one check ([] for checks that have none), each marked ``hidden``
    so that messages about it leave out its inputs."""
    provider = HIDDEN.get(check_id)
    return [dict(case, hidden=True) for case in provider()] if provider else []


def run_hidden(check_id: str, namespace: dict) -> None:
    """Run a check's hidden cases on the functions in ``namespace`` (a grade cell's globals())."""
    run_check(check_id, namespace, cases=hidden_cases(check_id))
