"""expect-fail: integrated_gradients-values integrated_gradients-completeness
One leaf for the whole path, its .grad never reset: each step adds every earlier step's gradient."""


def integrated_gradients(X, y, model, baseline, steps):
    training = model.training
    model.eval()
    try:
        offset = torch.zeros_like(X, requires_grad=True)
        total = torch.zeros_like(X)
        for k in range(1, steps + 1):
            point = baseline + k / steps * (X - baseline) + offset
            model(point).gather(1, y.view(-1, 1)).sum().backward()
            total += offset.grad
    finally:
        model.train(training)
    return (X - baseline) * total / steps
