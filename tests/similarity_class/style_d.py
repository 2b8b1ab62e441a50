"""Cross-entropy-free but with F helpers, F.normalize style updates, a context manager for hooks."""
import contextlib


def compute_saliency_maps(X, y, model):
    model.eval()
    x = X.clone()
    x.requires_grad_(True)
    correct_scores = torch.gather(model(x), dim=1, index=y.unsqueeze(1))
    total = correct_scores.sum()
    total.backward()
    channel_max = torch.amax(x.grad.abs(), dim=1, keepdim=True)
    saliency = channel_max.squeeze(1)
    return saliency


def make_fooling_image(X, target_y, model):
    learning_rate = 1
    max_iterations = 100
    X_fooling = X.clone().requires_grad_()
    done = False
    iteration = 0
    while not done:
        out = model(X_fooling)
        done = out.max(1)[1].item() == target_y or iteration >= max_iterations
        if not done:
            grad = torch.autograd.grad(out[:, target_y].sum(), [X_fooling])[0]
            with torch.no_grad():
                X_fooling.add_(grad, alpha=learning_rate / grad.norm().item())
        iteration += 1
    return X_fooling.detach()


def class_visualization_update_step(img, model, target_y, l2_reg, learning_rate):
    class_score = model(img).squeeze(0)[target_y]
    reg = img.pow(2).sum().mul(l2_reg)
    grad = torch.autograd.grad(class_score - reg, [img])[0]
    with torch.no_grad():
        img.add_(grad, alpha=learning_rate / grad.norm().item())


@contextlib.contextmanager
def hooked(model, names, sink):
    table = dict(model.named_modules())
    handles = [table[n].register_forward_hook(partial_store(sink, n)) for n in names]
    try:
        yield
    finally:
        while handles:
            handles.pop().remove()


def partial_store(sink, n):
    return lambda mod, args, res: sink.update({n: res})


def capture_activations(model, X, layers):
    modules = dict(model.named_modules())
    activations = {}
    with hooked(model, layers, activations):
        model(X)
    return activations


def filter_visualization_update_step(img, model, layer, channel, l2_reg, learning_rate):
    sink = {}
    with hooked(model, [layer], sink):
        model(img)
    reg = img.pow(2).sum().mul(l2_reg)
    grad = torch.autograd.grad(sink[layer][0, channel].mean() - reg, [img])[0]
    with torch.no_grad():
        img.add_(grad, alpha=learning_rate / grad.norm().item())
