"""The fork server: the process every grading worker is forked from.

A worker needs TensorFlow, Keras, NumPy, Matplotlib and scikit-learn before it can run a
student's function, and importing them costs seconds of CPU; every submission needs two
workers (its own and the clean worker). The fork server imports them once per grader process
and forks each worker on request, in milliseconds.

It never receives student code and never runs a TensorFlow operation (TensorFlow survives a
fork only before its runtime has started). A request is plain data and four descriptors::

    {"env": {...}, "cwd": "...", "uid": int | None, "memory_mb": int, "rules": [...]}
    + the worker's request pipe (read end), its reply pipe (write end), its log file and a
      status pipe (write end)

For each request the server forks a *supervisor*, which forks the *worker*. Before the
worker reads a byte of student code it closes every descriptor but its own two pipes and its
log, takes the environment and working directory of its scratch folder, becomes a user of its
own when there is one, enters the sandbox (:func:`autograder.sandbox.enter`) and caps its
memory: the steps a worker started from scratch takes, in the same order before student code.
The supervisor is the one of :mod:`autograder.sandbox.supervise`: a child subreaper that
kills everything beneath the worker when it ends, and writes the worker's exit status and
peak memory to the status pipe. The reply names the supervisor by a pidfd, so that the
grader signals that process and never another that reused its pid.

A batch lane is forked from a fork server too (:func:`_lane`, asked for once, by the batch's
parent, before any submission is read): the lane then finds TensorFlow imported, so that a
grading imports it once instead of twice. The lane is forked from the server's clean image and
gains the grader's authority only afterwards (its environment, the kit's own modules, the
hidden suites); nothing of it ever reaches the server, so the workers forked later are forked
from the same image as before. From then on the server serves that lane alone, on a socket of
its own, and exits with the lane's exit status when the lane is done.

The grader's side is :class:`autograder.engine.client.ForkServer`.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import json
import os
import signal
import socket
import sys
import warnings

from autograder.sandbox import supervise

# The course's libraries, imported once here so that no worker imports them again (a
# notebook's own imports then find them loaded). Optional ones may be missing.
PRELOADED = (
    "matplotlib.pyplot",
    "PIL.Image",
    "sklearn.decomposition", "sklearn.ensemble", "sklearn.metrics", "sklearn.neighbors",
    "sklearn.pipeline", "sklearn.preprocessing", "sklearn.svm", "sklearn.tree",
    "skimage.transform",
    "keras.applications",
    "cnnkit_student.datasets", "cnnkit_student.describe", "cnnkit_student.startup",
)
MAX_REQUEST = 1 << 22  # bytes: Landlock rules and an environment, far below this
_PR_SET_PDEATHSIG = 1


def preload() -> dict:
    """Import the workers' libraries, quietly; return their versions (the worker's ready
    message carries them into ``results.json``)."""
    from autograder.engine import worker

    versions = worker.quiet_imports()
    import importlib

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in PRELOADED:
            with contextlib.suppress(ImportError):
                importlib.import_module(name)
    return versions


# The lane forked from this server, if any: its pid, and its exit status once reaped.
_LANE: dict[str, int | None] = {"pid": None, "status": None}


def _reap(signum: int, frame: object) -> None:
    """Collect the supervisors that ended (their status reaches the grader by its pipe) and
    the lane, whose exit status becomes this server's."""
    supervise.reap_all(_keep_lane_status)


def _keep_lane_status(pid: int, status: int) -> None:
    if pid == _LANE["pid"]:
        _LANE["status"] = status


def _pass_to_lane(signum: int, frame: object) -> None:
    """The batch stops the lane through this server (the lane's parent): pass the signal on;
    the server ends when the lane has (see :func:`serve`)."""
    if _LANE["pid"] is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(_LANE["pid"], signum)


def _lane_exit_code() -> int:
    """This server's exit code once its lane's socket is closed: the lane's own (a lane
    killed by a signal gives 128 + the signal's number, as a shell reports it)."""
    pid = _LANE["pid"]
    if pid is None:
        return 0
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
    try:
        if _LANE["status"] is None:
            with contextlib.suppress(ChildProcessError):
                _LANE["status"] = os.waitpid(pid, 0)[1]
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
    status = _LANE["status"]
    if status is None:
        return 70
    code = os.waitstatus_to_exitcode(status)
    return code if code >= 0 else 128 - code


def serve(control: socket.socket, versions: dict) -> int:
    """Fork a supervised worker for each request on ``control`` until the grader closes it;
    return the exit code this server should leave with (see :func:`_lane_exit_code`)."""
    me = os.getpid()
    signal.signal(signal.SIGCHLD, _reap)
    control.sendall(json.dumps({"ready": True, "pid": os.getpid(), **versions}).encode())
    while True:
        message, fds, _flags, _address = socket.recv_fds(control, MAX_REQUEST, 4)
        if not message:
            return _lane_exit_code()  # the grader (or the lane) is gone or done
        try:
            request = json.loads(message)
            request["versions"] = versions
            if "lane" in request:
                if _LANE["pid"] is not None or len(fds) != 3:
                    raise ValueError("one lane per server, with 3 descriptors")
                control = _fork_lane(request["lane"], fds, control)
                continue
            if len(fds) != 4:
                raise ValueError(f"4 descriptors expected, got {len(fds)}")
        except ValueError as error:
            for fd in fds:
                os.close(fd)
            control.sendall(json.dumps({"error": str(error)}).encode())
            continue
        # SIGCHLD is held back until the pidfd exists: a supervisor that ends at once must
        # not be reaped (and its pid reused) before the grader holds a pidfd for it.
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
        try:
            pid = os.fork()
            if pid == 0:
                _supervisor(request, fds, control, me)  # never returns
            pidfd = os.pidfd_open(pid)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
        for fd in fds:
            os.close(fd)
        try:
            socket.send_fds(control, [json.dumps({"pid": pid}).encode()], [pidfd])
        finally:
            os.close(pidfd)


