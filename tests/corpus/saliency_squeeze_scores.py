"""expect-fail: compute_saliency_maps-shape
.squeeze() on the scores drops the batch dimension when N = 1, so the gather that follows raises
(an IndexError for one image only; larger batches work)."""


def compute_saliency_maps(X, y, model):
    model.eval()
    X = X.clone().requires_grad_()
    scores = model(X).squeeze().gather(1, y.view(-1, 1))
    scores.sum().backward()
    return X.grad.abs().amax(dim=1)
