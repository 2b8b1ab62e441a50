"""Vectorised, backward(), gather, hooks in a loop with try/finally."""


def compute_saliency_maps(X, y, model):
    model.eval()
    X = X.clone().requires_grad_()
    scores = model(X).gather(1, y.view(-1, 1)).squeeze()
    scores.sum().backward()
    saliency = X.grad.abs().max(dim=1).values
    return saliency


def make_fooling_image(X, target_y, model):
    learning_rate = 1
    max_iterations = 100
    X_fooling = X.clone().requires_grad_()
    for _ in range(max_iterations):
        scores = model(X_fooling)
        if scores.argmax(dim=1).item() == target_y:
            break
        scores[0, target_y].backward()
        with torch.no_grad():
            g = X_fooling.grad
            X_fooling += learning_rate * g / g.norm()
            X_fooling.grad.zero_()
    return X_fooling.detach()


def class_visualization_update_step(img, model, target_y, l2_reg, learning_rate):
    score = model(img)[0, target_y]
    objective = score - l2_reg * (img ** 2).sum()
    objective.backward()
    with torch.no_grad():
        img += learning_rate * img.grad / img.grad.norm()
        img.grad.zero_()


def capture_activations(model, X, layers):
    modules = dict(model.named_modules())
    activations = {}
    handles = []
    try:
        for name in layers:
            def hook(module, inp, out, name=name):
                activations[name] = out
            handles.append(modules[name].register_forward_hook(hook))
        model(X)
    finally:
        for h in handles:
            h.remove()
    return activations


def filter_visualization_update_step(img, model, layer, channel, l2_reg, learning_rate):
    act = capture_activations(model, img, [layer])[layer]
    objective = act[0, channel].mean() - l2_reg * (img ** 2).sum()
    objective.backward()
    with torch.no_grad():
        img += learning_rate * img.grad / img.grad.norm()
        img.grad.zero_()
