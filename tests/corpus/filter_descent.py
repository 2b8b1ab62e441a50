"""expect-fail: filter_visualization_update_step-ascends filter_visualization_update_step-direction
Gradient descent on the channel's activation."""


def filter_visualization_update_step(img, model, layer, channel, l2_reg, learning_rate):
    activation = capture_activations(model, img, [layer])[layer]
    objective = activation[0, channel].mean() - l2_reg * img.pow(2).sum()
    objective.backward()
    with torch.no_grad():
        img -= learning_rate * img.grad / img.grad.norm()
        img.grad.zero_()
