"""Checks of Part 5's attributions: ``smooth_grad``, ``integrated_gradients`` and ``grad_cam``.

Every value is compared with ``objectives`` (public cases) or with the solution's output stored
by ``make references`` (hidden cases, which the reference step cross-checks against Captum).
When an answer is wrong the check computes each known mistake on the same case and names the
one the answer matches, so that "no ReLU" or "a left Riemann sum" is said in words.
"""
import torch

from . import objectives
from .common import expect_tensor, no_work
from .student import CheckFailed
from .tiny import make_images, make_tiny_model, make_wrapped_tiny_model

SMOOTH, IG, CAM = "smooth_grad", "integrated_gradients", "grad_cam"
NAMES = (SMOOTH, IG, CAM)
TOLERANCE = {SMOOTH: 1e-4, IG: 1e-3, CAM: 1e-4}
"""Largest error allowed, as a fraction of the reference's largest value."""
MISTAKE_MATCH = 2e-3
"""How closely (after the best scale factor) an answer must follow a known mistake to be named after it."""
WORK_CORRELATION = 0.5
"""How closely (Pearson) an answer must follow the reference for the property checks to count."""
COMPLETENESS_STEPS = (4, 16, 64)
COMPLETENESS_ERROR = 0.05
"""At the most steps, |sum of attributions - (s_y(X) - s_y(baseline))| over the largest |s_y(X) - s_y(baseline)|."""

MISTAKES = {
    SMOOTH: [
        ("smooth-no-noise", "the noise is never added: every sample is X itself, so this is the plain saliency map. "
         "Compute the saliency of X + noise[k] for each k", dict(add_noise=False)),
        ("smooth-accumulates", "the gradients accumulate across samples: each noisy copy needs a fresh gradient (a new leaf "
         "tensor, or .grad reset to zero before each backward)", dict(accumulate=True)),
        ("smooth-gradient-of-loss", "it is the gradient of a loss, not of the class score s_y: backpropagate from the correct "
         "class's unnormalised score", dict(loss=True)),
    ],
    IG: [
        ("ig-no-baseline-factor", "the (X - baseline) factor is missing: multiply the average gradient by X - baseline, "
         "element by element", dict(scale=False)),
        ("ig-left-riemann", "it is a left Riemann sum: the points are baseline + (k / steps) (X - baseline) for "
         "k = 1, ..., steps, not k = 0, ..., steps - 1", dict(rule="left")),
        ("ig-accumulates", "the gradients accumulate across steps: each point needs a fresh gradient (a new leaf "
         "tensor, or .grad reset to zero before each backward)", dict(accumulate=True)),
        ("ig-gradient-of-loss", "it is the gradient of a loss, not of the class score s_y: backpropagate from the correct "
         "class's unnormalised score", dict(loss=True)),
        ("ig-no-factor-left-riemann", "the (X - baseline) factor is missing and the sum is a left Riemann sum",
         dict(scale=False, rule="left")),
    ],
    CAM: [
        ("cam-no-relu", "the ReLU is missing: keep only the positive part of sum_c alpha_c A_c (F.relu) "
         "before upsampling", dict(relu=False)),
        ("cam-gradient-of-loss", "it is computed from the gradient of a loss, not of the class score s_y: backpropagate "
         "from the correct class's unnormalised score", dict(loss=True)),
    ],
}
"""Per function: (the mistake's id in ``mistakes.TITLES``, what it is and how to fix it, the objectives'
switches that make it)."""

HOW = {
    SMOOTH: "it should be the mean over k of max over channels of |d s_y / d x| at x = X + noise[k]",
    IG: "it should be (X - baseline) * (1/steps) * sum over k = 1..steps of d s_y / d x at "
        "x = baseline + (k/steps) (X - baseline)",
    CAM: "it should be ReLU(sum_c alpha_c A_c) of the named layer's output A, alpha_c the mean over "
         "positions of d s_y / d A_c, upsampled bilinearly (align_corners=False) to H x W",
}


# -- cases

