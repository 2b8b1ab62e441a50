"""Functional and terse: one-liners, a shared helper for the normalised ascent step, einsum."""


def _ascend(img, objective, learning_rate):
    g = torch.autograd.grad(objective, img)[0]
    img.data.add_(learning_rate * g / g.flatten().norm())


def compute_saliency_maps(X, y, model):
    model.eval()
    X = X.detach().requires_grad_()
    s = torch.einsum('nc,nc->', model(X), torch.nn.functional.one_hot(y, 1000).float())
    return torch.autograd.grad(s, X)[0].abs().max(1)[0]


def make_fooling_image(X, target_y, model):
    learning_rate = 1
    max_iterations = 100
    X_fooling = X.clone().requires_grad_()
    for _ in range(max_iterations):
        s = model(X_fooling)
        if s.argmax().item() == target_y:
            return X_fooling.detach()
        _ascend(X_fooling, s[0, target_y], learning_rate)
    return X_fooling.detach()


def class_visualization_update_step(img, model, target_y, l2_reg, learning_rate):
    _ascend(img, model(img)[0, target_y] - l2_reg * img.square().sum(), learning_rate)


def capture_activations(model, X, layers):
    modules = dict(model.named_modules())
    activations = {}
    hs = [modules[n].register_forward_hook(lambda m, a, o, n=n: activations.setdefault(n, o)) for n in layers]
    try:
        model(X)
    finally:
        list(map(lambda h: h.remove(), hs))
    return activations


def filter_visualization_update_step(img, model, layer, channel, l2_reg, learning_rate):
    a = capture_activations(model, img, [layer])[layer]
    _ascend(img, a[0, channel].mean() - l2_reg * img.square().sum(), learning_rate)
