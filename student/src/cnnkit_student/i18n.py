"""The course speaks Spanish and English: which language is in use, and its translations.

Every student-facing sentence is written once, in English, as a gettext message id in the
code (``_("...")``), and translated in a ``.po`` catalog per language kept beside the
package (``locale/<lang>/LC_MESSAGES/<domain>.po``). A message with values uses named fields
filled after translation, so that a translator can move them::

    _("shape {expected} is expected, got {got}").format(expected=..., got=...)

Texts registered at import time (rubric lines, requirement texts) are stored in English and
translated when shown. The language is process-wide: ``set_language("es")``, the
``CNNKIT_LANG`` environment variable, or English by default.

A release compiles the catalogs (``.mo``) into the students' wheel; in a source checkout the
``.po`` files are compiled in memory the first time they are needed (with Babel).
"""

from __future__ import annotations

import gettext
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

LANGUAGES = ("en", "es")
DEFAULT_LANGUAGE = "en"
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "cnnkit_student"

_current: str | None = None


def check_language(lang: str) -> str:
    """``lang`` itself when the course speaks it; ``ValueError`` otherwise."""
    if lang not in LANGUAGES:
        raise ValueError(f"language {lang!r} is not one of {', '.join(LANGUAGES)}")
    return lang


def current_language() -> str:
    """The language in use: the one set last, else ``CNNKIT_LANG``, else English."""
    if _current is not None:
        return _current
    from_environment = os.environ.get("CNNKIT_LANG", "").strip().lower()
    return from_environment if from_environment in LANGUAGES else DEFAULT_LANGUAGE


def set_language(lang: str | None) -> str:
    """Use ``lang`` from now on in this process (``None``: back to the default choice)."""
    global _current
    _current = None if lang is None else check_language(lang)
    return current_language()


@contextmanager
def language(lang: str | None) -> Iterator[str]:
    """Use ``lang`` inside a ``with`` block (``None`` keeps the current language)."""
    global _current
    before = _current
    if lang is not None:
        set_language(lang)
    try:
        yield current_language()
    finally:
        _current = before


def load_catalog(locale_dir: Path, domain: str, lang: str) -> gettext.NullTranslations:
    """The compiled catalog of ``domain`` in ``lang`` (the ``.mo``, else the ``.po`` compiled
    now); an empty one for English, whose message ids are the text."""
    if lang == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    folder = locale_dir / lang / "LC_MESSAGES"
    compiled, source = folder / f"{domain}.mo", folder / f"{domain}.po"
    if compiled.is_file():  # only built packages hold one (the source tree keeps .po only)
        with compiled.open("rb") as stream:
            return gettext.GNUTranslations(stream)
    if source.is_file():
        return gettext.GNUTranslations(io.BytesIO(compile_po(source.read_bytes())))
    raise FileNotFoundError(f"no {lang} catalog for {domain} in {locale_dir}")


def compile_po(po_bytes: bytes) -> bytes:
    """A ``.po`` catalog compiled to ``.mo`` bytes (fuzzy entries left out, as msgfmt does)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    catalog = read_po(io.BytesIO(po_bytes))
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


@cache
def _catalog(lang: str) -> gettext.NullTranslations:
    return load_catalog(LOCALE_DIR, DOMAIN, lang)


def _(message: str) -> str:
    """``message`` in the language in use."""
    return _catalog(current_language()).gettext(message)


def translated(message: str) -> str:
    """A message id kept in a variable (a rubric line, an ``N_`` constant), in the language
    in use. ``_`` takes only literals, which is how the catalogs' check finds every message."""
    return _catalog(current_language()).gettext(message)


def N_(message: str) -> str:
    """Mark ``message`` for translation where it is defined; it is translated when shown."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form of a message, by ``n``, in the language in use."""
    return _catalog(current_language()).ngettext(singular, plural, n)
