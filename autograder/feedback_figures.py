"""Pictures for a student's feedback page, each part's beside the reference solution's.

Each part gets a list of ``FigureRow``s of ``Tile``s drawn at the size they are shown
(``TILE`` pixels wide), so the page reads at a glance: the images above the saliency maps,
yours then the reference's; your fooling image then the reference's; your class visualisation
beside the reference's, from the same noise; your captured feature maps then the reference's.
The student's pictures come from their worker on the notebook's final namespace; a picture
their code could not make is a tile with a note, and the reference's is still shown.
"""
import base64
import hashlib
import io
import json
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from matplotlib import colormaps
from PIL import Image

from netvis import load_imagenet_val, preprocess
from netvis.checks import CheckFailed, InProcessStudent
from netvis.checks.common import class_name, real_model
from netvis.checks.fooling import fool_real_image
from netvis.image import deprocess
from netvis.visualize import ascend_from_noise

from .config import REFERENCES_DIR
from .files import atomic_write_text
from .references import load as load_references
from .results import FigureRow, Tile
from .sandbox import FIGURES
from .solution import solution_namespace

REFERENCE_TILES = REFERENCES_DIR / "feedback_tiles.json"
"""The reference's pictures for every feedback page, kept with the references they were drawn from."""
TILE = 224
"""On-screen width of every picture, in pixels."""
NUM_IMAGES, FOOLING_INDEX, FOOLING_TARGET, MAGNIFY = 5, 0, 6, 10
CLASS_TARGET, CLASS_ITERATIONS, CLASS_IMAGE_SIZE = 76, 30, 128
"""Class visualisation for the page: 30 steps of the notebook's settings on a 128-pixel image."""
FEATURE_LAYERS = ("features.1", "features.6", "features.12")
"""Early, middle and late feature maps of SqueezeNet, (64, 111, 111), (256, 27, 27), (512, 13, 13)."""
COLORMAP = "inferno"
"""Saliency and feature maps: dark = small, bright yellow = large (readable in grey too)."""


def png(array: np.ndarray, size: int = TILE) -> str:
    """Base64 PNG of a uint8 array (H, W, 3) or (H, W), resized to ``size`` pixels wide."""
    image = Image.fromarray(np.ascontiguousarray(array))
    if image.width != size:
        resample = Image.NEAREST if image.width * 2 <= size else Image.BILINEAR
        image = image.resize((size, round(image.height * size / image.width)), resample)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def heat(values) -> np.ndarray:
    """uint8 (H, W, 3): a non-negative map (H, W) in the colormap, scaled to its own 99th percentile
    (its maximum where that is 0), so that a few extreme pixels do not leave the rest dark."""
    values = np.nan_to_num(np.asarray(values, dtype=np.float32))
    top = float(np.percentile(values, 99)) if values.size else 0.0
    top = top if top > 0 else float(values.max(initial=0.0))
    scaled = np.clip(values / top, 0, 1) if top > 0 else np.zeros_like(values)
    return (colormaps[COLORMAP](scaled)[..., :3] * 255).astype(np.uint8)


def _missing(what: str, error: str = "") -> list:
    note = f"Your code could not make {what}" + (f":\n{error.strip().splitlines()[-1]}" if error.strip() else ".")
    return [Tile("yours", note=note + "\nThe reference's is shown for comparison; the checks say what to fix.")]


def _images():
    """(uint8 (N, 224, 224, 3), labels (N,)) of the first validation images."""
    X, y, _ = load_imagenet_val(num=NUM_IMAGES)
    return X, y


def _saliency_tiles(student) -> list:
    X, y = _images()
    try:
        call = student.call("compute_saliency_maps", preprocess(X), torch.from_numpy(y), real_model())
    except CheckFailed as err:
        return _missing("saliency maps", str(err))
    value = call.value
    if call.error is not None or not isinstance(value, torch.Tensor) or tuple(value.shape) != (NUM_IMAGES, 224, 224):
        shape = f" it returned {type(value).__name__} {tuple(getattr(value, 'shape', ()))}, not (N, H, W)"
        return _missing("saliency maps", call.error or shape)
    return [Tile(class_name(label), png(heat(m.detach().float().numpy()))) for m, label in zip(value, y)]


def _fooling_tiles(student) -> list:
    X, y = _images()
    try:
        fooled = deprocess(fool_real_image(student, FOOLING_INDEX, FOOLING_TARGET))[0]
    except CheckFailed as err:
        return _missing("a fooling image", str(err))
    original = X[FOOLING_INDEX].astype(np.float32)
    difference = np.clip(MAGNIFY * (fooled.astype(np.float32) - original) + 128, 0, 255).astype(np.uint8)
    return [Tile(f"classified as {class_name(FOOLING_TARGET)}?", png(fooled)),
            Tile(f"difference ×{MAGNIFY} (grey = none)", png(difference))]


