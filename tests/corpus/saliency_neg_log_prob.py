"""expect-fail: compute_saliency_maps-values
The gradient of -log of the softmax probability of the correct class, summed over the batch,
instead of the correct class's unnormalised score."""
import torch


def compute_saliency_maps(X, y, model):
    model.eval()
    X = X.clone().requires_grad_()
    probabilities = torch.softmax(model(X), dim=1)
    (-torch.log(probabilities.gather(1, y.view(-1, 1)))).sum().backward()
    return X.grad.abs().amax(dim=1)
