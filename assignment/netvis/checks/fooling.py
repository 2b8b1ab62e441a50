"""Checks of ``make_fooling_image(X, target_y, model) -> (1, 3, H, W)``.

The loop's steps are counted, not inferred: on the checks' small models every forward pass of
the model is recorded (``record_forwards``), and the grader rebuilds the trajectory from those
inputs (``trajectory``): where the loop evaluated the model, in order, then the image it
returned. The grader predicts each position with its own model, so it sees how many steps the
loop took, whether it stepped from an image already classified as the target, and how long
each step was. One check per way a loop goes wrong, and each pattern loses only its own check:

- ``stops_when_fooled``: two or more steps after the model predicts the target;
- ``no_extra_step``: exactly one (the test of the prediction computed before the step);
- ``keeps_fooled_input``: a step from an input already classified as the target, by a loop that
  otherwise stops in time (it steps before it first tests);
- ``no_early_stop``: gives up before the target is reached while steps remain;
- ``within_budget``: more than 100 steps when the target is out of reach;
- ``step_length``: a step whose length is not ``learning_rate`` (= 1).
"""
import hashlib
from dataclasses import dataclass

import torch

from . import objectives
from .common import class_name, expect_tensor, no_work, predicted_class, real_image, real_model
from .student import CallFault, CheckFailed
from .tiny import make_images, make_tiny_model

NAME = "make_fooling_image"
MAX_ITERATIONS = 100
LEARNING_RATE = 1.0
STEP_TOLERANCE = 1e-3
"""How far a step's L2 length may be from ``LEARNING_RATE`` (float rounding is ~1e-5 here)."""
WORK_COSINE = 0.3
"""How closely a step (or X_fooling - X) must follow the target score's gradient to show the ascent."""


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
        return unreachable_case(case.get("seed", 21), case.get("target", 3))
    dtype = getattr(torch, case.get("dtype", "float32"))
    return make_images(case["seed"], 1, dtype), case["target"], make_tiny_model(case["seed"], dtype=dtype)


def _call(student, case, record_forwards=False):
    """(X, target, model, the Call) of the student's function on one case."""
    X, target, model = _case_inputs(case)
    call = student.call(NAME, X, target, model, record_forwards=record_forwards)
    call.raise_error(NAME)
    return X, target, model, call


def _student_image(student, case, X, target, model):
    if "image_index" in case:
        return fool_real_image(student, case["image_index"], target)
    return _fool(student, X, target, model)


# -- the trajectory

@dataclass
class Trajectory:
    """Where the loop went on one case, as the grader sees it."""

    positions: list
    """X, then every new image the model was evaluated on (in order), then the returned image if new."""
    fooled: list
    """Whether the grader's model predicts the target at each position."""
    truncated: bool
    """More forward passes than were recorded: the loop ran away (see MAX_RECORDED_FORWARDS)."""

    @property
    def steps(self) -> int:
        return len(self.positions) - 1

    @property
    def first_fooled(self):
        """The step after which the model first predicts the target (0: X itself), or None."""
        return next((i for i, f in enumerate(self.fooled) if f), None)

    @property
    def steps_after_fooled(self):
        first = self.first_fooled
        return None if first is None else self.steps - first

    def length(self, i: int) -> float:
        """The L2 length of step ``i`` (0-based: from position i to i + 1)."""
        return float((self.positions[i + 1] - self.positions[i]).norm())


def _key(image: torch.Tensor) -> bytes:
    return hashlib.sha256(image.contiguous().numpy().tobytes()).digest()


