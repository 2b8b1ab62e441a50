"""Checks of the two in-place gradient-ascent steps.

``class_visualization_update_step(img, model, target_y, l2_reg, learning_rate)`` ascends
``s_y(img) - l2_reg * ||img||_2^2``; ``filter_visualization_update_step(img, model, layer,
channel, l2_reg, learning_rate)`` ascends the mean activation of one channel of one layer minus
the same L2 term. Both must update ``img`` (shape (1, 3, H, W), requires grad) in place and
return None. The reference direction is the objective's gradient; a normalised step
``lr * g / ||g||`` and a plain one ``lr * g`` are both accepted, so directions are compared by
cosine similarity.
"""
from dataclasses import dataclass

import torch

from . import objectives
from .common import no_work
from .student import CheckFailed
from .tiny import make_images, make_tiny_model

MIN_COSINE = 0.99
"""How closely an update must point along the reference direction."""
WORK_COSINE = 0.5
"""How closely an update must follow the score's gradient (either sign) for the property checks to count."""

MISTAKES = {
    "ascent-descent": "your update decreases the objective: gradient ascent adds the gradient (img += lr * g).",
    "ascent-l2-added": "the L2 term is added: the objective subtracts l2_reg * ||I||^2, so its gradient "
                "contributes -2 * l2_reg * I.",
    "ascent-l2-not-squared": "you penalise ||I|| instead of ||I||^2: the regulariser is l2_reg * ||I||_2^2.",
    "ascent-l2-half": "the gradient of l2_reg * ||I||^2 is 2 * l2_reg * I; your update uses l2_reg * I.",
    "ascent-no-l2": "the L2 regulariser is missing from the update.",
}
"""Known wrong directions (by their id in ``mistakes.TITLES``) and what each one means."""


@dataclass(frozen=True)
class UpdateStep:
    name: str
    target_keys: tuple
    """Case keys passed between ``model`` and ``l2_reg``: ("target",) or ("layer", "channel")."""

    def arguments(self, case, img, model, learning_rate):
        return (img, model) + tuple(case[k] for k in self.target_keys) + (case["l2_reg"], learning_rate)

    def gain(self, case, model, img) -> torch.Tensor:
        """The term the step ascends, without the regulariser (a scalar)."""
        if self.name == CLASS_STEP.name:
            return objectives.class_score(model, img, case["target"])
        return objectives.channel_mean(model, img, case["layer"], case["channel"])

    def objective(self, case, model, img) -> float:
        with torch.no_grad():
            return float(self.gain(case, model, img) - objectives.l2_penalty(img, case["l2_reg"]))

    def gain_gradient(self, case, model, img) -> torch.Tensor:
        return objectives.gradient(lambda leaf: self.gain(case, model, leaf), img)

    def reference_direction(self, case, model, img) -> torch.Tensor:
        """The gradient of the objective at ``img``."""
        return self.gain_gradient(case, model, img) - 2 * case["l2_reg"] * img.detach()

    def mistaken_directions(self, case, model, img, reference) -> dict:
        """{name in MISTAKES: the direction that mistake gives}, beside the ``reference`` update."""
        g, l2_reg, img = self.gain_gradient(case, model, img), case["l2_reg"], img.detach()
        return {"ascent-descent": -reference, "ascent-l2-added": g + 2 * l2_reg * img,
                "ascent-l2-not-squared": g - l2_reg * img / img.norm(), "ascent-l2-half": g - l2_reg * img, "ascent-no-l2": g}

    def delta(self, student, case, img, model, learning_rate, **kw):
        """The student's update of ``img`` (a leaf that requires grad), and the Call."""
        start = img.detach().clone().requires_grad_()
        call = student.call(self.name, *self.arguments(case, start, model, learning_rate), **kw)
        call.raise_error(self.name)
        return call.args[0].detach() - img.detach(), call

    def require_work(self, case, model, img, delta) -> None:
        """Fail unless ``delta`` follows the score's gradient (either sign), the image's own
        direction set aside: what the L2 term, or merely shrinking img, contributes does not count."""
        gradient = self.gain_gradient(case, model, img)
        similarity = abs(objectives.cosine(objectives.without(delta, img), objectives.without(gradient, img)))
        if not similarity >= WORK_COSINE:
            raise no_work("your update follows the gradient of the score",
                          f"apart from the L2 term it is unrelated to that gradient (cosine {similarity:.2f}). "
                          "Compute the gradient with backward() or torch.autograd.grad and step along it first.")


CLASS_STEP = UpdateStep("class_visualization_update_step", ("target",))
FILTER_STEP = UpdateStep("filter_visualization_update_step", ("layer", "channel"))


def _public_inputs(case):
    return make_images(case["seed"], 1), make_tiny_model(case["seed"])


def returns_none(step: UpdateStep, student, cases) -> str:
    """The step updates img in place and returns None."""
    for case in cases:
        img, model = _public_inputs(case)
        delta, call = step.delta(student, case, img, model, case["learning_rate"])
        if call.value is not None:
            raise CheckFailed(f"{step.name} returned a {type(call.value).__name__}: update img in place and return None.", mistake="ascent-returns-value")
        if not delta.abs().max() > 0:
            raise CheckFailed(f"{step.name} left img unchanged: update it in place "
                              "(img.data += ..., or img += ... inside torch.no_grad()).", mistake="ascent-unchanged")
        step.require_work(case, model, img, delta)
    return "updates img in place, returns None"


