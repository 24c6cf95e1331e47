"""Feedback reports: one self-contained HTML page per student.

The page is built from the submission's ``results.json`` (and the pictures beside it), so it
can be rebuilt at any time without grading again. It opens with a summary of what failed (each
check not passed and the points it lost); then per test it shows the points, the rubric line
and the message; for figure tests the student's picture, and beside it the reference's when
the test is visible (a hidden test's reference picture would give its answer away).
Pictures are embedded as data URIs: the page is one file, with nothing to fetch.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

from autograder.engine.results import outcome, outcome_word, write_text_atomic
from autograder.i18n import _, current_language, ngettext

FEEDBACK_FILE = "feedback.html"

# Colours also looked for by the browser test (tests/test_report.py): keep them in sync.
PASSED_COLOUR = "#1a7f37"
FAILED_COLOUR = "#cf222e"

_STYLE = f"""
body {{ font-family: "DejaVu Sans", Arial, sans-serif; margin: 24px auto; max-width: 1000px;
       color: #1f2328; background: #ffffff; }}
h1 {{ font-size: 22px; margin: 0 0 4px 0; }}
.meta {{ color: #57606a; margin-bottom: 16px; }}
.total {{ font-size: 20px; font-weight: bold; margin: 12px 0 20px 0; }}
.test {{ border: 1px solid #d0d7de; border-radius: 6px; padding: 10px 14px; margin: 10px 0; }}
.head {{ display: flex; align-items: center; gap: 12px; }}
.badge {{ color: #ffffff; font-weight: bold; border-radius: 4px; padding: 2px 10px; flex: none;
         min-width: 56px; text-align: center; }}
.passed .badge {{ background: {PASSED_COLOUR}; }}
.failed .badge {{ background: {FAILED_COLOUR}; }}
.skipped .badge {{ background: #57606a; }}
.points {{ font-weight: bold; min-width: 64px; flex: none; }}
.hidden-note {{ color: #57606a; font-size: 12px; }}
pre {{ background: #f6f8fa; padding: 8px; white-space: pre-wrap; margin: 8px 0 0 0;
      font-size: 13px; }}
.pictures {{ display: flex; flex-wrap: wrap; gap: 16px; margin-top: 10px; }}
figure {{ margin: 0; }}
figure img {{ max-width: 460px; border: 1px solid #d0d7de; display: block; }}
figcaption {{ font-size: 12px; color: #57606a; margin-top: 4px; }}
.summary {{ border-left: 4px solid {FAILED_COLOUR}; padding: 4px 12px; margin: 0 0 20px 0; }}
.summary.all-passed {{ border-left-color: {PASSED_COLOUR}; }}
.summary ul {{ margin: 6px 0; padding-left: 20px; }}
"""


def _summary(tests: list[dict]) -> str:
    """What failed, first: each check not passed with the points it lost (a link to it)."""
    failed = [t for t in tests if outcome(t) == "failed"]
    if not failed:
        return ('<div class="summary all-passed" id="summary">'
                f'{html.escape(_("Every check passed."))}</div>')
    lost = sum(t.get("max_score", 0) - t.get("score", 0) for t in failed)
    items = "".join(
        f'<li><a href="#test-{html.escape((t.get("tags") or [""])[0])}">'
        f'{html.escape(t.get("name", ""))}</a>: '
        + html.escape(_("{lost:g} of {points:g} points lost").format(
            lost=t.get("max_score", 0) - t.get("score", 0), points=t.get("max_score", 0)))
        + "</li>"
        for t in failed
    )
    heading = ngettext("{count} check not passed, {lost:g} points lost:",
                       "{count} checks not passed, {lost:g} points lost:",
                       len(failed)).format(count=len(failed), lost=lost)
    return (f'<div class="summary" id="summary"><b>{html.escape(heading)}'
            f"</b><ul>{items}</ul></div>")


def _data_uri(folder: Path, relative: str | None) -> str | None:
    if not relative:
        return None
    path = folder / relative
    if not path.is_file():
        return None
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _figure(uri: str, caption: str, css_class: str) -> str:
    return (
        f'<figure class="{css_class}"><img src="{uri}" alt="{html.escape(caption)}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def feedback_html(data: dict, folder: Path) -> str:
    """The feedback page of one submission.

    Parameters
    ----------
    data : dict
        The submission's results.json content.
    folder : Path
        The folder holding results.json (picture paths are relative to it).

    Returns
    -------
    str
        A complete HTML document with every picture embedded.
    """
    extra = data.get("extra_data", {})
    pictures = extra.get("pictures", {})
    who = html.escape(str(extra.get("submission", "")))
    assignment = html.escape(str(extra.get("assignment") or ""))
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{html.escape(current_language())}"><head><meta charset="utf-8">',
        # who and assignment are escaped already: escape the sentence, then fill it in
        "<title>" + html.escape(_("Feedback: {who}")).format(who=who)
        + f"</title><style>{_STYLE}</style></head><body>",
        "<h1>" + html.escape(_("Feedback for {who}")).format(who=who) + "</h1>",
        '<div class="meta">'
        + html.escape(_("Assignment {assignment}")).format(assignment=assignment) + "</div>",
        '<div class="total" id="total">'
        + html.escape(_("{score:g} / {points:g} points").format(
            score=data.get("score", 0), points=data.get("max_score", 0)))
        + "</div>",
        _summary(data.get("tests", [])),
    ]
    for test in data.get("tests", []):
        status = outcome(test)
        visible = test.get("visibility") == "visible"
        test_id = (test.get("tags") or [""])[0]
        parts.append(f'<section class="test {status}" '
                     f'id="test-{html.escape(test_id)}" data-test="{html.escape(test_id)}">')
        parts.append(
            '<div class="head">'
            f'<span class="badge">{html.escape(outcome_word(status))}</span>'
            f'<span class="points">{test.get("score", 0):g} / {test.get("max_score", 0):g}</span>'
            f'<span class="name">{html.escape(test.get("name", ""))}</span>'
            "</div>"
        )
        if test.get("output"):
            parts.append(f"<pre>{html.escape(test['output'])}</pre>")
        figures = []
        for picture in pictures.get(test_id, []):
            label = picture.get("label", "")
            mine = _data_uri(folder, picture.get("student"))
            theirs = _data_uri(folder, picture.get("reference")) if visible else None
            if mine:
                figures.append(_figure(mine, _("Your figure ({label})").format(label=label),
                                       "student"))
            if theirs:
                figures.append(_figure(theirs, _("Reference ({label})").format(label=label),
                                       "reference"))
        if figures:
            parts.append(f'<div class="pictures">{"".join(figures)}</div>')
            if not visible:
                parts.append('<div class="hidden-note">'
                             + html.escape(_("The reference picture of a hidden check is not "
                                             "shown."))
                             + "</div>")
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_feedback(data: dict, folder: Path) -> Path:
    """Write ``folder/feedback.html`` atomically; return its path."""
    target = Path(folder) / FEEDBACK_FILE
    write_text_atomic(target, feedback_html(data, Path(folder)))
    return target