def _fork_lane(lane: dict, fds: list[int], control: socket.socket) -> socket.socket:
    """Fork the batch's lane (:func:`_lane`); answer on ``control`` with its pid, then close
    ``control`` and return the socket the lane's requests arrive on."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
    try:
        pid = os.fork()
        if pid == 0:
            ours.close()
            control.close()
            _lane(lane, fds, theirs, os.getppid())  # never returns
        _LANE["pid"] = pid
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
    theirs.close()
    for fd in fds:
        os.close(fd)
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, _pass_to_lane)
    control.sendall(json.dumps({"pid": pid}).encode())
    control.close()
    return ours


def _lane(lane: dict, fds: list[int], channel: socket.socket, server: int) -> None:
    """In the forked child: become a batch lane (never returns).

    The lane takes the grader's environment, working directory and module path from the
    request, and drops the engine copy's modules that this server imported, so that every
    ``autograder`` module it uses is the kit's own; TensorFlow and the other libraries stay
    imported. Its requests for workers go to this server on ``channel``.
    """
    try:
        tasks, replies, output = fds
        for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, set())
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)  # the server is gone: stop
        if os.getppid() != server:
            os._exit(128 + signal.SIGTERM)
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.close(output)
        os.environ.clear()
        os.environ.update(lane["env"])
        os.chdir(lane["cwd"])
        _follow_environment()
        # Python's default warning filters (the server ignores every warning), then the
        # grader's own -W options.
        warnings.resetwarnings()
        for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning,
                         ResourceWarning):
            warnings.simplefilter("ignore", category)
        warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")
        for option in lane.get("warnoptions", []):
            with contextlib.suppress(Exception):
                warnings._setoption(option)  # noqa: SLF001 - what -W does at start-up
        for name in [n for n in sys.modules if n.split(".")[0] in ("autograder", "cnnkit_student")]:
            del sys.modules[name]
        sys.path[:] = lane["sys_path"]
        sys.argv[:] = ["-m", "autograder.batch", "--lane", str(lane["number"])]
        import importlib

        importlib.invalidate_caches()
        batch = importlib.import_module("autograder.batch")
        batch.forked_lane_main(lane["number"], tasks, replies, channel.detach(), server,
                               lane["server_log"])
    except BaseException:  # noqa: BLE001 - the batch reads the cause on its standard error
        import traceback

        traceback.print_exc()
        sys.stderr.flush()
        os._exit(70)
    os._exit(0)


def _supervisor(request: dict, fds: list[int], control: socket.socket, server: int) -> None:
    """In the forked child: become the worker's supervisor (never returns)."""
    try:
        to_worker, from_grader, log, status = fds
        control.close()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, set())
        os.setsid()  # its own session and process group: the grader's last resort kills it
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        keep = (to_worker, from_grader)

        def start_worker() -> int:
            pid = os.fork()
            if pid == 0:
                os.close(status)
                _worker(request, *keep)  # never returns
            for fd in keep:
                os.close(fd)
            return pid

        supervise.supervise(start_worker, status_fd=status, parent=server)
    finally:
        os._exit(127)


def _worker(request: dict, in_fd: int, out_fd: int) -> None:
    """In the supervisor's forked child: confine this process, then serve (never returns)."""
    try:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, signal.SIG_DFL)
        _close_all_but(0, 1, 2, in_fd, out_fd)
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        _follow_environment()
        uid = request.get("uid")
        if uid is not None:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
        from autograder import sandbox
        from autograder.engine import worker

        level = sandbox.enter(request["rules"], own_user=uid is not None)
        worker.run(in_fd, out_fd, memory_mb=int(request["memory_mb"]), sandbox_level=level,
                   versions=request["versions"])
    except BaseException:  # noqa: BLE001 - the grader reads the log for the cause
        import traceback

        traceback.print_exc()
        sys.stderr.flush()
        os._exit(70)
    os._exit(0)


def _close_all_but(*kept: int) -> None:
    """Close every inherited descriptor except ``kept`` (the server's socket among them)."""
    for entry in os.listdir("/proc/self/fd"):
        fd = int(entry)
        if fd not in kept:
            with contextlib.suppress(OSError):  # the listing's own, already closed
                os.close(fd)


def _follow_environment() -> None:
    """Point what the libraries read from the environment at import at this worker's own
    scratch folder (they were imported under the server's)."""
    import tempfile

    import numpy

    tempfile.tempdir = None
    numpy.random.seed()  # a process of its own would have drawn a fresh seed
    config = sys.modules.get("keras.src.backend.config")
    if config is not None and "KERAS_HOME" in os.environ:
        config._KERAS_DIR = os.environ["KERAS_HOME"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The process grading workers are forked from.")
    parser.add_argument("--control-fd", type=int, required=True)
    args = parser.parse_args(argv)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # never outlive the grader
    if os.getppid() == 1:
        os._exit(0)
    # stdin is /dev/null already (the grader starts this process so). No file object is
    # opened here: a worker closes every descriptor it inherits, and a forked object still
    # holding one would close whatever the worker opens later under the same number.
    control = socket.socket(fileno=args.control_fd)
    versions = preload()
    # TensorFlow's import leaves millions of objects that live as long as the process: kept
    # out of the collector's reach, a full collection in a lane or a worker forked from here
    # (pytest makes two per grading) takes milliseconds instead of a quarter of a second,
    # and no collection touches (and so copies) the pages those processes share with this one.
    gc.freeze()
    os._exit(serve(control, versions))


if __name__ == "__main__":
    main()
