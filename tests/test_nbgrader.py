"""A real nbgrader course, offline, with a real sqlite gradebook: release, autograde, feedback,
export. The points nbgrader records must be the ones the kit's own `grade` command gives, even
for a student whose notebook tampers with the kernel that nbgrader runs it in."""

from __future__ import annotations

import csv
import os
import re
import shutil
import socket
import subprocess
import sys
import uuid
from html import unescape
from pathlib import Path

import nbformat
import pytest
from grading import ROOT, grade_folder

from autograder.assignments import get_assignment
from autograder.nbgrader_bridge import (
    AUTOGRADE_ENV,
    GRADE_CELL_PREFIX,
    cell_report,
    function_of,
    grade_cell,
    points_by_function,
)
from autograder.nbgrader_preprocessor import KitGrades
from autograder.sandbox import KIT_ROOT, landlock

pytestmark = pytest.mark.slow

ASSIGNMENT = get_assignment("01_mnist_cnn")
NOTEBOOK_ID = Path(ASSIGNMENT.notebook).stem

# student -> the bundled example they hand in; carol also tampers with her test cells and
# with the kernel they run in
STUDENTS = {"alice": "reference", "bob": "blank", "carol": "missing_dropout"}
TAMPERING = "carol"

# carol's extra cell, run by nbgrader before every test cell: the kernel is hers. Before the
# KitGrades preprocessor, either trick alone gave her every test cell's full points: a test
# cell whose grade_cell prints and returns nothing counts as passed.
ATTACK = """\
import os
import autograder.nbgrader_bridge as bridge

def grade_cell(assignment_id, function, notebook=None):
    print("kernel says: full marks")

bridge.grade_cell = grade_cell
del os.environ["NBGRADER_EXECUTION"]
print("attack ran; NBGRADER_EXECUTION set:", "NBGRADER_EXECUTION" in os.environ)
"""

# ... and, in the same cell, she tries to get out of the kernel, which nbgrader runs as the
# grader's user: read the hidden suite and the reference, append to a kit file, the gradebook
# and another student's folder, reach a TCP listener, leave a process running. The paths are
# joined in the kernel (the feedback shows this source and must not name the suites' folder)
# and only an exception's type is printed (its message names the path).
MARKER = f"cnnkit-escape-{uuid.uuid4().hex[:12]}"
ESCAPE = """\
import socket
import subprocess
import sys

def attempt(label, action):
    try:
        action()
        print(label, "allowed")
    except OSError as error:
        print(label, "refused:", type(error).__name__)

def append(path):
    with open(path, "a") as handle:
        handle.write("# {marker}\\n")

kit, course = {kit!r}, {course!r}
suite = os.path.join(kit, "suites", "mnist_cnn")
reference = os.path.join(course, "solutions", "01_mnist_cnn", "mnist_cnn.ipynb")
attempt("read suite", lambda: print(open(os.path.join(suite, "conftest.py")).read()))
attempt("read reference", lambda: print(open(reference).read()))
attempt("append kit", lambda: append(os.path.join(suite, "budget.py")))
attempt("append gradebook", lambda: append(os.path.join(course, "gradebook.db")))
attempt("write alice", lambda: append(os.path.join(course, "submitted", "alice", "{marker}.txt")))
address = ("127.0.0.1", {port})
attempt("connect", lambda: socket.create_connection(address, timeout=5).sendall(b"leak"))
sleeper = [sys.executable, "-c", "import time; time.sleep(600)", "{marker}"]
quiet = "stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL"
orphan = ("import subprocess; print(subprocess.Popen("
          f"{{sleeper!r}}, start_new_session=True, {{quiet}}).pid)")
started = subprocess.run([sys.executable, "-c", orphan], capture_output=True, text=True)
print("orphan started:", started.stdout.strip())
"""


