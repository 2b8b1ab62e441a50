"""Pictures for a student's feedback page: their saliency maps and fooling image beside the solution's."""
import base64
import io
import threading
from functools import lru_cache

import torch

from netvis import load_imagenet_val, preprocess, show_fooling_image, show_saliency_maps
from netvis.checks import CheckFailed
from netvis.checks.common import real_model
from netvis.checks.fooling import _fool_real
from netvis.image import deprocess

from .notebook import solution_namespace

NUM_IMAGES, FOOLING_INDEX, FOOLING_TARGET = 5, 0, 6


_MATPLOTLIB = threading.Lock()
"""Batch grading draws from several threads; matplotlib is not thread-safe."""


def _png(draw, *args) -> str:
    """``draw(*args)`` as a base64 PNG."""
    buffer = io.BytesIO()
    with _MATPLOTLIB:
        draw(*args).savefig(buffer, format="png", dpi=60)
    return base64.b64encode(buffer.getvalue()).decode()


def _inputs():
    X, y, _ = load_imagenet_val(num=NUM_IMAGES)
    return X, y, preprocess(X), torch.from_numpy(y)


class _SolutionRunner:
    """The solution's functions behind the same ``call`` as a student's."""

    def __init__(self):
        from netvis.checks import InProcessStudent

        self.student = InProcessStudent(solution_namespace())
        self.memo = self.student.memo

    def call(self, *args, **kwargs):
        return self.student.call(*args, **kwargs)


def _figures(runner, who: str) -> dict:
    X, y, X_tensor, y_tensor = _inputs()
    figures = {}
    if hasattr(runner, "start_check"):
        runner.start_check()
    try:
        call = runner.call("compute_saliency_maps", X_tensor, y_tensor, real_model())
        if call.error is None and isinstance(call.value, torch.Tensor) and call.value.shape == (NUM_IMAGES, 224, 224):
            figures[f"{who} saliency maps"] = _png(show_saliency_maps, X, y, call.value)
    except CheckFailed:
        pass
    try:
        X_fooling = _fool_real(runner, FOOLING_INDEX, FOOLING_TARGET)
        figures[f"{who} fooling image"] = _png(show_fooling_image, X[FOOLING_INDEX], deprocess(X_fooling)[0],
                                               y[FOOLING_INDEX], FOOLING_TARGET)
    except CheckFailed:
        pass
    return figures


@lru_cache(maxsize=1)
def reference_figures() -> tuple:
    return tuple(_figures(_SolutionRunner(), "Reference").items())


def student_figures(runner) -> dict:
    """{title: base64 PNG}: the student's pictures (those their code could make), then the reference's."""
    return {**_figures(runner, "Your"), **dict(reference_figures())}