def case_model(case, training: bool = False, frozen: bool = True):
    """The case's model: stored weights for hidden cases, seeded ones for public cases;
    ``wrapped`` cases use a tuple-returning TinyNet inside ``netvis.ScoresOnly``."""
    make = make_wrapped_tiny_model if case.get("wrapped") else make_tiny_model
    if "model_state" in case:
        model = make(0, training=training, frozen=frozen)
        model.load_state_dict(case["model_state"])
        return model
    return make(case["seed"], training=training, frozen=frozen)


def case_inputs(case):
    """(X, y, extra arguments after the model) of a case, as the student function takes them."""
    if "X" in case:
        X, y = case["X"], case["y"]
    else:
        X = make_images(case["seed"] + 500, case["n"])
        y = torch.randint(0, 10, (case["n"],), generator=torch.Generator().manual_seed(case["seed"]))
    function = case["function"]
    if function == SMOOTH:
        if "noise" in case:
            return X, y, (case["noise"],)
        generator = torch.Generator().manual_seed(case["seed"] + 700)
        noise = case["sigma"] * torch.randn((case["samples"],) + tuple(X.shape), generator=generator,
                                            dtype=torch.float64).to(X.dtype)
        return X, y, (noise,)
    if function == IG:
        if "baseline" in case:
            return X, y, (case["baseline"], case["steps"])
        baseline = torch.zeros_like(X) if case["baseline_kind"] == "zeros" else \
            0.5 * make_images(case["seed"] + 900, case["n"])
        return X, y, (baseline, case["steps"])
    return X, y, (case["layer"],)


def reference(function, model, X, y, extra, **mistake) -> torch.Tensor:
    """The objectives' answer for one case (with the named mistake's switches, if any)."""
    if function == SMOOTH:
        return objectives.smooth_grad(model, X, y, *extra, **mistake)
    if function == IG:
        return objectives.integrated_gradients(model, X, y, *extra, **mistake)
    return objectives.grad_cam(model, X, y, *extra, **mistake)


_PUBLIC_REFERENCES = {}
"""The references of public cases (described by seeds and sizes alone), computed once per process: the
same for every student, so a grader computes them for its first submission only."""


def case_reference(case, model, X, y, extra) -> torch.Tensor:
    """``reference`` for the case's own model and inputs (``case_model(case)``, ``case_inputs(case)``),
    remembered for public cases."""
    if not all(v is None or isinstance(v, (bool, int, float, str)) for v in case.values()):
        return reference(case["function"], model, X, y, extra)  # a case that carries tensors
    key = tuple(sorted(case.items()))
    if key not in _PUBLIC_REFERENCES:
        _PUBLIC_REFERENCES[key] = reference(case["function"], model, X, y, extra)
    return _PUBLIC_REFERENCES[key]


def _expected(case, model, X, y, extra):
    return case["expected"] if "expected" in case else case_reference(case, model, X, y, extra)


def _shape(function, X):
    N, C, H, W = X.shape
    return (N, C, H, W) if function == IG else (N, H, W)


# -- comparing

def relative_error(got: torch.Tensor, want: torch.Tensor) -> float:
    return float((got.double() - want.double()).abs().max() / want.double().abs().max().clamp_min(1e-30))


def fitted_error(got: torch.Tensor, want: torch.Tensor) -> float:
    """The relative error of ``got`` against ``want`` times the best scale factor (a loss averaged
    over the batch, or negated, is still that loss)."""
    got, want = got.detach().double().flatten(), want.detach().double().flatten()
    scale = float(got @ want) / max(float(want @ want), 1e-300)
    return relative_error(got, scale * want) if scale != 0 else float("inf")


def mistakes(function, model, X, y, extra):
    """(its id, what the mistake is, in words; the answer it gives on this case) for each known
    mistake, computed lazily; for Grad-CAM, every other layer with a feature map is a wrong layer."""
    for mistake, words, switches in MISTAKES[function]:
        yield mistake, words, reference(function, model, X, y, extra, **switches)
    if function == CAM:
        layer = extra[0]
        right = reference(function, model, X, y, extra)
        for other in objectives.spatial_layers(model, X):
            wrong = reference(function, model, X, y, (other,)) if other != layer else right
            if relative_error(wrong, right) >= TOLERANCE[CAM]:  # a container whose output is the layer's is not wrong
                yield "cam-wrong-layer", (f"it is the Grad-CAM of layer {other}, not of the layer {layer!r} it was asked for: "
                       "hook the module dict(model.named_modules())[layer] and use its output"), wrong


