"""How a check calls a student's function and sees what the call did.

A check never touches the student's objects: it asks a ``Student`` to call a function on
copies of its arguments and gets a ``Call`` back: the returned value, the arguments as the call
left them, what happened to the model, and the error if it raised. ``InProcessStudent`` calls
functions from a namespace in this process (nbgrader grade cells, the kit's tests); the
autograder's sandboxed student has the same interface and the same call loop (``call_function``),
run in a child process.
"""
import copy
import traceback
import warnings
from dataclasses import dataclass, field
from typing import Any, Optional, Protocol

import torch
from torch import nn
from torch.nn.modules import module as torch_module


class CheckFailed(AssertionError):
    """A check's verdict that the student's code is wrong; the message says what to change.

    ``mistake`` names the mistake with a stable id (``netvis.checks.mistakes.TITLES``; "" when
    none is named), so that a class report can count mistakes without reading messages.
    ``error_type`` is the student's exception's type name when the verdict is that the code raised.
    """

    def __init__(self, message: str = "", mistake: str = "", error_type: str = ""):
        super().__init__(message)
        self.mistake = mistake
        self.error_type = error_type


class CallFault(CheckFailed):
    """The call never returned: it ran out of time, ended its process, or flooded the output.

    ``kind`` is "timeout", "exit" or "output"; a check that knows the likely cause of a fault
    for one of its cases catches it and says so.
    """

    def __init__(self, kind: str, message: str):
        super().__init__(message, mistake=f"fault-{kind}")
        self.kind = kind


@dataclass
class ModelReport:
    """The model after a call: its mode, how many hooks are left, its parameters if asked for."""

    training: bool
    hooks: int
    state: Optional[dict] = None


@dataclass
class Call:
    """What one call (or one sequence of calls) of a student function did."""

    value: Any
    """What the last call returned."""
    args: tuple
    """The arguments as the last call left them (tensors copied; other values as given)."""
    model: Optional[ModelReport] = None
    error: Optional[str] = None
    error_type: str = ""
    """The class name of the student's exception, if the call raised (as recorded, not parsed)."""
    history: list = field(default_factory=list)
    """``args`` after each call of a sequence, in order."""
    forwards: list = field(default_factory=list)
    """With ``record_forwards``: the input of each forward pass of the model during the call(s), in
    order (detached copies; at most ``MAX_RECORDED_FORWARDS`` of them)."""
    forward_count: int = 0
    """With ``record_forwards``: how many forward passes there were, recorded or not."""

    def raise_error(self, function: str, hint: str = "", mistake: str = "") -> None:
        """Fail the check if the call raised, quoting the student's exception (and ``hint``); the
        verdict's mistake is ``mistake`` if given, else "raised"."""
        if self.error is None:
            return
        if self.error.rstrip().endswith("NotImplementedError"):
            raise CheckFailed(f"{function} is not implemented yet: it raises NotImplementedError.",
                              mistake="not-implemented", error_type="NotImplementedError")
        raise CheckFailed(f"{function} raised an exception.{hint}\n{self.error}", mistake=mistake or "raised",
                          error_type=self.error_type)


class Student(Protocol):
    """What a check needs from whoever runs the student's code."""

    memo: dict
    """Results that several checks share, such as fooling images of the real model."""

    def call(self, name: str, *args, followups=(), with_model_state: bool = False,
             record_forwards: bool = False) -> Call:
        """Call ``name(*copies of args)``, then again once per dict in ``followups`` (see ``call_function``);
        CallFault if the call never returns."""

    def start_check(self, check_id: str) -> None:
        """A new check begins: its calls run on the namespace as it is at the check's grade cell."""

    def close(self) -> None:
        """Release whatever the student's code runs in."""


def count_hooks(model: nn.Module) -> int:
    """Forward and backward hooks registered on ``model``'s modules or globally."""
    per_module = sum(
        len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks) + len(m._backward_pre_hooks)
        for m in model.modules()
    )
    global_hooks = [torch_module._global_forward_hooks, torch_module._global_forward_pre_hooks,
                    torch_module._global_backward_hooks, torch_module._global_backward_pre_hooks]
    return per_module + sum(len(h) for h in global_hooks)


def report_model(model: nn.Module, with_state: bool) -> ModelReport:
    """The model's mode and hook count, and a copy of its parameters if ``with_state``."""
    state = {k: v.detach().clone() for k, v in model.state_dict().items()} if with_state else None
    return ModelReport(training=model.training, hooks=count_hooks(model), state=state)


