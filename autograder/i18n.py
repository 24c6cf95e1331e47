"""The grader's words in the course's languages (see :mod:`cnnkit_student.i18n`).

The grader has its own catalog (``autograder/locale/<lang>/LC_MESSAGES/cnnkit.po``): hidden
rubric lines and hidden tests' messages must never reach the students' package, whose catalog
(``cnnkit_student``) holds only what a student may read. The grader's catalog falls back on
the students' one, so a public rubric line is translated once, where students can see it.

The language in use is shared with :mod:`cnnkit_student.i18n` (one setting per process).
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

from cnnkit_student import i18n as student_i18n
from cnnkit_student.i18n import (  # noqa: F401 - one place to import the language API from
    DEFAULT_LANGUAGE,
    LANGUAGES,
    N_,
    check_language,
    current_language,
    language,
    set_language,
)

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "cnnkit"


@cache
def _catalog(lang: str) -> gettext.NullTranslations:
    catalog = student_i18n.load_catalog(LOCALE_DIR, DOMAIN, lang)
    catalog.add_fallback(student_i18n.load_catalog(student_i18n.LOCALE_DIR,
                                                   student_i18n.DOMAIN, lang))
    return catalog


def _(message: str) -> str:
    """``message`` in the language in use (the grader's catalog, then the students')."""
    return _catalog(current_language()).gettext(message)


def translated(message: str) -> str:
    """A message id kept in a variable (a rubric line, an ``N_`` constant), in the language
    in use. ``_`` takes only literals, which is how the catalogs' check finds every message."""
    return _catalog(current_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form of a message, by ``n``, in the language in use."""
    return _catalog(current_language()).ngettext(singular, plural, n)
