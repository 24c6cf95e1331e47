"""A quiet TensorFlow start-up for the course notebooks.

Importing TensorFlow (2.20 and later) writes lines such as ``oneDNN custom operations are on``
and ``Could not find cuda drivers`` to the process's standard error, twice. They come from
Abseil's C++ logging before it is initialised, which ignores ``TF_CPP_MIN_LOG_LEVEL``: no
setting turns them off. In a notebook they show up as red output under the first cell (and in
nbgrader's feedback), where students take them for errors. :func:`quiet_tensorflow` imports
TensorFlow once with the process's standard error pointed at ``/dev/null``, so that those
lines are discarded; every later import of TensorFlow or Keras is then silent.

It does not change what TensorFlow computes (``TF_ENABLE_ONEDNN_OPTS`` is left alone: turning
oneDNN off would change the numbers).

Being the first call of every course notebook, it also sets the language of what this package
says in the notebook (``grade_cell`` lines, ``check()`` reports): ``CNNKIT_LANG`` when set,
else the language the notebook itself declares (``metadata.cnnkit.lang``), found through the
``JPY_SESSION_NAME`` variable that Jupyter Server gives the kernel; else English.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

__all__ = ["quiet_tensorflow", "use_session_language"]


@contextlib.contextmanager
def _stderr_discarded() -> Iterator[None]:
    """Point file descriptor 2 at ``/dev/null`` for the block, then restore it.

    The C++ libraries write to the descriptor itself, not to ``sys.stderr``: only swapping the
    descriptor catches them (in Jupyter too, where the kernel reads descriptor 2 from a pipe).
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no descriptor 2 at all (a detached process): nothing to quiet
        yield
        return
    discard = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(discard, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(discard)


def use_session_language() -> str | None:
    """Speak the running notebook's language from now on in this process, when it can be
    told (see :func:`cnnkit_student.notebook.session_language`).

    Never raises: a missing or unreadable notebook leaves the language as it is (English).

    Returns
    -------
    str or None
        The language set, or ``None`` when none was found.
    """
    try:
        from cnnkit_student.i18n import set_language
        from cnnkit_student.notebook import session_language

        found = session_language()
        if found is not None:
            set_language(found)
        return found
    except Exception:  # the start-up cell must never fail for the language's sake
        return None


def quiet_tensorflow() -> None:
    """Import TensorFlow without its C++ start-up lines.

    Call it before anything imports TensorFlow or Keras (the first cell of a notebook). It
    also sets ``TF_CPP_MIN_LOG_LEVEL=3`` (unless already set) for TensorFlow's later C++
    messages. When TensorFlow is already imported it does nothing more: its lines are out
    already. First, it sets the language of the package's lines from the notebook
    (:func:`use_session_language`).

    Returns
    -------
    None
        A failing import still raises its Python error (its message is in the exception).
    """
    use_session_language()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "tensorflow" in sys.modules:
        return
    with _stderr_discarded():
        import tensorflow  # noqa: F401 - imported for its side effect: loaded once, quietly