def copy_argument(value):
    """A private copy of one argument; tensors keep ``requires_grad``."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone().requires_grad_(value.requires_grad)
    return copy.deepcopy(value)


def format_exception(err: BaseException) -> str:
    """The traceback from the student's own code on (the grader's frames left out)."""
    frames = traceback.extract_tb(err.__traceback__)
    start = next((i for i, f in enumerate(frames) if f.filename.startswith("<notebook cell")), 0)
    lines = traceback.format_list(frames[start:][-4:]) + traceback.format_exception_only(type(err), err)
    return ("Traceback (most recent call last):\n" + "".join(lines)).strip()


MAX_RECORDED_FORWARDS = 1000
"""Forward passes recorded per call; later ones are only counted, so a runaway loop cannot exhaust memory."""
MAX_RECORDED_ELEMENTS = 8 << 20
"""Tensor elements recorded per call (32 MiB of float32), for the same reason."""


class ForwardRecorder:
    """Records the input of every forward pass of ``model`` while it is attached.

    The pre-hook sits on the model's first leaf module (the first convolution of TinyNet and
    SqueezeNet), which every image goes through, whether the code calls ``model(X)`` or
    ``model.features(X)``. It is removed before the model report counts hooks.
    """

    def __init__(self, model: nn.Module):
        self.inputs, self.count, self.elements = [], 0, 0
        first = next((m for m in model.modules() if not any(True for _ in m.children())), model)
        self.handle = first.register_forward_pre_hook(self._record)

    def _record(self, module, inputs) -> None:
        self.count += 1
        x = inputs[0] if inputs else None
        if isinstance(x, torch.Tensor) and len(self.inputs) < MAX_RECORDED_FORWARDS and \
                self.elements + x.numel() <= MAX_RECORDED_ELEMENTS:
            self.inputs.append(x.detach().clone())
            self.elements += x.numel()

    def remove(self) -> None:
        self.handle.remove()


def call_function(fn, args: list, followups=(), with_model_state: bool = False, record_forwards: bool = False) -> Call:
    """The one call loop: ``fn(*args)``, then once more per dict in ``followups``.

    ``args`` are the call's own objects (already copies). Each followup replaces the arguments
    at the positions it names and reuses the other, already updated, objects, so a second call
    sees what the first left behind. Stops at the first exception, which it records. With
    ``record_forwards``, the input of every forward pass of the model argument is recorded.
    """
    model = next((a for a in args if isinstance(a, nn.Module)), None)
    history, value, error, error_type = [], None, None, ""
    recorder = ForwardRecorder(model) if record_forwards and model is not None else None
    try:
        for replacements in [{}] + list(followups):
            for position, replacement in replacements.items():
                args[int(position)] = replacement
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    value = fn(*args)
            except (Exception, SystemExit) as err:  # the student's bug, reported to the check
                error, error_type = format_exception(err), type(err).__name__
            history.append(tuple(a.detach().clone() if isinstance(a, torch.Tensor) else a for a in args))
            if error is not None:
                break
    finally:
        if recorder is not None:
            recorder.remove()
    report = report_model(model, with_model_state) if model is not None else None
    return Call(value=value, args=history[-1], model=report, error=error, error_type=error_type,
                history=history, forwards=recorder.inputs if recorder else [], forward_count=recorder.count if recorder else 0)


class InProcessStudent:
    """Calls the student's functions from a namespace (a notebook's globals) in this process.

    Used by nbgrader grade cells, in the student's own kernel, and by the kit's tests. Nothing
    is redirected: what the student's functions print is printed.
    """

    def __init__(self, namespace: dict):
        self.namespace = namespace
        self.memo = {}

    def function(self, name: str):
        fn = self.namespace.get(name)
        if not callable(fn):
            raise CheckFailed(f"{name} is not defined: run (or keep) the cell that defines it.", mistake="undefined")
        return fn

    def call(self, name: str, *args, followups=(), with_model_state: bool = False,
             record_forwards: bool = False) -> Call:
        fn = self.function(name)
        followups = [{k: copy_argument(v) for k, v in f.items()} for f in followups]
        return call_function(fn, [copy_argument(a) for a in args], followups, with_model_state, record_forwards)

    def start_check(self, check_id: str) -> None:
        pass

    def close(self) -> None:
        pass