def _nbgrader(course: Path, *args: str, env: dict | None = None) -> str:
    # nbgrader runs `alembic` from PATH to set up the gradebook: as in an activated venv.
    environment = dict(os.environ if env is None else env)
    path = f"{Path(sys.executable).parent}{os.pathsep}{environment.get('PATH', '')}"
    completed = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args], cwd=course, env={**environment, "PATH": path},
        capture_output=True, text=True, timeout=1200, check=False,
    )
    output = completed.stdout + completed.stderr
    # nbgrader logs a failing submission's traceback, then goes on: show the first one
    first = max(output.find("Traceback"), 0)
    assert completed.returncode == 0, output[first:first + 4000] + "\n...\n" + output[-3000:]
    return output


def _grade_cells(notebook) -> list:
    return [c for c in notebook.cells
            if c.metadata.get("nbgrader", {}).get("grade_id", "").startswith(GRADE_CELL_PREFIX)]


def _tamper(notebook, course: Path, port: int) -> None:
    """What carol tries: rig the kernel and get out of it, claim full marks in one test cell,
    delete another."""
    escape = ESCAPE.format(marker=MARKER, kit=str(KIT_ROOT), course=str(course), port=port)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(ATTACK + escape))
    cells = _grade_cells(notebook)
    claimed = next(c for c in cells if c.metadata["nbgrader"]["grade_id"] == "grade_build_cnn")
    claimed.source = "9.0"
    deleted = next(c for c in cells
                   if c.metadata["nbgrader"]["grade_id"] == "grade_preprocess_images")
    notebook.cells.remove(deleted)


@pytest.fixture(scope="module")
def listener():
    """A TCP listener on 127.0.0.1 that carol's kernel tries to reach."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    yield server
    server.close()


def _kit_file_clean(path: Path) -> bool:
    """Whether ``path`` holds no line of carol's; one she managed to add is removed."""
    text = path.read_text(encoding="utf-8")
    if MARKER not in text:
        return True
    path.write_text("".join(line for line in text.splitlines(keepends=True)
                            if MARKER not in line), encoding="utf-8")
    return False


@pytest.fixture(scope="module")
def course(tmp_path_factory, listener) -> Path:
    """A course directory taken through generate, submit, autograde, feedback and export."""
    course = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ASSIGNMENT.solution_path.parent, course / "solutions" / ASSIGNMENT.id)
    _nbgrader(course, "generate_assignment", ASSIGNMENT.id, "--force")
    for student, example in STUDENTS.items():
        bundled = ASSIGNMENT.examples_dir / f"{example}.ipynb"
        folder = course / "submitted" / student / ASSIGNMENT.id
        folder.mkdir(parents=True)
        if student == TAMPERING:
            notebook = nbformat.read(bundled, as_version=4)
            _tamper(notebook, course, listener.getsockname()[1])
            nbformat.write(notebook, folder / ASSIGNMENT.notebook)
        else:
            shutil.copy(bundled, folder / ASSIGNMENT.notebook)
    try:
        _nbgrader(course, "autograde", ASSIGNMENT.id, "--force")
    finally:  # a kernel that could write the kit must not leave the checkout changed
        course.joinpath("kit_file_clean").write_text(
            str(_kit_file_clean(ASSIGNMENT.suite_dir / "budget.py")))
    _nbgrader(course, "generate_feedback", ASSIGNMENT.id, "--force")
    _nbgrader(course, "export", "--to", str(course / "grades.csv"))
    return course


