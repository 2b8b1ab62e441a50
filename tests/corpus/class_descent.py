"""expect-fail: class_visualization_update_step-ascends class_visualization_update_step-direction
Gradient descent instead of ascent."""


def class_visualization_update_step(img, model, target_y, l2_reg, learning_rate):
    objective = model(img)[0, target_y] - l2_reg * img.pow(2).sum()
    objective.backward()
    with torch.no_grad():
        img -= learning_rate * img.grad / img.grad.norm()
        img.grad.zero_()
