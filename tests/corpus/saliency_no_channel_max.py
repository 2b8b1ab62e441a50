"""expect-fail: compute_saliency_maps-shape compute_saliency_maps-values
No maximum over the colour channels: one map per channel."""


def compute_saliency_maps(X, y, model):
    model.eval()
    X = X.clone().requires_grad_()
    model(X).gather(1, y.view(-1, 1)).sum().backward()
    return X.grad.abs()
