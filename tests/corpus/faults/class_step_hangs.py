"""expect-fail: class_visualization_update_step-returns_none class_visualization_update_step-ascends class_visualization_update_step-direction class_visualization_update_step-scales_with_learning_rate class_visualization_update_step-no_accumulation
Never returns, also in the notebook's demo cell (which the grader stops): only the class step's checks are lost."""


def class_visualization_update_step(img, model, target_y, l2_reg, learning_rate):
    while True:
        pass
