"""expect-fail: none
Correct, with torch.autograd.grad everywhere and updates through .data."""


def compute_saliency_maps(X, y, model):
    model.eval()
    X = X.detach().requires_grad_(True)
    scores = model(X)
    picked = scores[torch.arange(len(y)), y]
    grad, = torch.autograd.grad(picked.sum(), X)
    return grad.abs().amax(dim=1)


def make_fooling_image(X, target_y, model):
    X_fooling = X.detach().clone().requires_grad_(True)
    for iteration in range(100):
        scores = model(X_fooling)
        if int(scores.argmax()) == target_y:
            print("fooled after", iteration, "iterations")
            break
        g, = torch.autograd.grad(scores[0, target_y], X_fooling)
        X_fooling.data += g / torch.linalg.vector_norm(g)
    return X_fooling.detach()


def class_visualization_update_step(img, model, target_y, l2_reg, learning_rate):
    objective = model(img)[0, target_y] - l2_reg * (img * img).sum()
    g, = torch.autograd.grad(objective, img)
    img.data += learning_rate * g / g.norm()


def capture_activations(model, X, layers):
    modules = dict(model.named_modules())
    activations = {}
    handles = [modules[name].register_forward_hook(
        lambda module, inputs, output, name=name: activations.update({name: output})) for name in layers]
    try:
        model(X)
    finally:
        for handle in handles:
            handle.remove()
    return activations


def filter_visualization_update_step(img, model, layer, channel, l2_reg, learning_rate):
    activation = capture_activations(model, img, [layer])[layer]
    objective = activation[:, channel].mean() - l2_reg * torch.sum(img ** 2)
    g, = torch.autograd.grad(objective, img)
    img.data += learning_rate * g / g.norm()
