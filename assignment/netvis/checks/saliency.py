"""Checks of ``compute_saliency_maps(X, y, model) -> (N, H, W)``."""
import torch

from . import objectives
from .attribution import MISTAKE_MATCH, fitted_error
from .common import expect_tensor, no_work
from .student import CheckFailed
from .tiny import make_images, make_tiny_model

NAME = "compute_saliency_maps"
WORK_CORRELATION = 0.3
"""How closely (Pearson) a map must follow the true saliency for the property checks to count."""


def _inputs(case):
    X = make_images(case["seed"], case["n"])
    y = torch.arange(case["n"]) % 10
    return X, y


def _saliency(student, X, y, model, **kw):
    call = student.call(NAME, X, y, model, **kw)
    call.raise_error(NAME)
    return call


def _as_maps(value, X):
    """The student's answer as (N, H, W) magnitudes, whatever its layout, or None if it has none."""
    N, C, H, W = X.shape
    if not isinstance(value, torch.Tensor) or not value.is_floating_point():
        return None
    maps = value.detach().abs()
    if tuple(maps.shape) == (N, C, H, W):
        maps = maps.amax(dim=1)
    return maps.reshape(N, H, W) if maps.numel() == N * H * W else None


def require_work(value, X, y, model) -> None:
    """Fail unless the answer follows the true saliency of (X, y) under ``model`` (in eval mode)."""
    maps = _as_maps(value, X)
    similarity = objectives.correlation(maps, objectives.saliency(model, X, y)) if maps is not None else 0.0
    if not similarity >= WORK_CORRELATION:
        raise no_work("your maps show the gradient of the class scores",
                      f"they do not follow max over channels of |d s_y / d X| (correlation {similarity:.2f}). "
                      "Compute the gradient of each image's score with respect to the pixels first.")


def shape(student, cases) -> str:
    """Returns (N, H, W) for every batch size, N = 1 included."""
    for case in cases:
        X, y = _inputs(case)
        N, _, H, W = X.shape
        model = make_tiny_model(case["seed"])
        call = student.call(NAME, X, y, model)
        if call.error is not None and N == 1 and _larger_batches_work(student, cases):
            call.raise_error(NAME, " It fails for a batch of N = 1 image only, while larger batches work: "
                                   "a .squeeze() without a dimension dropped the batch dimension. Name the "
                                   "dimension (.squeeze(1)) or index instead.", mistake="saliency-squeeze")
        call.raise_error(NAME, f" It fails for a batch of N = {N} images"
                               + ("." if N == 5 else ": does it assume a batch of 5 (e.g. in backward())?"),
                         mistake="raised" if N == 5 else "saliency-batch-size")
        value = call.value
        if isinstance(value, torch.Tensor) and tuple(value.shape) == (N, 3, H, W):
            raise CheckFailed(f"{NAME} returned one map per colour channel, shape {(N, 3, H, W)}: "
                              "take the maximum of |gradient| over the channel dimension (dim=1).",
                              mistake="saliency-no-channel-max")
        if isinstance(value, torch.Tensor) and N == 1 and tuple(value.shape) == (H, W):
            raise CheckFailed(f"For N = 1 the batch dimension disappeared (shape {(H, W)}, not {(1, H, W)}): "
                              "don't call .squeeze() without naming the dimension.", mistake="saliency-squeeze")
        expect_tensor(value, (N, H, W), f"For N = {N}, the saliency")
        require_work(value, X, y, model)
    return f"shape (N, H, W) for N = {', '.join(str(c['n']) for c in cases)}"


def _larger_batches_work(student, cases) -> bool:
    """Whether the call returns (N, H, W) without raising for every case with N > 1 (there is one)."""
    larger = [case for case in cases if case["n"] > 1]
    for case in larger:
        X, y = _inputs(case)
        call = student.call(NAME, X, y, make_tiny_model(case["seed"]))
        value = call.value
        if call.error is not None or not isinstance(value, torch.Tensor) or \
                tuple(value.shape) != (X.shape[0],) + tuple(X.shape[2:]):
            return False
    return bool(larger)


