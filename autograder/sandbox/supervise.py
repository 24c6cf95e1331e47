"""The supervisor: the parent of one worker and, by the kernel's rules, of everything the
worker ever starts.

The fork server (:mod:`autograder.engine.forkserver`) forks this process for each worker; it
runs the standard library only, never student code. It marks itself a *child subreaper*
(``PR_SET_CHILD_SUBREAPER``), so a process the student detaches (double fork, ``setsid``, a
new process group) is re-parented to the supervisor instead of escaping to init. When the
worker exits, or the grader asks (SIGTERM), or the fork server dies (``PR_SET_PDEATHSIG``),
the supervisor kills every process beneath it, reaps them, and exits with the worker's
status. Inside the Landlock sandbox (ABI >= 6) the worker cannot signal the supervisor,
which lives outside it.

The same supervision is a command too (``python -m autograder.sandbox.supervise -- CMD``).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import NoReturn

_PR_SET_PDEATHSIG, _PR_SET_CHILD_SUBREAPER = 1, 36


class _Stop(Exception):
    pass


def _raise_stop(signum: int, frame: object) -> None:
    raise _Stop


def descendants(root: int) -> list[int]:
    """The pids of every live process beneath ``root`` (read from ``/proc``)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    found, frontier = [], [root]
    while frontier:
        kids = children.get(frontier.pop(), [])
        found += kids
        frontier += kids
    return found


def kill_everything_below(root: int, *, rounds: int = 500) -> int:
    """SIGKILL every process beneath ``root`` until none is left; return how many rounds it
    took. A process that forks while we sweep is caught in the next round: a killed process
    cannot fork again, so each round leaves fewer."""
    for round_number in range(1, rounds + 1):
        pids = descendants(root)
        if not pids:
            return round_number
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        reap_all()
        time.sleep(0.005)
    return rounds


def _process_table() -> dict[int, tuple[int, int, str]]:
    """``{pid: (parent pid, start time in clock ticks, state)}`` of every process in /proc."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        # after the command name: state, ppid, ..., starttime (field 22 of proc(5))
        table[int(entry)] = (int(fields[1]), int(fields[19]), fields[0].decode())
    return table


def children_now(root: int) -> set[tuple[int, int]]:
    """``(pid, start time)`` of the live children of ``root``: a process, not just a pid
    (a pid may be reused), for :func:`kill_new_descendants`."""
    return {(pid, start) for pid, (parent, start, _) in _process_table().items()
            if parent == root}


def kill_new_descendants(root: int, keep: set[tuple[int, int]], *, rounds: int = 500) -> int:
    """SIGKILL every process beneath ``root`` except the subtrees of the children in ``keep``
    (from :func:`children_now`), reap those that are ``root``'s children, and return how many
    processes were killed.

    Meant for a grader that made itself a child subreaper (``PR_SET_CHILD_SUBREAPER``): what a
    notebook's kernel detached (double fork, ``setsid``) was re-parented to the grader, and
    goes with the rest; the grader's own children from before are left alone.
    """
    killed: set[int] = set()
    for _ in range(rounds):
        table = _process_table()
        children: dict[int, list[int]] = {}
        for pid, (parent, _, _) in table.items():
            children.setdefault(parent, []).append(pid)
        frontier = [pid for pid in children.get(root, []) if (pid, table[pid][1]) not in keep]
        doomed = []
        while frontier:
            pid = frontier.pop()
            doomed.append(pid)
            frontier += children.get(pid, [])
        if not doomed:
            return len(killed)
        for pid in doomed:
            if table[pid][2] != "Z":
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                killed.add(pid)
        for pid in doomed:
            if table[pid][0] == root:  # only our own children: never another's exit status
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, os.WNOHANG)
        time.sleep(0.005)
    return len(killed)


def reap_all(ended: Callable[[int, int], None] | None = None) -> None:
    """Collect every child that has ended, without waiting for the others; ``ended(pid,
    status)`` is told of each (the fork server keeps its lane's exit status)."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if ended is not None:
            ended(pid, status)


def supervise(start_worker: Callable[[], int], *, status_fd: int | None = None,
              parent: int | None = None) -> NoReturn:
    """Be the supervisor of the worker ``start_worker`` starts (it returns the worker's pid).

    Marks this process a child subreaper, asks to be told (SIGTERM) when its parent dies,
    waits for the worker, then kills every process beneath it and exits with the worker's
    status. With ``status_fd``, the worker's exit status (negative: the signal that killed
    it) and its peak memory are first written there as one JSON line, for the grader.

    Parameters
    ----------
    start_worker : callable
        Starts the worker as a child of this process; returns its pid.
    status_fd : int, optional
        The write end of the grader's status pipe.
    parent : int, optional
        The pid this process was started by: when it is gone already, nothing is started.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, _raise_stop)
    status: int | None = None
    try:
        if os.getppid() == 1 or (parent is not None and os.getppid() != parent):
            raise _Stop  # the parent died before we could ask to be told
        worker = start_worker()
        while True:
            pid, code = os.wait()
            if pid == worker:
                status = os.waitstatus_to_exitcode(code)
                break
    except (_Stop, ChildProcessError):
        pass
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        kill_everything_below(os.getpid())
        if status_fd is not None:  # every process beneath is reaped: their peak is known
            peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            with contextlib.suppress(OSError):
                os.write(status_fd, (json.dumps({"status": status,
                                                 "peak_mb": round(peak_kb / 1024, 1)})
                                     + "\n").encode())
                os.close(status_fd)
    if status is None:
        status = -signal.SIGKILL
    os._exit(status if status >= 0 else 128 - status)


def main(argv: list[str] | None = None) -> NoReturn:
    """``python -m autograder.sandbox.supervise -- COMMAND...``: supervise a command (the
    grader forks its workers instead: :mod:`autograder.engine.forkserver`)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--"]:
        argv = argv[1:]

    def start_worker() -> int:
        return subprocess.Popen(argv, close_fds=True).pid

    supervise(start_worker)


if __name__ == "__main__":
    main()
