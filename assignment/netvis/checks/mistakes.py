"""Every mistake a check can name, by its stable id, with a short title for people.

A failing check raises ``CheckFailed(message, mistake=<id>)``; the autograder keeps the id in the
``CheckResult`` so that a class report counts mistakes without reading messages. Ids are
lower-case words joined by "-": the general ones first, then a prefix per student function
("saliency-", "fooling-", "ascent-" for both update steps, "activations-", and "smooth-", "ig-",
"cam-" for Part 5). ``tests/test_mistakes.py`` checks that every id used in the code is here and
that every id here is used.
"""

GENERAL = {
    "raised": "The function raised an exception",
    "not-implemented": "Not implemented yet (raises NotImplementedError)",
    "undefined": "The function is not defined where its test cell is",
    "no-work": "The answer shows none of the work this check is about",
    "wrong-type": "Returns the wrong type",
    "wrong-shape": "Returns the wrong shape",
    "fault-timeout": "Did not finish in time",
    "fault-exit": "Ended its own process",
    "fault-output": "Flooded the output",
    "fault-garbage": "Sent back something the grader cannot read",
    "not-run-budget": "Not run: the notebook used up its time budget",
    "uninspectable": "Returned something the check could not inspect",
    "interrupted": "Notebook cells kept ending the grading process",
    "ungradable": "The notebook could not be read",
    "hooks-left": "Hooks left on the model",
    "hooks-left-on-error": "Hooks left on the model when the forward pass raises",
    "model-changed": "Changed the model's parameters",
    "input-modified": "Modified its input in place",
    "no-eval": "Model not put in eval mode (dropout on)",
    "mode-not-restored": "Model's training mode not restored",
}
"""Mistakes that any check can name (calls, faults, the grading itself, shared properties)."""

SALIENCY = {
    "saliency-squeeze": ".squeeze() dropped the batch dimension for N = 1",
    "saliency-batch-size": "Assumes a fixed batch size",
    "saliency-no-channel-max": "No max over the colour channels",
    "saliency-no-abs": "No absolute value of the gradient",
    "saliency-gradient-of-loss": "Gradient of a loss instead of the class score",
    "saliency-wrong-values": "Differs from the reference (no known mistake)",
    "saliency-no-eval": "Model not in eval mode",
}

FOOLING = {
    "fooling-not-fooled": "The image is not classified as the target",
    "fooling-steps-after-fooled": "Keeps stepping after the model is fooled",
    "fooling-tests-stale-prediction": "Tests the prediction from before its step",
    "fooling-steps-when-fooled": "Steps although X is already the target",
    "fooling-stops-early": "Gives up before reaching the target",
    "fooling-never-stops": "The loop never stops when the target is out of reach",
    "fooling-too-many-steps": "More steps than the iteration limit",
    "fooling-step-length": "Wrong step length (not lr * g / ||g||)",
    "fooling-in-place": "Modifies X in place",
    "fooling-dtype": "Does not keep X's dtype",
}

ASCENT = {
    "ascent-returns-value": "Returns a value instead of updating img in place",
    "ascent-unchanged": "Leaves img unchanged",
    "ascent-descent": "Gradient descent instead of ascent",
    "ascent-l2-added": "L2 term added instead of subtracted",
    "ascent-l2-not-squared": "L2 not squared",
    "ascent-l2-half": "Gradient of the L2 term missing its factor 2",
    "ascent-no-l2": "No L2 regulariser",
    "ascent-wrong-direction": "Update direction differs (no known mistake)",
    "ascent-lr-scaling": "Step does not scale with the learning rate",
    "ascent-accumulates": "Gradients accumulate across calls (no zero_grad)",
}

ACTIVATIONS = {
    "activations-not-dict": "Does not return a dict",
    "activations-wrong-layers": "Returns other layers than asked",
    "activations-wrong-shape": "Activation of the wrong shape",
    "activations-wrong-values": "Activation with wrong values",
}

ATTRIBUTION = {
    "attribution-squeeze": ".squeeze() dropped the batch dimension for N = 1",
    "attribution-per-channel": "One map per colour channel",
    "attribution-wrong-values": "Differs from the reference (no known mistake)",
    "smooth-no-noise": "Noise never added",
    "smooth-accumulates": "Gradients accumulate across samples",
    "smooth-gradient-of-loss": "Gradient of a loss instead of the class score",
    "ig-no-baseline-factor": "(X - baseline) factor missing",
    "ig-left-riemann": "Left Riemann sum",
    "ig-accumulates": "Gradients accumulate across steps",
    "ig-gradient-of-loss": "Gradient of a loss instead of the class score",
    "ig-no-factor-left-riemann": "(X - baseline) factor missing and a left Riemann sum",
    "ig-incomplete": "Attributions do not sum to the score difference",
    "cam-no-relu": "ReLU missing",
    "cam-gradient-of-loss": "Gradient of a loss instead of the class score",
    "cam-wrong-layer": "Grad-CAM of another layer than asked",
}

TITLES = {**GENERAL, **SALIENCY, **FOOLING, **ASCENT, **ACTIVATIONS, **ATTRIBUTION}
"""Mistake id -> short title: the one registry."""


def title(mistake: str) -> str:
    """The title of ``mistake``; an id no table lists (a record from another version) is its own title."""
    return TITLES.get(mistake, mistake) if mistake else "Not named"