def trajectory(call, X, target, model) -> Trajectory:
    """The trajectory of one recorded call: the inputs of its forward passes (each image of a batch
    on its own), each kept once (a loop often evaluates the same image twice per iteration, and
    may evaluate X again to print its class), then the returned image if the loop never evaluated
    it. Predictions come from the grader's ``model``, never from the sandbox."""
    value = expect_tensor(call.value, X.shape, "The fooling image").to(X.dtype)
    positions, seen = [X], {_key(X)}
    for recorded in list(call.forwards) + [value]:
        if not isinstance(recorded, torch.Tensor) or recorded.dim() != X.dim() or \
                tuple(recorded.shape[1:]) != tuple(X.shape[1:]):
            continue
        for image in recorded.detach().to(X.dtype).split(1):
            key = _key(image)
            if key not in seen:
                seen.add(key)
                positions.append(image)
    with torch.no_grad():
        fooled = [bool(p) for batch in torch.cat(positions).split(256)
                  for p in model(batch).argmax(dim=1) == target]
    return Trajectory(positions, fooled, call.forward_count > len(call.forwards))


def _trajectory_of(student, case) -> Trajectory:
    """The student's trajectory on one case, computed once per student: the five checks that judge
    trajectories share their cases, as the checks on the real image share ``fool_real_image``. A
    verdict the call itself earns (an exception, a fault) is kept too, and raised again."""
    key = (NAME, "trajectory", repr(sorted(case.items())))
    if key not in student.memo:
        try:
            X, target, model, call = _call(student, case, record_forwards=True)
            student.memo[key] = trajectory(call, X, target, model)
        except CheckFailed as failed:
            student.memo[key] = failed
    if isinstance(student.memo[key], CheckFailed):
        raise student.memo[key]
    return student.memo[key]


def _trajectories(student, cases):
    """[(case, Trajectory)] of the student's loop on every case, on the cases' small models."""
    return [(case, _trajectory_of(student, case)) for case in cases]


def _require_ascent(runs, signed: bool = True) -> None:
    """Fail unless, on an input the model does not yet classify as the target, the loop's first
    step goes up the target score's gradient: the work the stopping and step checks are about.
    With ``signed=False`` a step down the gradient counts too (a descent did the work with the wrong sign)."""
    why = "your function returned every input that does not fool the model without taking a step"
    for case, path in runs:
        if path.fooled[0] or path.steps == 0:
            continue
        X, target, model = _case_inputs(case)
        step = path.positions[1] - path.positions[0]
        if not torch.isfinite(step).all():
            why = "its first step holds NaN or infinite values: does it divide by a gradient norm of zero?"
            continue
        gradient = objectives.gradient(lambda leaf: objectives.class_score(model, leaf, target), X)
        similarity = objectives.cosine(step, gradient)
        if (similarity if signed else abs(similarity)) >= WORK_COSINE:
            return
        why = (f"its first step goes against the gradient of the target's score (cosine {similarity:.2f}): "
               "gradient ascent adds the gradient" if similarity <= -WORK_COSINE else
               f"its first step is unrelated to the gradient of the target's score (cosine {similarity:.2f})")
    raise no_work("your loop takes gradient-ascent steps on the target's score", why + ".")


def _late(runs, at_least: int, at_most=None):
    """The first (case, Trajectory) that took ``at_least`` (to ``at_most``) steps after the model was fooled,
    an input that the loop fooled itself before one that already fooled the model (the clearer story)."""
    for case, path in sorted(runs, key=lambda run: _already_fooled(run[1])):
        after = path.steps_after_fooled
        if after is not None and after >= at_least and (at_most is None or after <= at_most):
            return case, path
    return None


def _already_fooled(path) -> bool:
    return path.first_fooled == 0


def _one_step_late(runs):
    """The first (case, Trajectory) that the loop fooled itself and then stepped from once more
    (``no_extra_step``'s mistake), or None."""
    return _late([(c, p) for c, p in runs if not _already_fooled(p)], 1, 1)


# -- the checks

def fools(student, cases) -> str:
    """The returned image is classified as the target."""
    for case in cases:
        X, target, model = _case_inputs(case)
        X_fooling = _student_image(student, case, X, target, model)
        predicted = predicted_class(X_fooling, model)
        if predicted != target:
            hint = " (it is the input, unchanged)" if torch.equal(X_fooling, X) else \
                " (it holds NaN or infinite values: does a step divide by a gradient norm of zero?)" \
                if not torch.isfinite(X_fooling).all() else ""
            names = "not as the target" if case.get("hidden") else \
                f"as {class_name(predicted)}, not as the target {class_name(target)}"
            raise CheckFailed(f"The fooling image{hint} is classified {names}: "
                              "ascend the target's score until the model predicts it.", mistake="fooling-not-fooled")
    return "every fooling image is classified as its target"


