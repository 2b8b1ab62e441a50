"""The message format between the grader and a sandboxed child: JSON plus raw tensor bytes.

No pickle: a child controls what it sends, and unpickling its bytes would run its code in the
grader. Only None, bools, numbers, strings, lists, tuples, string-keyed dicts and tensors of a
few plain dtypes cross; models cross in one direction only (grader to child) as an
architecture name plus a state dict.
"""
import itertools
import json
import math

import numpy as np
import torch
import torchvision
from torch import nn

from netvis.checks.tiny import TinyNet, TinyNetWithFeatures
from netvis.wrap import ScoresOnly

from .framing import LENGTH, WireError, receive, send

DTYPES = {name: getattr(torch, name) for name in ("float16", "float32", "float64", "int32", "int64", "uint8", "bool")}
MAX_DIMENSIONS = 8
ARCHITECTURES = {"tiny": TinyNet, "squeezenet1_1": lambda: torchvision.models.squeezenet1_1(weights=None),
                 "tiny_tuple_scores_only": lambda: ScoresOnly(TinyNetWithFeatures())}
"""The models that may cross, by name; ``tiny_tuple_scores_only`` is a tuple-returning TinyNet in
``netvis.ScoresOnly``, the wrapper for a model of one's own."""

__all__ = ["WireError", "decode", "encode", "receive", "send"]


def _architecture(model: nn.Module) -> str:
    if isinstance(model, ScoresOnly) and type(model.model) is TinyNetWithFeatures:
        return "tiny_tuple_scores_only"
    if type(model) is TinyNet:
        return "tiny"
    if isinstance(model, torchvision.models.SqueezeNet):
        return "squeezenet1_1"
    raise WireError(f"cannot send a {type(model).__name__} to the sandbox")


def encode(obj) -> bytes:
    """``obj`` as bytes: a length-prefixed JSON header, then length-prefixed tensor buffers."""
    blobs = []

    def enc(o):
        if o is None or isinstance(o, (bool, int, float, str)):
            return o
        if isinstance(o, torch.Tensor):
            t = o.detach().cpu().contiguous()
            name = str(t.dtype).removeprefix("torch.")
            if name not in DTYPES:
                return {"__unsupported__": f"tensor of dtype {t.dtype}"}
            blobs.append(t.numpy().tobytes())
            return {"__tensor__": len(blobs) - 1, "dtype": name, "shape": list(t.shape),
                    "requires_grad": bool(o.requires_grad)}
        if isinstance(o, (list, tuple)):
            return {"__list__": [enc(x) for x in o], "tuple": isinstance(o, tuple)}
        if isinstance(o, dict) and all(isinstance(k, str) for k in o):
            return {"__dict__": {k: enc(v) for k, v in o.items()}}
        if isinstance(o, nn.Module):
            params = list(o.parameters())
            return {"__model__": _architecture(o), "state": enc(dict(o.state_dict())), "training": o.training,
                    "requires_grad": bool(params and params[0].requires_grad),
                    "dtype": str(params[0].dtype).removeprefix("torch.") if params else "float32"}
        return {"__unsupported__": type(o).__name__}

    header = json.dumps(enc(obj)).encode()
    parts = [LENGTH.pack(len(header)), header]
    for blob in blobs:
        parts += [LENGTH.pack(len(blob)), blob]
    return b"".join(parts)


class Unsupported:
    """Stands for a value that cannot cross (e.g. a returned numpy array or a custom object)."""

    def __init__(self, what: str):
        self.what = what

    def __repr__(self) -> str:
        return f"<a {self.what}>"


def decode(data: bytes, allow_models: bool = False):
    """The object ``encode`` wrote; WireError for anything malformed or not allowed, and nothing else.

    The bytes may come from a child that student code controls: any way they break the parser
    is a WireError, so that one student's bad reply can only cost that student.
    """
    try:
        return _decode(data, allow_models)
    except WireError:
        raise
    except Exception as err:  # adversarial input can break the parser anywhere; all of it is "malformed"
        raise WireError(f"malformed message ({type(err).__name__}: {str(err)[:200]})") from None


def _decode(data: bytes, allow_models: bool):
    (size,), offset = LENGTH.unpack_from(data, 0), LENGTH.size
    header = json.loads(data[offset:offset + size])
    offset += size
    blobs = []
    while offset < len(data):
        (size,), offset = LENGTH.unpack_from(data, offset), offset + LENGTH.size
        blobs.append(data[offset:offset + size])
        offset += size

    def dec(o):
        if o is None or isinstance(o, (bool, int, float, str)):
            return o
        if not isinstance(o, dict):
            raise WireError(f"unexpected {type(o).__name__}")
        if "__tensor__" in o:
            return _tensor(o, blobs)
        if "__list__" in o:
            items = [dec(x) for x in o["__list__"]]
            return tuple(items) if o.get("tuple") else items
        if "__dict__" in o:
            return {str(k): dec(v) for k, v in o["__dict__"].items()}
        if "__unsupported__" in o:
            return Unsupported(str(o["__unsupported__"]))
        if "__model__" in o and allow_models:
            return _model(o, dec(o["state"]))
        raise WireError(f"unexpected object {sorted(o)[:3]}")

    return dec(header)


def _tensor(o, blobs) -> torch.Tensor:
    dtype, shape, index = o.get("dtype"), o.get("shape"), o.get("__tensor__")
    if dtype not in DTYPES or not isinstance(index, int) or not 0 <= index < len(blobs):
        raise WireError("bad tensor header")
    if not isinstance(shape, list) or len(shape) > MAX_DIMENSIONS or \
            not all(type(d) is int and 0 <= d < 2 ** 31 for d in shape):
        raise WireError("bad tensor shape")
    np_dtype = torch.empty(0, dtype=DTYPES[dtype]).numpy().dtype
    if math.prod(shape) * np_dtype.itemsize != len(blobs[index]):
        raise WireError("tensor size does not match its shape")
    tensor = torch.from_numpy(np.frombuffer(blobs[index], dtype=np_dtype).copy()).reshape(shape)
    return tensor.requires_grad_() if o.get("requires_grad") is True and tensor.is_floating_point() else tensor


def _model(o, state) -> nn.Module:
    if o["__model__"] not in ARCHITECTURES or o.get("dtype") not in DTYPES:
        raise WireError(f"unknown model {o['__model__']}")
    with torch.device("meta"):  # no initialisation to throw away, and the global RNG left as it was
        model = ARCHITECTURES[o["__model__"]]()
    model.load_state_dict(state, assign=True)
    if any(t.is_meta for t in itertools.chain(model.parameters(), model.buffers())):
        raise WireError(f"the state of {o['__model__']} leaves tensors unset")
    model.to(DTYPES[o["dtype"]])
    model.requires_grad_(bool(o["requires_grad"]))
    return model.train(bool(o["training"]))