def known_mistake(function, value, model, X, y, extra):
    """(id, what the answer gets wrong in words) if it matches one of the function's known mistakes, else None."""
    for mistake, words, candidate in mistakes(function, model, X, y, extra):
        if candidate.shape == value.shape and fitted_error(value, candidate) < MISTAKE_MATCH:
            return mistake, words
    return None


def _call(student, function, model, X, y, extra, **kw):
    call = student.call(function, X, y, model, *extra, **kw)
    hint = ""
    if call.error and "does not require grad" in call.error:
        hint = (" Nothing in the forward pass requires grad (the model's parameters are frozen): "
                "run the model on a copy of X that requires grad.")
    call.raise_error(function, hint)
    return call


def _as_answer(function, value, X, what="The answer"):
    shape = _shape(function, X)
    if isinstance(value, torch.Tensor) and X.shape[0] == 1 and tuple(value.shape) == shape[1:]:
        raise CheckFailed(f"For N = 1 the batch dimension disappeared (shape {tuple(value.shape)}, not {shape}): "
                          "don't call .squeeze() without naming the dimension.", mistake="attribution-squeeze")
    if function != IG and isinstance(value, torch.Tensor) and tuple(value.shape) == tuple(X.shape):
        raise CheckFailed(f"{function} returned one map per colour channel, shape {tuple(X.shape)}; "
                          f"it must return one map per image, shape {shape}.", mistake="attribution-per-channel")
    return expect_tensor(value, shape, f"For N = {X.shape[0]}, {what.lower()}")


def require_work(case, value, model, X, y, extra) -> None:
    """Fail unless the answer follows the case's reference (``case_reference``), or one of the known
    mistakes (which still show the work: gradients of the model at these inputs)."""
    function = case["function"]
    def follows(want, sign=1):
        if isinstance(value, torch.Tensor) and value.is_floating_point() and tuple(value.shape) == tuple(want.shape):
            return sign * objectives.correlation(value, want)
        return 0.0

    similarity = follows(case_reference(case, model, X, y, extra))
    for _, _, mistake in mistakes(function, model, X, y, extra):  # a loss's gradient points the other way
        if similarity >= WORK_CORRELATION:
            return
        similarity = max(similarity, follows(mistake), follows(mistake, -1))
    if not similarity >= WORK_CORRELATION:
        raise no_work(f"{function} computes the attributions",
                      f"its answer does not follow the reference (correlation {similarity:.2f}). "
                      f"Make the values check pass first: {HOW[function]}.")


# -- the checks

def values(function, student, cases) -> str:
    """Equal to the reference on small fixed models, N = 1 included (and on a model that returns a tuple, wrapped)."""
    for case in cases:
        case = dict(case, function=function)
        model = case_model(case)
        X, y, extra = case_inputs(case)
        expected = _expected(case, model, X, y, extra)
        value = _as_answer(function, _call(student, function, model, X, y, extra).value, X)
        error = relative_error(value, expected)
        if not error < TOLERANCE[function]:
            where = " (on a model whose forward returns a tuple, wrapped in netvis.ScoresOnly)" if case.get("wrapped") else ""
            known = known_mistake(function, value, model, X, y, extra)
            if known:
                raise CheckFailed(f"{function} differs from the reference{where}: {known[1]}.", mistake=known[0])
            raise CheckFailed(f"{function} differs from the reference{where} (largest error {error:.2%} of the "
                              f"largest value): {HOW[function]}.", mistake="attribution-wrong-values")
    return "matches the reference" + (" (Captum's, for this method)" if function != SMOOTH else "")


