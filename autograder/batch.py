"""Batch grading on one machine: parallel lanes, forked workers, resume, per-run outputs.

``run_batch`` starts ``jobs`` *lanes*: long-lived grader processes that each grade one
submission at a time, so that pytest, the hidden suites and the reference (with TensorFlow)
are imported once per lane, not once per submission. Each lane is forked from a fork server
of its own (:mod:`autograder.engine.forkserver`) once that server has imported TensorFlow, so
that the lane and its workers share one import. Each submission's code still runs in a worker
process of its own, started for it alone: forked from the same server, which never holds
anything of the lane's.

Submissions whose ``results.json`` is complete and records the same notebook and grader
fingerprints are not graded again. Every output file is written atomically, with Ctrl-C held
back while a submission's files are written; an interrupted submission leaves nothing and is
graded on the next run.
"""

from __future__ import annotations

import collections
import contextlib
import io
import json
import os
import resource
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, NoReturn, TextIO

from autograder.engine.runner import SubmissionFile, finished_result

RUN_LOG = "run-log.jsonl"
_INTERRUPTED_CODES = (128 + signal.SIGINT, 128 + signal.SIGTERM, -signal.SIGINT, -signal.SIGTERM)
_OUR_TEMPORARIES = (".results.json.", ".feedback.html.", ".grades.csv.", ".junit.xml.")


@dataclass
class BatchOutcome:
    """What a batch run did."""

    results: dict[str, dict] = field(default_factory=dict)  # every finished submission
    graded: list[dict] = field(default_factory=list)  # lane messages of this run
    skipped: list[str] = field(default_factory=list)  # finished before this run
    interrupted: bool = False
    wall_time: float = 0.0


