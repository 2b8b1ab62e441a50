"""expect-fail: class_visualization_update_step-direction
Right for the public cases it recognises (l2_reg = 0 or 1e-3), wrong otherwise."""
import torch


def class_visualization_update_step(img, model, target_y, l2_reg, learning_rate):
    objective = model(img)[0, target_y]
    if l2_reg not in (0.0, 1e-4, 2e-4, 1e-3):
        objective = objective + l2_reg * img.pow(2).sum()
    else:
        objective = objective - l2_reg * img.pow(2).sum()
    objective.backward()
    with torch.no_grad():
        img += learning_rate * img.grad / img.grad.norm()
        img.grad.zero_()
