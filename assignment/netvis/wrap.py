"""Your own model in the assignment's functions: a wrapper that makes any model return its scores.

The student functions expect ``model(X)`` to be a tensor of class scores of shape (N, C). Many
models return more: a tuple ``(logits, features)``, a namedtuple, or a dict with ``"logits"``
(Hugging Face style). ``ScoresOnly(model)`` is a model whose forward returns only the scores, so
every function of the notebook works on it unchanged, on whatever device the model is on.

Its modules are the wrapped model's, under the prefix ``model.``: layer ``features.12`` of the
wrapped model is ``model.features.12`` in ``dict(ScoresOnly(model).named_modules())``.
"""
from collections.abc import Mapping

import torch
from torch import nn

SCORE_KEYS = ("logits", "scores")
"""Keys (or namedtuple fields) that hold the scores, in the order they are looked for."""


def scores_of(output) -> torch.Tensor:
    """The class scores in a model's output: the tensor itself, a dict's ``logits`` (or
    ``scores``), a namedtuple's field of that name, or the first element of a tuple or list."""
    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, Mapping) or hasattr(output, "keys"):
        for key in SCORE_KEYS:
            if key in output:
                return scores_of(output[key])
        raise TypeError(f"the model returned a mapping without any of the keys {SCORE_KEYS}: {list(output.keys())}")
    for key in SCORE_KEYS:
        if isinstance(output, tuple) and key in getattr(output, "_fields", ()):
            return scores_of(getattr(output, key))
    if isinstance(output, (tuple, list)) and output:
        return scores_of(output[0])
    raise TypeError(f"cannot find class scores in a model output of type {type(output).__name__}")


class ScoresOnly(nn.Module):
    """``ScoresOnly(model)(X)`` is ``model(X)``'s class scores, shape (N, C), whatever ``model`` returns.

    ``eval()``, ``train()``, ``requires_grad_()``, ``to(device)`` and hooks act on the wrapped
    model, which is this module's only child, ``model``.
    """

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return scores_of(self.model(X))


def scores_only(model: nn.Module) -> nn.Module:
    """``ScoresOnly(model)``; a model that is already a ``ScoresOnly`` comes back unchanged."""
    return model if isinstance(model, ScoresOnly) else ScoresOnly(model)
