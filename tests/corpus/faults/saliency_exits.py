"""expect-fail: compute_saliency_maps-shape compute_saliency_maps-nonnegative compute_saliency_maps-values compute_saliency_maps-eval_mode compute_saliency_maps-model_untouched
Ends its own process on every call, the notebook's demo included: only the saliency checks are lost."""
import os


def compute_saliency_maps(X, y, model):
    os._exit(3)
