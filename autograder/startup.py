"""A quiet TensorFlow start-up: :func:`cnnkit_student.startup.quiet_tensorflow`, under the name
the notebooks released before the students' package used."""

from cnnkit_student.startup import quiet_tensorflow

__all__ = ["quiet_tensorflow"]