def nonnegative(student, cases) -> str:
    """Saliency is |gradient|: never negative (whatever its shape)."""
    for case in cases:
        X, y = _inputs(case)
        model = make_tiny_model(case["seed"])
        saliency = _saliency(student, X, y, model).value
        if not isinstance(saliency, torch.Tensor):
            raise CheckFailed(f"{NAME} must return a torch.Tensor; got {type(saliency).__name__}.", mistake="wrong-type")
        if saliency.min() < 0:
            raise CheckFailed("The saliency has negative values: take the absolute value of the gradient.",
                              mistake="saliency-no-abs")
        require_work(saliency, X, y, model)
    return "all values >= 0"


def _values_case(case):
    """(X, y, model, expected maps): stored for hidden cases, computed with autograd for public ones."""
    if "expected" in case:
        model = make_tiny_model(0)
        model.load_state_dict(case["model_state"])
        return case["X"], case["y"], model, case["expected"]
    X, y = _inputs(case)
    model = make_tiny_model(case["seed"])
    return X, y, model, objectives.saliency(model, X, y)


def values(student, cases) -> str:
    """Equal to reference saliency maps on small fixed models."""
    for case in cases:
        X, y, model, expected = _values_case(case)
        saliency = _saliency(student, X, y, model).value
        saliency = expect_tensor(saliency, expected.shape, "The saliency")
        error = (saliency - expected).abs().max() / expected.abs().max()
        if not error < 1e-4:
            loss_error = fitted_error(saliency, objectives.saliency(model, X, y, loss=True))
            if loss_error < MISTAKE_MATCH:
                raise CheckFailed("The saliency is the gradient of a loss (cross-entropy, NLL of the log-softmax, "
                                  "or -log of the softmax probability), not of the class score: backpropagate "
                                  "from score_y, each image's unnormalised score for its own class "
                                  f"(largest error {float(error):.2%} against the reference).",
                                  mistake="saliency-gradient-of-loss")
            raise CheckFailed(f"The saliency differs from the reference (largest error {float(error):.2%} of the "
                              "largest value): it should be max over channels of |d score_y / d X|, "
                              "with score_y the score of each image's own class.", mistake="saliency-wrong-values")
    return "matches the reference maps"


def eval_mode(student, cases) -> str:
    """The model may arrive in training mode; dropout must be off for the saliency."""
    for case in cases:
        X, y = _inputs(case)
        training = make_tiny_model(case["seed"], training=True)
        first = _saliency(student, X, y, training)
        second = _saliency(student, X, y, training)
        evaluating = make_tiny_model(case["seed"], training=False)
        reference = _saliency(student, X, y, evaluating)
        require_work(reference.value, X, y, evaluating)
        maps = [expect_tensor(c.value, reference.value.shape, "The saliency") for c in (first, second, reference)]
        if not (torch.allclose(maps[0], maps[2], rtol=1e-4, atol=1e-7) and torch.allclose(maps[1], maps[2], rtol=1e-4, atol=1e-7)):
            raise CheckFailed("With the model in training mode the saliency changes from call to call "
                              "(dropout is on): call model.eval() before the forward pass.", mistake="saliency-no-eval")
    return "same maps whether the model arrives in train or eval mode"


def model_untouched(student, cases) -> str:
    """The model's parameters are the same after the call."""
    for case in cases:
        X, y = _inputs(case)
        model = make_tiny_model(case["seed"], frozen=False)
        call = _saliency(student, X, y, model, with_model_state=True)
        for key, before in model.state_dict().items():
            if not torch.equal(call.model.state[key], before):
                raise CheckFailed(f"{NAME} changed the model's parameter {key}: "
                                  "compute gradients for the image only, never update the model.",
                                  mistake="model-changed")
        require_work(call.value, X, y, model)
    return "parameters unchanged"


# Only the shape check varies the batch size; the others use N = 5, as the notebook does, so
# that a hard-coded batch size loses the shape points and no others.
PUBLIC_CASES = {
    shape: [{"seed": 1, "n": 1}, {"seed": 2, "n": 3}, {"seed": 3, "n": 5}, {"seed": 4, "n": 7}],
    nonnegative: [{"seed": 5, "n": 5}],
    values: [{"seed": 8, "n": 5}],
    eval_mode: [{"seed": 6, "n": 5}],
    model_untouched: [{"seed": 7, "n": 5}],
}
