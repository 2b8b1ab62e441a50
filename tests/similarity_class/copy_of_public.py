"""Planted: public_solution.py disguised (variables renamed, comments, a print, two lines swapped)."""


def compute_saliency_maps(X, y, model):
    # gradients of the correct scores
    X.requires_grad_()
    model.eval()
    out = model(X)
    correct = out[range(len(y)), y]
    correct.backward(torch.ones_like(correct))
    saliency, _ = torch.max(X.grad.data.abs(), dim=1)
    return saliency


def make_fooling_image(X, target_y, model):
    X_fooling = X.clone()
    X_fooling = X_fooling.requires_grad_()
    learning_rate = 1
    for t in range(100):
        out = model(X_fooling)
        _, best = out.data.max(1)
        if best == target_y:
            print("done after", t)
            break
        ts = out[0, target_y]
        ts.backward()
        g = X_fooling.grad.data
        X_fooling.data += learning_rate * (g / g.norm())
        X_fooling.grad.data.zero_()
    return X_fooling.detach()


def class_visualization_update_step(img, model, target_y, l2_reg, learning_rate):
    out = model(img)
    ts = out[0, target_y]
    ts = ts - l2_reg * torch.sum(img.data * img.data)
    ts.backward()
    g = img.grad.data
    img.data += learning_rate * (g / g.norm())
    img.grad.data.zero_()


def capture_activations(model, X, layers):
    modules = dict(model.named_modules())
    activations = {}
    hs = list()
    for name in sorted(layers):
        hs.append(modules[name].register_forward_hook(
            lambda m, i, o, name=name: activations.update({name: o})))
    model(X)
    for h in hs:
        h.remove()
    return activations


def filter_visualization_update_step(img, model, layer, channel, l2_reg, learning_rate):
    acts = capture_activations(model, img, [layer])
    ts = acts[layer][0, channel].mean()
    ts = ts - l2_reg * torch.sum(img.data * img.data)
    ts.backward()
    g = img.grad.data
    img.data += learning_rate * (g / g.norm())
    img.grad.data.zero_()
