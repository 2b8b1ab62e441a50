"""Pictures for a student's feedback page, each beside the reference solution's.

The student's saliency maps and fooling image come from their worker on the notebook's final
namespace; their class visualisation is what their update step makes from the same fixed noise
as the reference's, so a sign or regulariser bug shows at a glance.
"""
import base64
import io
import threading
from functools import lru_cache

import torch

from netvis import load_imagenet_val, preprocess, show_fooling_image, show_images, show_saliency_maps
from netvis.checks import CheckFailed, InProcessStudent
from netvis.checks.common import class_name, real_model
from netvis.checks.fooling import fool_real_image
from netvis.image import deprocess
from netvis.visualize import ascend_from_noise

from .sandbox import FIGURES
from .solution import solution_namespace

NUM_IMAGES, FOOLING_INDEX, FOOLING_TARGET = 5, 0, 6
CLASS_TARGET, CLASS_ITERATIONS, CLASS_IMAGE_SIZE = 76, 30, 128
"""Class visualisation for the page: 30 steps of the notebook's settings on a 128-pixel image."""

_MATPLOTLIB = threading.Lock()
"""Batch grading draws from several threads; matplotlib is not thread-safe."""


def _png(draw, *args) -> str:
    """``draw(*args)`` as a base64 PNG."""
    buffer = io.BytesIO()
    with _MATPLOTLIB:
        draw(*args).savefig(buffer, format="png", dpi=60)
    return base64.b64encode(buffer.getvalue()).decode()


def _saliency_and_fooling(student, who: str) -> dict:
    X, y, _ = load_imagenet_val(num=NUM_IMAGES)
    figures = {}
    try:
        call = student.call("compute_saliency_maps", preprocess(X), torch.from_numpy(y), real_model())
        if call.error is None and isinstance(call.value, torch.Tensor) and call.value.shape == (NUM_IMAGES, 224, 224):
            figures[f"{who} saliency maps"] = _png(show_saliency_maps, X, y, call.value)
    except CheckFailed:
        pass
    try:
        X_fooling = fool_real_image(student, FOOLING_INDEX, FOOLING_TARGET)
        figures[f"{who} fooling image"] = _png(show_fooling_image, X[FOOLING_INDEX], deprocess(X_fooling)[0],
                                               y[FOOLING_INDEX], FOOLING_TARGET)
    except CheckFailed:
        pass
    return figures


@lru_cache(maxsize=1)
def reference_class_visualization():
    """uint8 (H, W, 3): the solution's class visualisation from the standard noise."""
    step, model = solution_namespace()["class_visualization_update_step"], real_model()
    image, _ = ascend_from_noise(lambda img: step(img, model, CLASS_TARGET, 1e-3, 25),
                                 num_iterations=CLASS_ITERATIONS, image_size=CLASS_IMAGE_SIZE, progress=False)
    return image


def _class_visualization_pair(yours) -> str:
    def draw():
        figure = show_images([yours, reference_class_visualization()])
        for axis, title in zip(figure.axes, ["yours", "reference"]):
            axis.set_title(title, fontsize=10)
        figure.suptitle(f"{class_name(CLASS_TARGET)}: {CLASS_ITERATIONS} steps from the same noise")
        return figure
    return _png(draw)


@lru_cache(maxsize=1)
def reference_figures() -> tuple:
    return tuple(_saliency_and_fooling(InProcessStudent(solution_namespace()), "Reference").items())


def student_figures(student) -> dict:
    """{title: base64 PNG}: the student's pictures (those their code could make), then the reference's."""
    student.start_check(FIGURES)
    figures = _saliency_and_fooling(student, "Your")
    try:
        image = student.visualize_class(real_model(), CLASS_TARGET, CLASS_ITERATIONS, CLASS_IMAGE_SIZE)
        if isinstance(image, torch.Tensor) and image.dtype == torch.uint8 and image.shape == (CLASS_IMAGE_SIZE,) * 2 + (3,):
            figures["Class visualisation"] = _class_visualization_pair(image.numpy())
    except CheckFailed:
        pass
    return {**figures, **dict(reference_figures())}