@pytest.fixture(scope="module")
def kit_results(course, graded_examples, tmp_path_factory) -> dict[str, dict]:
    """The kit's own `grade` command on the very notebooks the students handed in.

    Untouched examples reuse the session's grading of the bundled examples (the files are
    checked to be the same bytes); the tampered notebook is graded on its own.
    """
    examples = graded_examples(ASSIGNMENT.id)
    results = {}
    for student, example in STUDENTS.items():
        handed_in = course / "submitted" / student / ASSIGNMENT.id / ASSIGNMENT.notebook
        if student == TAMPERING:
            flat = tmp_path_factory.mktemp("as-submitted")
            shutil.copy(handed_in, flat / f"{student}.ipynb")
            results[student] = grade_folder(flat, tmp_path_factory.mktemp("kit"))[student]
        else:
            bundled = ASSIGNMENT.examples_dir / f"{example}.ipynb"
            assert handed_in.read_bytes() == bundled.read_bytes()
            results[student] = examples[example]
    return results


def _gradebook_points(course: Path) -> dict[str, dict[str, float]]:
    from nbgrader.api import Gradebook

    points: dict[str, dict[str, float]] = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student in STUDENTS:
            submission = gradebook.find_submission_notebook(NOTEBOOK_ID, ASSIGNMENT.id, student)
            points[student] = {
                grade.name.removeprefix(GRADE_CELL_PREFIX): float(grade.score)
                for grade in submission.grades
            }
    return points


def test_released_notebook_is_what_the_kit_commits(course):
    # nbgrader_config.py makes `assignments/` nbgrader's release folder
    released = course / "assignments" / ASSIGNMENT.id / ASSIGNMENT.notebook
    assert released.read_text(encoding="utf-8") == ASSIGNMENT.release_path.read_text(
        encoding="utf-8"
    )


def test_each_test_cell_gets_the_points_the_kit_gives_its_function(course, kit_results):
    recorded = _gradebook_points(course)
    for student in STUDENTS:
        expected = points_by_function(kit_results[student])
        assert recorded[student] == expected, student


def test_totals_match_the_kit_and_the_expected_example_points(course, kit_results):
    recorded = _gradebook_points(course)
    totals = {student: sum(points.values()) for student, points in recorded.items()}
    assert totals == {s: kit_results[s]["score"] for s in STUDENTS}
    assert totals == {"alice": 30.0, "bob": 0.0, "carol": 25.0}


def test_the_exported_csv_holds_the_totals(course, kit_results):
    with open(course / "grades.csv", newline="", encoding="utf-8") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    for student in STUDENTS:
        assert float(rows[student]["score"]) == kit_results[student]["score"]
        assert float(rows[student]["max_score"]) == kit_results[student]["max_score"]


def _autograded(course: Path, student: str):
    return nbformat.read(
        course / "autograded" / student / ASSIGNMENT.id / ASSIGNMENT.notebook, as_version=4
    )


def test_the_attack_ran_in_the_kernel_and_changed_nothing(course, kit_results):
    autograded = _autograded(course, TAMPERING)
    attack = next(c for c in autograded.cells if c.source.startswith(ATTACK))
    printed = "".join(o.get("text", "") for o in attack.outputs)
    # it ran, without error, and removed nbgrader's variable from the kernel
    assert "attack ran; NBGRADER_EXECUTION set: False" in printed, attack.outputs
    assert not [o for o in attack.outputs if o.output_type == "error"]
    # ... yet her points are the kit's for her functions alone: 25, not 30
    recorded = _gradebook_points(course)[TAMPERING]
    assert recorded == points_by_function(kit_results[TAMPERING])
    assert sum(recorded.values()) == 25.0
    for cell in _grade_cells(autograded):
        text = "".join(o.get("text", "") for o in cell.outputs)
        assert "kernel says" not in text  # the rigged grade_cell's output was replaced


def test_each_test_cell_shows_the_kits_lines_and_points(course, kit_results):
    for student in STUDENTS:
        tests: dict[str, list[dict]] = {}
        for test in kit_results[student]["tests"]:
            tests.setdefault(function_of(test["name"]), []).append(test)
        for cell in _grade_cells(_autograded(course, student)):
            function = cell.metadata["nbgrader"]["grade_id"].removeprefix(GRADE_CELL_PREFIX)
            stream, value = cell.outputs  # nothing else: what the kernel printed is gone
            assert (stream.output_type, stream.name) == ("stream", "stdout")
            for test in tests[function]:
                assert f"{test['score']:g}/{test['max_score']:g}  {test['name']}" in stream.text
                if test["status"] == "failed":
                    assert test["output"].strip().splitlines()[0] in stream.text
            assert value.output_type == "execute_result"
            points = sum(t["score"] for t in tests[function])
            assert float(value.data["text/plain"]) == points, (student, function)