def _feature_tiles(student) -> list:
    X, _ = _images()
    try:
        call = student.call("capture_activations", real_model(), preprocess(X[:1]), list(FEATURE_LAYERS))
    except CheckFailed as err:
        return _missing("feature maps", str(err))
    value = call.value if isinstance(call.value, dict) else {}
    tiles = []
    for layer in FEATURE_LAYERS:
        activation = value.get(layer)
        if call.error is None and isinstance(activation, torch.Tensor) and activation.dim() == 4:
            tiles.append(Tile(f"{layer}: mean over {activation.shape[1]} channels",
                              png(heat(activation[0].detach().float().clamp(min=0).mean(0).numpy()))))
        else:
            tiles.append(Tile(layer, note=f"No 4-d activation for {layer}."
                                          + (f" {call.error.strip().splitlines()[-1]}" if call.error else "")))
    return tiles


@lru_cache(maxsize=1)
def reference_class_visualization() -> np.ndarray:
    """uint8 (H, W, 3): the solution's class visualisation from the standard noise."""
    step, model = solution_namespace()["class_visualization_update_step"], real_model()
    image, _ = ascend_from_noise(lambda img: step(img, model, CLASS_TARGET, 1e-3, 25),
                                 num_iterations=CLASS_ITERATIONS, image_size=CLASS_IMAGE_SIZE, progress=False)
    return image


def _class_tile(student) -> Tile:
    try:
        image = student.visualize_class(real_model(), CLASS_TARGET, CLASS_ITERATIONS, CLASS_IMAGE_SIZE)
    except CheckFailed as err:
        return _missing("a class visualisation", str(err))[0]
    if isinstance(image, torch.Tensor) and image.dtype == torch.uint8 and image.shape == (CLASS_IMAGE_SIZE,) * 2 + (3,):
        return Tile("yours", png(image.numpy(), 2 * CLASS_IMAGE_SIZE))
    return _missing("a class visualisation")[0]


@lru_cache(maxsize=1)
def _reference_tiles() -> dict:
    """The reference's tiles, the same for every student: drawn once per set of references and
    kept beside them (``REFERENCE_TILES``), under a key of the references and of this module."""
    key = hashlib.sha256((load_references()["manifest"]["fingerprint"] + Path(__file__).read_text()).encode()).hexdigest()
    try:
        stored = json.loads(REFERENCE_TILES.read_text())
        if stored["key"] == key:
            return {name: [Tile(**t) for t in tiles] if isinstance(tiles, list) else Tile(**tiles)
                    for name, tiles in stored["tiles"].items()}
    except (OSError, ValueError, KeyError, TypeError):
        pass
    solution = InProcessStudent(solution_namespace())
    tiles = {"saliency": _saliency_tiles(solution), "fooling": _fooling_tiles(solution),
             "features": _feature_tiles(solution),
             "class": Tile("reference", png(reference_class_visualization(), 2 * CLASS_IMAGE_SIZE))}
    try:
        atomic_write_text(REFERENCE_TILES, json.dumps({"key": key, "tiles": {
            name: [asdict(t) for t in value] if isinstance(value, list) else asdict(value)
            for name, value in tiles.items()}}))
    except OSError:  # a read-only references folder (a shared kit): drawn again by the next process
        pass
    return tiles


def student_figures(student) -> dict:
    """{student function: [FigureRow]}: per part, the student's pictures beside the reference's."""
    student.start_check(FIGURES)
    reference = _reference_tiles()
    X, y = _images()
    original = Tile(f"the original, {class_name(y[FOOLING_INDEX])}", png(X[FOOLING_INDEX]))
    return {
        "compute_saliency_maps": [
            FigureRow("The images", [Tile(class_name(label), png(image)) for image, label in zip(X, y)]),
            FigureRow("Your saliency maps (bright = the score is sensitive to that pixel)", _saliency_tiles(student)),
            FigureRow("The reference's saliency maps", reference["saliency"])],
        "make_fooling_image": [
            FigureRow("Your fooling image", [original] + _fooling_tiles(student)),
            FigureRow("The reference's fooling image", [original] + reference["fooling"])],
        "class_visualization_update_step": [
            FigureRow(f"{class_name(CLASS_TARGET)}: {CLASS_ITERATIONS} steps from the same noise",
                      [_class_tile(student), reference["class"]])],
        "capture_activations": [
            FigureRow(f"Your feature maps of {class_name(y[0])}", _feature_tiles(student)),
            FigureRow("The reference's feature maps", reference["features"])],
    }
