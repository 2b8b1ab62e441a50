"""Part 5: the solution's attributions equal Captum's, every known mistake changes every case's
answer, the wrapper for models of one's own, and the evaluation helpers of netvis.explain."""
import collections
import re

import pytest
import torch
import torch.nn.functional as F

from autograder.hidden import ATTRIBUTION_CASES, captum_attribution
from autograder.solution import solution_namespace, solution_source
from netvis import ScoresOnly, scores_only
from netvis.checks import attribution
from netvis.checks.common import real_image, real_model
from netvis.checks.tiny import make_images, make_tiny_model, make_wrapped_tiny_model
from netvis.explain import area_under, as_map, cascading_randomization, deletion_curve, spearman

captum = pytest.importorskip("captum")

ALL_CASES = [(function, dict(case, function=function))
             for function in attribution.NAMES
             for cases in (list(attribution.PUBLIC_CASES[function].get(attribution.values, [])),
                           ATTRIBUTION_CASES[function])
             for case in cases]


def _ids(cases):
    return [f"{f}-{c['seed']}" for f, c in cases]


@pytest.mark.parametrize("function, case", [c for c in ALL_CASES if c[0] != attribution.SMOOTH],
                         ids=_ids([c for c in ALL_CASES if c[0] != attribution.SMOOTH]))
def test_solution_equals_captum_on_the_tiny_models(function, case):
    model = attribution.case_model(case, training=True)
    X, y, extra = attribution.case_inputs(case)
    ours = solution_namespace()[function](X, y, model, *extra)
    assert model.training  # the mode is left as it was
    assert attribution.relative_error(ours, captum_attribution(function, model, X, y, extra)) < 1e-4


@pytest.mark.parametrize("function, case", ALL_CASES, ids=_ids(ALL_CASES))
def test_every_known_mistake_changes_every_case(function, case):
    model = attribution.case_model(case)
    X, y, extra = attribution.case_inputs(case)
    expected = attribution.reference(function, model, X, y, extra)
    assert attribution.relative_error(solution_namespace()[function](X, y, model, *extra), expected) < 1e-4
    names = []
    for mistake, words, answer in attribution.mistakes(function, model, X, y, extra):
        assert attribution.relative_error(answer, expected) > 50 * attribution.TOLERANCE[function], words
        named_id, named = attribution.known_mistake(function, answer, model, X, y, extra)  # and it is named
        assert named_id == mistake
        assert named == words or named.startswith("it is the Grad-CAM of layer") and words.startswith(named[:28])
        names.append(words)
    assert len(names) >= len(attribution.MISTAKES[function])


def test_solution_equals_captum_on_squeezenet():
    model, X = real_model(), torch.cat([real_image(0), real_image(3)])
    y = torch.tensor([int(model(X[:1]).argmax()), 7])
    solution = solution_namespace()
    baseline = torch.zeros_like(X)
    ig = solution["integrated_gradients"](X, y, model, baseline, 4)
    assert attribution.relative_error(ig, captum_attribution(attribution.IG, model, X, y, (baseline, 4))) < 1e-4
    for layer in ("features.12", "features.7"):
        cam = solution["grad_cam"](X, y, model, layer)
        assert attribution.relative_error(cam, captum_attribution(attribution.CAM, model, X, y, (layer,))) < 1e-4
    noise = 0.1 * torch.randn((2,) + X.shape, generator=torch.Generator().manual_seed(0))
    smooth = solution["smooth_grad"](X, y, model, noise)
    expected = sum(solution["compute_saliency_maps"](X + n, y, model) for n in noise) / 2
    assert attribution.relative_error(smooth, expected) < 1e-5
    assert not any(p.requires_grad for p in model.parameters()) and not model.training


def test_integrated_gradients_complete_as_steps_grow():
    case = dict(attribution.PUBLIC_CASES[attribution.IG][attribution.completeness][0], function=attribution.IG)
    model = attribution.case_model(case)
    X, y, (baseline, _) = attribution.case_inputs(case)
    gain = (model(X) - model(baseline)).gather(1, y.view(-1, 1))[:, 0]
    errors = [float((solution_namespace()["integrated_gradients"](X, y, model, baseline, steps).sum(dim=(1, 2, 3))
                     - gain).abs().max()) for steps in (4, 64)]
    assert errors[1] < errors[0] and errors[1] < attribution.COMPLETENESS_ERROR * float(gain.abs().max())


def test_solutions_hard_code_no_device():
    assert not re.search(r"\.(cuda|cpu)\(", solution_source())


def test_every_function_runs_where_the_model_and_X_are():
    """On every device here (the CPU, and CUDA where there is a GPU), each answer stays on X's device."""
    solution = solution_namespace()
    for device in ["cpu"] + (["cuda"] if torch.cuda.is_available() else []):
        model = make_wrapped_tiny_model(3).to(device)
        X, y = make_images(3, 2).to(device), torch.tensor([1, 2], device=device)
        noise = torch.zeros((2,) + X.shape, device=device)
        for value in (solution["compute_saliency_maps"](X, y, model),
                      solution["grad_cam"](X, y, model, "model.features.6"),
                      solution["integrated_gradients"](X, y, model, torch.zeros_like(X), 4),
                      solution["smooth_grad"](X, y, model, noise)):
            assert value.device == X.device


# -- the wrapper

Output = collections.namedtuple("Output", "features logits")


