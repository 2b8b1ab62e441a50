"""expect-fail: smooth_grad-values
The noise is drawn by the caller but never added: K times the saliency map of X."""


def smooth_grad(X, y, model, noise):
    training = model.training
    try:
        return sum(compute_saliency_maps(X, y, model) for sample in noise) / len(noise)
    finally:
        model.train(training)
