"""The check registry and the objectives it shares with the reference generator."""
import torch

from autograder.solution import solution_namespace
from netvis.checks import CHECKS, PARTS, STUDENT_FUNCTIONS, is_extra_credit, objectives, run_check
from netvis.checks.tiny import make_images, make_tiny_model


def test_every_check_has_points_a_description_and_a_public_case():
    assert sum(c.points for c in CHECKS if not is_extra_credit(c.id)) == 38
    assert sum(c.points for c in CHECKS if is_extra_credit(c.id)) == 10
    assert [p.number for p in PARTS if p.extra_credit] == [5]
    assert {c.function for c in CHECKS} == set(STUDENT_FUNCTIONS)
    for check in CHECKS:
        assert check.public_cases and check.description, check.id


def test_run_check_prints_ok_in_the_students_namespace(capsys):
    run_check("class_visualization_update_step-direction", solution_namespace())
    assert capsys.readouterr().out.startswith("class_visualization_update_step-direction: ok,")


def test_reference_saliency_is_the_max_over_channels_of_the_score_gradient():
    model, X, y = make_tiny_model(5), make_images(5, 3), torch.tensor([1, 4, 9])
    leaf = X.clone().requires_grad_()
    model(leaf)[torch.arange(3), y].sum().backward()
    assert torch.allclose(objectives.saliency(model, X, y), leaf.grad.abs().max(dim=1).values)


def test_layer_output_and_input_follow_the_sequential_layout():
    model, X = make_tiny_model(2), make_images(2, 1)
    assert torch.equal(objectives.layer_input(model, "features.1", X), objectives.layer_output(model, "features.0", X))
    assert torch.equal(objectives.layer_input(model, "classifier.0", X), model.features(X))


def test_similarities_ignore_what_they_are_told_to():
    a = torch.randn(100)
    assert abs(objectives.correlation(a, 3 * a + 1) - 1) < 1e-9 and objectives.correlation(a, torch.ones(100)) == 0
    assert abs(objectives.cosine(objectives.without(a + 5 * torch.ones(100), torch.ones(100)),
                                 objectives.without(a, torch.ones(100))) - 1) < 1e-9
