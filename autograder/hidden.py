"""The hidden cases: the one table of them, their references, and how the checks get them.

Students never see these inputs. ``generate`` runs the solution on each of them (``make
references``); ``hidden_cases(check_id)`` hands a check its hidden cases, which the batch
grader appends to the public ones and nbgrader's hidden tests run through ``run_hidden``.
Exact values use small TinyNet models whose weights are stored with them (or made from their
seed, as the fooling trajectories' models are, with the solution's step count stored beside
each case); nothing stored depends on the SqueezeNet weights.
"""

import torch

from netvis.checks import InProcessStudent, attribution, fooling, run_check
from netvis.checks.ascent import CLASS_STEP, FILTER_STEP
from netvis.checks.tiny import make_images, make_tiny_model

from .references import load, save
from .solution import solution_namespace

FOOLING_PAIRS = [(1, 821)]
"""(validation image index, target class) of ``fools``' hidden case: 7 steps for the solution. One
hidden pair beside the public one (image 0, class 6): a loop written for the public case alone
(its target hard-coded, a stored image) already fails it, and the steps are checked on the TinyNet
trajectories. A second pair, (11, 443), cost 8% of a warm grading's CPU (8.8 to 8.2 CPU-s,
medians of alternating runs) and caught no bug of the corpus that the first one did not."""
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
ATTRIBUTION_CASES = {
    attribution.SMOOTH: [dict(seed=301, n=2, samples=3, sigma=0.5),
                         dict(seed=302, n=2, samples=2, sigma=0.5, wrapped=True)],
    attribution.IG: [dict(seed=311, n=2, steps=8, baseline_kind="noise"),
                     dict(seed=312, n=1, steps=5, baseline_kind="zeros", wrapped=True)],
    attribution.CAM: [dict(seed=321, n=2, layer="features.2"),
                      dict(seed=322, n=2, layer="model.features.6", wrapped=True)],
}
"""Part 5's hidden cases per function; ``wrapped`` ones run on a model whose forward returns a
tuple, in ``netvis.ScoresOnly`` (layer names gain the prefix ``model.``)."""
CAPTUM_TOLERANCE = 1e-4
"""The solution's largest difference from Captum, relative to the largest value, that `make references` accepts."""
SEEDS = sorted({*SALIENCY_SEEDS, CAPTURE_SEED, *(s for s, _ in CLASS_STEP_TARGETS + FILTER_STEP_TARGETS),
                *(s for s, _ in FOOLING_TRAJECTORIES + FOOLING_UNREACHABLE),
                *(c["seed"] for cases in ATTRIBUTION_CASES.values() for c in cases)})


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


def captum_attribution(function, model, X, y, extra) -> torch.Tensor:
    """Captum's answer for an Integrated Gradients or Grad-CAM case (the model in eval mode)."""
    import torch.nn.functional as F
    from captum.attr import IntegratedGradients, LayerGradCam

    training = model.training
    model.eval()
    try:
        if function == attribution.IG:
            baseline, steps = extra
            return IntegratedGradients(model).attribute(X, baselines=baseline, target=y, n_steps=steps,
                                                        method="riemann_right").detach()
        module = dict(model.named_modules())[extra[0]]
        cams = LayerGradCam(model, module).attribute(X, target=y, relu_attributions=True)
        return F.interpolate(cams, size=X.shape[2:], mode="bilinear", align_corners=False)[:, 0].detach()
    finally:
        model.train(training)


def _attribution_cases(solution, function):
    """Part 5's hidden cases of ``function``, their references from the solution, cross-checked
    against the objectives and (IG, Grad-CAM) against Captum."""
    cases = []
    for spec in ATTRIBUTION_CASES[function]:
        spec = dict(spec, function=function)
        model = attribution.case_model(spec)
        X, y, extra = attribution.case_inputs(spec)
        expected = solution[function](X, y, model, *extra).detach()
        others = {"the checks' objectives": attribution.reference(function, model, X, y, extra)}
        if function != attribution.SMOOTH:
            others["Captum"] = captum_attribution(function, model, X, y, extra)
        for name, other in others.items():
            error = attribution.relative_error(expected, other)
            if not error < CAPTUM_TOLERANCE:
                raise RuntimeError(f"The solution's {function} differs from {name} by {error:.2e} on the hidden "
                                   f"case of seed {spec['seed']}")
        inputs = {attribution.SMOOTH: ("noise",), attribution.IG: ("baseline", "steps"),
                  attribution.CAM: ("layer",)}[function]
        cases.append(dict(zip(inputs, extra), model_state=model.state_dict(), X=X, y=y, expected=expected,
                          wrapped=bool(spec.get("wrapped"))))
    return cases


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
        **{f"{function}-values": _attribution_cases(solution, function) for function in attribution.NAMES},
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
    **{f"{function}-values": (lambda key=f"{function}-values": load()["payload"]["cases"][key])
       for function in attribution.NAMES},
}


def hidden_cases(check_id: str) -> list:
    """The hidden cases of one check ([] for checks that have none), each marked ``hidden``
    so that messages about it leave out its inputs."""
    provider = HIDDEN.get(check_id)
    return [dict(case, hidden=True) for case in provider()] if provider else []


def run_hidden(check_id: str, namespace: dict) -> None:
    """Run a check's hidden cases on the functions in ``namespace`` (a grade cell's globals())."""
    run_check(check_id, namespace, cases=hidden_cases(check_id))
