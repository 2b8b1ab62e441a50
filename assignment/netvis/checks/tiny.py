"""Small deterministic CNNs for checks that need exact values and run in milliseconds.

``TinyNet`` is laid out like torchvision's SqueezeNet (``features`` then ``classifier``, both
``nn.Sequential``, Dropout first in the classifier), so code written for the real model runs
on it unchanged: ``model(X)`` maps (N, 3, H, W) to class scores (N, num_classes).
"""
import torch
from torch import nn

INPUT_SHAPE = (3, 24, 32)
"""(C, H, W) of the images used with TinyNet; H != W catches transposed results."""


class TinyNet(nn.Module):
    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.num_classes = num_classes
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(8, 16, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 16, kernel_size=3, padding=1),
            nn.Tanh(),
        )
        self.classifier = nn.Sequential(
            nn.Dropout(p=0.5),
            nn.Conv2d(16, num_classes, kernel_size=1),
            nn.AdaptiveAvgPool2d(1),
        )

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.classifier(self.features(X)), 1)


def make_tiny_model(seed: int, training: bool = False, frozen: bool = True, dtype=torch.float32) -> TinyNet:
    """A TinyNet whose weights depend only on ``seed``.

    The weights are drawn from their own generator (PyTorch's default ranges, U(-b, b) with
    b = 1 / sqrt(fan_in)), never from the global RNG, so threads can build models at once.
    """
    model = TinyNet()
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, nn.Conv2d):
                bound = layer.weight[0].numel() ** -0.5
                for param in (layer.weight, layer.bias):
                    param.copy_(torch.rand(param.shape, generator=generator, dtype=torch.float64) * 2 * bound - bound)
    model.requires_grad_(not frozen)
    return model.to(dtype).train(training)


def make_images(seed: int, n: int, dtype=torch.float32) -> torch.Tensor:
    """Random images of shape (n, *INPUT_SHAPE), standard normal, from ``seed`` alone."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randn((n,) + INPUT_SHAPE, generator=generator, dtype=torch.float64).to(dtype)


class TinyNetWithFeatures(TinyNet):
    """A TinyNet whose forward returns a tuple ``(scores, features)``, as many models of one's own do."""

    def forward(self, X: torch.Tensor):
        features = self.features(X)
        return torch.flatten(self.classifier(features), 1), features


def make_wrapped_tiny_model(seed: int, training: bool = False, frozen: bool = True):
    """``netvis.ScoresOnly`` around a TinyNetWithFeatures with ``make_tiny_model(seed)``'s weights:
    its scores are the TinyNet's, its layers are named ``model.features.0`` and so on."""
    from ..wrap import ScoresOnly

    inner = TinyNetWithFeatures()
    inner.load_state_dict(make_tiny_model(seed).state_dict())
    inner.requires_grad_(not frozen)
    return ScoresOnly(inner).train(training)
