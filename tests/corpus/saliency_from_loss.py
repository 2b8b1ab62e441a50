"""expect-fail: compute_saliency_maps-values
The gradient of the cross-entropy loss instead of the correct class's score: real work, close maps,
but not the saliency the assignment defines."""
import torch.nn.functional as F


def compute_saliency_maps(X, y, model):
    model.eval()
    X = X.clone().requires_grad_()
    loss = F.cross_entropy(model(X), y)
    loss.backward()
    return X.grad.abs().amax(dim=1)