def no_side_effects(function, student, cases) -> str:
    """The model may arrive in training mode: eval-mode answer, and X, the model's mode, its parameters and hooks left as they were."""
    for case in cases:
        case = dict(case, function=function)
        model = case_model(case, training=True, frozen=False)
        X, y, extra = case_inputs(case)
        call = _call(student, function, model, X, y, extra, with_model_state=True)
        evaluating = case_model(case)
        in_eval = _call(student, function, evaluating, X, y, extra).value
        require_work(case, in_eval, evaluating, X, y, extra)
        if call.model.hooks:
            raise CheckFailed(f"{call.model.hooks} hook(s) are left on the model after {function}: keep the handle "
                              "that register_forward_hook returns and call handle.remove() (in a finally: block).", mistake="hooks-left")
        for key, before in model.state_dict().items():
            if not torch.equal(call.model.state[key], before):
                raise CheckFailed(f"{function} changed the model's parameter {key}: compute gradients for the "
                                  "inputs only, never update the model.", mistake="model-changed")
        if not torch.equal(call.args[0], X):
            raise CheckFailed(f"{function} modified its input X: work on a copy (X.clone(), X + noise, ...).", mistake="input-modified")
        value = _as_answer(function, call.value, X)
        if not relative_error(value, _as_answer(function, in_eval, X)) < max(TOLERANCE[function], 1e-3):
            raise CheckFailed(f"With the model in training mode, {function} gives another answer (dropout is on): "
                              "call model.eval() before the forward passes, and restore the mode afterwards.", mistake="no-eval")
        if not call.model.training:
            raise CheckFailed(f"The model arrived in training mode and {function} left it in eval mode: remember "
                              "training = model.training first and call model.train(training) at the end.", mistake="mode-not-restored")
    return "eval-mode answer; X, the model's mode, parameters and hooks as they were"


def completeness(student, cases) -> str:
    """Completeness: the attributions of each image sum to s_y(X) - s_y(baseline) as steps grow."""
    for case in cases:
        case = dict(case, function=IG)
        model = case_model(case)
        X, y, (baseline, _) = case_inputs(case)
        with torch.no_grad(), objectives.evaluating(model):
            gain = (model(X) - model(baseline)).gather(1, y.view(-1, 1))[:, 0].double()
        errors = []
        for steps in COMPLETENESS_STEPS:
            value = _as_answer(IG, _call(student, IG, model, X, y, (baseline, steps)).value, X)
            errors.append(float((value.double().sum(dim=(1, 2, 3)) - gain).abs().max() / gain.abs().max()))
            if steps == COMPLETENESS_STEPS[1]:
                require_work(dict(case, steps=steps), value, model, X, y, (baseline, steps))
        if not errors[-1] < COMPLETENESS_ERROR:
            trend = ", ".join(f"{e:.1%} at {s} steps" for s, e in zip(COMPLETENESS_STEPS, errors))
            raise CheckFailed("The attributions of an image should sum to s_y(X) - s_y(baseline), more closely "
                              f"as steps grow; the error is {trend}. Check the (X - baseline) factor and the "
                              "1/steps average.", mistake="ig-incomplete")
    return f"attributions sum to s_y(X) - s_y(baseline) within {COMPLETENESS_ERROR:.0%} at {COMPLETENESS_STEPS[-1]} steps"


PUBLIC_CASES = {
    SMOOTH: {
        values: [{"seed": 201, "n": 1, "samples": 4, "sigma": 0.5}, {"seed": 202, "n": 3, "samples": 3, "sigma": 0.5}],
        no_side_effects: [{"seed": 203, "n": 2, "samples": 2, "sigma": 0.5}],
    },
    IG: {
        values: [{"seed": 211, "n": 1, "steps": 8, "baseline_kind": "zeros"},
                 {"seed": 212, "n": 3, "steps": 6, "baseline_kind": "noise"}],
        completeness: [{"seed": 213, "n": 2, "steps": None, "baseline_kind": "zeros"}],
        no_side_effects: [{"seed": 214, "n": 2, "steps": 4, "baseline_kind": "zeros"}],
    },
    CAM: {
        values: [{"seed": 221, "n": 1, "layer": "features.6"}, {"seed": 222, "n": 3, "layer": "features.3"}],
        no_side_effects: [{"seed": 223, "n": 2, "layer": "features.5"}],
    },
}
"""Per function, per check: the public cases (seeds and sizes; the checks build models, images and noise)."""
