"""nbgrader settings of the course: the kit's folders are nbgrader's folders.

Run nbgrader commands from this folder (the repository root): `solutions/` is the source
folder (the references, with their solution regions and autograder test cells) and
`assignments/` the release folder. See the README's "Grading with nbgrader" section.
"""

import os

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.course_id = "cnn-course"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"

# Autograde runs each notebook top to bottom. Its demo cells are locked (nbgrader restores
# them) and shorten their training under this flag; the grading itself never re-runs them.
os.environ["CNNKIT_QUICK_RUN"] = "1"
# nbgrader gives no credit to a test cell that writes to stderr: keep TensorFlow's start-up
# logs and Python warnings out of every cell's output.
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["PYTHONWARNINGS"] = "ignore"
os.environ.setdefault("MPLBACKEND", "Agg")

# A cell a student added that trains for too long is interrupted after this many seconds
# (its output records the timeout) and the rest of the notebook still runs. The test cell
# that grades the whole notebook (the first one) takes well under a minute on 2 cores.
c.Execute.timeout = 300
c.Execute.interrupt_on_timeout = True

# A deleted test cell is put back from the gradebook and graded as released.
c.OverwriteCells.add_missing_cells = True
