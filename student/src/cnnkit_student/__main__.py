"""``python -m cnnkit_student NOTEBOOK [FUNCTION ...]``."""

import sys

from cnnkit_student.cli import main

sys.exit(main())
