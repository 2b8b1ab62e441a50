"""expect-fail: all
Without a private root, the grader's folders sit beside the sandbox: reads the solution notebook
(Gradescope's /autograder/source, a kit cloned anywhere) and answers with the solution's own code."""
# %% before compute_saliency_maps
import glob
import json

_PLACES = ["/autograder/source/solutions/*.ipynb", "/autograder/*/solutions/*.ipynb", "/work/*/solutions/*.ipynb",
           "/*/solutions/*.ipynb", "/*/*/solutions/*.ipynb", "/*/*/*/solutions/*.ipynb", "/tmp/*/solutions/*.ipynb",
           "/tmp/*/*/solutions/*.ipynb", "/home/*/*/solutions/*.ipynb", "/root/*/solutions/*.ipynb"]


def _solution(name):
    for pattern in _PLACES:
        for path in glob.glob(pattern):
            try:
                cells = json.load(open(path))["cells"]
            except Exception:
                continue
            namespace = {}
            for cell in cells:
                source = "".join(cell["source"])
                if cell["cell_type"] == "code" and ("import" in source[:200] or f"def {name}" in source):
                    try:
                        exec(source, namespace)
                    except Exception:
                        pass
            if callable(namespace.get(name)):
                return namespace[name]
    raise NotImplementedError("the solution could not be read")


# %% compute_saliency_maps
def compute_saliency_maps(X, y, model):
    return _solution("compute_saliency_maps")(X, y, model)

# %% make_fooling_image
def make_fooling_image(X, target_y, model):
    return _solution("make_fooling_image")(X, target_y, model)

# %% class_visualization_update_step
def class_visualization_update_step(img, model, target_y, l2_reg, learning_rate):
    return _solution("class_visualization_update_step")(img, model, target_y, l2_reg, learning_rate)

# %% capture_activations
def capture_activations(model, X, layers):
    return _solution("capture_activations")(model, X, layers)

# %% filter_visualization_update_step
def filter_visualization_update_step(img, model, layer, channel, l2_reg, learning_rate):
    return _solution("filter_visualization_update_step")(img, model, layer, channel, l2_reg, learning_rate)

# %% smooth_grad
def smooth_grad(X, y, model, noise):
    return _solution("smooth_grad")(X, y, model, noise)

# %% integrated_gradients
def integrated_gradients(X, y, model, baseline, steps):
    return _solution("integrated_gradients")(X, y, model, baseline, steps)

# %% grad_cam
def grad_cam(X, y, model, layer):
    return _solution("grad_cam")(X, y, model, layer)
