"""Reference tensors for the hidden cases, made by running the solution notebook's code.

``python -m autograder references`` (``make references``) writes ``references.pt`` and a
``manifest.json`` that records what they were made from. Exact-value references use TinyNet
models whose weights are stored with them, so they do not depend on the SqueezeNet weights an
instructor has; the only real-model numbers (how many steps the solution needs to fool the
model) are recomputed whenever the weights in use differ from those in the manifest.
"""
import contextlib
import hashlib
import io
import json
from functools import lru_cache
from pathlib import Path

import torch

from netvis.checks import ascent as checks_ascent, tiny as checks_tiny
from netvis.checks.ascent import CLASS_STEP, FILTER_STEP, sequential_output
from netvis.checks.common import real_image, real_model
from netvis.checks.tiny import make_images, make_tiny_model
from netvis.models import find_squeezenet_weights, verify_hash_prefix

from .config import REFERENCES_DIR, REFERENCES_TARGET, SOLUTION_NOTEBOOK
from .files import atomic_write, atomic_write_text
from .notebook import extract_definitions, preamble, read_notebook, solution_namespace

FORMAT_VERSION = 1
HIDDEN_FOOLING_PAIRS = [(2, 366), (5, 954), (9, 980)]
"""(validation image index, target class) pairs that students never see."""


class ReferencesUnavailable(RuntimeError):
    """The references are missing or were made from something else; the message names the fix."""


GENERATOR_MODULES = (__file__, checks_tiny.__file__, checks_ascent.__file__)
"""The code that decides what the references hold: changing it makes them stale too."""


def solution_fingerprint() -> str:
    """sha256 of what the references come from: the solution's five functions and preamble,
    and the code that generates the cases."""
    extracted = extract_definitions(read_notebook(SOLUTION_NOTEBOOK))
    digest = hashlib.sha256((preamble() + extracted.source).encode())
    for module in GENERATOR_MODULES:
        digest.update(Path(module).read_bytes())
    return digest.hexdigest()


def _quiet(fn, *args):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return fn(*args)


def _step_case(step, solution, seed, l2_reg, learning_rate, **target):
    """One direction case: the solution's update, and the known wrong directions beside it."""
    model, img = make_tiny_model(seed), make_images(seed + 1000, 1)
    case = dict(target, model_state=model.state_dict(), img=img, l2_reg=l2_reg, learning_rate=learning_rate)
    start = img.clone().requires_grad_()
    _quiet(solution[step.name], *step.arguments(case, start, model, learning_rate))
    leaf = img.clone().requires_grad_()
    if step is CLASS_STEP:
        gain = model(leaf)[0, target["target"]]
    else:
        gain = sequential_output(model, target["layer"], leaf)[0, target["channel"]].mean()
    g, = torch.autograd.grad(gain, leaf)
    reference = start.detach() - img
    case.update(reference_delta=reference, mistakes={
        "descent": -reference,
        "l2_added": g + 2 * l2_reg * img,
        "l2_not_squared": g - l2_reg * img / img.norm(),
        "l2_half": g - l2_reg * img,
        "no_l2": g,
    })
    return case


def _comparable_l2(step, seed, **target) -> float:
    """The l2_reg at which the score term's and the regulariser's gradients have equal norms."""
    model, img = make_tiny_model(seed), make_images(seed + 1000, 1).requires_grad_()
    if step is CLASS_STEP:
        gain = model(img)[0, target["target"]]
    else:
        gain = sequential_output(model, target["layer"], img)[0, target["channel"]].mean()
    g, = torch.autograd.grad(gain, img)
    return float(g.norm() / (2 * img.detach().norm()))


def _step_cases(step, solution, targets):
    cases = []
    for seed, target in targets:
        comparable = _comparable_l2(step, seed, **target)
        for l2_reg in (1e-3, comparable, 0.5 * comparable, 4 * comparable):
            cases.append(_step_case(step, solution, seed, l2_reg, 0.5, **target))
    return cases


def fooling_reference_steps(solution) -> dict:
    """{(image index, target): ascent steps the solution takes} on the weights in use.

    The solution evaluates the model once per iteration and once more to see that it is
    fooled, so its step count is the number of forward passes minus one.
    """
    steps = {}
    model = real_model()
    for index, target in HIDDEN_FOOLING_PAIRS:
        forwards = []
        handle = model.register_forward_pre_hook(lambda module, inputs: forwards.append(1))
        try:
            X_fooling = _quiet(solution["make_fooling_image"], real_image(index), target, model)
        finally:
            handle.remove()
        if int(model(X_fooling).argmax(dim=1)) != target:
            raise RuntimeError(f"The solution does not fool the model into class {target} within 100 steps")
        steps[(index, target)] = len(forwards) - 1
    return steps


