"""expect-fail: smooth_grad-values
One leaf for all noisy copies, its .grad never reset: each sample's map holds the earlier samples' gradients."""


def smooth_grad(X, y, model, noise):
    training = model.training
    model.eval()
    try:
        leaf = X.clone().requires_grad_()
        maps = torch.zeros(X.shape[0], X.shape[2], X.shape[3])
        for sample in noise:
            model(leaf + sample).gather(1, y.view(-1, 1)).sum().backward()
            maps += leaf.grad.abs().amax(dim=1)
    finally:
        model.train(training)
    return maps / len(noise)
