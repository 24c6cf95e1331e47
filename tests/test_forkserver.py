"""The fork server: workers forked from it start with TensorFlow loaded, but hold nothing of
the server or of the grader, and are confined before they receive a line of student code."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from autograder.engine import client
from autograder.engine.client import Worker, WorkerCrashed
from autograder.engine.notebook import CodeCell, Submission

_PROBE = '''
def probe():
    import os, sys
    fds = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            fds[int(fd)] = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # the listing's own descriptor, closed by now
            pass
    return {"pid": os.getpid(), "ppid": os.getppid(), "fds": fds, "env": dict(os.environ),
            "cwd": os.getcwd(), "tensorflow_loaded": "tensorflow" in sys.modules}

def signal_server(pid):
    import os, signal
    outcomes = []
    for signum in (signal.SIGSTOP, signal.SIGKILL):
        try:
            os.kill(pid, signum)
            outcomes.append("delivered")
        except OSError as error:
            outcomes.append(type(error).__name__)
    return outcomes
'''


def _worker() -> Worker:
    cells = [CodeCell(number=1, source=_PROBE, defines=("probe", "signal_server"))]
    return Worker(Submission(path=os.devnull, assignment=None, cells=cells))


@pytest.fixture(scope="module")
def server():
    client.stop_fork_server()
    yield client.fork_server()
    client.stop_fork_server()


def test_a_forked_worker_keeps_only_its_own_descriptors_and_environment(server, monkeypatch):
    monkeypatch.setenv("CNNKIT_GRADER_SECRET", "only the grader knows this")
    with _worker() as worker:
        worker.start()
        seen = worker.call("probe")
        assert seen["tensorflow_loaded"], "the worker should start with TensorFlow imported"
        # /dev/null (stdin), its own log (stdout and stderr) and the two pipes of the
        # protocol: nothing of the fork server (its socket) or of the grader
        log = str(Path(seen["cwd"]).parent / "output.log")
        others = {fd: target for fd, target in seen["fds"].items()
                  if target not in ("/dev/null", log)}
        assert seen["fds"][1] == seen["fds"][2] == log, seen["fds"]
        assert sorted(t.split(":")[0] for t in others.values()) == ["pipe", "pipe"], seen["fds"]
        assert "CNNKIT_GRADER_SECRET" not in seen["env"]
        assert seen["env"]["HOME"] == seen["cwd"] != str(server.scratch.name)
        assert worker.versions["sandbox"]["level"] in ("full", "partial", "none")


def test_workers_are_fresh_processes_of_one_server_that_they_cannot_stop(server):
    with _worker() as first, _worker() as second:
        first.start()
        second.start()
        a, b = first.call("probe"), second.call("probe")
        assert a["pid"] != b["pid"]
        forked_from = {s.forked_from for s in client._LIVE}
        assert forked_from == {server.process.pid}
        if first.versions["sandbox"]["level"] == "full":
            outcomes = first.call("signal_server", server.process.pid)
            assert "delivered" not in outcomes, outcomes
    assert server.alive, "a worker stopped the fork server"
    with _worker() as third:  # and the server still forks
        third.start()
        assert third.call("probe")["pid"] not in (a["pid"], b["pid"])


def test_a_worker_killed_outright_is_reported_as_a_crash_of_that_call(server):
    with _worker() as worker:
        worker.start()
        pid = worker.call("probe")["pid"]
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(WorkerCrashed, match="SIGKILL"):
            worker.call("probe")
        assert worker.call("probe")["pid"] != pid  # restarted for the next call


def test_a_fork_server_that_cannot_fork_costs_the_worker_not_the_grading(monkeypatch):
    def broken(self, request, fds):
        raise EOFError("the fork server stopped: simulated")

    monkeypatch.setattr(client.ForkServer, "fork", broken)
    with _worker() as worker, pytest.raises(WorkerCrashed, match="could not start"):
        worker.start()
