"""Checks of ``make_fooling_image(X, target_y, model) -> (1, 3, H, W)``.

The ascent takes normalised steps of length ``learning_rate = 1``, so after k steps the image is
at most k away from X in L2: the distance certifies the number of steps from the output alone.
"""
import torch

from . import objectives
from .common import class_name, expect_tensor, no_work, predicted_class, real_image, real_model
from .student import CallFault, CheckFailed
from .tiny import make_images, make_tiny_model

NAME = "make_fooling_image"
MAX_ITERATIONS = 100
LEARNING_RATE = 1.0
DISTANCE_SLACK = 1e-2
"""Float rounding allowance on the certified distance, in normalised pixel units."""
WORK_COSINE = 0.3
"""How closely X_fooling - X must follow the target score's gradient at X for the property checks to count."""


def _fool(student, X, target, model) -> torch.Tensor:
    call = student.call(NAME, X, target, model)
    call.raise_error(NAME)
    return expect_tensor(call.value, X.shape, "The fooling image")


def fool_real_image(student, image_index: int, target: int) -> torch.Tensor:
    """The student's fooling image for a real validation image, computed once per student."""
    key = (NAME, image_index, target)
    if key not in student.memo:
        student.memo[key] = _fool(student, real_image(image_index), target, real_model())
    return student.memo[key]


def unreachable_case(seed: int = 21, target: int = 3):
    """A TinyNet whose ``target`` class is far out of reach of 100 unit steps."""
    model = make_tiny_model(seed)
    with torch.no_grad():
        model.classifier[1].bias[target] -= 1e4
    return make_images(seed, 1), target, model


def require_progress(X, X_fooling, target, model) -> None:
    """Fail unless the image shows the ascent: it fools the model, or it moved along the target
    score's gradient at X (either way: a descent did the work with the wrong sign)."""
    if not torch.isfinite(X_fooling).all():
        raise no_work("your image is a real image", "it holds NaN or infinite values: does a step divide "
                      "by a gradient norm of zero?")
    if predicted_class(X_fooling.to(X.dtype), model) == target:
        return
    gradient = objectives.gradient(lambda leaf: objectives.class_score(model, leaf, target), X)
    similarity = abs(objectives.cosine(X_fooling.to(X.dtype) - X, gradient))
    if not similarity >= WORK_COSINE:
        raise no_work("your image moves along the gradient of the target's score",
                      f"its change from X is unrelated to that gradient (cosine {similarity:.2f}). "
                      "Take gradient-ascent steps on the target's score first.")


def _case_inputs(case):
    """(X, target, model) for a case on a real or a small model."""
    if "image_index" in case:
        return real_image(case["image_index"]), case["target"], real_model()
    if case.get("unreachable"):
        return unreachable_case()
    dtype = getattr(torch, case.get("dtype", "float32"))
    return make_images(case["seed"], 1, dtype), case["target"], make_tiny_model(case["seed"], dtype=dtype)


def _call(student, case):
    """(X, target, model, the Call) of the student's function on one case."""
    X, target, model = _case_inputs(case)
    call = student.call(NAME, X, target, model)
    call.raise_error(NAME)
    return X, target, model, call


def _student_image(student, case, X, target, model):
    if "image_index" in case:
        return fool_real_image(student, case["image_index"], target)
    return _fool(student, X, target, model)


def fools(student, cases) -> str:
    """The returned image is classified as the target."""
    for case in cases:
        X, target, model = _case_inputs(case)
        X_fooling = _student_image(student, case, X, target, model)
        predicted = predicted_class(X_fooling, model)
        if predicted != target:
            hint = " (it is the input, unchanged)" if torch.equal(X_fooling, X) else ""
            names = "not as the target" if case.get("hidden") else \
                f"as {class_name(predicted)}, not as the target {class_name(target)}"
            raise CheckFailed(f"The fooling image{hint} is classified {names}: "
                              "ascend the target's score until the model predicts it.")
    return "every fooling image is classified as its target"


def _distance_bound(distance: float, steps: int, why: str) -> None:
    if distance > steps * LEARNING_RATE + DISTANCE_SLACK:
        raise CheckFailed(f"The fooling image is {distance:.2f} away from X (L2), more than {steps} normalised "
                          f"steps of length {LEARNING_RATE:g} can go: {why}")


def within_budget(student, cases) -> str:
    """At most 100 normalised steps away from the input, even when the target is out of reach."""
    why = f"take steps dX = learning_rate * g / ||g||_2 and stop after {MAX_ITERATIONS} iterations."
    for case in cases:
        X, target, model = _case_inputs(case)
        try:
            X_fooling = _student_image(student, case, X, target, model)
        except CallFault as fault:
            if fault.kind != "timeout" or not case.get("unreachable"):
                raise
            raise CheckFailed(f"The target was out of reach and your loop does not stop after {MAX_ITERATIONS} "
                              "iterations: on a small model it ran past the time limit. Bound the loop "
                              f"(for t in range({MAX_ITERATIONS}): ...).") from None
        require_progress(X, X_fooling, target, model)
        _distance_bound(float((X_fooling - X).norm()), MAX_ITERATIONS, why)
    return f"within {MAX_ITERATIONS} steps of the input"


def stops_when_fooled(student, cases) -> str:
    """No further steps once the model predicts the target."""
    for case in cases:
        X, target, model = _case_inputs(case)
        X_fooling = _student_image(student, case, X, target, model)
        if predicted_class(X_fooling, model) != target:
            raise no_work("your image fools the model", "it is not classified as the target, so there is no "
                          "stopping point to judge (the `fools` check says more).")
        _distance_bound(float((X_fooling - X).norm()), case["reference_steps"] + 2,
                        f"the model is fooled after {case['reference_steps']} steps, "
                        "so stop as soon as it predicts the target.")
    return "stops once the model is fooled"


def input_unchanged(student, cases) -> str:
    """X itself is not modified."""
    for case in cases:
        X, target, model, call = _call(student, case)
        if not torch.equal(call.args[0].detach(), X):
            raise CheckFailed(f"{NAME} modified its input X in place: work on a copy (X.clone()).")
        require_progress(X, expect_tensor(call.value, X.shape, "The fooling image"), target, model)
    return "input untouched"


def shape_and_dtype(student, cases) -> str:
    """The fooling image has X's shape and dtype (float64 included)."""
    for case in cases:
        X, target, model, call = _call(student, case)
        value = expect_tensor(call.value, X.shape, "The fooling image")
        if value.dtype != X.dtype:
            raise CheckFailed(f"For a {X.dtype} input the fooling image is {value.dtype}: keep X's dtype (and device).")
        require_progress(X, value, target, model)
    return "shape and dtype kept"


# Only within_budget has an out-of-reach target: a loop without a cap, correct whenever the target
# can be reached, then loses that check and no other.
PUBLIC_CASES = {
    fools: [{"image_index": 0, "target": 6}],
    within_budget: [{"image_index": 0, "target": 6}, {"unreachable": True}],
    stops_when_fooled: [{"seed": 26, "target": 5, "reference_steps": 9}],
    input_unchanged: [{"seed": 22, "target": 8}],
    shape_and_dtype: [{"seed": 23, "target": 9, "dtype": "float32"}, {"seed": 29, "target": 5, "dtype": "float64"}],
}
