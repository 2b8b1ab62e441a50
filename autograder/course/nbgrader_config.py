"""nbgrader configuration of the netvis course directory (this folder).

Instructors run nbgrader from here: generate_assignment, release_assignment, collect,
autograde, formgrader, generate_feedback and export (see the README). The assignment's source
folder is source/netvis/: NetworkVisualization.ipynb (a link to solutions/) and, kept in step
with assignment/ every time nbgrader starts, the netvis helpers and get_datasets.sh, so that
students who fetch the assignment get a folder that works, and autograde puts the instructor's
helpers back over any student's copy.
"""
import os

from autograder.nbgrader_course import prepare_course

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "netvis"
# Never copy the data, byte-compiled files or checkpoints into a release or a submission.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "datasets"]

# The helpers beside the source notebook; this environment's tools on PATH (nbgrader runs
# `alembic` on a new gradebook); the kit's data for the kernels that autograde starts.
prepare_course(c.CourseDirectory.root)

# A grade cell runs the student's fooling loop on the real SqueezeNet, and a whole notebook
# runs its demos too: far more than nbgrader's default 30 s per cell on a busy CPU.
c.Execute.timeout = 600
c.ExecutePreprocessor.timeout = 600

# Stubs that raise, so that the release runs up to the first unimplemented function.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
