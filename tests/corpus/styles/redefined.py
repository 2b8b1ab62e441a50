"""expect-fail: none
A first draft in the stub cell, then a fixed version in a new cell below it: the later definition wins."""
# %% compute_saliency_maps
def compute_saliency_maps(X, y, model):
    # first try: forgot the absolute value and the batch
    X = X.clone().requires_grad_()
    model(X)[0, y[0]].backward()
    return X.grad[:, 0]
# %% after compute_saliency_maps
def compute_saliency_maps(X, y, model):
    model.eval()
    X = X.clone().requires_grad_()
    scores = model(X)
    scores.gather(1, y.view(-1, 1)).sum().backward()
    return X.grad.abs().amax(dim=1)
# %% class_visualization_update_step
def class_visualization_update_step(img, model, target_y, l2_reg, learning_rate):
    pass  # TODO
# %% after class_visualization_update_step
def class_visualization_update_step(img, model, target_y, l2_reg, learning_rate):
    score = model(img)[0, target_y]
    objective = score - l2_reg * torch.sum(img ** 2)
    objective.backward()
    with torch.no_grad():
        img.add_(learning_rate * img.grad / img.grad.norm())
        img.grad = None