def stops_when_fooled(student, cases) -> str:
    """Stops once the model predicts the target, not two or more steps later."""
    runs = _trajectories(student, cases)
    _require_ascent(runs)
    late = _late(runs, 2)
    if late:
        _, path = late
        where = "X was already classified as the target" if _already_fooled(path) else \
            f"The model predicted the target after step {path.first_fooled}"
        raise CheckFailed(f"{where}, but your loop took {path.steps} steps: {path.steps_after_fooled} more after "
                          "it was fooled. Stop as soon as the model predicts the target: test its prediction "
                          "before every step, and break.", mistake="fooling-steps-after-fooled")
    return "no more than one step after the model is fooled (the next checks judge that one)"


def no_extra_step(student, cases) -> str:
    """No step from an image the model already classifies as the target: the loop tests the current
    prediction, not the one computed before its step."""
    runs = _trajectories(student, cases)
    _require_ascent(runs)
    if _late(runs, 2):
        return "judged by stops_when_fooled: the loop takes more than one step after the model is fooled"
    late = _one_step_late(runs)
    if late:
        _, path = late
        raise CheckFailed(f"The model predicted the target after step {path.first_fooled}, and your loop took one "
                          f"step more ({path.steps} in all): it tests the prediction computed before its step "
                          "(score, step, then test). Test the current image's prediction first, and step only "
                          "when it is not the target; an input the model already classifies as the target "
                          "then comes back unchanged.", mistake="fooling-tests-stale-prediction")
    return "no step once the model predicts the target"


def keeps_fooled_input(student, cases) -> str:
    """An input the model already classifies as the target comes back unchanged (zero steps)."""
    runs = _trajectories(student, cases)
    _require_ascent(runs)
    if _late(runs, 2) or _one_step_late(runs):
        return "judged by stops_when_fooled and no_extra_step: the loop steps after the model is fooled"
    for _, path in runs:
        if _already_fooled(path) and path.steps:
            took = "a step" if path.steps == 1 else f"{path.steps} steps"
            raise CheckFailed(f"X was already classified as the target, yet your function took {took} "
                              "from it: it steps before it first tests the prediction. Test the "
                              "prediction before every step, the first one included: zero steps for an input "
                              "that already fools the model.", mistake="fooling-steps-when-fooled")
    return "an input that already fools the model comes back unchanged"


def no_early_stop(student, cases) -> str:
    """Keeps stepping until the model predicts the target, while steps remain (up to 100)."""
    runs = _trajectories(student, cases)
    _require_ascent(runs)
    for case, path in runs:
        reachable = case.get("reference_steps", MAX_ITERATIONS + 1) <= MAX_ITERATIONS
        if reachable and not any(path.fooled) and path.steps < MAX_ITERATIONS:
            raise CheckFailed(f"Your loop stopped after {path.steps} steps without reaching the target, while "
                              f"{MAX_ITERATIONS - path.steps} of its {MAX_ITERATIONS} steps remained (the reference "
                              f"reaches it in {case['reference_steps']}): keep stepping until the model predicts "
                              f"the target or {MAX_ITERATIONS} steps are spent.", mistake="fooling-stops-early")
    return "keeps going until the target is reached"


