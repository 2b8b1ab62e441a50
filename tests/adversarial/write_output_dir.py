"""expect-fail: compute_saliency_maps-values compute_saliency_maps-nonnegative
Tries to overwrite grades and results with full marks; returns wrong maps."""
import glob
import json


def compute_saliency_maps(X, y, model):
    fake = {"score": 1000, "tests": []}
    for pattern in ["/tmp/**/grades.csv", "/**/results.json", "/work/**/grades.csv"]:
        for path in glob.glob(pattern, recursive=True):
            try:
                with open(path, "w") as f:
                    f.write(json.dumps(fake) if path.endswith(".json") else "student,total\nme,1000\n")
            except Exception:
                pass
    try:
        with open("/tmp/HACKED", "w") as f:
            f.write("hacked")
    except Exception:
        pass
    return -X.clone()[:, 0]
