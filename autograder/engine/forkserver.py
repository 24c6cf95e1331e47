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

The grader's side is :class:`autograder.engine.client.ForkServer`.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
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


def _reap(signum: int, frame: object) -> None:
    """Collect the supervisors that ended (their status reaches the grader by its pipe)."""
    supervise.reap_all()


def serve(control: socket.socket, versions: dict) -> None:
    """Fork a supervised worker for each request on ``control`` until the grader closes it."""
    me = os.getpid()
    signal.signal(signal.SIGCHLD, _reap)
    control.sendall(json.dumps({"ready": True, "pid": os.getpid(), **versions}).encode())
    while True:
        message, fds, _flags, _address = socket.recv_fds(control, MAX_REQUEST, 4)
        if not message:
            return  # the grader is gone or done
        try:
            request = json.loads(message)
            request["versions"] = versions
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
    serve(control, preload())
    os._exit(0)


if __name__ == "__main__":
    main()