class Returns(torch.nn.Module):
    def __init__(self, kind):
        super().__init__()
        self.net, self.kind = make_tiny_model(3), kind

    def forward(self, X):
        scores, features = self.net(X), self.net.features(X)
        return {"tuple": (scores, features), "list": [scores, features], "namedtuple": Output(features, scores),
                "dict": {"features": features, "logits": scores}, "tensor": scores}[self.kind]


@pytest.mark.parametrize("kind", ["tuple", "list", "namedtuple", "dict", "tensor"])
def test_scores_only_finds_the_scores_in_any_output(kind):
    X = make_images(3, 2)
    model = ScoresOnly(Returns(kind))
    assert torch.equal(model(X), make_tiny_model(3)(X)) and scores_only(model) is model
    assert "model.net.features.6" in dict(model.named_modules())
    model.train()
    assert model.model.net.training
    with pytest.raises(TypeError, match="logits"):
        ScoresOnly(torch.nn.Identity())({"other": X})


def test_every_student_function_works_through_the_wrapper():
    solution, X, y = solution_namespace(), make_images(4, 2), torch.tensor([3, 8])
    wrapped, plain = make_wrapped_tiny_model(4), make_tiny_model(4)
    assert torch.allclose(solution["compute_saliency_maps"](X, y, wrapped), solution["compute_saliency_maps"](X, y, plain))
    assert torch.allclose(solution["grad_cam"](X, y, wrapped, "model.features.6"), solution["grad_cam"](X, y, plain, "features.6"))
    with torch.no_grad():
        captured = solution["capture_activations"](wrapped, X, ["model.features.2"])
    assert captured["model.features.2"].shape == (2, 16, 12, 16)


# -- evaluation

def test_spearman_is_a_rank_correlation():
    a = torch.randn(50)
    assert abs(spearman(a, a.exp()) - 1) < 1e-9 and abs(spearman(a, -a ** 3) + 1) < 1e-9
    assert spearman(a, torch.ones(50)) == 0.0


def test_deletion_curve_starts_at_the_class_probability_and_deletes_everything():
    model, X = make_tiny_model(5), make_images(5, 1)
    fractions, probabilities = deletion_curve(model, X, 2, torch.rand(24, 32), num_points=5)
    assert list(fractions) == [0, 0.25, 0.5, 0.75, 1]
    assert abs(probabilities[0] - float(torch.softmax(model(X), 1)[0, 2])) < 1e-6
    assert abs(probabilities[-1] - float(torch.softmax(model(torch.zeros_like(X)), 1)[0, 2])) < 1e-6
    assert area_under([0, 1], [1, 0]) == 0.5


def test_cascading_randomization_leaves_the_model_and_falls_for_grad_cam():
    model, X, y = make_tiny_model(6), make_images(6, 2), torch.tensor([1, 5])
    before = {k: v.clone() for k, v in model.state_dict().items()}
    solution = solution_namespace()
    methods = {"Grad-CAM": lambda X, y, m: solution["grad_cam"](X, y, m, "features.6"),
               "saliency": lambda X, y, m: solution["compute_saliency_maps"](X, y, m)}
    results = cascading_randomization(model, X, y, methods, ["classifier.1", "features.5", "features.2", "features.0"])
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert set(results) == set(methods) and all(len(v) == 4 for v in results.values())
    assert all(-1 <= r <= 1 for v in results.values() for r in v)
    assert as_map(torch.ones(1, 3, 2, 2)).shape == (1, 2, 2)


def test_a_wrapped_tuple_model_crosses_the_wire_and_nothing_else_of_its_kind():
    from autograder.wire import WireError, decode, encode

    model = make_wrapped_tiny_model(7, training=True)
    back = decode(encode(model), allow_models=True)
    X = make_images(7, 1)
    assert isinstance(back, ScoresOnly) and back.training and torch.equal(back.eval()(X), model.eval()(X))
    with pytest.raises(WireError):
        encode(ScoresOnly(torch.nn.Linear(2, 2)))


def test_public_references_are_computed_once_per_process_and_hidden_ones_each_time(monkeypatch):
    """The reference of a public case (seeds and sizes) is the same for every student: a grader
    computes it for its first submission only. A case that carries its tensors is never remembered."""
    from netvis.checks import InProcessStudent

    computed = []
    real = attribution.reference
    monkeypatch.setattr(attribution, "reference", lambda *a, **k: computed.append(a[0]) or real(*a, **k))
    monkeypatch.setattr(attribution, "_PUBLIC_REFERENCES", {})
    student = InProcessStudent(solution_namespace())
    public = attribution.PUBLIC_CASES[attribution.SMOOTH][attribution.values]
    for _ in range(2):
        attribution.values(attribution.SMOOTH, student, public)
    assert computed == [attribution.SMOOTH] * len(public)

    case = dict(public[0], function=attribution.SMOOTH)
    model, (X, y, extra) = attribution.case_model(case), attribution.case_inputs(case)
    carried, noisy = dict(case, X=X, y=y), dict(case, noise=extra[0])  # tensors hash by identity: never keys
    first = attribution.case_reference(carried, model, X, y, extra)
    for carrying in (carried, noisy, noisy):
        attribution.case_reference(carrying, model, X, y, extra)
    assert len(computed) == len(public) + 4
    assert torch.equal(first, attribution.case_reference(case, model, X, y, extra))  # the remembered one
