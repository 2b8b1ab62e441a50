"""expect-fail: integrated_gradients-values integrated_gradients-completeness
The average gradient along the path, never multiplied by (X - baseline)."""


def integrated_gradients(X, y, model, baseline, steps):
    training = model.training
    model.eval()
    try:
        total = torch.zeros_like(X)
        for k in range(1, steps + 1):
            point = (baseline + k / steps * (X - baseline)).detach().requires_grad_()
            grad, = torch.autograd.grad(model(point).gather(1, y.view(-1, 1)).sum(), point)
            total += grad
    finally:
        model.train(training)
    return total / steps
