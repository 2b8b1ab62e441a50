"""Indexing with arange, one-hot backward through the whole score matrix, hooks as a dict comprehension."""


def compute_saliency_maps(X, y, model):
    was_training = model.training
    model.train(False)
    inputs = X.detach().requires_grad_(True)
    logits = model(inputs)
    one_hot = torch.zeros_like(logits)
    one_hot[torch.arange(logits.shape[0]), y] = 1.0
    logits.backward(gradient=one_hot)
    magnitude = inputs.grad.detach().abs()
    saliency = magnitude.amax(1)
    model.train(was_training)
    return saliency


def make_fooling_image(X, target_y, model):
    learning_rate = 1
    max_iterations = 100
    X_fooling = X.clone().requires_grad_()
    for it in range(max_iterations + 1):
        logits = model(X_fooling)
        if logits[0].argmax() == target_y or it == max_iterations:
            break
        model.zero_grad()
        logits[0][target_y].backward()
        update = X_fooling.grad / torch.linalg.norm(X_fooling.grad)
        X_fooling.data = X_fooling.data + learning_rate * update
        X_fooling.grad = None
    return X_fooling.detach()


def class_visualization_update_step(img, model, target_y, l2_reg, learning_rate):
    if img.grad is not None:
        img.grad.zero_()
    regulariser = l2_reg * torch.linalg.norm(img) ** 2
    loss = regulariser - model(img)[0][target_y]
    loss.backward()
    normed = img.grad / torch.linalg.norm(img.grad)
    img.data -= learning_rate * normed


def capture_activations(model, X, layers):
    modules = dict(model.named_modules())
    activations = {}
    def saver(key):
        def save(_module, _inputs, result):
            activations[key] = result
        return save
    hooks = {key: modules[key].register_forward_hook(saver(key)) for key in layers}
    try:
        model(X)
    finally:
        [h.remove() for h in hooks.values()]
    return activations


def filter_visualization_update_step(img, model, layer, channel, l2_reg, learning_rate):
    if img.grad is not None:
        img.grad.zero_()
    features = capture_activations(model, img, [layer])
    regulariser = l2_reg * torch.linalg.norm(img) ** 2
    loss = regulariser - features[layer][0][channel].mean()
    loss.backward()
    normed = img.grad / torch.linalg.norm(img.grad)
    img.data -= learning_rate * normed
