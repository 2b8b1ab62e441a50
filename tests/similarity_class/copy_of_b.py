"""Planted: style_b disguised (variables renamed, independent statements swapped, new comments, a print)."""


def compute_saliency_maps(X, y, model):
    # put the network in evaluation mode first
    model.eval()
    result = []
    for k in range(X.shape[0]):
        img = X[k:k + 1].detach().clone()
        img.requires_grad = True
        logits_k = model(img)
        (g,) = torch.autograd.grad(logits_k[0, int(y[k])], img)
        mag = torch.abs(g[0])
        top, _ = torch.max(mag, dim=0)
        result.append(top)
    sal = torch.stack(result, dim=0)
    print("saliency shape", sal.shape)
    return sal


def make_fooling_image(X, target_y, model):
    learning_rate = 1
    max_iterations = 100
    X_fooling = X.clone().requires_grad_()
    n = 0
    while n < max_iterations:
        out = model(X_fooling)
        pred = int(torch.argmax(out, dim=1)[0])
        if pred == target_y:
            break  # done: the model is fooled
        (d,) = torch.autograd.grad(out[0, target_y], X_fooling)
        norm_d = torch.sqrt(torch.sum(d * d))
        X_fooling = (X_fooling + learning_rate * d / norm_d).detach().requires_grad_()
        n = n + 1
    return X_fooling.detach()


def class_visualization_update_step(img, model, target_y, l2_reg, learning_rate):
    reg_term = l2_reg * torch.sum(img * img)
    out = model(img)
    obj = out[0, target_y] - reg_term
    (d,) = torch.autograd.grad(obj, img)
    norm_d = torch.sqrt(torch.sum(d * d))
    img.data.add_(learning_rate * d / norm_d)


def capture_activations(model, X, layers):
    modules = dict(model.named_modules())
    activations = {}
    hooks_by_name = {}
    for nm in layers:
        hooks_by_name[nm] = modules[nm].register_forward_hook(
            lambda mod, inp, outp, key=nm: activations.__setitem__(key, outp))
    try:
        with torch.no_grad():
            model(X)
    finally:
        # never leave a hook behind
        for hk in hooks_by_name.values():
            hk.remove()
    return activations


def filter_visualization_update_step(img, model, layer, channel, l2_reg, learning_rate):
    fm = grab_feature_map(model, img, layer)
    obj = torch.mean(fm[0, channel]) - l2_reg * torch.sum(img * img)
    (d,) = torch.autograd.grad(obj, img)
    norm_d = torch.sqrt(torch.sum(d * d))
    img.data.add_(learning_rate * d / norm_d)


def grab_feature_map(model, img, layer):
    kept = []
    hk = dict(model.named_modules())[layer].register_forward_hook(lambda mod, inp, outp: kept.append(outp))
    try:
        model(img)
    finally:
        hk.remove()
    return kept[0]
