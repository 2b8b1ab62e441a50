"""expect-fail: none
Correct, with unnormalised class and filter steps (lr * g) inside torch.no_grad()."""
import torch.nn.functional as F


def compute_saliency_maps(X, y, model):
    model.eval()
    X = X.clone()
    X.requires_grad_()
    scores = model(X)
    loss = (scores * F.one_hot(y, scores.shape[1])).sum()
    loss.backward()
    saliency, _ = torch.max(X.grad.abs(), dim=1)
    return saliency


def make_fooling_image(X, target_y, model):
    X_fooling = X.clone()
    X_fooling.requires_grad = True
    learning_rate = 1
    iteration = 0
    while model(X_fooling).argmax(dim=1).item() != target_y and iteration < 100:
        score = model(X_fooling)[0, target_y]
        score.backward()
        with torch.no_grad():
            X_fooling += learning_rate * X_fooling.grad / X_fooling.grad.norm(p=2)
        X_fooling.grad = None
        iteration += 1
    return X_fooling


def class_visualization_update_step(img, model, target_y, l2_reg, learning_rate):
    score = model(img)[0, target_y]
    score.backward()
    with torch.no_grad():
        img += learning_rate * (img.grad - 2 * l2_reg * img)
    img.grad.zero_()


def capture_activations(model, X, layers):
    activations, handles = {}, []

    def keep(name):
        def hook(module, inputs, output):
            activations[name] = output
        return hook

    try:
        for name, module in model.named_modules():
            if name in layers:
                handles.append(module.register_forward_hook(keep(name)))
        model(X)
    finally:
        for handle in handles:
            handle.remove()
    return activations


def filter_visualization_update_step(img, model, layer, channel, l2_reg, learning_rate):
    activation = capture_activations(model, img, [layer])[layer]
    activation[0, channel].sum().backward()  # the sum: a positive multiple of the mean
    size = activation[0, channel].numel()
    with torch.no_grad():
        img += learning_rate * (img.grad / size - 2 * l2_reg * img)
        img.grad = None