def generate(out_dir: Path = REFERENCES_DIR) -> dict:
    """Run the solution on every hidden case; write references.pt and manifest.json atomically."""
    solution = solution_namespace()
    cases = {}
    saliency = []
    for seed in (101, 102):
        model, X = make_tiny_model(seed), make_images(seed + 1000, 5)
        y = torch.randint(0, 10, (5,), generator=torch.Generator().manual_seed(seed))
        saliency.append(dict(model_state=model.state_dict(), X=X, y=y,
                             expected=_quiet(solution["compute_saliency_maps"], X, y, model).detach()))
    cases["compute_saliency_maps-values"] = saliency
    cases["class_visualization_update_step-direction"] = _step_cases(
        CLASS_STEP, solution, [(111, {"target": 3}), (112, {"target": 8})])
    cases["filter_visualization_update_step-direction"] = _step_cases(
        FILTER_STEP, solution, [(131, {"layer": "features.5", "channel": 3}), (132, {"layer": "features.2", "channel": 7})])
    model, X = make_tiny_model(121), make_images(1121, 2)
    layers = ["features.1", "features.4", "features.6", "classifier.1"]
    with torch.no_grad():
        activations = _quiet(solution["capture_activations"], model, X, layers)
    cases["capture_activations-values"] = [dict(model_state=model.state_dict(), X=X,
                                                expected={k: v.detach() for k, v in activations.items()})]
    weights = find_squeezenet_weights()
    steps = fooling_reference_steps(solution)
    payload = {"cases": cases, "fooling_steps": [[i, t, k] for (i, t), k in steps.items()]}
    manifest = {
        "format": FORMAT_VERSION,
        "torch": torch.__version__,
        "solution_sha256": solution_fingerprint(),
        "seeds": [101, 102, 111, 112, 121, 131, 132],
        "tiny_weights_sha256": _tensors_sha256(cases),
        "squeezenet_weights": {"file": weights.name, "sha256": verify_hash_prefix(weights)},
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    # Owner-only: sandboxed student code (another uid) cannot open them even outside its chroot.
    atomic_write(out_dir / "references.pt", lambda f: torch.save(payload, f), mode=0o600)
    atomic_write_text(out_dir / "manifest.json", json.dumps(manifest, indent=2), mode=0o600)
    load.cache_clear()
    return manifest


def _tensors_sha256(cases) -> str:
    digest = hashlib.sha256()
    for check_cases in cases.values():
        for case in check_cases:
            for tensor in case["model_state"].values():
                digest.update(tensor.numpy().tobytes())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def load(directory: Path = REFERENCES_DIR) -> dict:
    """The references, checked against the solution and torch in use.

    Raises ReferencesUnavailable, naming the make target, when they are missing or stale.
    """
    manifest_path, data_path = directory / "manifest.json", directory / "references.pt"
    if not manifest_path.is_file() or not data_path.is_file():
        raise ReferencesUnavailable(f"No reference tensors in {directory}: run `{REFERENCES_TARGET}`.")
    manifest = json.loads(manifest_path.read_text())
    stale = []
    if manifest.get("format") != FORMAT_VERSION:
        stale.append("they use an older format")
    if manifest.get("torch") != torch.__version__:
        stale.append(f"they were made with torch {manifest.get('torch')}, this is {torch.__version__}")
    if manifest.get("solution_sha256") != solution_fingerprint():
        stale.append("the solution notebook or the reference generator changed since")
    if stale:
        raise ReferencesUnavailable(f"The reference tensors in {directory} are stale ({'; '.join(stale)}): "
                                    f"run `{REFERENCES_TARGET}`.")
    payload = torch.load(data_path, weights_only=True)
    weights_sha = verify_hash_prefix(find_squeezenet_weights())
    if weights_sha == manifest["squeezenet_weights"]["sha256"]:
        steps = {(i, t): k for i, t, k in payload["fooling_steps"]}
    else:  # another copy of the weights: the solution's step counts are recomputed for it
        steps = fooling_reference_steps(solution_namespace())
    return {"manifest": manifest, "cases": payload["cases"], "fooling_steps": steps}
