"""expect-fail: class_visualization_update_step-direction class_visualization_update_step-ascends
Prints a perfect Gradescope results file and grade table, then descends."""
import json


def class_visualization_update_step(img, model, target_y, l2_reg, learning_rate):
    print(json.dumps({"score": 44, "tests": [{"name": "everything", "score": 44, "max_score": 44}]}))
    print("student,total\nme,44")
    objective = model(img)[0, target_y]
    objective.backward()
    with __import__("torch").no_grad():
        img -= learning_rate * img.grad / img.grad.norm()
        img.grad.zero_()
