"""Checks of ``make_fooling_image(X, target_y, model) -> (1, 3, H, W)``.

The ascent takes normalised steps of length ``learning_rate = 1``, so after k steps the image is
at most k away from X in L2: the distance certifies the number of steps from the output alone.
"""
import torch

from .calls import CheckFailed
from .common import class_name, expect_tensor, predicted_class, real_image, real_model
from .tiny import make_images, make_tiny_model

NAME = "make_fooling_image"
MAX_ITERATIONS = 100
LEARNING_RATE = 1.0
DISTANCE_SLACK = 1e-2
"""Float rounding allowance on the certified distance, in normalised pixel units."""


def _fool(student, X, target, model) -> torch.Tensor:
    call = student.call(NAME, X, target, model)
    call.raise_error(NAME)
    return expect_tensor(call.value, X.shape, "The fooling image")


def _fool_real(student, image_index: int, target: int) -> torch.Tensor:
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


def _cases_on_real_model(student, cases):
    """(case, X, target, the student's fooling image) for each case on a real image."""
    for case in cases:
        if "image_index" in case:
            X, target = real_image(case["image_index"]), case["target"]
            yield case, X, target, _fool_real(student, case["image_index"], target)


def fools(student, cases) -> str:
    """The returned image is classified as the target."""
    for case, X, target, X_fooling in _cases_on_real_model(student, cases):
        predicted = predicted_class(X_fooling)
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
    for case, X, target, X_fooling in _cases_on_real_model(student, cases):
        _distance_bound(float((X_fooling - X).norm()), MAX_ITERATIONS, why)
    for case in cases:
        if case.get("unreachable"):
            X, target, model = unreachable_case()
            _distance_bound(float((_fool(student, X, target, model) - X).norm()), MAX_ITERATIONS, why)
    return f"within {MAX_ITERATIONS} steps of the input"


def stops_when_fooled(student, cases) -> str:
    """No further steps once the model predicts the target (judged on the images that fool it)."""
    for case, X, target, X_fooling in _cases_on_real_model(student, cases):
        if predicted_class(X_fooling) != target:
            continue  # not fooled at all: the `fools` check already says so
        distance = float((X_fooling - X).norm())
        steps = case["reference_steps"] + 2
        _distance_bound(distance, steps, f"the model is fooled after {case['reference_steps']} steps, "
                        "so stop as soon as it predicts the target.")
    return "stops once the model is fooled"


def input_unchanged(student, cases) -> str:
    """X itself is not modified."""
    for case in cases:
        X, model = make_images(case["seed"], 1), make_tiny_model(case["seed"])
        call = student.call(NAME, X, case["target"], model)
        call.raise_error(NAME)
        if not torch.equal(call.args[0].detach(), X):
            raise CheckFailed(f"{NAME} modified its input X in place: work on a copy (X.clone()).")
    return "input untouched"


def shape_and_dtype(student, cases) -> str:
    """The fooling image has X's shape and dtype (float64 included)."""
    for case in cases:
        dtype = getattr(torch, case["dtype"])
        X, model = make_images(case["seed"], 1, dtype), make_tiny_model(case["seed"], dtype=dtype)
        call = student.call(NAME, X, case["target"], model)
        call.raise_error(NAME)
        value = expect_tensor(call.value, X.shape, "The fooling image")
        if value.dtype != dtype:
            raise CheckFailed(f"For a {dtype} input the fooling image is {value.dtype}: keep X's dtype (and device).")
    return "shape and dtype kept"


PUBLIC_CASES = {
    fools: [{"image_index": 0, "target": 6}],
    within_budget: [{"image_index": 0, "target": 6}, {"unreachable": True}],
    stops_when_fooled: [],
    input_unchanged: [{"seed": 22, "target": 4}],
    shape_and_dtype: [{"seed": 23, "target": 5, "dtype": "float32"}, {"seed": 24, "target": 6, "dtype": "float64"}],
}
