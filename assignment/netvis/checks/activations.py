"""Checks of ``capture_activations(model, X, layers) -> {layer name: activation}``."""
import torch

from . import objectives
from .common import no_work
from .student import CheckFailed
from .tiny import make_images, make_tiny_model

NAME = "capture_activations"
WORK_CORRELATION = 0.5
"""How closely (Pearson) each returned tensor must follow the layer's output or input to count as captured."""


def _capture(student, X, model, layers, **kw):
    call = student.call(NAME, model, X, list(layers), **kw)
    call.raise_error(NAME)
    if not isinstance(call.value, dict):
        raise CheckFailed(f"{NAME} must return a dict from layer name to activation; got {type(call.value).__name__}.", mistake="activations-not-dict")
    if sorted(call.value) != sorted(layers):
        raise CheckFailed(f"{NAME} returned the layers {sorted(call.value)}; asked for {sorted(layers)}.", mistake="activations-wrong-layers")
    return call.value


def require_work(activations: dict, model, X) -> None:
    """Fail unless every returned tensor follows its layer's output (or input) for this X."""
    with torch.no_grad():
        for layer, got in activations.items():
            candidates = (objectives.layer_output(model, layer, X), objectives.layer_input(model, layer, X))
            similarity = max((objectives.correlation(got, want) for want in candidates
                              if isinstance(got, torch.Tensor) and got.numel() == want.numel()), default=0.0)
            if not similarity >= WORK_CORRELATION:
                raise no_work("your dict holds what the layers compute",
                              f"the tensor for {layer} does not follow that layer's output for X "
                              f"(correlation {similarity:.2f}). Store what the forward hooks receive first.")


def _compare(activations, expected, compare_values: bool) -> None:
    for layer, want in expected.items():
        got = activations[layer]
        if not isinstance(got, torch.Tensor) or got.shape != want.shape:
            shape = tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__
            raise CheckFailed(f"The activation of {layer} has shape {shape}; expected {tuple(want.shape)} "
                              "(the layer's output for the whole batch).", mistake="activations-wrong-shape")
        if compare_values and not torch.allclose(got.detach(), want, rtol=1e-4, atol=1e-6):
            raise CheckFailed(f"The activation of {layer} has the right shape but wrong values: store the "
                              "hook's output (its third argument), for this forward pass only.", mistake="activations-wrong-values")


def _inputs(case):
    """(X, model, {layer: expected activation}): stored for hidden cases, computed for public ones."""
    if "expected" in case:
        model = make_tiny_model(0)
        model.load_state_dict(case["model_state"])
        return case["X"], model, case["expected"]
    X, model = make_images(case["seed"], case["n"]), make_tiny_model(case["seed"])
    with torch.no_grad():
        expected = {layer: objectives.layer_output(model, layer, X) for layer in case["layers"]}
    return X, model, expected


def shapes(student, cases) -> str:
    """One activation per requested layer, each of the layer's output shape."""
    for case in cases:
        X, model, expected = _inputs(case)
        activations = _capture(student, X, model, list(expected))
        _compare(activations, expected, compare_values=False)
        require_work(activations, model, X)
    return "one activation per layer, with the right shapes"


def values(student, cases) -> str:
    """The activations equal the layers' outputs."""
    for case in cases:
        X, model, expected = _inputs(case)
        _compare(_capture(student, X, model, list(expected)), expected, compare_values=True)
    return "activations match the layers' outputs"


def removes_hooks(student, cases) -> str:
    """No hook is left on the model, also when the forward pass raises."""
    for case in cases:
        X, model, expected = _inputs(case)
        call = student.call(NAME, model, X, list(expected))
        call.raise_error(NAME)
        if call.model.hooks:
            raise CheckFailed(f"{call.model.hooks} hook(s) are left on the model after {NAME}: keep the handle "
                              "that register_forward_hook returns and call handle.remove().", mistake="hooks-left")
        if not isinstance(call.value, dict) or sorted(call.value) != sorted(expected):
            raise no_work("your function returns the activations", "it returned no dict of the requested layers.")
        require_work(call.value, model, X)
        broken = torch.zeros((1, 4) + X.shape[2:])  # 4 channels: the first convolution raises
        call = student.call(NAME, model, broken, list(expected))
        if call.model.hooks:
            raise CheckFailed(f"When the forward pass raises, {call.model.hooks} hook(s) stay on the model: "
                              "remove the hooks in a finally: block.", mistake="hooks-left-on-error")
    return "no hooks left behind, even when the forward pass raises"


PUBLIC_CASES = {
    shapes: [{"seed": 41, "n": 2, "layers": ["features.1", "features.4", "classifier.1"]}],
    values: [{"seed": 42, "n": 3, "layers": ["features.0", "features.5"]}],
    removes_hooks: [{"seed": 43, "n": 1, "layers": ["features.2", "features.6"]}],
}
