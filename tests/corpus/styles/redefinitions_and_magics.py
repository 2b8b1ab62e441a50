"""expect-fail: none
IPython syntax everywhere (%load_ext, %time, %%time, !pip, !ls, ?, %matplotlib; shell commands
never run), and first drafts in the stub cells with fixed versions in new cells below: the later
definition wins."""
# %% before compute_saliency_maps
%load_ext autoreload
%autoreload 2
!pip --version
files = !ls
torch.zeros?
# %% compute_saliency_maps
def compute_saliency_maps(X, y, model):
    # first try: forgot the absolute value and the batch
    X = X.clone().requires_grad_()
    model(X)[0, y[0]].backward()
    return X.grad[:, 0]
# %% after compute_saliency_maps
%%time
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
# %% after compute_saliency_maps
%time saliency_check = compute_saliency_maps(preprocess(X[:2]), torch.as_tensor(y[:2]), model)
%matplotlib inline
