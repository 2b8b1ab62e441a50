"""expect-fail: capture_activations-shapes capture_activations-values capture_activations-removes_hooks
Allocates memory until something gives."""


def capture_activations(model, X, layers):
    hoard = []
    while True:
        hoard.append(bytearray(256 << 20))
