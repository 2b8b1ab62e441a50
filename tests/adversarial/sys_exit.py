"""expect-fail: compute_saliency_maps-shape compute_saliency_maps-nonnegative compute_saliency_maps-values compute_saliency_maps-eval_mode compute_saliency_maps-model_untouched
Exits with status 0 in the middle of a check."""
import sys


def compute_saliency_maps(X, y, model):
    print('{"score": 38, "tests": []}')
    sys.exit(0)
