"""The feedback page: self-contained, escaped, and laid out right in a real browser.

The browser test renders a page built from pictures of known solid colours in headless
Chromium and finds them in the screenshot: the student's beside the reference's for a visible
test, the student's alone for a hidden one.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from autograder.engine.results import SubmissionResult, TestResult
from autograder.report import FAILED_COLOUR, PASSED_COLOUR, feedback_html, write_feedback

BLUE, ORANGE, PURPLE, CYAN = (20, 60, 220), (250, 140, 0), (130, 20, 160), (0, 230, 230)


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("Debian's chromium is not installed (make test installs it when run as root "
                    "with apt-get available); the page was checked by parsing only")
    return found


def screenshot(page: Path, target: Path, *, width: int = 1100, height: int = 1600) -> np.ndarray:
    """Render ``page`` in headless Chromium; return the screenshot as an RGB array."""
    home = target.parent / "chromium-home"  # its profile, away from the user's
    home.mkdir(exist_ok=True)
    completed = subprocess.run(
        [chromium_path(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--no-first-run", "--force-device-scale-factor=1", f"--window-size={width},{height}",
         # no network here: keep the browser from trying to reach its update and sync hosts
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-quic",
         f"--user-data-dir={home}", f"--screenshot={target}", page.resolve().as_uri()],
        capture_output=True, text=True, timeout=180, env={**os.environ, "HOME": str(home)},
    )
    assert completed.returncode == 0 and target.is_file(), completed.stderr[-2000:]
    return np.asarray(Image.open(target).convert("RGB"))


def hex_rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


def box_of(shot: np.ndarray, rgb: tuple[int, int, int], tolerance: int = 6):
    """(top, left, bottom, right) of the pixels of this colour, or None."""
    close = (np.abs(shot.astype(int) - np.array(rgb)) <= tolerance).all(axis=-1)
    rows, columns = np.nonzero(close)
    if rows.size == 0:
        return None
    return rows.min(), columns.min(), rows.max(), columns.max(), rows.size


def _png(rgb: tuple[int, int, int], width: int = 240, height: int = 160) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), rgb).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("feedback")
    result = SubmissionResult(
        submission="student <b>one</b>",
        assignment="01_mnist_cnn",
        tests=[
            TestResult("plot_x: a visible figure test.", "suite::test_visible_figure", 2, 2,
                       "passed", "", "public",
                       pictures=[{"label": "fig", "student": _png(BLUE),
                                  "reference": _png(ORANGE)}]),
            TestResult("plot_y: a hidden figure test.", "suite::test_hidden_figure", 0, 1,
                       "failed", "the title should name <script>alert(1)</script> the class",
                       "hidden",
                       pictures=[{"label": "fig", "student": _png(PURPLE),
                                  "reference": _png(CYAN)}]),
        ],
    )
    data = result.write(folder)
    write_feedback(data, folder)
    return folder / "feedback.html"


def test_the_page_is_one_file_with_its_pictures_embedded(page):
    text = page.read_text(encoding="utf-8")
    assert text.count("data:image/png;base64,") == 3  # visible: both; hidden: the student's
    assert 'src="pictures/' not in text and "http" not in text
    assert "2 / 3 points" in text


def test_student_text_is_escaped(page):
    text = page.read_text(encoding="utf-8")
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "<b>one</b>" not in text


def test_a_picture_listed_but_missing_on_disk_is_left_out(tmp_path):
    data = {"score": 0, "max_score": 1, "extra_data": {"submission": "s", "pictures": {
        "test_a": [{"label": "x", "student": "pictures/gone.png"}]}},
        "tests": [{"name": "a", "score": 0, "max_score": 1, "status": "failed",
                   "output": "", "visibility": "visible", "tags": ["test_a"]}]}
    assert "<img" not in feedback_html(data, tmp_path)


def test_the_page_renders_in_a_browser_with_pictures_side_by_side(page, tmp_path):
    shot = screenshot(page, tmp_path / "page.png")
    student, reference = box_of(shot, BLUE), box_of(shot, ORANGE)
    assert student is not None and reference is not None, "a picture did not render"
    top, left, bottom, right, count = student
    assert (bottom - top + 1, right - left + 1) == (160, 240) and count == 160 * 240
    assert abs(reference[0] - top) <= 2, "the two pictures are not on one row"
    assert reference[1] > right, "the reference is not to the right of the student's picture"
    hidden = box_of(shot, PURPLE)
    assert hidden is not None and hidden[0] > bottom, "the hidden test's picture is missing"
    assert box_of(shot, CYAN) is None, "a hidden test's reference picture was shown"
    assert box_of(shot, hex_rgb(PASSED_COLOUR)) is not None
    assert box_of(shot, hex_rgb(FAILED_COLOUR)) is not None


def _two_tests(first_status: str = "failed") -> SubmissionResult:
    return SubmissionResult(
        submission="sam", assignment="01_mnist_cnn", execution_time=4.5,
        tests=[
            TestResult("build_cnn: the layers match.", "suite::test_layers",
                       0 if first_status == "failed" else 3, 3, first_status,
                       "the second Conv2D has 32 filters, expected 64", "public",
                       duration=2.25),
            TestResult("predict_labels: int64 labels.", "suite::test_predict", 1, 1, "passed",
                       "", "hidden", duration=0.0625),
        ],
    )


def test_the_page_opens_with_what_failed_and_the_points_lost(tmp_path):
    text = feedback_html(_two_tests().write(tmp_path), tmp_path)
    summary = text[text.index('id="summary"'):text.index("<section")]
    assert "1 check not passed, 3 points lost" in summary
    assert 'href="#test-test_layers"' in summary and "build_cnn: the layers match." in summary
    assert "3 of 3 points lost" in summary
    assert "predict_labels" not in summary  # passed checks are not listed
    assert 'id="test-test_layers"' in text  # the link's target

    passed = feedback_html(_two_tests("passed").write(tmp_path / "all"), tmp_path / "all")
    assert "Every check passed." in passed and "points lost" not in passed


def test_junit_cases_and_results_json_carry_each_tests_duration(tmp_path):
    import xml.etree.ElementTree as ET

    jsonschema = pytest.importorskip("jsonschema", reason="comes with the kit's dev extra")
    from grading import ROOT

    from autograder.exports import junit_xml

    data = _two_tests().write(tmp_path)
    schema = json.loads((ROOT / "tests/schemas/gradescope_results.schema.json").read_text())
    jsonschema.validate(data, schema)  # the duration rides in each test's extra_data
    assert [t["extra_data"]["duration"] for t in data["tests"]] == [2.25, 0.062]
    cases = ET.fromstring(junit_xml({"sam": data})).findall(".//testcase")
    assert [(c.get("name"), c.get("time")) for c in cases] == [
        ("test_layers", "2.250"), ("test_predict", "0.062")]


def test_a_check_that_was_not_run_is_shown_as_such_everywhere(tmp_path):
    """A skipped check (no mirror) is neither passed nor failed: results.json, the page,
    JUnit and the text report all say it was not run, with its reason."""
    from autograder.engine.results import SubmissionResult, TestResult, outcome
    from autograder.exports import junit_xml, text_report
    from autograder.report import feedback_html

    result = SubmissionResult("ana", "02_cats_dogs", tests=[
        TestResult("evaluate: photos", "t::test_photos", 0.0, 0.0, "skipped",
                   "no cats-vs-dogs mirror", "hidden"),
        TestResult("count_images: counts", "t::test_counts", 2.0, 2.0, "passed", "", "public"),
    ])
    data = result.gradescope()
    skipped = data["tests"][0]
    assert "status" not in skipped and skipped["extra_data"]["skipped"] is True
    assert skipped["output"] == "Not run: no cats-vs-dogs mirror"
    assert [outcome(t) for t in data["tests"]] == ["skipped", "passed"]
    page = feedback_html(data, tmp_path)
    assert "not run" in page and "Every check passed." in page
    xml = junit_xml({"ana": data})
    assert 'skipped="1"' in xml and 'failures="0"' in xml and "<skipped" in xml
    assert text_report(data) == ""