# -- the parent side ---------------------------------------------------------------------------
class _Lane:
    """A grader process and the submission it is grading.

    The lane is forked from a fork server of its own (:mod:`autograder.engine.forkserver`),
    which this process starts at once and which has imported TensorFlow by the time the lane
    is asked for: the lane and the workers it asks that server for share one import.
    """

    def __init__(self, number: int, output: Path | None = None) -> None:
        from autograder.engine import client

        self.number = number
        self.output = output  # where the lane's stray output goes (default: this stderr)
        self.server_started_at = time.time()
        self.server = client.ForkServer()  # its imports start now, beside the other lanes'
        self.process = self.server.process  # exits with the lane's exit status
        reply_r, self._reply_w = os.pipe()
        self._tasks_r, tasks_w = os.pipe()
        self.tasks: TextIO = os.fdopen(tasks_w, "w", encoding="utf-8")
        self.replies: TextIO = os.fdopen(reply_r, "r", encoding="utf-8")
        self.started = False
        self.task: SubmissionFile | None = None
        self.task_started = 0.0

    def _start(self) -> None:
        """Fork the lane from its server. A server that cannot give one leaves the reply
        pipe closed: the batch files the submission as a crash of the kit and goes on."""
        self.started = True
        if self.output is not None:
            output = os.open(self.output, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        else:  # a stray print of a suite must not garble replies
            output = os.dup(_stderr_fd() or 2)
        try:
            self.server.fork_lane(self.number, [self._tasks_r, self._reply_w, output])
        except (OSError, EOFError, TimeoutError) as error:
            print(f"lane {self.number} could not start: {error}", file=sys.stderr)
        finally:
            for fd in (self._tasks_r, self._reply_w, output):
                os.close(fd)

    def send(self, item: SubmissionFile, task: dict) -> None:
        if not self.started:
            self._start()
        self.task, self.task_started = item, time.time()
        with contextlib.suppress(OSError):  # a lane that is gone: its reply pipe says so
            self.tasks.write(json.dumps(task) + "\n")
            self.tasks.flush()

    def finish(self) -> None:
        """No more work: closing the task pipe ends the lane after its current submission."""
        with contextlib.suppress(OSError):
            self.tasks.close()

    def wait(self) -> None:
        """Wait until the lane and its server have ended; remove the server's folder."""
        self.finish()
        self.server.close()
        with contextlib.suppress(OSError):
            self.replies.close()
        if not self.started:
            for fd in (self._tasks_r, self._reply_w):
                with contextlib.suppress(OSError):
                    os.close(fd)

    def stop(self, grace: float = 20.0) -> None:
        """Interrupt: the lane kills its workers and exits (never in the middle of writing);
        its server passes the signal on and ends after it."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.wait()


def _stderr_fd() -> int | None:
    try:
        return sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # a captured stream (e.g. under pytest)
        return None


def remove_stale_temporaries(out_dir: Path) -> int:
    """Remove temporary files an earlier run left behind if it was killed outright."""
    removed = 0
    if out_dir.is_dir():
        for path in out_dir.rglob(".*.tmp"):
            if path.name.startswith(_OUR_TEMPORARIES):
                path.unlink(missing_ok=True)
                removed += 1
    return removed


def _lane_crashed_result(item: SubmissionFile, task: dict) -> dict:
    """A lane died while grading ``item``. Its workers are sandboxed and cannot signal it, so
    this is rare (the machine killed it, or a kit bug); the submission is still filed: zero
    out of the assignment's full maximum, with its fingerprints, so that a later run does not
    grade it again (and die again) unless asked to with ``--force``."""
    from autograder.engine.results import TestResult
    from autograder.engine.runner import (
        _error_result,
        _resolve_assignment,
        grader_fingerprint,
        notebook_fingerprint,
        write_outputs,
    )

    message = ("the grading of this submission was stopped before it finished (the grading "
               "process was killed); it is filed with zero points; the instructor can grade "
               "it again with --force")
    assignment = _resolve_assignment(item.path, task.get("assignment"))
    result = _error_result(item.name, assignment.id if assignment else None, message)
    if assignment is not None:
        from autograder.nbgrader_bridge import rubric

        full = sum(line.points for line in rubric(assignment))
        result.tests = [TestResult(name="the submission could be graded", nodeid="grading",
                                   score=0.0, max_score=full, status="failed", output=message,
                                   visibility="public")]
        result.extra = {"fingerprint": notebook_fingerprint(item.path),
                        "grader_fingerprint": grader_fingerprint(assignment.id),
                        "assignment": assignment.id, "public_only": task.get("public_only"),
                        "lane_crashed": True}
    data = write_outputs(result, Path(task["out"]))
    return {"name": item.name, "score": 0.0, "max_score": result.max_score, "passed": 0,
            "tests": len(data["tests"]), "execution_time": 0.0, "lane_crashed": True}


# What one lane holds at its peak, measured (`make bench`): the lane with its reference
# (about 1 GB), its fork server (0.7 GB) and two forked workers (0.5 GB each, partly shared).
LANE_MEMORY = 3 * 1024**3


def default_jobs() -> int:
    """Lanes for this machine: one per CPU core this process may use, as long as each lane
    has :data:`LANE_MEMORY` of the machine's memory.

    A lane's own work leaves room for a second: on two cores, two lanes graded a batch of
    twelve 01 submissions 1.5x faster than one (README, *Performance*). More cores than two
    were not measured.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    try:
        memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        memory = LANE_MEMORY
    return max(1, min(cores, memory // LANE_MEMORY))


def _task(item: SubmissionFile, out_dir: Path, *, assignment: str | None,
          public_only: bool, lang: str) -> dict:
    """What a lane is sent to grade ``item``: its files go to ``<out_dir>/<name>/``."""
    return {"name": item.name, "path": str(item.path), "out": str(out_dir / item.name),
            "assignment": assignment, "public_only": public_only, "lang": lang}


def run_batch(
    submissions: list[SubmissionFile],
    out_dir: str | os.PathLike,
    *,
    jobs: int | None = None,
    assignment: str | None = None,
    public_only: bool = False,
    force: bool = False,
    on_result: Callable[[dict, int, int], None] | None = None,
) -> BatchOutcome:
    """Grade ``submissions`` with ``jobs`` lanes, writing ``<out>/<name>/results.json`` and
    ``feedback.html`` per submission and ``grades.csv`` and ``junit.xml`` per run.

    Parameters
    ----------
    submissions : list of SubmissionFile
        From :func:`autograder.engine.runner.find_submissions`.
    out_dir : path
        The output folder (reused by the next run to resume).
    jobs : int, optional
        Number of submissions graded at the same time (default: :func:`default_jobs`).
    assignment : str, optional
        The assignment id (default: each notebook says).
    public_only : bool
        Run only the public checks.
    force : bool
        Grade every submission, even those already finished.
    on_result : callable, optional
        ``on_result(message, done, to_do)`` after each submission graded in this run.

    Returns
    -------
    BatchOutcome
        ``interrupted`` is set when Ctrl-C (or SIGTERM) stopped the run; the per-run CSV and
        JUnit files are then not rewritten.
    """
    from autograder.i18n import current_language

    started = time.monotonic()
    lang = current_language()  # the lanes grade in the language of the command
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(out_dir)
    outcome = BatchOutcome()
    pending: collections.deque[SubmissionFile] = collections.deque()
    for item in submissions:
        if not force and finished_result(item, out_dir, assignment=assignment,
                                         public_only=public_only) is not None:
            outcome.skipped.append(item.name)
        else:
            pending.append(item)
    to_do = len(pending)

    def task_of(item: SubmissionFile) -> dict:
        return _task(item, out_dir, assignment=assignment, public_only=public_only, lang=lang)

    lanes: list[_Lane] = []
    # Installed explicitly: a grader started in the background by a shell inherits SIGINT
    # as ignored, and Python then never turns Ctrl-C (or `kill -INT`) into KeyboardInterrupt.
    previous_int = signal.signal(signal.SIGINT, _raise_interrupt)
    previous_term = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        selector = selectors.DefaultSelector()
        # Every lane's server is started before the first is waited for: their imports run
        # side by side.
        for number in range(min(max(jobs or default_jobs(), 1), to_do)):
            lane = _Lane(number)
            lanes.append(lane)
            selector.register(lane.replies, selectors.EVENT_READ, lane)
        for lane in lanes:
            lane.send(pending[0], task_of(pending.popleft()))
        busy = len(lanes)
        while busy:
            for key, _ in selector.select():
                lane: _Lane = key.data
                line = lane.replies.readline()
                item = lane.task
                assert item is not None
                if line:
                    message = json.loads(line)
                else:  # the lane died
                    selector.unregister(lane.replies)
                    lane.stop(grace=5)
                    if lane.process.returncode in _INTERRUPTED_CODES:
                        raise KeyboardInterrupt  # Ctrl-C reached the lane first
                    # a crash of the kit: file the submission as such, go on
                    message = _lane_crashed_result(item, task_of(item))
                    lanes.remove(lane)
                    lane = _Lane(lane.number)
                    lanes.append(lane)
                    selector.register(lane.replies, selectors.EVENT_READ, lane)
                message["lane"] = lane.number
                message["server_started_at"] = round(lane.server_started_at, 3)
                outcome.graded.append(message)
                _append_run_log(out_dir, message)
                if on_result is not None:
                    on_result(message, len(outcome.graded), to_do)
                lane.task = None
                if pending:
                    lane.send(pending[0], task_of(pending.popleft()))
                else:
                    lane.finish()
                    selector.unregister(lane.replies)
                    busy -= 1
        for lane in lanes:
            lane.wait()
    except KeyboardInterrupt:
        outcome.interrupted = True
        for lane in lanes:
            lane.stop()
    finally:
        signal.signal(signal.SIGINT, previous_int)
        signal.signal(signal.SIGTERM, previous_term)
    outcome.wall_time = time.monotonic() - started
    if not outcome.interrupted:
        outcome.results = collect_results(submissions, out_dir)
        from autograder.exports import write_exports

        write_exports(outcome.results, out_dir)
    return outcome


def grade_in_lane(notebook: str | os.PathLike, out_dir: str | os.PathLike, *, name: str,
                  assignment: str | None = None, public_only: bool = False) -> dict:
    """Grade one notebook the way a batch does (a lane forked from its fork server), for the
    commands that grade one submission: ``cnnkit check``, Gradescope's ``run_autograder``.

    Parameters
    ----------
    notebook : path
        The notebook.
    out_dir : path
        Where its files go (``<out_dir>/<name>/``, with the run's CSV and JUnit files).
    name : str
        The name its results are filed under.
    assignment : str, optional
        The assignment id (default: the notebook says).
    public_only : bool
        Run only the public checks.

    Returns
    -------
    dict
        Its ``results.json`` (a crash of the kit is filed as such, see
        :func:`_lane_crashed_result`).
    """
    outcome = run_batch([SubmissionFile(name, Path(notebook))], out_dir, jobs=1,
                        assignment=assignment, public_only=public_only, force=True)
    if outcome.interrupted:
        raise KeyboardInterrupt
    return outcome.results[name]


class LaneSession:
    """One lane kept for a series of single gradings (an ``nbgrader autograde`` run grades
    each of its notebooks through one): its fork server imports TensorFlow once for them
    all, and each submission's code still runs in workers forked for it alone, as in a batch.

    The lane and its server are fresh processes (nothing of the calling process takes part);
    they end with :meth:`close`, or with a grading that fails or overruns its time.
    """

    def __init__(self) -> None:
        self._lane: _Lane | None = None
        self._scratch = None
        self.log: list[dict] = []  # the lane's message for each grading (as in run-log.jsonl)

    def grade(self, notebook: str | os.PathLike, out_dir: str | os.PathLike, *, name: str,
              assignment: str | None = None, timeout: float = 1800) -> dict:
        """Grade one notebook in the session's lane.

        Parameters
        ----------
        notebook : path
            The notebook.
        out_dir : path
            Where its files go (``<out_dir>/<name>/``; no per-run CSV or JUnit file).
        name : str
            The name its results are filed under.
        assignment : str, optional
            The assignment id (default: the notebook says).
        timeout : float
            Seconds the grading may take.

        Returns
        -------
        dict
            Its ``results.json``.

        Raises
        ------
        RuntimeError
            When the lane died or overran ``timeout``, with the tail of its output (the
            lane is then ended; the next grading starts another).
        """
        import tempfile

        from autograder.i18n import current_language

        if self._lane is None:
            self._scratch = tempfile.TemporaryDirectory(prefix="cnnkit-lane-session-")
            self._lane = _Lane(0, output=Path(self._scratch.name) / "lane-output.log")
        lane = self._lane
        item = SubmissionFile(name, Path(notebook))
        lane.send(item, _task(item, Path(out_dir), assignment=assignment, public_only=False,
                              lang=current_language()))
        folder = Path(out_dir) / name
        with selectors.DefaultSelector() as selector:
            selector.register(lane.replies, selectors.EVENT_READ)
            line = lane.replies.readline() if selector.select(timeout) else None
        lane.task = None
        if not line:
            output = self._output_tail()
            self.close(stop=True)
            why = "died" if line == "" else f"took longer than {timeout:g} s"
            raise RuntimeError(f"the kit's grading {why}:\n{output}")
        self.log.append({**json.loads(line), "lane": lane.number,
                         "server_started_at": lane.server_started_at})
        return json.loads((folder / "results.json").read_text(encoding="utf-8"))

    def _output_tail(self) -> str:
        lane = self._lane
        text = ""
        for path in (lane.output, lane.server.log_path) if lane else ():
            with contextlib.suppress(OSError):
                text += Path(path).read_text(encoding="utf-8", errors="replace")[-1500:]
        return text

    def close(self, *, stop: bool = False) -> None:
        """End the lane and its server: at once when ``stop`` is set or a grading is under
        way (an interrupted caller), otherwise once the lane has read that no task follows."""
        if self._lane is not None:
            if stop or self._lane.task is not None:
                self._lane.stop(grace=5)
            else:
                self._lane.wait()
            self._lane = None
        if self._scratch is not None:
            self._scratch.cleanup()
            self._scratch = None


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _append_run_log(out_dir: Path, message: dict) -> None:
    # One short line per write() on a file opened for appending: never interleaved.
    with open(out_dir / RUN_LOG, "a", encoding="utf-8") as log:
        log.write(json.dumps(message) + "\n")


def collect_results(submissions: list[SubmissionFile], out_dir: Path) -> dict[str, dict]:
    """The results.json of each submission (in the given order), rebuilding a missing
    feedback report."""
    from autograder.report import FEEDBACK_FILE, write_feedback

    results = {}
    for item in submissions:
        folder = out_dir / item.name
        try:
            data = json.loads((folder / "results.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not (folder / FEEDBACK_FILE).is_file():
            write_feedback(data, folder)
        results[item.name] = data
    return results


# -- the lane side -----------------------------------------------------------------------------
def _abort(signum: int, frame: object) -> None:
    """Interrupted: kill the workers and leave at once. Output files are written with these
    signals held back (see ``write_outputs``), so this never runs in the middle of one."""
    from autograder import sandbox
    from autograder.engine import client

    client.kill_all_workers()
    sandbox.discard_worker_runtime()
    os._exit(128 + signum)


def _peak_mb(who: int) -> float:
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)  # Linux reports KiB


def _load_reference_first(task: dict) -> tuple[float, str | None, bool]:
    """Load the reference of the task's assignment (once per lane), before its grading
    starts (TensorFlow is imported already: the lane was forked from its fork server).
    Returns the seconds it took here, the assignment found (so that the grading does not
    read the notebook for it again) and whether a reference was loaded now. A reference that
    fails to load is left for the grading itself to report."""
    from autograder.engine.reference import reference_module
    from autograder.engine.runner import _resolve_assignment
    from autograder.startup import quiet_tensorflow

    began = time.monotonic()
    loaded_before = reference_module.cache_info().currsize
    assignment = task["assignment"]
    quiet = io.StringIO()  # as in a grading: nothing it prints reaches the batch's output
    with contextlib.suppress(Exception), contextlib.redirect_stdout(quiet), \
            contextlib.redirect_stderr(quiet):
        # TensorFlow's C++ start-up lines would reach the terminal of whoever runs the batch
        quiet_tensorflow()
        found = _resolve_assignment(Path(task["path"]), task["assignment"])
        if found is not None:
            assignment = found.id
            reference_module(found.id)
    loaded_now = reference_module.cache_info().currsize > loaded_before
    return time.monotonic() - began, assignment, loaded_now


def serve_lane(number: int, tasks: IO[str], replies: IO[str], facts: dict | None = None) -> None:
    """Grade the tasks read from ``tasks`` (JSON lines) one at a time; reply with one JSON
    line per submission once its files are written (``facts`` about the lane added to each)."""
    from autograder.engine import client
    from autograder.engine.runner import grade_submission, write_outputs
    from autograder.i18n import language

    signal.signal(signal.SIGINT, _abort)
    signal.signal(signal.SIGTERM, _abort)
    client.start_fork_server()
    try:
        while line := tasks.readline():
            task = json.loads(line)
            began = time.time()
            reference_s, assignment, reference_loaded = _load_reference_first(task)
            client.drain_spawn_log()
            with language(task.get("lang")):
                result = grade_submission(task["path"], name=task["name"],
                                          assignment=assignment,
                                          public_only=task["public_only"])
                workers = client.drain_spawn_log()
                writing = time.monotonic()
                write_outputs(result, Path(task["out"]))
            reports_s = time.monotonic() - writing
            replies.write(json.dumps({
                "name": task["name"],
                "score": result.score,
                "max_score": result.max_score,
                "passed": result.passed,
                "tests": len(result.tests),
                "execution_time": round(result.execution_time, 2),
                "reports_s": round(reports_s, 3),  # results.json, feedback page, pictures
                "reference_s": round(reference_s, 3),  # loading it (once per lane)
                "reference_loaded": reference_loaded,
                "started_at": round(began, 3),
                "finished_at": round(time.time(), 3),
                "workers": workers,  # the worker processes this submission's code ran in
                "worker_peak_mb": max((w["peak_mb"] or 0.0 for w in workers), default=0.0),
                "grader_peak_mb": _peak_mb(resource.RUSAGE_SELF),
                **(facts or {}),
            }) + "\n")
            replies.flush()
    finally:
        client.stop_fork_server()


def forked_lane_main(number: int, tasks_fd: int, replies_fd: int, control_fd: int,
                     server_pid: int, server_log: str) -> NoReturn:
    """A lane's life, in the process its fork server forked for it (see :class:`_Lane`): its
    workers are asked of that server on ``control_fd``; tasks arrive on ``tasks_fd`` and the
    replies leave on ``replies_fd``."""
    import logging
    import socket

    from autograder.engine import client

    # When the lane began, and whether TensorFlow was imported already (by the server): the
    # run log's evidence that a grading imports it once.
    facts = {"lane_started_at": round(time.time(), 3),
             "tensorflow_from_server": "tensorflow" in sys.modules}
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s",
                        force=True)
    control = socket.socket(fileno=control_fd)
    client.adopt_fork_server(client.ForkServer.adopt(control, server_pid, server_log))
    with os.fdopen(tasks_fd, "r", encoding="utf-8") as tasks, \
            os.fdopen(replies_fd, "w", encoding="utf-8") as replies:
        serve_lane(number, tasks, replies, facts)
    # Every file the lane wrote is complete and its replies are flushed: leave without the
    # interpreter's clean-up, in which TensorFlow alone takes about a second that the batch
    # (and a single `cnnkit grade`) would wait for.
    from autograder import sandbox

    sandbox.discard_worker_runtime()  # what the exit handlers would have done
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
