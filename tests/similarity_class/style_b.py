"""Per-image loops, torch.autograd.grad, explicit list of maps, a while loop for fooling."""


def compute_saliency_maps(X, y, model):
    model.eval()
    maps = []
    for i in range(X.shape[0]):
        image = X[i:i + 1].detach().clone()
        image.requires_grad = True
        out = model(image)
        (grad_image,) = torch.autograd.grad(out[0, int(y[i])], image)
        per_channel = torch.abs(grad_image[0])
        best, _ = torch.max(per_channel, dim=0)
        maps.append(best)
    saliency = torch.stack(maps, dim=0)
    return saliency


def make_fooling_image(X, target_y, model):
    learning_rate = 1
    max_iterations = 100
    X_fooling = X.clone().requires_grad_()
    step = 0
    while step < max_iterations:
        logits = model(X_fooling)
        predicted = int(torch.argmax(logits, dim=1)[0])
        if predicted == target_y:
            break
        (direction,) = torch.autograd.grad(logits[0, target_y], X_fooling)
        length = torch.sqrt(torch.sum(direction * direction))
        X_fooling = (X_fooling + learning_rate * direction / length).detach().requires_grad_()
        step = step + 1
    return X_fooling.detach()


def class_visualization_update_step(img, model, target_y, l2_reg, learning_rate):
    logits = model(img)
    penalty = l2_reg * torch.sum(img * img)
    target = logits[0, target_y] - penalty
    (direction,) = torch.autograd.grad(target, img)
    length = torch.sqrt(torch.sum(direction * direction))
    img.data.add_(learning_rate * direction / length)


def capture_activations(model, X, layers):
    modules = dict(model.named_modules())
    activations = {}
    registered = {}
    for layer_name in layers:
        registered[layer_name] = modules[layer_name].register_forward_hook(
            lambda m, i, o, key=layer_name: activations.__setitem__(key, o))
    try:
        with torch.no_grad():
            model(X)
    finally:
        for handle in registered.values():
            handle.remove()
    return activations


def filter_visualization_update_step(img, model, layer, channel, l2_reg, learning_rate):
    feature_maps = capture_activations_with_grad(model, img, layer)
    target = torch.mean(feature_maps[0, channel]) - l2_reg * torch.sum(img * img)
    (direction,) = torch.autograd.grad(target, img)
    length = torch.sqrt(torch.sum(direction * direction))
    img.data.add_(learning_rate * direction / length)


def capture_activations_with_grad(model, img, layer):
    store = []
    handle = dict(model.named_modules())[layer].register_forward_hook(lambda m, i, o: store.append(o))
    try:
        model(img)
    finally:
        handle.remove()
    return store[0]