def ascends(step: UpdateStep, student, cases) -> str:
    """A small step increases the score (l2_reg = 0: the sign of the ascent alone)."""
    for case in cases:
        img, model = _public_inputs(case)
        delta, _ = step.delta(student, case, img, model, case["learning_rate"])
        before, after = step.objective(case, model, img), step.objective(case, model, img + delta)
        if not delta.abs().max() > 0:
            raise CheckFailed(f"{step.name} left img unchanged: update it in place "
                              "(img.data += ..., or img += ... inside torch.no_grad()).", mistake="ascent-unchanged")
        if not after > before:
            raise CheckFailed(f"After one step of {step.name} the objective went from {before:.6g} to "
                              f"{after:.6g}: {MISTAKES['ascent-descent']}", mistake="ascent-descent")
        step.require_work(case, model, img, delta)
    return "a small step increases the objective"


def _direction_inputs(step: UpdateStep, case):
    """(model, img, reference update): stored for hidden cases, the objective's gradient for public ones."""
    if "reference_delta" in case:
        model = make_tiny_model(0)
        model.load_state_dict(case["model_state"])
        return model, case["img"], case["reference_delta"]
    model, img = make_tiny_model(case["seed"]), make_images(case["seed"] + 1000, 1)
    return model, img, step.reference_direction(case, model, img)


def direction(step: UpdateStep, student, cases) -> str:
    """The update points along the gradient of the objective (several l2_reg values)."""
    for case in cases:
        model, img, reference = _direction_inputs(step, case)
        delta, _ = step.delta(student, case, img, model, case["learning_rate"])
        similarity = objectives.cosine(delta, reference)
        if not similarity >= MIN_COSINE:
            known = [(objectives.cosine(delta, d), k)
                     for k, d in step.mistaken_directions(case, model, img, reference).items()]
            best, mistake = max(known)
            named = best >= MIN_COSINE
            message = MISTAKES[mistake] if named else ("it is not the gradient of the objective (which includes "
                                                       "-l2_reg * ||I||^2), nor a positive multiple of it.")
            raise CheckFailed(f"With l2_reg = {case['l2_reg']:.3g} the update's direction differs from the "
                              f"reference (cosine similarity {similarity:.3f}): {message}",
                              mistake=mistake if named else "ascent-wrong-direction")
    return f"direction matches the reference (cosine >= {MIN_COSINE})"


def scales_with_learning_rate(step: UpdateStep, student, cases) -> str:
    """Doubling learning_rate doubles the step."""
    for case in cases:
        img, model = _public_inputs(case)
        small, _ = step.delta(student, case, img, model, case["learning_rate"])
        large, _ = step.delta(student, case, img, model, 2 * case["learning_rate"])
        step.require_work(case, model, img, small)
        if not torch.allclose(large, 2 * small, rtol=1e-3, atol=1e-6):
            ratio = float(large.norm() / small.norm().clamp_min(1e-30))
            raise CheckFailed(f"Doubling learning_rate changed the step by a factor of {ratio:.3g}, not 2: "
                              "the step must be learning_rate times the (normalised) gradient.", mistake="ascent-lr-scaling")
    return "the step scales with learning_rate"


def no_accumulation(step: UpdateStep, student, cases) -> str:
    """A second call on the same img is not affected by the first one's gradient."""
    for case in cases:
        img, model = _public_inputs(case)
        start = img.detach().clone().requires_grad_()
        first_args = step.arguments(case, start, model, case["learning_rate"])
        call = student.call(step.name, *first_args, followups=[{2: case["second_target"]}])
        call.raise_error(step.name)
        after_first, after_second = call.history[0][0].detach(), call.args[0].detach()
        step.require_work(case, model, img, after_first - img)
        fresh_case = dict(case, target=case["second_target"])
        fresh, _ = step.delta(student, fresh_case, after_first, model, case["learning_rate"])
        if not torch.allclose(after_second - after_first, fresh, rtol=1e-3, atol=1e-6):
            raise CheckFailed(f"The second of two calls of {step.name} on the same img differs from the same "
                              "call on a fresh copy: the gradient of the first call was not cleared. Zero "
                              "img.grad after the update (img.grad.zero_()), or use torch.autograd.grad.", mistake="ascent-accumulates")
    return "consecutive calls do not accumulate gradients"


CLASS_PUBLIC_CASES = {
    returns_none: [{"seed": 31, "target": 1, "l2_reg": 1e-3, "learning_rate": 0.5}],
    ascends: [{"seed": 32, "target": 2, "l2_reg": 0.0, "learning_rate": 1e-3}],
    direction: [{"seed": 36, "target": 6, "l2_reg": 1e-4, "learning_rate": 0.5}],
    scales_with_learning_rate: [{"seed": 33, "target": 3, "l2_reg": 1e-3, "learning_rate": 0.5}],
    no_accumulation: [{"seed": 34, "target": 4, "second_target": 7, "l2_reg": 1e-3, "learning_rate": 0.5}],
}
FILTER_PUBLIC_CASES = {
    ascends: [{"seed": 35, "layer": "features.2", "channel": 5, "l2_reg": 0.0, "learning_rate": 1e-3}],
    direction: [{"seed": 37, "layer": "features.5", "channel": 2, "l2_reg": 2e-4, "learning_rate": 0.5}],
}
