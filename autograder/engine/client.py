"""The grader's side of a worker process.

:class:`Worker` has a worker process forked for it (:class:`ForkServer`, one per grader process,
imports TensorFlow once), sends it the student's code and calls its functions with a
wall-clock timeout. Any failure of the student's code comes back
as a :class:`StudentCodeError` whose message is meant for the student; a hung or crashed
worker is killed and restarted on the next call, so one bad function costs one test.

:class:`Student` makes the student's functions look like ordinary Python callables inside a
hidden test: ``student.build_cnn((28, 28, 1), 10)``. Values that are not plain data come back
as :class:`RemoteObject` handles.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path
from typing import Any

import numpy as np

from autograder import sandbox
from autograder.engine import protocol
from autograder.engine.notebook import Submission
from autograder.i18n import N_, _, translated

DEFAULT_CALL_TIMEOUT = float(os.environ.get("CNNKIT_CALL_TIMEOUT", "60"))
DEFAULT_MEMORY_MB = int(os.environ.get("CNNKIT_WORKER_MEMORY_MB", "6144"))
STARTUP_TIMEOUT = float(os.environ.get("CNNKIT_WORKER_STARTUP_TIMEOUT", "180"))
# Seconds the supervisor gets to kill everything beneath it before it is killed itself.
SUPERVISOR_GRACE = 10.0

# TensorFlow and absl write these to stderr; they are never the student's output.
_NOISE_PREFIXES = ("I0000", "W0000", "E0000", "WARNING: All log messages", "To enable the")


class StudentCodeError(Exception):
    """A failure of the student's code, with a message written for the student."""

    def __init__(self, message: str, *, output: str = "", kind: str = "",
                 brief: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.output = output
        self.kind = kind  # the exception class the student's code raised, if any
        # The same failure without anything the student's code wrote (its exception's text,
        # its prints): what a hidden test shows, since that text could echo hidden inputs.
        self.brief = brief if brief is not None else message

    def __str__(self) -> str:
        if self.output:
            return f"{self.message}\n{_('Your code printed (last lines):')}\n{self.output}"
        return self.message


class NotImplementedYet(StudentCodeError):
    """The function still raises ``NotImplementedError``."""


class MissingFunction(StudentCodeError):
    """The function is not defined in the notebook."""


class CallTimeout(StudentCodeError):
    """The function did not return within its time limit."""


class WorkerCrashed(StudentCodeError):
    """The worker process died (memory exhausted, a hard crash, ``os._exit``)."""


def clean_output(text: str, *, max_lines: int = 12, max_chars: int = 1500) -> str:
    """Drop TensorFlow's log lines and keep the tail of what remains."""
    lines = [
        line for line in text.splitlines() if line.strip() and not line.startswith(_NOISE_PREFIXES)
    ]
    tail = "\n".join(lines[-max_lines:])
    return tail[-max_chars:]


class Worker:
    """One worker process for one submission.

    Parameters
    ----------
    submission : Submission
        The extracted code; it is loaded at start and again after every restart.
    call_timeout : float
        Default seconds a call may take before the worker is killed.
    memory_mb : int
        Address-space cap of the worker, in MiB (0 for none).
    """

    def __init__(
        self,
        submission: Submission,
        *,
        call_timeout: float = DEFAULT_CALL_TIMEOUT,
        memory_mb: int = DEFAULT_MEMORY_MB,
    ) -> None:
        self.submission = submission
        self.call_timeout = call_timeout
        self.memory_mb = memory_mb
        self.generation = 0
        self.load_errors: list[dict] = []
        self.callables: list[str] = []
        self.versions: dict = {}
        self._spawned: _Spawned | None = None
        self._process: _Supervisor | None = None
        self._log_path: Path | None = None
        self._log_offset = 0

    # -- life cycle ------------------------------------------------------------------------
    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Fork the process from the fork server, wait until it is sandboxed and ready, and
        load the code."""
        try:
            spawned = _Spawned.launch(self.memory_mb)
        except (EOFError, TimeoutError, OSError) as error:  # the fork server failed
            raise WorkerCrashed(
                _("the grading worker could not start ({error}). {detail}").format(
                    error=error, detail="")
            ) from None
        spawned.taken_at = time.time()
        self._spawned = spawned
        self._process = spawned.process
        self._to, self._from = spawned.to_worker, spawned.from_worker
        self._log_path, self._log_offset = spawned.log_path, 0
        self.generation += 1
        try:
            ready = protocol.read_message(self._from, timeout=STARTUP_TIMEOUT)
        except (EOFError, TimeoutError, protocol.ProtocolError) as error:
            detail = clean_output(self._read_log())
            self.stop()
            raise WorkerCrashed(
                _("the grading worker could not start ({error}). {detail}").format(
                    error=error, detail=detail)
            ) from None
        self.versions = {k: v for k, v in ready.items() if k not in ("ready", "pid")}
        loaded = self._request(
            {
                "op": "load",
                "cells": [
                    {"number": c.number, "source": c.source, "defines": list(c.defines)}
                    for c in self.submission.cells
                ],
            },
            timeout=max(self.call_timeout, 60.0),
            what=_("loading your notebook's definitions"),
        )
        self.load_errors = loaded["errors"]
        self.callables = loaded["callables"]

    def stop(self) -> None:
        """Kill the process group, close the pipes and remove the process's scratch folder."""
        spawned, self._spawned = self._spawned, None
        self._process = None
        self._to = self._from = None
        if spawned is not None:
            spawned.kill()

    def close(self) -> None:
        self.stop()

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def ensure_started(self) -> None:
        if not self.alive:
            self.stop()
            self.start()

    @property
    def handover_dir(self) -> Path:
        """The folder the grader hands data in (read only for the worker, the only folder of
        the grader's it can read). A restarted worker gets a new, empty one: write what a call
        needs just before the call."""
        self.ensure_started()
        assert self._spawned is not None
        return Path(self._spawned.handover)

    # -- requests --------------------------------------------------------------------------
    def _read_log(self) -> str:
        if self._log_path is None:
            return ""
        try:
            with open(self._log_path, "rb") as log:
                log.seek(self._log_offset)
                data = log.read()
        except FileNotFoundError:
            return ""
        self._log_offset += len(data)
        return data.decode("utf-8", errors="replace")

    def _request(self, message: dict, *, timeout: float | None, what: str) -> Any:
        timeout = self.call_timeout if timeout is None else timeout
        started = time.monotonic()
        try:
            protocol.write_message(self._to, message)
            reply = protocol.read_message(self._from, object_of=self._wrap, timeout=timeout)
        except TimeoutError:
            output = clean_output(self._read_log())
            self.stop()
            raise CallTimeout(
                _("{what} did not finish within {seconds:.0f} s and was stopped "
                  "(an endless loop, or far more work than needed?)").format(
                    what=what, seconds=timeout),
                output=output,
            ) from None
        except (EOFError, BrokenPipeError, protocol.ProtocolError) as error:
            returncode = None
            if self._process is not None and not isinstance(error, protocol.ProtocolError):
                try:
                    returncode = self._process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    returncode = None
            output = clean_output(self._read_log())
            self.stop()
            raise WorkerCrashed(_crash_message(what, returncode, time.monotonic() - started),
                                output=output) from None
        output = clean_output(self._read_log())
        if reply.get("ok"):
            return reply["value"]
        raise _student_error(reply["error"], what, output, self)

    def _wrap(self, handle: protocol.Handle) -> RemoteObject:
        return RemoteObject(self, handle, self.generation)

    def _unwrap(self, value: Any) -> Any:
        if isinstance(value, RemoteObject):
            if value.worker is not self:  # a handle means nothing in another process
                raise ValueError(f"{value!r} lives in another worker")
            value.check_alive()
            return value.handle
        if isinstance(value, list):
            return [self._unwrap(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self._unwrap(v) for v in value)
        if isinstance(value, dict):
            return {k: self._unwrap(v) for k, v in value.items()}
        return value

    def call(self, function: str, *args: Any, timeout: float | None = None, **kwargs: Any) -> Any:
        """Call the student's ``function`` with plain-data (or handle) arguments."""
        self.ensure_started()
        if function not in self.callables:
            raise MissingFunction(self._missing_message(function))
        return self._request(
            {"op": "call", "function": function, "args": self._unwrap(list(args)),
             "kwargs": self._unwrap(kwargs)},
            timeout=timeout,
            what=f"{function}()",
        )

    def call_method(self, target: RemoteObject, method: str, *args: Any,
                    timeout: float | None = None, **kwargs: Any) -> Any:
        """Call ``target.method(*args, **kwargs)`` inside the worker."""
        return self._request(
            {"op": "call", "target": self._unwrap(target), "method": method,
             "args": self._unwrap(list(args)), "kwargs": self._unwrap(kwargs)},
            timeout=timeout,
            what=f"{target.short_type}.{method}()",
        )

    def inspect(self, target: RemoteObject, kind: str, *, timeout: float | None = None) -> dict:
        """A plain description of a worker-side object (see :mod:`introspect`)."""
        return self._request(
            {"op": "inspect", "target": self._unwrap(target), "kind": kind},
            timeout=timeout,
            what=_describing(kind),
        )

    def tool(self, name: str, *args: Any, timeout: float | None = None, **kwargs: Any) -> Any:
        """Run one of the kit's own helpers (:mod:`autograder.engine.tools`) inside the worker."""
        self.ensure_started()
        return self._request(
            {"op": "tool", "name": name, "args": self._unwrap(list(args)),
             "kwargs": self._unwrap(kwargs)},
            timeout=timeout,
            what=name.replace("_", " "),
        )

    def _missing_message(self, function: str) -> str:
        problem = self.submission.problem_for(function)
        if problem is not None:
            return _("{function} could not be loaded: {problem}").format(
                function=function, problem=problem.message)
        for error in self.load_errors:
            if function in error["names"]:
                return _("{function} could not be loaded: {problem}").format(
                    function=function, problem=_load_error_message(error))
        if self.submission.problems or self.load_errors:
            firsts = [p.message for p in self.submission.problems] + [
                _load_error_message(e) for e in self.load_errors
            ]
            return _("no function named {function} was found in your notebook "
                     "(note: {note})").format(function=function, note=firsts[0])
        return _("no function named {function} was found in your notebook; "
                 "keep the name given in the assignment").format(function=function)



# -- processes: the fork server and the workers forked from it ---------------------------------
class ForkServer:
    """The grader's handle on its fork server (:mod:`autograder.engine.forkserver`).

    One per grader process, started on first need (or ahead of it, :func:`start_fork_server`)
    with the workers' environment and the copy of the engine, never the kit's own folder. It
    imports TensorFlow once; every worker of this process is then forked from it. It holds
    no student code: the workers it forks load that, each in a sandbox of its own.
    """

    def __init__(self) -> None:
        self.owner = os.getpid()
        self.scratch = tempfile.TemporaryDirectory(prefix="cnnkit-forkserver-")
        home = Path(self.scratch.name) / "home"
        home.mkdir()
        self.log_path = Path(self.scratch.name) / "output.log"
        self.control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = _worker_environment(home)
        with open(self.log_path, "ab") as log, theirs:
            self.process = subprocess.Popen(
                [sys.executable, "-P", "-s", "-m", "autograder.engine.forkserver",
                 "--control-fd", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                cwd=home, env=env, start_new_session=True,
            )
        self.ready = False
        self.lane_parent: int | None = None  # set in a lane forked from this server

    @classmethod
    def adopt(cls, control: socket.socket, pid: int, log_path: str) -> ForkServer:
        """In a lane forked from a fork server (:func:`autograder.engine.forkserver._lane`):
        the handle on that server, its parent, which the batch started and will clean up."""
        server = cls.__new__(cls)
        server.owner = os.getpid()
        server.scratch = None
        server.log_path = Path(log_path)
        server.control = control
        server.process = types.SimpleNamespace(pid=pid)
        server.ready = True
        server.lane_parent = pid
        return server

    @property
    def alive(self) -> bool:
        if self.lane_parent is not None:
            return os.getppid() == self.lane_parent
        return self.process.poll() is None

    def fork_lane(self, number: int, fds: list[int]) -> int:
        """Fork a batch lane from this server (before any worker): ``fds`` are the lane's
        task pipe (read end), reply pipe (write end) and output. This process keeps the
        server's :attr:`process` (which exits with the lane's exit status) and its scratch
        folder; the server's socket is the lane's from then on. Returns the lane's pid."""
        self.wait_ready()
        lane = {"number": number, "env": dict(os.environ), "cwd": os.getcwd(),
                "sys_path": [str(Path(p).resolve()) if p else os.getcwd() for p in sys.path],
                "warnoptions": list(sys.warnoptions), "server_log": str(self.log_path)}
        socket.send_fds(self.control, [json.dumps({"lane": lane}).encode()], fds)
        reply, received = self._receive(60.0)
        for fd in received:
            os.close(fd)
        if "pid" not in reply:
            raise OSError(f"the fork server refused a lane: {reply.get('error')}")
        return int(reply["pid"])

    def _receive(self, timeout: float) -> tuple[dict, list[int]]:
        self.control.settimeout(timeout)
        try:
            message, fds, _flags, _address = socket.recv_fds(self.control, 1 << 16, 1)
        except TimeoutError:
            raise TimeoutError(f"no answer from the fork server within {timeout:.0f} s") from None
        if not message:
            log = self.log_path.read_bytes().decode("utf-8", errors="replace")
            raise EOFError(f"the fork server stopped: {clean_output(log)}")
        return json.loads(message), fds

    def wait_ready(self, timeout: float = STARTUP_TIMEOUT) -> None:
        """Wait until the libraries are imported (each worker reports their versions)."""
        if not self.ready:
            self._receive(timeout)
            self.ready = True

    def fork(self, request: dict, fds: list[int]) -> tuple[int, int]:
        """Fork a supervised worker; return the supervisor's pid and a pidfd for it."""
        self.wait_ready()
        socket.send_fds(self.control, [json.dumps(request).encode()], fds)
        reply, received = self._receive(60.0)
        if "error" in reply or len(received) != 1:
            for fd in received:
                os.close(fd)
            raise OSError(f"the fork server refused a worker: {reply.get('error')}")
        return reply["pid"], received[0]

    def close(self) -> None:
        """Stop the server (closing its socket ends it) and remove its scratch folder."""
        with contextlib.suppress(OSError):
            self.control.close()
        if self.lane_parent is not None:
            return  # the lane's server: it ends after the lane, and the batch cleans up
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.scratch.cleanup()


_SERVER: dict[str, ForkServer | None] = {"server": None}


def fork_server() -> ForkServer:
    """This process's fork server, started if there is none (or it died)."""
    server = _SERVER["server"]
    if server is not None and (server.owner != os.getpid() or not server.alive):
        if server.owner == os.getpid():
            server.close()
        server = None
    if server is None:
        server = _SERVER["server"] = ForkServer()
    return server


def adopt_fork_server(server: ForkServer) -> None:
    """Make ``server`` this process's fork server (a lane forked from it, see
    :meth:`ForkServer.adopt`)."""
    _SERVER["server"] = server


def start_fork_server() -> None:
    """Start the fork server now, so that its imports run while the grader prepares (a
    lane loading the reference, pytest collecting the suite)."""
    fork_server()


def stop_fork_server() -> None:
    """Stop this process's fork server, if it has one (no worker may be needed after)."""
    server, _SERVER["server"] = _SERVER["server"], None
    if server is not None and server.owner == os.getpid():
        server.close()


atexit.register(stop_fork_server)


class _Supervisor:
    """The supervisor of a forked worker, seen from the grader: the subset of
    :class:`subprocess.Popen` the client uses, over a pidfd (the supervisor is the fork
    server's child, not ours) and the status pipe it writes the worker's exit status to."""

    def __init__(self, pid: int, pidfd: int, status: int) -> None:
        self.pid = pid
        self.pidfd = pidfd
        self.status = status
        self.returncode: int | None = None
        self.peak_mb: float | None = None

    def poll(self) -> int | None:
        if self.returncode is None and select.select([self.pidfd], [], [], 0)[0]:
            self._ended()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            if not select.select([self.pidfd], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired(f"supervisor {self.pid}", timeout or 0)
            self._ended()
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self.pidfd, signum)

    def _ended(self) -> None:
        """The supervisor is gone: read what it wrote about the worker (nothing when it
        was killed itself: then the worker was killed too)."""
        with contextlib.suppress(OSError), os.fdopen(self.status, "rb") as status:
            written = status.read()
        try:
            facts = json.loads(written)
        except ValueError:
            facts = {}
        status = facts.get("status")
        self.returncode = int(status) if status is not None else -signal.SIGKILL
        self.peak_mb = facts.get("peak_mb")
        os.close(self.pidfd)
        self.pidfd = -1

    def close(self) -> None:
        if self.returncode is None:  # never waited for: drop our ends
            for fd in (self.pidfd, self.status):
                with contextlib.suppress(OSError):
                    os.close(fd)
            self.returncode = -signal.SIGKILL


class _Spawned:
    """A forked worker process, its supervisor and its scratch folder.

    The scratch folder holds ``home/`` (the worker's working directory, HOME, TMPDIR,
    MPLCONFIGDIR and KERAS_HOME: the only place it may write), ``handover/`` (data the
    grader hands it: read only for the worker) and ``output.log`` (its captured stdout and
    stderr). The fork server forks the supervisor (:mod:`autograder.sandbox.supervise`); the
    worker is the supervisor's child and sandboxes itself before it receives any code.

    A process receives the code of at most one submission: a :class:`Worker` adopts it once
    and kills it when done.
    """

    def __init__(self, memory_mb: int) -> None:
        self.memory_mb = memory_mb
        self.process: _Supervisor | None = None
        self.to_worker = self.from_worker = -1
        self.scratch = tempfile.TemporaryDirectory(prefix="cnnkit-worker-")
        # Known from its first moment: an interrupted batch (kill_all_workers, then _exit)
        # removes this folder too, even while the fork server has not yet answered.
        _LIVE.add(self)
        root = Path(self.scratch.name)
        self.home = root / "home"
        self.handover = root / "handover"
        self.home.mkdir()
        self.handover.mkdir()
        self.log_path = root / "output.log"
        self.spawned_at = time.time()
        self.taken_at: float | None = None
        self.forked_from: int | None = None

    @classmethod
    def launch(cls, memory_mb: int, readable: tuple[str, ...] = ()) -> _Spawned:
        server = fork_server()
        spawned = cls(memory_mb)
        own_user = sandbox.own_user()
        env = _worker_environment(spawned.home)
        if own_user is not None:
            sandbox.hand_to_user(Path(spawned.scratch.name), spawned.home, own_user)
        request = {
            "env": env, "cwd": str(spawned.home), "uid": own_user, "memory_mb": memory_mb,
            "rules": sandbox.plan(spawned.home, spawned.handover, [Path(p) for p in readable]),
        }
        to_worker_r, to_worker_w = os.pipe()
        from_worker_r, from_worker_w = os.pipe()
        status_r, status_w = os.pipe()
        log = os.open(spawned.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        theirs = [to_worker_r, from_worker_w, log, status_w]
        try:
            pid, pidfd = server.fork(request, theirs)
        except BaseException:
            for fd in (to_worker_w, from_worker_r, status_r):
                os.close(fd)
            _LIVE.discard(spawned)
            spawned.scratch.cleanup()
            raise
        finally:
            for fd in theirs:
                os.close(fd)
        spawned.process = _Supervisor(pid, pidfd, status_r)
        spawned.forked_from = server.process.pid
        spawned.to_worker, spawned.from_worker = to_worker_w, from_worker_r
        _SPAWN_LOG.append(spawned)
        return spawned

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """End the worker and everything it started, close the pipes, remove the scratch.

        The supervisor is asked first (SIGTERM): it kills every process beneath it, whatever
        session or process group they moved to, and exits. Only if it does not answer in
        time is it killed with its process group.
        """
        _LIVE.discard(self)
        process = self.process
        if process is not None:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=SUPERVISOR_GRACE)
                except subprocess.TimeoutExpired:
                    # still alive, so its process group is still its own
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)
                    process.send_signal(signal.SIGKILL)
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        process.wait(timeout=SUPERVISOR_GRACE)
            process.close()
        for fd in (self.to_worker, self.from_worker):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.to_worker = self.from_worker = -1
        self.scratch.cleanup()

    def describe(self) -> dict:
        """Plain facts about this process for a run log."""
        return {
            "pid": self.process.pid if self.process else None,
            "forked_from": self.forked_from,  # the fork server: TensorFlow imported there
            "spawned_at": round(self.spawned_at, 3),
            "taken_at": round(self.taken_at, 3) if self.taken_at else None,
            "peak_mb": self.process.peak_mb if self.process else None,
        }


_LIVE: set[_Spawned] = set()
_SPAWN_LOG: list[_Spawned] = []


def kill_all_workers() -> None:
    """Kill every worker process this process started, and its fork server (interrupted
    batch); safe in a signal handler's context since it only sends signals and reaps."""
    for spawned in list(_LIVE):
        spawned.kill()
    stop_fork_server()


def drain_spawn_log() -> list[dict]:
    """Facts about the worker processes adopted since the last call (pid, fork server, when
    forked, when taken, peak memory), for the batch's run log."""
    taken = [s for s in _SPAWN_LOG if s.taken_at is not None]
    _SPAWN_LOG[:] = [s for s in _SPAWN_LOG if s.taken_at is None]
    return [s.describe() for s in taken]


_WORKER_ENV_KEPT = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ")
_WORKER_ENV_PREFIXES = ("TF_", "OMP_", "MKL_", "OPENBLAS_", "KMP_", "CNNKIT_SANDBOX",
                        "CNNKIT_WORKER_", "CNNKIT_QUICK_RUN")


def _worker_environment(home: Path) -> dict[str, str]:
    """The environment of a worker (or of the fork server) whose scratch folder is ``home``:
    what the libraries need, nothing of the grader's own settings (paths of the course, the
    data, the output folder)."""
    env = {k: v for k, v in os.environ.items()
           if k in _WORKER_ENV_KEPT or k.startswith(_WORKER_ENV_PREFIXES)}
    env.update(
        HOME=str(home),
        TMPDIR=str(home),
        MPLCONFIGDIR=str(home),
        KERAS_HOME=str(home / ".keras"),
        PYTHONPATH=str(sandbox.worker_runtime()),  # the engine's copy, never the kit's folder
        TF_CPP_MIN_LOG_LEVEL="3",
        CUDA_VISIBLE_DEVICES="-1",
        MPLBACKEND="Agg",
        PYTHONHASHSEED="0",
        PYTHONWARNINGS="ignore",
        CNNKIT_GRADING="1",
    )
    return env


#: What the grader was doing when it asked a worker to describe an object, by kind of object
#: (see :data:`autograder.engine.introspect.INSPECTORS`); translated when used.
_DESCRIBING = {
    "model": N_("describing the model your code returned"),
    "compilation": N_("describing the compilation your code returned"),
    "history": N_("describing the history your code returned"),
    "figure": N_("describing the figure your code returned"),
    "export": N_("describing the export your code returned"),
}


def _describing(kind: str) -> str:
    if kind in _DESCRIBING:
        return translated(_DESCRIBING[kind])
    return _("describing the {kind} your code returned").format(kind=kind)


def _load_error_message(error: dict) -> str:
    """The sentence for a cell that failed when the worker loaded it, in the language in use,
    from the plain parts the worker sent (its English ``message`` if the parts are missing)."""
    if "type" not in error or "detail" not in error:
        return str(error.get("message", ""))
    if error.get("line"):
        return _("cell {cell} raised {kind} at line {line} when its definitions were loaded: "
                 "{detail}").format(cell=error["cell"], kind=error["type"], line=error["line"],
                                    detail=error["detail"])
    return _("cell {cell} raised {kind} when its definitions were loaded: {detail}").format(
        cell=error["cell"], kind=error["type"], detail=error["detail"])


def _crash_message(what: str, returncode: int | None, seconds: float) -> str:
    if returncode is not None and returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = _("signal {number}").format(number=-returncode)
        if -returncode in (signal.SIGKILL, signal.SIGABRT, signal.SIGSEGV):
            cause = _("it was killed by {signal} (most often: memory ran out)").format(signal=name)
        else:
            cause = _("it was killed by {signal}").format(signal=name)
    elif returncode is not None:
        cause = _("the process exited with code {code} "
                  "(sys.exit or os._exit in your code?)").format(code=returncode)
    else:
        cause = _("the process stopped answering")
    return _("{what} stopped the grading worker after {seconds:.1f} s: {cause}").format(
        what=what, seconds=seconds, cause=cause)


def _student_error(error: dict, what: str, output: str, worker: Worker) -> StudentCodeError:
    kind = error.get("type", "Exception")
    if kind == "NotDefined":
        return MissingFunction(worker._missing_message(error["message"]), output=output)
    if error.get("not_implemented"):
        return NotImplementedYet(
            _("{what} is not implemented yet (it raises NotImplementedError)").format(what=what),
            output=output,
        )
    message = error.get("message", "")
    if message:
        text = _("{what} raised {kind}: {message}").format(what=what, kind=kind, message=message)
    else:
        text = _("{what} raised {kind}").format(what=what, kind=kind)
    frames = error.get("traceback") or []
    if frames:
        brief = _("{what} raised {kind} ({where})").format(what=what, kind=kind, where=frames[-1])
    else:
        brief = _("{what} raised {kind}").format(what=what, kind=kind)
    if error.get("memory"):
        text += " - " + _(
            "it tried to use more memory than the grader allows "
            "({memory} MiB for the whole worker)"
        ).format(memory=worker.memory_mb)
    if error.get("traceback"):
        text += "\n  " + "\n  ".join(error["traceback"])
    if error.get("memory"):
        brief += " - " + _("more memory than the grader allows ({memory} MiB)").format(
            memory=worker.memory_mb)
    return StudentCodeError(text, output=output, kind=str(kind), brief=brief)


class RemoteObject:
    """A handle to an object that lives in the worker (a model, a history, a figure)."""

    def __init__(self, worker: Worker, handle: protocol.Handle, generation: int) -> None:
        self.worker = worker
        self.handle = handle
        self.generation = generation

    @property
    def type(self) -> str:
        return self.handle.type

    @property
    def short_type(self) -> str:
        return self.handle.type.rsplit(".", 1)[-1]

    def check_alive(self) -> None:
        if self.worker.generation != self.generation or not self.worker.alive:
            raise WorkerCrashed(
                _("this {type} was lost when the grading worker had to be restarted").format(
                    type=self.short_type)
            )

    def call(self, method: str, *args: Any, timeout: float | None = None, **kwargs: Any) -> Any:
        self.check_alive()
        return self.worker.call_method(self, method, *args, timeout=timeout, **kwargs)

    def inspect(self, kind: str, *, timeout: float | None = None) -> dict:
        self.check_alive()
        return self.worker.inspect(self, kind, timeout=timeout)

    def __repr__(self) -> str:
        return f"<remote {self.short_type} #{self.handle.id}>"


class Student:
    """The student's functions as callables: ``student.find_misclassified(y, p)``."""

    def __init__(self, worker: Worker) -> None:
        self._worker = worker

    @property
    def worker(self) -> Worker:
        return self._worker

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)

        def call(*args: Any, timeout: float | None = None, **kwargs: Any) -> Any:
            return self._worker.call(name, *args, timeout=timeout, **kwargs)

        call.__name__ = name
        return call


def clean_worker() -> Worker:
    """A worker that never loads student code: where the grader describes, trains and
    evaluates what the student's functions returned, rebuilt from plain data."""
    return Worker(Submission(path=Path("<kit>"), assignment=None))


def model_spec(model: Any) -> dict:
    """The plain description of a Keras model a student's function returned: its
    architecture (``config``), ``weights`` and ``compile`` settings, as rebuilding needs them.

    Raises
    ------
    StudentCodeError
        The value is not a Keras model, or it names classes or functions other than
        Keras's own (a custom layer or model class is not accepted).
    """
    from autograder.engine.models import model_spec_problem

    if isinstance(model, RemoteObject):
        spec = model.inspect("export")
    else:
        spec = {"is_model": False, "class": type(model).__name__}
    problem = model_spec_problem(spec)
    if problem is not None:
        raise StudentCodeError(problem)
    return spec


def _import_model(spec: dict, clean: Worker) -> RemoteObject:
    return clean.tool("import_model", spec["config"], spec["weights"], spec["compile"],
                      timeout=120)


def rebuild_model(model: Any, clean: Worker) -> RemoteObject:
    """The student's Keras model, rebuilt in ``clean`` from its plain description.

    Parameters
    ----------
    model : RemoteObject or any
        What a student's function returned (a handle in the student's worker).
    clean : Worker
        A worker that never loaded student code (:func:`clean_worker`).

    Returns
    -------
    RemoteObject
        The same architecture, weights and compile settings, living in ``clean``; its
        methods run Keras's own code, whatever the student's worker did.

    Raises
    ------
    StudentCodeError
        See :func:`model_spec`.
    """
    return _import_model(model_spec(model), clean)


def trained_in_clean_worker(model: Any, clean: Worker, tool: str, *args: Any, seed: int,
                            timeout: float, cached: bool = True,
                            **settings: Any) -> dict[str, Any]:
    """Train the student's model as the grader does: rebuilt in ``clean`` (seeded first, as
    rebuilding draws the dropout layers' seeds) and passed to the training ``tool`` with
    ``args`` and ``settings``; the tool's result as a dict of arrays.

    The result depends only on plain data (the model's description, the tool's arguments),
    so it is kept in the grader's cache (:mod:`autograder.engine.cache`): a submission whose
    model has the same architecture, weights and settings as one trained before (most correct
    ones do) is not trained again. ``cached=False`` always trains (calibration measures).

    Parameters
    ----------
    model : RemoteObject or any
        What a student's function returned (a handle in the student's worker).
    clean : Worker
        A worker that never loaded student code.
    tool : str
        A training tool of the clean worker (``autograder.engine.tools``): it receives the
        rebuilt model first, then ``args`` and ``settings``.
    seed : int
        The clean worker's seed before the rebuild.
    timeout : float
        Seconds the training may take.

    Returns
    -------
    dict of str to numpy.ndarray
        The tool's result (a dict, or one array under ``"result"``); numbers as 0-d arrays.

    Raises
    ------
    StudentCodeError
        See :func:`model_spec`; or the training failed.
    """
    from autograder.engine.cache import cached_arrays, fingerprint

    spec = model_spec(model)

    def train() -> dict[str, Any]:
        clean.tool("seed_everything", seed)
        rebuilt = _import_model(spec, clean)
        result = clean.tool(tool, rebuilt, *args, seed=seed, timeout=timeout, **settings)
        return result if isinstance(result, dict) else {"result": result}

    if not cached:
        return {key: np.asarray(value) for key, value in train().items()}
    parameters = {"tool": tool, "seed": seed,
                  "model": fingerprint([spec["config"], spec["compile"], spec["weights"]]),
                  "inputs": fingerprint([list(args), settings])}
    return cached_arrays("trainings", tool, parameters, train)
