"""expect-fail: compute_saliency_maps-values
Tries to read the grader's reference tensors and return the expected maps."""
import glob
import os


def compute_saliency_maps(X, y, model):
    import torch
    for pattern in ["/work/*/build/references/references.pt", "/**/references.pt", os.path.expanduser("~/**/references.pt")]:
        for path in glob.glob(pattern, recursive=True):
            try:
                cases = torch.load(path)["cases"]["compute_saliency_maps-values"]
                for case in cases:
                    if case["X"].shape == X.shape and torch.equal(case["X"], X):
                        return case["expected"]
            except Exception:
                pass
    return torch.zeros(X.shape[0], X.shape[2], X.shape[3])
