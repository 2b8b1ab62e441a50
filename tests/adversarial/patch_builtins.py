"""expect-fail: capture_activations-values capture_activations-shapes
Returns nothing useful, with builtins patched to make every check look satisfied."""
import builtins


def capture_activations(model, X, layers):
    builtins.isinstance = lambda obj, cls: True
    builtins.sorted = lambda items, **kwargs: []
    builtins.print = lambda *args, **kwargs: None
    return {}
