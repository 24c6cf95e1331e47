"""The pytest plugin that turns a hidden suite into a rubric.

A hidden test is a plain pytest function with a ``rubric`` marker::

    @pytest.mark.rubric(points=2, visibility="public")
    def test_build_cnn_matches_the_architecture(student, reference):
        \"\"\"build_cnn: layers, shapes and settings match the seed architecture.\"\"\"

The docstring's first line is the rubric line the student sees. This plugin provides the
``submission``, ``worker`` and ``student`` fixtures, keeps only public tests for
``--public-only``, and records each outcome as a :class:`TestResult` whose message is the
assertion's message or the student's error, never the test's source or hidden values
(the runner disables assertion rewriting, so a failed ``assert`` shows only its message).
"""

from __future__ import annotations

import logging
import time

import pytest

from autograder.engine.client import Student, StudentCodeError, Worker
from autograder.engine.client import clean_worker as clean_worker_process
from autograder.engine.notebook import SubmissionError, load_submission
from autograder.engine.results import TestResult
from autograder.i18n import _, translated

log = logging.getLogger("cnnkit.grader")

VISIBILITIES = ("public", "hidden")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cnnkit")
    group.addoption("--submission", help="the notebook to grade")
    group.addoption("--public-only", action="store_true", help="run only the public checks")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "rubric(points, visibility='hidden'): points and visibility of a check"
    )


def rubric_of(item: pytest.Item) -> tuple[float, str]:
    marker = item.get_closest_marker("rubric")
    if marker is None:
        raise pytest.UsageError(f"{item.nodeid} has no rubric marker (points, visibility)")
    points = float(marker.kwargs.get("points", marker.args[0] if marker.args else 1))
    visibility = marker.kwargs.get("visibility", "hidden")
    if visibility not in VISIBILITIES:
        raise pytest.UsageError(f"{item.nodeid}: visibility must be one of {VISIBILITIES}")
    return points, visibility


def rubric_name(item: pytest.Item) -> str:
    """The rubric line of a test, in English: its docstring's first paragraph (whitespace
    folded), which is also its message id in the grader's catalog."""
    doc = getattr(item.function, "__doc__", None) if hasattr(item, "function") else None
    if doc and doc.strip():
        first_paragraph = doc.strip().split("\n\n")[0]
        return " ".join(first_paragraph.split())
    return item.name


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        rubric_of(item)  # every hidden test must declare its points
    if config.getoption("--public-only"):
        kept = [i for i in items if rubric_of(i)[1] == "public"]
        deselected = [i for i in items if i not in kept]
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


# -- fixtures --------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def submission(request: pytest.FixtureRequest):
    """The submitted notebook, reduced to its definitions."""
    path = request.config.getoption("--submission")
    if not path:
        raise pytest.UsageError("--submission is required")
    return load_submission(path)


@pytest.fixture(scope="session")
def worker(submission, grading_record):
    """The worker process running the student's code (one per submission)."""
    process = Worker(submission)
    try:
        process.start()
        grading_record["worker"] = {k: v for k, v in process.versions.items() if k != "sandbox"}
        grading_record["sandbox"] = process.versions.get("sandbox", {"level": "none"})
        yield process
    finally:
        process.close()


@pytest.fixture(scope="session")
def clean_worker(grading_record):
    """A worker that never loads student code (one per submission, started on first use):
    where models the student built are rebuilt from plain data, described, trained and
    evaluated (:func:`autograder.engine.client.rebuild_model`)."""
    process = clean_worker_process()
    try:
        yield process
    finally:
        process.close()


@pytest.fixture(scope="session")
def student(worker) -> Student:
    """The student's functions, callable as ``student.name(...)``."""
    return Student(worker)


@pytest.fixture(scope="session")
def grading_record(request: pytest.FixtureRequest) -> dict:
    """Facts a suite records in the results (for instance which data source it used)."""
    return request.config.stash.setdefault(RECORD_KEY, {})


RECORD_KEY = pytest.StashKey[dict]()
PICTURES_KEY = pytest.StashKey[dict]()


class Pictures:
    """Renderings a figure test keeps for the feedback report (student's and reference's)."""

    def __init__(self, store: dict, nodeid: str) -> None:
        self._store = store
        self._nodeid = nodeid

    def keep(self, label: str, *, student: bytes | None, reference: bytes | None) -> None:
        """Keep one pair of PNG renderings under a short label (e.g. ``"conv1"``)."""
        self._store.setdefault(self._nodeid, []).append(
            {"label": label, "student": student, "reference": reference}
        )


