"""Shared fixtures: the real data and model, loaded once per test session."""
import pytest
import torch

import netvis


@pytest.fixture(scope="session")
def imagenet():
    """(X uint8 (25, 224, 224, 3), y (25,), class_names) of the validation images."""
    return netvis.load_imagenet_val()


@pytest.fixture(scope="session")
def squeezenet():
    """The pretrained SqueezeNet on the CPU, eval mode, frozen."""
    torch.manual_seed(0)
    return netvis.load_pretrained_squeezenet()


@pytest.fixture(scope="module")
def module_monkeypatch():
    """A monkeypatch that lasts for a module's tests (for module-scoped fixtures)."""
    with pytest.MonkeyPatch.context() as patch:
        yield patch