def within_budget(student, cases) -> str:
    """At most 100 steps, even when the target is out of reach."""
    for case in cases:
        try:
            X, target, model, call = _call(student, case, record_forwards=True)
        except CallFault as fault:
            if fault.kind != "timeout" or not case.get("unreachable"):
                raise
            raise CheckFailed(f"The target was out of reach and your loop does not stop after {MAX_ITERATIONS} "
                              "iterations: on a small model it ran past the time limit. Bound the loop "
                              f"(for t in range({MAX_ITERATIONS}): ...).", mistake="fooling-never-stops") from None
        path = trajectory(call, X, target, model)
        _require_ascent([(case, path)], signed=False)
        if path.steps > MAX_ITERATIONS or path.truncated:
            more = "more than " if path.truncated else ""
            raise CheckFailed(f"The target was out of reach and your loop took {more}{path.steps} steps: stop after "
                              f"{MAX_ITERATIONS} iterations (for t in range({MAX_ITERATIONS}): ...).", mistake="fooling-too-many-steps")
    return f"at most {MAX_ITERATIONS} steps"


def _why_length(length: float, X, target, model, start) -> str:
    """What a step of this length most likely did."""
    gradient_norm = float(objectives.gradient(lambda leaf: objectives.class_score(model, leaf, target),
                                              start.to(X.dtype)).norm())
    if gradient_norm > 0 and abs(length - LEARNING_RATE * gradient_norm) <= 1e-2 * LEARNING_RATE * gradient_norm:
        return f"it is lr * g, not normalised (||g||_2 is {gradient_norm:.3g} there)"
    if gradient_norm > 0 and abs(length - LEARNING_RATE / gradient_norm) <= 1e-2 * LEARNING_RATE / gradient_norm:
        return "it is lr * g / ||g||^2: divide by the norm itself, ||g||_2, not by its square"
    return "each step must have length lr"


def step_length(student, cases) -> str:
    """Every step has length learning_rate = 1: dX = lr * g / ||g||_2."""
    runs = _trajectories(student, cases)
    _require_ascent(runs)
    for case, path in runs:
        for i in range(path.steps):
            length = path.length(i)
            if not abs(length - LEARNING_RATE) <= STEP_TOLERANCE:
                X, target, model = _case_inputs(case)
                why = _why_length(length, X, target, model, path.positions[i])
                raise CheckFailed(f"Step {i + 1} of your loop has length {length:.3g} (L2), not lr = "
                                  f"{LEARNING_RATE:g}: {why}. Take steps dX = lr * g / ||g||_2.", mistake="fooling-step-length")
    return f"every step has length {LEARNING_RATE:g}"


def input_and_dtype(student, cases) -> str:
    """X itself is not modified, and the image has X's shape and dtype (float64 included)."""
    for case in cases:
        X, target, model, call = _call(student, case)
        if not torch.equal(call.args[0].detach(), X):
            raise CheckFailed(f"{NAME} modified its input X in place: work on a copy (X.clone()).", mistake="fooling-in-place")
        value = expect_tensor(call.value, X.shape, "The fooling image")
        if value.dtype != X.dtype:
            raise CheckFailed(f"For a {X.dtype} input the fooling image is {value.dtype}: keep X's dtype (and device).", mistake="fooling-dtype")
        require_progress(X, value, target, model)
    return "input untouched, shape and dtype kept"


TRAJECTORY_CASES = [
    {"seed": 22, "target": 1, "reference_steps": 0},   # X is already classified as the target
    {"seed": 26, "target": 5, "reference_steps": 9},
    {"seed": 28, "target": 6, "reference_steps": 29},  # more than 20 steps: a loop that gives up early shows
]
"""The public cases of the trajectory checks, with the steps the reference (autograder/solution.py) takes."""

# Only within_budget has an out-of-reach target: a loop without a cap, correct whenever the target
# can be reached, then loses that check and no other.
PUBLIC_CASES = {
    fools: [{"image_index": 0, "target": 6}],
    input_and_dtype: [{"seed": 22, "target": 8, "dtype": "float32"}, {"seed": 29, "target": 5, "dtype": "float64"}],
    within_budget: [{"unreachable": True, "seed": 21, "target": 3}],
    stops_when_fooled: TRAJECTORY_CASES,
    no_extra_step: TRAJECTORY_CASES,
    keeps_fooled_input: TRAJECTORY_CASES,
    no_early_stop: TRAJECTORY_CASES,
    step_length: TRAJECTORY_CASES,
}