@pytest.fixture
def pictures(request: pytest.FixtureRequest) -> Pictures:
    """Keep the student's and the reference's pictures of this test for the report."""
    store = request.config.stash.setdefault(PICTURES_KEY, {})
    return Pictures(store, request.node.nodeid)


# -- outcomes --------------------------------------------------------------------------------
def _message(excinfo: pytest.ExceptionInfo, visibility: str = "public") -> tuple[str, bool]:
    """The student-facing message of a failure, and whether it is a grader error.

    A hidden test never repeats what the student's code wrote (an exception's text, its
    prints): a function could put its hidden arguments there and read them in the feedback.
    It says which exception was raised, and where.
    """
    error = excinfo.value
    if isinstance(error, StudentCodeError):
        return (error.brief if visibility == "hidden" else str(error)), False
    if isinstance(error, SubmissionError):
        return str(error), False
    if isinstance(error, AssertionError):
        text = str(error).strip()
        return (text or _("the check did not pass")), False
    if isinstance(error, pytest.skip.Exception):
        return str(error), False
    return (
        _("the grader could not finish this check ({error}); this is a problem of the grading "
          "kit, please report it").format(error=type(error).__name__),
        True,
    )


class RubricCollector:
    """Collects one :class:`TestResult` per test of a pytest session."""

    def __init__(self) -> None:
        self.results: list[TestResult] = []
        self.record: dict = {}
        self._outcomes: dict[str, tuple[str, str, bool]] = {}
        self._durations: dict[str, float] = {}
        # Where a grading's seconds go (results.json extra_data.profile): collection, each
        # session fixture's own set-up (workers, reference, data), and the tests' calls.
        self._started = 0.0  # set when the session starts
        self._collection = 0.0
        self._fixtures: dict[str, float] = {}
        self._calls: dict[str, float] = {}

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self._started = time.perf_counter()

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self._collection = time.perf_counter() - self._started

    @pytest.hookimpl(hookwrapper=True)
    def pytest_fixture_setup(self, fixturedef: pytest.FixtureDef, request: pytest.FixtureRequest):
        # the fixtures it depends on are set up before this hook: their time is their own
        began = time.perf_counter()
        yield
        if fixturedef.scope == "session":
            self._fixtures[fixturedef.argname] = time.perf_counter() - began

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        outcome = yield
        report = outcome.get_result()
        # set-up and call (teardown comes after the result is filed)
        self._durations[item.nodeid] = self._durations.get(item.nodeid, 0.0) + report.duration
        if report.when == "call":
            self._calls[item.name] = report.duration
        if report.when == "call" or report.failed or report.skipped:
            if item.nodeid in self._outcomes and self._outcomes[item.nodeid][0] != "passed":
                return  # keep the first failure (a teardown error must not hide it)
            if report.passed:
                self._outcomes[item.nodeid] = ("passed", "", False)
            elif call.excinfo is not None:
                message, grader_error = _message(call.excinfo, rubric_of(item)[1])
                if grader_error:
                    log.error("grader error in %s:\n%s", item.nodeid, report.longreprtext)
                status = "skipped" if report.skipped else "failed"
                self._outcomes[item.nodeid] = (status, message, grader_error)

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> None:
        status, message, grader_error = self._outcomes.get(
            item.nodeid, ("failed", _("the check did not run"), True)
        )
        points, visibility = rubric_of(item)
        kept = item.config.stash.get(PICTURES_KEY, {}).get(item.nodeid, [])
        self.results.append(
            TestResult(
                name=translated(rubric_name(item)),
                nodeid=item.nodeid,
                score=points if status == "passed" else 0.0,
                max_score=0.0 if status == "skipped" else points,
                status=status,
                output=message,
                visibility=visibility,
                grader_error=grader_error,
                pictures=list(kept),
                duration=self._durations.get(item.nodeid),
            )
        )

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.record = dict(session.config.stash.get(RECORD_KEY, {}))
        slowest = sorted(self._calls.items(), key=lambda pair: -pair[1])[:3]
        self.record["profile"] = {
            "session_s": round(time.perf_counter() - self._started, 3),
            "collection_s": round(self._collection, 3),
            "fixtures_s": {name: round(seconds, 3) for name, seconds
                           in sorted(self._fixtures.items(), key=lambda pair: -pair[1])},
            "test_calls_s": round(sum(self._calls.values()), 3),
            "slowest_calls_s": {name: round(seconds, 3) for name, seconds in slowest},
        }
