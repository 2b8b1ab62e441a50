"""The message format between grader and sandbox: faithful round trips, and only WireError on bad input."""
import json
import random
import struct

import pytest
import torch

from autograder import wire
from autograder.framing import LENGTH
from netvis.checks.tiny import TinyNet, make_tiny_model


def test_round_trip_keeps_values_dtypes_and_nesting():
    message = {"id": 3, "args": [torch.arange(6.0).reshape(2, 3).requires_grad_(), 7, None, "x"],
               "nested": {"t": (torch.ones(2, dtype=torch.float64), True)}, "int": torch.tensor([1, 2])}
    back = wire.decode(wire.encode(message))
    assert torch.equal(back["args"][0], message["args"][0]) and back["args"][0].requires_grad
    assert back["args"][1:] == [7, None, "x"]
    assert back["nested"]["t"][0].dtype == torch.float64 and back["nested"]["t"][1] is True
    assert isinstance(back["nested"]["t"], tuple) and torch.equal(back["int"], torch.tensor([1, 2]))


def test_models_cross_only_towards_the_sandbox():
    model = make_tiny_model(3, training=True)
    data = wire.encode({"model": model})
    copy = wire.decode(data, allow_models=True)["model"]
    assert copy.training and all(torch.equal(a, b) for a, b in zip(copy.state_dict().values(), model.state_dict().values()))
    with pytest.raises(wire.WireError):
        wire.decode(data)  # the grader never builds a model from what a sandbox sends


def test_a_model_is_built_from_its_state_alone_and_leaves_the_global_rng_as_it_was():
    """The worker builds the model on the meta device and takes the sent tensors as its own: no
    initialisation whose random draws a student's call would then not see (as in-process, where the
    model is a copy), and its parameters are the sent ones, with the sent dtype and requires_grad."""
    model = make_tiny_model(5, frozen=False, dtype=torch.float64)
    data = wire.encode({"model": model})
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    copy = wire.decode(data, allow_models=True)["model"]
    assert torch.equal(torch.rand(3), expected)
    params = list(copy.parameters())
    assert all(p.dtype == torch.float64 and p.requires_grad and not p.is_meta for p in params)
    assert all(torch.equal(a, b) for a, b in zip(params, model.parameters()))
    assert not copy.training


def test_a_model_whose_state_leaves_a_tensor_unset_is_refused(monkeypatch):
    """A tensor that the state dict does not hold (a non-persistent buffer) would stay on the meta
    device: that architecture cannot cross, and decoding says so instead of failing in the call."""
    class WithScale(TinyNet):
        def __init__(self):
            super().__init__()
            self.register_buffer("scale", torch.ones(1), persistent=False)

    data = wire.encode({"model": make_tiny_model(3)})
    monkeypatch.setitem(wire.ARCHITECTURES, "tiny", WithScale)
    with pytest.raises(wire.WireError, match="leaves tensors unset"):
        wire.decode(data, allow_models=True)


def test_values_that_cannot_cross_stand_in_as_unsupported():
    back = wire.decode(wire.encode({"value": object(), "t": torch.zeros(2, dtype=torch.complex64)}))
    assert isinstance(back["value"], wire.Unsupported) and isinstance(back["t"], wire.Unsupported)


def _header(obj, blobs=()) -> bytes:
    header = json.dumps(obj).encode()
    return b"".join([LENGTH.pack(len(header)), header] + [LENGTH.pack(len(b)) + b for b in blobs])


@pytest.mark.parametrize("message", [
    _header({"__tensor__": 0, "dtype": "float32", "shape": [2 ** 62, 4]}, [b""]),  # overflowing shape
    _header({"__tensor__": 0, "dtype": "float32", "shape": [2, -2]}, [b"\0" * 16]),
    _header({"__tensor__": 0, "dtype": "object", "shape": [1]}, [b"\0" * 8]),
    _header({"__tensor__": 5, "dtype": "float32", "shape": [1]}, [b"\0" * 4]),
    _header({"__tensor__": 0, "dtype": "float32", "shape": "12"}, [b"\0" * 4]),
    _header({"__dict__": [1, 2]}), _header({"__list__": 5}), _header({"__model__": "tiny"}), _header([1, 2]),
    _header({"__model__": "tiny", "state": {"__dict__": {}}, "dtype": "float32", "training": 1, "requires_grad": 0}),
    LENGTH.pack(10) + b"{", b"", b"\xff" * 3, LENGTH.pack(2 ** 60) + b"{}", LENGTH.pack(100000) + b"[" * 100000,
])
def test_malformed_messages_raise_wire_error_only(message):
    with pytest.raises(wire.WireError):
        wire.decode(message, allow_models=True)


def _mutations(rng: random.Random, valid: bytes):
    """Random bytes, and a valid message with bytes flipped, cut, repeated or spliced."""
    for _ in range(1500):
        yield bytes(rng.randrange(256) for _ in range(rng.randrange(64)))
    for _ in range(2500):
        data = bytearray(valid)
        for _ in range(rng.randrange(1, 6)):
            kind, at = rng.randrange(4), rng.randrange(len(data))
            if kind == 0:
                data[at] = rng.randrange(256)
            elif kind == 1:
                data = data[:at]
            elif kind == 2:
                data[at:at] = data[at:at + rng.randrange(1, 40)]
            else:
                data[at:at + 8] = struct.pack("!q", rng.choice([-1, 0, 2 ** 62, len(data)]))
            if not data:
                break
        yield bytes(data)


def test_fuzzed_messages_raise_nothing_but_wire_error():
    rng = random.Random(0)
    valid = wire.encode({"id": 1, "value": torch.randn(3, 4), "history": [[torch.zeros(2), None]],
                         "model": {"training": False, "hooks": 0, "state": {"w": torch.ones(2)}}})
    outcomes = {"decoded": 0, "rejected": 0}
    for message in _mutations(rng, valid):
        try:
            wire.decode(message, allow_models=True)
            outcomes["decoded"] += 1
        except wire.WireError:
            outcomes["rejected"] += 1
    assert sum(outcomes.values()) == 4000 and outcomes["rejected"] > 3000


def test_a_socket_is_readable_once_a_message_or_its_end_arrives_whatever_its_descriptor():
    """The grader waits on sockets with poll(): select() fails on descriptors past 1024, which a
    grader with many sandboxes open can reach."""
    import os
    import socket

    from autograder.framing import readable, send
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft <= 1500:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # a hard limit of 1024 would fail here, loudly
    mine, theirs = socket.socketpair()
    high = socket.socket(fileno=os.dup2(mine.fileno(), 1500))
    try:
        assert not readable(high, 0.05)
        send(theirs, b"x")
        assert readable(high, 0.05)
        high.recv(64)
        theirs.close()
        assert readable(high, 0.05)  # its end
        assert high.recv(64) == b""
    finally:
        high.close()
        mine.close()
