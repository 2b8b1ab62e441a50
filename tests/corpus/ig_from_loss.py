"""expect-fail: integrated_gradients-values integrated_gradients-completeness
Integrated Gradients of the cross-entropy loss instead of the class score."""
import torch.nn.functional as F


def integrated_gradients(X, y, model, baseline, steps):
    training = model.training
    model.eval()
    try:
        total = torch.zeros_like(X)
        for k in range(1, steps + 1):
            point = (baseline + k / steps * (X - baseline)).detach().requires_grad_()
            loss = F.cross_entropy(model(point), y)
            loss.backward()
            total += point.grad
    finally:
        model.train(training)
    return (X - baseline) * total / steps
