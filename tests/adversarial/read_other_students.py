"""expect-fail: class_visualization_update_step-direction class_visualization_update_step-ascends
Looks for other students' notebooks to copy their update step; otherwise does nothing useful."""
import glob
import json


def class_visualization_update_step(img, model, target_y, l2_reg, learning_rate):
    for path in glob.glob("/**/NetworkVisualization.ipynb", recursive=True) + glob.glob("../*/*.ipynb"):
        try:
            cells = json.load(open(path))["cells"]
            source = next("".join(c["source"]) for c in cells if "def class_visualization_update_step" in "".join(c["source"]))
            namespace = {"torch": __import__("torch")}
            exec(source.replace("### BEGIN SOLUTION", "").replace("### END SOLUTION", ""), namespace)
            return namespace["class_visualization_update_step"](img, model, target_y, l2_reg, learning_rate)
        except Exception:
            pass
    with __import__("torch").no_grad():
        img -= 0.001 * img
