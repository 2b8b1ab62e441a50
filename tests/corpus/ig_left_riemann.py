"""expect-fail: integrated_gradients-values
A left Riemann sum: the path points k/steps for k = 0..steps-1 (the baseline itself, never X)."""


def integrated_gradients(X, y, model, baseline, steps):
    training = model.training
    model.eval()
    try:
        total = torch.zeros_like(X)
        for k in range(steps):
            point = (baseline + k / steps * (X - baseline)).detach().requires_grad_()
            grad, = torch.autograd.grad(model(point).gather(1, y.view(-1, 1)).sum(), point)
            total += grad
    finally:
        model.train(training)
    return (X - baseline) * total / steps
