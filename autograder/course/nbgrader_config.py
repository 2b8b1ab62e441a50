"""nbgrader configuration of the netvis course directory (this folder).

Instructors run nbgrader from here: generate_assignment, autograde, formgrader,
generate_feedback and export (see the README). The assignment's source notebook is
source/netvis/NetworkVisualization.ipynb, a link to solutions/NetworkVisualization.ipynb.
"""
import os

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "netvis"
c.CourseDirectory.db_assignments = [{"name": "netvis"}]

# A grade cell runs the student's fooling loop on the real SqueezeNet, and a whole notebook
# runs its demos too: far more than nbgrader's default 30 s per cell on a busy CPU.
c.Execute.timeout = 600
c.ExecutePreprocessor.timeout = 600

# Stubs that raise, so that the release runs up to the first unimplemented function.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
