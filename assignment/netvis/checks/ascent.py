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

from .calls import CheckFailed
from .common import cosine
from .tiny import make_images, make_tiny_model

MIN_COSINE = 0.99
"""How closely an update must point along the reference direction."""

MISTAKES = {
    "descent": "your update decreases the objective: gradient ascent adds the gradient (img += lr * g).",
    "l2_added": "the L2 term is added: the objective subtracts l2_reg * ||I||^2, so its gradient "
                "contributes -2 * l2_reg * I.",
    "l2_not_squared": "you penalise ||I|| instead of ||I||^2: the regulariser is l2_reg * ||I||_2^2.",
    "l2_half": "the gradient of l2_reg * ||I||^2 is 2 * l2_reg * I; your update uses l2_reg * I.",
    "no_l2": "the L2 regulariser is missing from the update.",
}
"""Known wrong directions, by the name the reference tensors store them under."""


def sequential_output(model, layer: str, X: torch.Tensor) -> torch.Tensor:
    """Output of ``layer`` ("features.4", "classifier.1") by running the Sequential prefix."""
    container, index = layer.split(".")
    if container == "classifier":
        X = model.features(X)
    return getattr(model, container)[: int(index) + 1](X)


@dataclass(frozen=True)
class UpdateStep:
    name: str
    target_keys: tuple
    """Case keys passed between ``model`` and ``l2_reg``: ("target",) or ("layer", "channel")."""

    def arguments(self, case, img, model, learning_rate):
        return (img, model) + tuple(case[k] for k in self.target_keys) + (case["l2_reg"], learning_rate)

    def objective(self, case, model, img) -> float:
        with torch.no_grad():
            if self.name == CLASS_STEP.name:
                gain = model(img)[0, case["target"]]
            else:
                gain = sequential_output(model, case["layer"], img)[0, case["channel"]].mean()
            return float(gain - case["l2_reg"] * img.pow(2).sum())

    def delta(self, student, case, img, model, learning_rate, **kw):
        """The student's update of ``img`` (a leaf that requires grad), and the Call."""
        start = img.detach().clone().requires_grad_()
        call = student.call(self.name, *self.arguments(case, start, model, learning_rate), **kw)
        call.raise_error(self.name)
        return call.args[0].detach() - img.detach(), call


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
            raise CheckFailed(f"{step.name} returned a {type(call.value).__name__}: update img in place and return None.")
        if not delta.abs().max() > 0:
            raise CheckFailed(f"{step.name} left img unchanged: update it in place "
                              "(img.data += ..., or img += ... inside torch.no_grad()).")
    return "updates img in place, returns None"


def ascends(step: UpdateStep, student, cases) -> str:
    """A small step increases the score (l2_reg = 0: the sign of the ascent alone)."""
    for case in cases:
        img, model = _public_inputs(case)
        delta, _ = step.delta(student, case, img, model, case["learning_rate"])
        before, after = step.objective(case, model, img), step.objective(case, model, img + delta)
        if not after > before:
            raise CheckFailed(f"After one step of {step.name} the objective went from {before:.6g} to "
                              f"{after:.6g}: {MISTAKES['descent']}")
    return "a small step increases the objective"


def direction(step: UpdateStep, student, cases) -> str:
    """The update points along the gradient of the objective (several l2_reg values)."""
    for case in cases:
        model = make_tiny_model(0)
        model.load_state_dict(case["model_state"])
        delta, _ = step.delta(student, case, case["img"], model, case["learning_rate"])
        similarity = cosine(delta, case["reference_delta"])
        if not similarity >= MIN_COSINE:
            known = [(cosine(delta, d), MISTAKES[k]) for k, d in case["mistakes"].items()]
            best, message = max(known, default=(0.0, ""))
            if best < MIN_COSINE:
                message = ("it is not the gradient of the objective (which includes -l2_reg * ||I||^2), "
                           "nor a positive multiple of it.")
            raise CheckFailed(f"With l2_reg = {case['l2_reg']:.3g} the update's direction differs from the "
                              f"reference (cosine similarity {similarity:.3f}): {message}")
    return f"direction matches the reference (cosine >= {MIN_COSINE})"


def scales_with_learning_rate(step: UpdateStep, student, cases) -> str:
    """Doubling learning_rate doubles the step."""
    for case in cases:
        img, model = _public_inputs(case)
        small, _ = step.delta(student, case, img, model, case["learning_rate"])
        large, _ = step.delta(student, case, img, model, 2 * case["learning_rate"])
        if not torch.allclose(large, 2 * small, rtol=1e-3, atol=1e-6):
            ratio = float(large.norm() / small.norm().clamp_min(1e-30))
            raise CheckFailed(f"Doubling learning_rate changed the step by a factor of {ratio:.3g}, not 2: "
                              "the step must be learning_rate times the (normalised) gradient.")
    return "the step scales with learning_rate"


def no_accumulation(step: UpdateStep, student, cases) -> str:
    """A second call on the same img is not affected by the first one's gradient."""
    for case in cases:
        img, model = _public_inputs(case)
        start = img.detach().clone().requires_grad_()
        first_args = step.arguments(case, start, model, case["learning_rate"])
        second = {2: case["second_target"]}
        call = student.call(step.name, *first_args, followups=[second])
        call.raise_error(step.name)
        after_first, after_second = call.history[0][0].detach(), call.args[0].detach()
        fresh_case = dict(case, target=case["second_target"])
        fresh, _ = step.delta(student, fresh_case, after_first, model, case["learning_rate"])
        if not torch.allclose(after_second - after_first, fresh, rtol=1e-3, atol=1e-6):
            raise CheckFailed(f"The second of two calls of {step.name} on the same img differs from the same "
                              "call on a fresh copy: the gradient of the first call was not cleared. Zero "
                              "img.grad after the update (img.grad.zero_()), or use torch.autograd.grad.")
    return "consecutive calls do not accumulate gradients"


CLASS_PUBLIC_CASES = {
    returns_none: [{"seed": 31, "target": 1, "l2_reg": 1e-3, "learning_rate": 0.5}],
    ascends: [{"seed": 32, "target": 2, "l2_reg": 0.0, "learning_rate": 1e-3}],
    direction: [],
    scales_with_learning_rate: [{"seed": 33, "target": 3, "l2_reg": 1e-3, "learning_rate": 0.5}],
    no_accumulation: [{"seed": 34, "target": 4, "second_target": 7, "l2_reg": 1e-3, "learning_rate": 0.5}],
}
FILTER_PUBLIC_CASES = {
    ascends: [{"seed": 35, "layer": "features.2", "channel": 5, "l2_reg": 0.0, "learning_rate": 1e-3}],
    direction: [],
}
