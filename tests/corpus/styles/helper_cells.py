"""expect-fail: none
Imports, a constant and a helper in cells of their own above the stubs; the functions use them."""
# %% before compute_saliency_maps
import torch.nn.functional as F
# %% before compute_saliency_maps
STEP_SIZE = 1.0


def _unit(g):
    """g scaled to unit L2 norm."""
    return g / g.norm()
# %% compute_saliency_maps
def compute_saliency_maps(X, y, model):
    model.eval()
    X = X.clone().requires_grad_()
    scores = model(X)
    loss = -F.nll_loss(scores, y, reduction="sum")  # the sum of the correct scores
    loss.backward()
    return X.grad.abs().max(dim=1).values
# %% make_fooling_image
def make_fooling_image(X, target_y, model):
    X_fooling = X.clone().requires_grad_()
    for _ in range(100):
        scores = model(X_fooling)
        if scores.argmax(dim=1).item() == target_y:
            break
        scores[0, target_y].backward()
        with torch.no_grad():
            X_fooling += STEP_SIZE * _unit(X_fooling.grad)
            X_fooling.grad.zero_()
    return X_fooling.detach()
# %% class_visualization_update_step
def class_visualization_update_step(img, model, target_y, l2_reg, learning_rate):
    objective = model(img)[0, target_y] - l2_reg * img.pow(2).sum()
    objective.backward()
    with torch.no_grad():
        img += learning_rate * _unit(img.grad)
        img.grad.zero_()
