"""nbgrader settings of the course: the kit's folders are nbgrader's folders.

Run nbgrader commands from this folder (the repository root): `solutions/` is the source
folder (the references, with their solution regions and autograder test cells) and
`assignments/` the release folder. See the README's "Grading with nbgrader" section.
"""

import os

from nbgrader.converters import Autograde
from nbgrader.preprocessors import Execute, SaveAutoGrades

from autograder.nbgrader_bridge import code_stub
from autograder.nbgrader_preprocessor import KitGrades, SandboxedExecute

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

# The language the course is taught in: "en" or "es". It chooses nbgrader's folders (the
# English reference in solutions/ and its release in assignments/; a translation in
# solutions/<lang>/ and assignments/<lang>/, both written by `cnnkit release`) and the language
# of the test cells' lines and the feedback. The cnnkit command reads this line too (its
# --lang option and $CNNKIT_LANG come first).
COURSE_LANGUAGE = "en"
LANGUAGE = os.environ.get("CNNKIT_LANG") or COURSE_LANGUAGE
os.environ["CNNKIT_LANG"] = LANGUAGE

# a solution region becomes this stub in the student's notebook, in the course's language
c.ClearSolutions.code_stub = code_stub(LANGUAGE)

c.CourseDirectory.course_id = "cnn-course"
c.CourseDirectory.source_directory = "solutions" if LANGUAGE == "en" else f"solutions/{LANGUAGE}"
c.CourseDirectory.release_directory = (
    "assignments" if LANGUAGE == "en" else f"assignments/{LANGUAGE}")

# Autograde runs each notebook top to bottom. Its demo cells are locked (nbgrader restores
# them) and shorten their training under this flag; the grading itself never re-runs them.
os.environ["CNNKIT_QUICK_RUN"] = "1"
# Keep TensorFlow's start-up logs and Python warnings out of the cells' outputs (nbgrader
# reads a stderr output as a failure; the test cells' outputs are rewritten anyway, below).
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["PYTHONWARNINGS"] = "ignore"
os.environ.setdefault("MPLBACKEND", "Agg")

# A cell a student added that trains for too long is interrupted after this many seconds
# (its output records the timeout) and the rest of the notebook still runs.
c.Execute.timeout = 300
c.Execute.interrupt_on_timeout = True

# The points of the test cells come from the kit's own grading in a separate process, never
# from the kernel that ran the student's cells: KitGrades rewrites each test cell's output
# after the notebook has run (Execute) and its outputs were tidied (IgnorePattern,
# LimitOutput), just before SaveAutoGrades reads the scores from those outputs.
# The notebook runs in a kernel confined by the kit's sandbox: SandboxedExecute is nbgrader's
# Execute (c.Execute settings apply) with a kernel that cannot read the hidden suites or the
# references, write outside its notebook's folder, connect anywhere, or signal other processes,
# and every process a cell started is killed once the notebook has run. nbgrader's default
# pipeline is kept otherwise.
_pipeline = list(Autograde.class_traits()["autograde_preprocessors"].default())
_pipeline[_pipeline.index(Execute)] = SandboxedExecute
_pipeline.insert(_pipeline.index(SaveAutoGrades), KitGrades)
c.Autograde.autograde_preprocessors = _pipeline

# A deleted test cell is put back from the gradebook and graded as released.
c.OverwriteCells.add_missing_cells = True
