"""expect-fail: class_visualization_update_step-no_accumulation
Never clears img.grad: gradients accumulate over calls."""


def class_visualization_update_step(img, model, target_y, l2_reg, learning_rate):
    objective = model(img)[0, target_y] - l2_reg * img.pow(2).sum()
    objective.backward()
    with torch.no_grad():
        img += learning_rate * img.grad / img.grad.norm()
