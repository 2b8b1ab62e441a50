"""The checks that grade the five student functions, one registry for every way of grading.

Each check is a plain function ``run(student, cases) -> message`` that raises ``CheckFailed``
with a message a student can act on. Its *public* cases live here and run in the student's own
notebook; its *hidden* cases (and the reference tensors they need) stay with the autograder.
nbgrader grade cells, the batch grader and the tests all run the same functions.
"""
from dataclasses import dataclass, field
from functools import partial
from typing import Callable

from . import activations, ascent, attribution, fooling, mistakes, saliency
from .student import Call, CallFault, CheckFailed, InProcessStudent, ModelReport, Student

STUDENT_FUNCTIONS = (
    "compute_saliency_maps",
    "make_fooling_image",
    "class_visualization_update_step",
    "capture_activations",
    "filter_visualization_update_step",
    "smooth_grad",
    "integrated_gradients",
    "grad_cam",
)


@dataclass(frozen=True)
class Part:
    """One part of the notebook (its ``## N.`` heading): the student functions its checks belong to."""
    number: int
    title: str
    short: str
    """A word or two for one-line summaries ("saliency 9/9")."""
    functions: tuple
    extra_credit: bool = False
    """Extra-credit points are totalled on their own, beside the assignment's."""


PARTS = (
    Part(1, "Saliency maps", "saliency", ("compute_saliency_maps",)),
    Part(2, "Fooling images", "fooling", ("make_fooling_image",)),
    Part(3, "Class visualisation", "class visualisation", ("class_visualization_update_step",)),
    Part(4, "Inside the network: feature maps and feature visualisation", "features",
         ("capture_activations", "filter_visualization_update_step")),
    Part(5, "Which explanation can you trust?", "explanations", ("smooth_grad", "integrated_gradients", "grad_cam"),
         extra_credit=True),
)
"""The notebook's parts in order; a check belongs to the part of its ``Check.function``."""


def part_of(function: str) -> Part:
    """The part that ``function`` belongs to; a function no part lists gets a part of its own."""
    for part in PARTS:
        if function in part.functions:
            return part
    return Part(len(PARTS) + 1, function, function, (function,))


OWN_LANE = {f"{fooling.NAME}-fools"}
"""Slow checks (the real SqueezeNet) that share nothing memoised with their function's other
checks: each runs in a lane of its own, beside them."""


@dataclass(frozen=True)
class Check:
    id: str
    """``<function>-<aspect>``: the nbgrader grade_id, the CSV column and the results.json test name."""
    points: float
    run: Callable = field(repr=False)
    public_cases: list = field(repr=False)

    @property
    def function(self) -> str:
        return self.id.split("-")[0]

    @property
    def lane(self) -> str:
        """Checks of one lane share what they memoise of the student's calls and run one after the
        other; lanes run side by side when a notebook is graded in the sandbox (``autograder.grading.lanes``)."""
        return self.id if self.id in OWN_LANE else self.function

    @property
    def description(self) -> str:
        return self.run.func.__doc__ if isinstance(self.run, partial) else self.run.__doc__


def _step_checks(step, public_cases, points):
    return [Check(f"{step.name}-{run.__name__}", points[run.__name__], partial(run, step), public_cases[run])
            for run in public_cases]


CHECKS = (
    [Check(f"{saliency.NAME}-{run.__name__}", pts, run, saliency.PUBLIC_CASES[run])
     for run, pts in [(saliency.shape, 2), (saliency.nonnegative, 1), (saliency.values, 3),
                      (saliency.eval_mode, 2), (saliency.model_untouched, 1)]]
    + [Check(f"{fooling.NAME}-{run.__name__}", pts, run, fooling.PUBLIC_CASES[run])
       for run, pts in [(fooling.fools, 2), (fooling.input_and_dtype, 1), (fooling.stops_when_fooled, 1),
                        (fooling.no_extra_step, 1), (fooling.keeps_fooled_input, 1), (fooling.no_early_stop, 1),
                        (fooling.within_budget, 1), (fooling.step_length, 1)]]
    + _step_checks(ascent.CLASS_STEP, ascent.CLASS_PUBLIC_CASES,
                   {"returns_none": 1, "ascends": 2, "direction": 4, "scales_with_learning_rate": 1, "no_accumulation": 2})
    + [Check(f"{activations.NAME}-{run.__name__}", pts, run, activations.PUBLIC_CASES[run])
       for run, pts in [(activations.shapes, 1), (activations.values, 2), (activations.removes_hooks, 2)]]
    + _step_checks(ascent.FILTER_STEP, ascent.FILTER_PUBLIC_CASES, {"ascends": 2, "direction": 3})
    + [Check(f"{function}-{run.__name__}", pts, run if run is attribution.completeness else partial(run, function),
             attribution.PUBLIC_CASES[function][run])
       for function, runs in [(attribution.SMOOTH, [(attribution.values, 2), (attribution.no_side_effects, 1)]),
                              (attribution.IG, [(attribution.values, 2), (attribution.completeness, 1),
                                                (attribution.no_side_effects, 1)]),
                              (attribution.CAM, [(attribution.values, 2), (attribution.no_side_effects, 1)])]
       for run, pts in runs]
)
CHECKS_BY_ID = {check.id: check for check in CHECKS}


def is_extra_credit(check_id: str) -> bool:
    """Whether a check belongs to an extra-credit part (totalled apart from the assignment's points)."""
    return part_of(check_id.split("-")[0]).extra_credit


def run_check(check_id: str, namespace: dict, cases=None) -> None:
    """Run one check on the functions defined in ``namespace`` (a notebook's ``globals()``).

    With ``cases=None`` the check's public cases run. Raises ``CheckFailed`` on a wrong answer,
    which makes an nbgrader grade cell fail; prints what passed otherwise. Returns None, so that
    nbgrader never mistakes a cell's value for partial credit.
    """
    check = CHECKS_BY_ID[check_id]
    message = check.run(InProcessStudent(namespace), check.public_cases if cases is None else cases)
    print(f"{check_id}: ok, {message}")


__all__ = ["CHECKS", "CHECKS_BY_ID", "PARTS", "STUDENT_FUNCTIONS", "Call", "CallFault", "Check", "CheckFailed",
           "InProcessStudent", "ModelReport", "mistakes", "is_extra_credit", "Part", "Student", "part_of", "run_check"]
