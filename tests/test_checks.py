"""The check registry and the objectives it shares with the reference generator."""
import pytest
import torch

from autograder import hidden
from autograder.solution import solution_namespace
from netvis.checks import CHECKS, PARTS, STUDENT_FUNCTIONS, Call, CheckFailed, fooling, is_extra_credit, objectives, run_check
from netvis.checks.student import call_function
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


def test_fooling_cases_take_the_reference_steps_stored_beside_them():
    """The public trajectory cases' step counts are the solution's; the hidden ones, made at `make references`,
    cover an input that already fools the model, a few steps, about 30, 60 to 95, and an unreachable target."""
    solution = solution_namespace()
    for case in fooling.TRAJECTORY_CASES:
        assert hidden.reference_steps(solution, case) == case["reference_steps"], case
    assert any(case["reference_steps"] > 20 for case in fooling.TRAJECTORY_CASES)  # a loop that gives up at 20 shows
    steps = sorted(case["reference_steps"] for case in hidden.hidden_cases("make_fooling_image-stops_when_fooled"))
    assert steps[0] == 0 and 1 <= steps[1] <= 10 and 25 <= steps[2] <= 35 and 60 <= steps[3] <= 95, steps
    for case in hidden.hidden_cases("make_fooling_image-within_budget") + fooling.PUBLIC_CASES[fooling.within_budget]:
        assert case["unreachable"] and hidden.reference_steps(solution, case) == fooling.MAX_ITERATIONS


def test_the_hidden_real_image_catches_a_loop_written_for_the_public_target():
    """``fools`` keeps one hidden real pair (autograder.hidden.FOOLING_PAIRS): a loop with the demo's
    class 6 copied in for target_y passes the public case and fails that one."""
    def make_fooling_image(X, target_y, model):
        X_fooling = X.clone().requires_grad_()
        for _ in range(100):
            scores = model(X_fooling)
            if scores.argmax(dim=1).item() == 6:
                break
            scores[0, 6].backward()
            with torch.no_grad():
                X_fooling += X_fooling.grad / X_fooling.grad.norm()
                X_fooling.grad.zero_()
        return X_fooling.detach()

    namespace = {"make_fooling_image": make_fooling_image}
    run_check("make_fooling_image-fools", namespace)
    hidden_cases = hidden.hidden_cases("make_fooling_image-fools")
    assert hidden_cases and all(case["target"] != 6 for case in hidden_cases)
    with pytest.raises(CheckFailed, match="not as the target"):
        run_check("make_fooling_image-fools", namespace, cases=hidden_cases)


def test_forward_passes_are_recorded_and_the_hook_removed_before_the_report():
    def fn(X, model):
        model(X)
        model.features(X + 1)  # the first layer sees every image, whichever module is called
        return model(torch.cat([X, X]))

    model, X = make_tiny_model(3), make_images(3, 1)
    call = call_function(fn, [X, model], record_forwards=True)
    assert call.forward_count == 3 and [f.shape[0] for f in call.forwards] == [1, 1, 2]
    assert torch.equal(call.forwards[1], X + 1) and call.model.hooks == 0 and not model.features[0]._forward_pre_hooks
    assert call_function(fn, [X, model]).forwards == []


def test_a_trajectory_keeps_each_image_once_and_ends_with_the_returned_one():
    model, X = make_tiny_model(26), make_images(26, 1)
    a, b = X + 0.1, X + 0.2
    call = Call(value=b, args=(), forwards=[X, a, a, X, torch.cat([a, X])], forward_count=5)
    path = fooling.trajectory(call, X, 5, model)
    assert [torch.equal(p, q) for p, q in zip(path.positions, [X, a, b])] == [True] * 3
    assert path.steps == 2 and not path.truncated and len(path.fooled) == 3