def test_a_tampered_or_deleted_test_cell_is_graded_as_released(course):
    autograded = _autograded(course, TAMPERING)
    cells = {c.metadata["nbgrader"]["grade_id"]: c for c in _grade_cells(autograded)}
    assert "grade_cell(" in cells["grade_build_cnn"].source  # restored, not "9.0"
    assert "grade_preprocess_images" in cells  # put back and run
    assert _gradebook_points(course)[TAMPERING]["build_cnn"] == 4.0  # the missing dropout costs 5


def _suite_code_lines() -> set[str]:
    """Code lines of the hidden tests and of their fixtures (where hidden inputs are made)."""
    lines = set()
    for path in [*ASSIGNMENT.suite_dir.glob("test_*.py"), ASSIGNMENT.suite_dir / "conftest.py"]:
        for line in path.read_text(encoding="utf-8").splitlines():
            text = line.strip()
            # the lines only a hidden test would hold: calls into the student's or the
            # reference's code, assertions, and the draws of hidden inputs
            if len(text) > 24 and any(
                key in text for key in ("student.", "reference.", "assert ", "rng.")
            ):
                lines.add(text)
    return lines


def test_feedback_shows_no_hidden_test_code_or_inputs(course):
    code_lines = _suite_code_lines()
    assert len(code_lines) > 50
    for student in STUDENTS:
        html = (course / "feedback" / student / ASSIGNMENT.id / f"{NOTEBOOK_ID}.html").read_text(
            encoding="utf-8"
        )
        text = unescape(re.sub(r"<[^>]+>", "", html))
        assert "grade_cell(" in text  # the test cells are there ...
        leaked = [line for line in code_lines if line in text]
        assert not leaked, f"{student}: hidden suite code in the feedback: {leaked[:3]}"
        # no frame of the hidden suite, no seed of its hidden inputs
        assert "autograder/suites" not in text and "default_rng(" not in text


