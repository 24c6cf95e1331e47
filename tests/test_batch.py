"""Batch grading: two lanes, Ctrl-C after the first result, resume, and the per-run outputs.

One batch of assignment 01's examples is shared by the tests of this module: the first run is
interrupted with SIGINT as soon as a result appears, the second resumes it, the third runs
after one notebook changed. The cheap tests at the end need no grading.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest
from grading import ROOT, example_points, fork_servers_by_lane
from test_report import box_of, hex_rgb, screenshot

from autograder.assignments import get_assignment
from autograder.engine.results import SubmissionResult, TestResult, write_text_atomic
from autograder.engine.runner import (
    SubmissionFile,
    find_submissions,
    finished_result,
    notebook_fingerprint,
)
from autograder.report import FAILED_COLOUR, PASSED_COLOUR

EXAMPLES = get_assignment("01_mnist_cnn").examples_dir
# Four of assignment 01's examples and their points (as tests/test_assignment_01.py states
# them): full marks, none, and two partial scores, enough for two lanes to interrupt and resume.
POINTS = {"blank": 0.0, **{name: example_points("01_mnist_cnn", name)
                            for name in ("reference", "wrong_padding", "nan_on_empty")}}
ARCHITECTURE = {"test_build_cnn_layers_match_the_architecture",
                "test_build_cnn_follows_input_shape_and_class_count"}


def _grade_command(folder: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "autograder.cli", "grade", str(folder), "--out", str(out),
            "--jobs", "2"]


def _processes_with(marker: str) -> list[int]:
    """Processes whose environment holds ``marker`` (the batch's lanes and workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _log_lines(out: Path) -> int:
    log = out / "run-log.jsonl"
    return len(log.read_text().splitlines()) if log.exists() else 0


def _files(out: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(out)): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in out.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("submissions")
    for example in POINTS:
        if example == "reference":  # one student as a folder, the others as files
            (folder / "reference").mkdir()
            shutil.copy(EXAMPLES / "reference.ipynb", folder / "reference" / "mnist_cnn.ipynb")
        else:
            shutil.copy(EXAMPLES / f"{example}.ipynb", folder / f"{example}.ipynb")
    out = tmp_path_factory.mktemp("graded")
    marker = f"CNNKIT_TEST_BATCH={uuid.uuid4().hex}"
    # a temporary folder of the runs' own: what they leave there is seen
    temporary = tmp_path_factory.mktemp("tmpdir")
    env = {**os.environ, marker.split("=")[0]: marker.split("=")[1], "TMPDIR": str(temporary)}
    facts: dict = {"folder": folder, "out": out, "marker": marker, "tmpdir": temporary}

    # Run 1: interrupted with SIGINT once the first results.json appears. Started with SIGINT
    # ignored, as a shell starts a background job: the grader must still honour the signal.
    first = subprocess.Popen(_grade_command(folder, out), cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             preexec_fn=_ignore_sigint)
    deadline = time.monotonic() + 600
    while not list(out.glob("*/results.json")) and time.monotonic() < deadline:
        assert first.poll() is None, first.communicate()
        time.sleep(0.2)
    first.send_signal(signal.SIGINT)
    stdout, stderr = first.communicate(timeout=120)
    time.sleep(1)
    facts["interrupted"] = {"code": first.returncode, "stdout": stdout, "stderr": stderr,
                            "files": _files(out), "left_running": _processes_with(marker)}
    facts["log_lines"] = [_log_lines(out)]

    # Run 2: resume. Run 3: one notebook changed, the others not.
    for run in ("resumed", "changed"):
        if run == "changed":
            notebook = nbformat.read(folder / "blank.ipynb", as_version=4)
            notebook.cells.append(nbformat.v4.new_markdown_cell("A late note."))
            nbformat.write(notebook, folder / "blank.ipynb")
            facts["blank_before"] = json.loads((out / "blank/results.json").read_text())
        done = subprocess.run(_grade_command(folder, out), cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=1200)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        facts[run] = {"stdout": done.stdout, "files": _files(out)}
        facts["log_lines"].append(_log_lines(out))
    facts["log"] = [json.loads(line) for line in (out / "run-log.jsonl").read_text().splitlines()]
    facts["results"] = {p.parent.name: json.loads(p.read_text())
                        for p in out.glob("*/results.json")}
    return facts


pytestmark_slow = pytest.mark.slow


@pytestmark_slow
def test_an_interrupted_run_leaves_only_complete_results(batch):
    interrupted = batch["interrupted"]
    assert interrupted["code"] == 130, interrupted["stderr"][-2000:]
    assert "interrupted" in interrupted["stderr"] and "again" in interrupted["stderr"]
    files = interrupted["files"]
    finished = [name for name in files if name.endswith("results.json")]
    assert 1 <= len(finished) < len(POINTS)
    assert not [name for name in files if name.endswith(".tmp")]
    assert "grades.csv" not in files  # the per-run outputs wait for a complete run
    for name in finished:  # each one complete, with its feedback page beside it
        data = json.loads((batch["out"] / name).read_text())
        assert data["extra_data"]["fingerprint"].startswith("sha256:")
        assert name.replace("results.json", "feedback.html") in files
    assert interrupted["left_running"] == [], "lanes or workers outlived the interrupted run"


@pytestmark_slow
def test_the_resumed_run_grades_only_what_was_left(batch):
    before = batch["interrupted"]["files"]
    finished = {name.split("/")[0] for name in before if name.endswith("results.json")}
    resumed = batch["resumed"]
    assert f"{len(finished)} already graded with an unchanged notebook" in resumed["stdout"]
    for name, identity in before.items():  # untouched: same inode, same modification time
        if name.split("/")[0] in finished and not name.startswith("run-log"):
            assert resumed["files"][name] == identity, name
    first, second = batch["log_lines"][:2]
    graded_then = [entry["name"] for entry in batch["log"][first:second]]
    assert sorted(graded_then) == sorted(set(POINTS) - finished)


@pytestmark_slow
def test_a_changed_notebook_is_graded_again_and_only_it(batch):
    unchanged = len(POINTS) - 1
    assert f"{unchanged} already graded with an unchanged notebook" in batch["changed"]["stdout"]
    second, third = batch["log_lines"][1:]
    assert [entry["name"] for entry in batch["log"][second:third]] == ["blank"]
    before = batch["blank_before"]["extra_data"]["fingerprint"]
    after = batch["results"]["blank"]["extra_data"]["fingerprint"]
    assert before != after == notebook_fingerprint(batch["folder"] / "blank.ipynb")


@pytestmark_slow
def test_parallel_grading_gives_each_example_its_points(batch):
    assert {name: data["score"] for name, data in batch["results"].items()} == POINTS
    assert all(data["max_score"] == 30 for data in batch["results"].values())


@pytestmark_slow
def test_each_submission_runs_in_fresh_workers_forked_from_its_lanes_server(batch):
    log = batch["log"]
    pids = [w["pid"] for entry in log for w in entry["workers"]]
    assert all(entry["workers"] for entry in log)
    assert len(pids) == len(set(pids)), "a worker process served two submissions"
    resumed = log[batch["log_lines"][0]:batch["log_lines"][1]]
    assert {entry["lane"] for entry in resumed} == {0, 1}  # both lanes worked
    # TensorFlow is imported once per lane, by its fork server: every worker of a lane in a
    # run was forked from the same server, and each lane has its own.
    for start, end in zip([0, *batch["log_lines"]], batch["log_lines"], strict=False):
        run = log[start:end]
        servers = fork_servers_by_lane(run)
        assert all(len(found) == 1 for found in servers.values()), servers
        assert len(set().union(*servers.values())) == len(servers), servers
        assert all(w["peak_mb"] > 0 for entry in run for w in entry["workers"])


@pytestmark_slow
def test_no_run_leaves_a_temporary_folder_behind(batch):
    """Workers' scratch folders and the lanes' engine copies are removed, also when the run
    was interrupted."""
    left = sorted(p.name for p in batch["tmpdir"].iterdir() if p.name.startswith("cnnkit-"))
    assert left == []


@pytestmark_slow
def test_a_lane_loads_the_reference_once_before_its_first_grading(batch):
    log = batch["log"]
    runs = [log[start:end] for start, end in zip([0, *batch["log_lines"]],
                                                 batch["log_lines"], strict=False)]
    for run in runs:
        for lane in {entry["lane"] for entry in run}:
            entries = sorted((e for e in run if e["lane"] == lane), key=lambda e: e["started_at"])
            # the first loads the reference; the others find it loaded
            assert entries[0]["reference_loaded"], entries[0]
            assert not any(e["reference_loaded"] for e in entries[1:]), entries
            assert all(e["reports_s"] > 0 for e in entries)
            # TensorFlow was imported once, by the server the lane was forked from (and which
            # forked the lane's workers): the lane began after it, with TensorFlow loaded
            assert all(e["tensorflow_from_server"] for e in entries), entries
            assert all(e["server_started_at"] < e["lane_started_at"] <= e["started_at"]
                       for e in entries), entries


@pytestmark_slow
def test_the_csv_has_a_row_per_student_and_a_column_per_test(batch):
    with open(batch["out"] / "grades.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["submission"] for row in rows] == sorted(POINTS)
    tests = [t["tags"][0] for t in batch["results"]["reference"]["tests"]]
    assert list(rows[0]) == ["submission", "assignment", *tests, "total", "max_score"]
    for row in rows:
        assert float(row["total"]) == POINTS[row["submission"]]
        assert sum(float(row[t]) for t in tests) == float(row["total"])


@pytestmark_slow
def test_the_junit_report_has_a_case_per_test_and_student(batch):
    root = ET.parse(batch["out"] / "junit.xml").getroot()
    suites = {suite.get("name"): suite for suite in root.iter("testsuite")}
    assert set(suites) == set(POINTS)
    assert int(root.get("tests")) == sum(len(d["tests"]) for d in batch["results"].values())
    failing = {case.get("name") for case in suites["wrong_padding"].iter("testcase")
               if case.find("failure") is not None}
    assert failing == ARCHITECTURE
    assert suites["blank"].get("failures") == "20"


@pytestmark_slow
def test_each_student_has_a_self_contained_feedback_page(batch, tmp_path):
    for name in POINTS:
        text = (batch["out"] / name / "feedback.html").read_text(encoding="utf-8")
        assert f"{POINTS[name]:g} / 30 points" in text
        assert 'src="pictures/' not in text
    # The misclassified-figure test is hidden: the student's picture only.
    page = batch["out"] / "reference" / "feedback.html"
    text = page.read_text(encoding="utf-8")
    assert text.count('<figure class="student"') >= 1
    assert '<figure class="reference"' not in text
    shot = screenshot(page, tmp_path / "reference.png", height=2400)
    assert box_of(shot, hex_rgb(PASSED_COLOUR)) is not None
    assert box_of(shot, hex_rgb(FAILED_COLOUR)) is None  # all passed: no red badge
    shot = screenshot(batch["out"] / "wrong_padding" / "feedback.html", tmp_path / "wp.png")
    assert box_of(shot, hex_rgb(FAILED_COLOUR)) is not None


# -- cheap tests: no grading -------------------------------------------------------------------
def _fake_result(path: Path, folder: Path) -> None:
    result = SubmissionResult(
        "alice", "01_mnist_cnn",
        tests=[TestResult("x: y.", "s::test_x", 1, 1, "passed", "", "public")],
    )
    from autograder.engine.runner import grader_fingerprint

    result.extra = {"public_only": False, "fingerprint": notebook_fingerprint(path),
                    "grader_fingerprint": grader_fingerprint("01_mnist_cnn")}
    result.write(folder)


def test_a_result_counts_as_finished_only_if_complete_and_for_the_same_notebook(tmp_path):
    notebook = tmp_path / "alice.ipynb"
    shutil.copy(EXAMPLES / "blank.ipynb", notebook)
    item = SubmissionFile("alice", notebook)
    out = tmp_path / "out"
    _fake_result(notebook, out / "alice")
    assert finished_result(item, out) is not None
    assert finished_result(item, out, public_only=True) is None  # another mode
    text = (out / "alice/results.json").read_text()
    (out / "alice/results.json").write_text(text[: len(text) // 2])  # truncated
    assert finished_result(item, out) is None
    _fake_result(notebook, out / "alice")
    notebook.write_text(notebook.read_text() + " ")  # the student changed the notebook
    assert finished_result(item, out) is None


def test_an_atomic_write_that_fails_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "grades.csv"
    target.write_text("old\n")

    with pytest.raises(TypeError):  # the write fails half-way: not text
        write_text_atomic(target, 12345)
    assert target.read_text() == "old\n" and list(tmp_path.iterdir()) == [target]


def test_both_submission_layouts_are_found(tmp_path):
    shutil.copy(EXAMPLES / "blank.ipynb", tmp_path / "bob.ipynb")
    (tmp_path / "carol").mkdir()
    shutil.copy(EXAMPLES / "blank.ipynb", tmp_path / "carol" / "mnist_cnn.ipynb")
    assert [s.name for s in find_submissions(tmp_path)] == ["bob", "carol"]


def test_two_submissions_with_one_name_are_refused_before_grading(tmp_path):
    shutil.copy(EXAMPLES / "blank.ipynb", tmp_path / "dan.ipynb")
    (tmp_path / "dan").mkdir()
    shutil.copy(EXAMPLES / "blank.ipynb", tmp_path / "dan" / "mnist_cnn.ipynb")
    with pytest.raises(ValueError, match="both named 'dan'"):
        find_submissions(tmp_path)


def _nbgrader_folder(root: Path, student: str, assignment: str, names: list[str]) -> None:
    folder = root / student / assignment
    folder.mkdir(parents=True)
    for name in names:
        shutil.copy(EXAMPLES / "blank.ipynb", folder / name)


def test_nbgraders_submitted_layout_is_found_and_named_by_student(tmp_path):
    submitted = tmp_path / "submitted"
    _nbgrader_folder(submitted, "alice", "01_mnist_cnn", ["mnist_cnn.ipynb"])
    # bob kept a scratch notebook beside his submission: only the released one is graded
    _nbgrader_folder(submitted, "bob", "01_mnist_cnn", ["mnist_cnn.ipynb", "scratch.ipynb"])
    _nbgrader_folder(submitted, "bob", "02_cats_dogs", ["cats_dogs.ipynb"])
    # carol handed in another assignment only, and a checkpoint folder never counts
    _nbgrader_folder(submitted, "carol", "02_cats_dogs", ["cats_dogs.ipynb"])
    _nbgrader_folder(submitted / "alice", "01_mnist_cnn", ".ipynb_checkpoints",
                     ["mnist_cnn-checkpoint.ipynb"])

    found = find_submissions(submitted, assignment="01_mnist_cnn")
    assert [(s.name, s.path.relative_to(submitted).as_posix()) for s in found] == [
        ("alice", "alice/01_mnist_cnn/mnist_cnn.ipynb"),
        ("bob", "bob/01_mnist_cnn/mnist_cnn.ipynb"),
    ]
    # without --assignment: every assignment folder, named student/assignment when several
    names = [s.name for s in find_submissions(submitted)]
    assert names == ["alice", "bob/01_mnist_cnn-mnist_cnn", "bob/01_mnist_cnn-scratch",
                     "bob/02_cats_dogs", "carol"]


def test_nbgraders_autograded_layout_is_found_too(tmp_path):
    autograded = tmp_path / "autograded"
    _nbgrader_folder(autograded, "dave", "01_mnist_cnn", ["mnist_cnn.ipynb"])
    (autograded / "dave" / "01_mnist_cnn" / "timestamp.txt").write_text("2024-01-01 00:00:00")
    found = find_submissions(autograded, assignment="01_mnist_cnn")
    assert [s.name for s in found] == ["dave"]


def test_no_notebooks_found_says_which_layouts_are_graded(tmp_path):
    (tmp_path / "submitted" / "erin" / "02_cats_dogs").mkdir(parents=True)
    completed = subprocess.run(
        [sys.executable, "-m", "autograder.cli", "grade", str(tmp_path / "submitted"),
         "--assignment", "01_mnist_cnn", "--out", str(tmp_path / "grades")],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode != 0
    message = completed.stderr
    assert "no notebooks found for 01_mnist_cnn under" in message, message
    assert "<folder>/<student>.ipynb" in message
    assert "<folder>/<student>/<notebook>.ipynb" in message
    assert "<folder>/<student>/<assignment>/<notebook>.ipynb" in message
    assert not (tmp_path / "grades").exists()


def test_the_default_lanes_follow_the_cores_and_the_memory(monkeypatch):
    from autograder import batch

    def machine(cores: int, gib: int) -> int:
        monkeypatch.setattr(batch.os, "sched_getaffinity", lambda pid: set(range(cores)))
        pages = {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": gib * 1024**3 // 4096}
        monkeypatch.setattr(batch.os, "sysconf", lambda name: pages[name])
        return batch.default_jobs()

    assert machine(2, 24) == 2  # this kit's machines: one lane per core
    assert machine(1, 24) == 1
    assert machine(8, 8) == 2  # memory for two lanes only
    assert machine(4, 2) == 1  # never fewer than one


@pytestmark_slow
def test_a_lane_session_grades_one_notebook_after_another_from_one_fork_server(tmp_path):
    """nbgrader's autograde grades its notebooks through one lane session: one fork server
    serves every notebook, each in workers of its own; a grading that overruns its time ends
    the lane and its server (an error, not a grade)."""
    from autograder.batch import LaneSession

    blank = {assignment: get_assignment(assignment).examples_dir / "blank.ipynb"
             for assignment in ("01_mnist_cnn", "03_activations")}
    session = LaneSession()
    try:
        results = {assignment: session.grade(notebook, tmp_path / "out", name=assignment)
                   for assignment, notebook in blank.items()}
        lane = session._lane
        with pytest.raises(RuntimeError, match="took longer than 0.01 s"):
            session.grade(blank["01_mnist_cnn"], tmp_path / "late", name="late", timeout=0.01)
        assert lane.process.poll() is not None, "the lane outlived its overrun"
        assert session._lane is None and len(session.log) == 2
    finally:
        session.close()
    for assignment, result in results.items():
        assert result["extra_data"]["assignment"] == assignment and result["score"] == 0
        assert result["max_score"] > 0
    servers = fork_servers_by_lane(session.log)
    assert len(servers[0]) == 1, servers
    workers = [w["pid"] for entry in session.log for w in entry["workers"]]
    assert len(workers) == len(set(workers)), "a worker served two notebooks"
