"""expect-fail: capture_activations-values capture_activations-shapes capture_activations-removes_hooks
Floods the output, then returns nothing useful."""


def capture_activations(model, X, layers):
    line = "x" * 10000
    for _ in range(10 ** 6):
        print(line)
    return {}
