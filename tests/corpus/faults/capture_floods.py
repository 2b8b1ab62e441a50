"""expect-fail: capture_activations-shapes capture_activations-values capture_activations-removes_hooks filter_visualization_update_step-ascends filter_visualization_update_step-direction
Prints without end, in the demo and in every check: the run is stopped each time, and only the checks
that call it (the filter step calls it too) are lost."""


def capture_activations(model, X, layers):
    while True:
        print("x" * 10000)
