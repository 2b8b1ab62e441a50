"""expect-fail: none
IPython syntax everywhere: %matplotlib, %time, %%time, !pip, ?, %load_ext; shell commands never run."""
# %% before compute_saliency_maps
%load_ext autoreload
%autoreload 2
!pip --version
files = !ls
torch.zeros?
# %% compute_saliency_maps
%%time
def compute_saliency_maps(X, y, model):
    model.eval()
    X = X.clone().requires_grad_()
    scores = model(X)
    scores.gather(1, y.view(-1, 1)).sum().backward()
    return X.grad.abs().amax(dim=1)
# %% after compute_saliency_maps
%time saliency_check = compute_saliency_maps(preprocess(X[:2]), torch.as_tensor(y[:2]), model)
%matplotlib inline