def _printed(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def _orphans() -> list[int]:
    """Live processes whose command line holds carol's marker."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and MARKER.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.mark.skipif(landlock.abi_version() < 1, reason="this kernel offers no Landlock")
def test_the_kernel_reads_and_writes_nothing_of_the_grader(course):
    autograded = _autograded(course, TAMPERING)
    printed = _printed(next(c for c in autograded.cells if c.source.startswith(ATTACK)))
    for attempt in ("read suite", "read reference", "append kit", "append gradebook",
                    "write alice"):
        assert f"{attempt} refused: PermissionError" in printed, printed
    # not a line of the hidden suite or of the reference reached an output or the feedback
    suite_line = "from autograder.engine.reference import reference_module"
    assert suite_line in (ASSIGNMENT.suite_dir / "conftest.py").read_text(encoding="utf-8")
    html = (course / "feedback" / TAMPERING / ASSIGNMENT.id / f"{NOTEBOOK_ID}.html").read_text(
        encoding="utf-8")
    outputs = "".join(str(cell.get("outputs", "")) for cell in autograded.cells)
    for text in (html, outputs):
        assert suite_line not in text and "BEGIN SOLUTION" not in text
    # the kit, the gradebook and alice's folder are as they were; the grades are the kit's
    assert (course / "kit_file_clean").read_text() == "True", "the kernel appended to the kit"
    assert MARKER.encode() not in (course / "gradebook.db").read_bytes()
    assert not (course / "submitted" / "alice" / f"{MARKER}.txt").exists()
    assert sum(_gradebook_points(course)[TAMPERING].values()) == 25.0


@pytest.mark.skipif(landlock.abi_version() < 4, reason="Landlock cannot restrict TCP here")
def test_the_kernel_connects_nowhere(course, listener):
    autograded = _autograded(course, TAMPERING)
    printed = _printed(next(c for c in autograded.cells if c.source.startswith(ATTACK)))
    assert "connect refused: PermissionError" in printed, printed
    with pytest.raises(BlockingIOError):
        listener.accept()  # nobody knocked


def test_no_process_a_cell_started_outlives_the_autograding(course):
    autograded = _autograded(course, TAMPERING)
    printed = _printed(next(c for c in autograded.cells if c.source.startswith(ATTACK)))
    started = re.search(r"orphan started: (\d+)", printed)
    assert started, printed  # the detached process did start ...
    assert _orphans() == []  # ... and is gone, although it left the kernel's session


# -- the pieces on their own (no kernel, no grading) ------------------------------------------
def test_grade_cell_grades_nothing(monkeypatch, capsys):
    monkeypatch.delenv(AUTOGRADE_ENV, raising=False)
    assert grade_cell(ASSIGNMENT.id, "build_cnn") is None
    assert "when your instructor grades" in capsys.readouterr().out
    # while autograding: 0 unless KitGrades replaces the output (no preprocessor: no points)
    monkeypatch.setenv(AUTOGRADE_ENV, "autograde")
    assert grade_cell(ASSIGNMENT.id, "build_cnn") == 0.0


def _fake_grading(points: dict[str, list[float]]) -> dict:
    return {"tests": [
        {"name": f"{function}: check {i}", "score": score, "max_score": 1.0,
         "status": "passed" if score else "failed", "output": "" if score else "wrong\nvalue",
         "grader_error": False}
        for function, scores in points.items() for i, score in enumerate(scores)
    ]}


def test_kitgrades_outputs_give_nbgrader_exactly_the_kits_points(monkeypatch):
    from nbgrader.utils import determine_grade

    released = nbformat.read(ASSIGNMENT.release_path, as_version=4)
    functions = [c.metadata["nbgrader"]["grade_id"].removeprefix(GRADE_CELL_PREFIX)
                 for c in _grade_cells(released)]
    # fractional points, zero, and a cell whose kernel output claims more than it is worth
    scores = {f: [0.25 * (i % 3), 0.1] for i, f in enumerate(functions)}
    scores[functions[0]] = [0.0, 0.0]
    graded = []
    monkeypatch.setattr("autograder.nbgrader_preprocessor.grade_isolated",
                        lambda path, assignment, timeout: graded.append(path.read_text())
                        or _fake_grading(scores))
    for cell in _grade_cells(released):
        cell.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "99.0"})]
    rewritten, _ = KitGrades().preprocess(released, {"nbgrader": {"notebook": NOTEBOOK_ID}})
    assert len(graded) == 1 and "99.0" not in graded[0]  # one grading, of sources only
    for cell in _grade_cells(rewritten):
        function = cell.metadata["nbgrader"]["grade_id"].removeprefix(GRADE_CELL_PREFIX)
        assert determine_grade(cell)[0] == sum(scores[function])
        tests = _fake_grading({function: scores[function]})["tests"]
        assert cell.outputs[0].text == cell_report(tests)


def test_kitgrades_refuses_a_rubric_that_does_not_match_the_cells(monkeypatch):
    released = nbformat.read(ASSIGNMENT.release_path, as_version=4)
    monkeypatch.setattr("autograder.nbgrader_preprocessor.grade_isolated",
                        lambda path, assignment, timeout: _fake_grading({"build_cnn": [1.0]}))
    with pytest.raises(RuntimeError, match="do not match the hidden suite"):
        KitGrades().preprocess(released, {"nbgrader": {"notebook": NOTEBOOK_ID}})
