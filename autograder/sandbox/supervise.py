"""The supervisor: the parent of one worker and, by the kernel's rules, of everything the
worker ever starts.

The grader starts this small process (standard library only, no student code) instead of
the worker itself. It marks itself a *child subreaper* (``PR_SET_CHILD_SUBREAPER``), so a
process the student detaches (double fork, ``setsid``, a new process group) is re-parented
to the supervisor instead of escaping to init. When the worker exits, or the grader asks
(SIGTERM), or the grader dies (``PR_SET_PDEATHSIG``), the supervisor kills every process
beneath it, reaps them, and exits with the worker's status. Inside the Landlock sandbox
(ABI >= 6) the worker cannot signal the supervisor, which lives outside it.

Started as ``python -P -s -c <bootstrap> --uid UID -- <worker command>``.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time

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
        _reap_all()
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


def _reap_all() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    uid = None
    if argv[:1] == ["--uid"]:
        uid = int(argv[1])
        argv = argv[2:]
    if argv[:1] == ["--"]:
        argv = argv[1:]
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, _raise_stop)
    status = 128 + signal.SIGKILL
    worker = None
    try:
        if os.getppid() == 1:  # the grader died before we could ask to be told
            raise _Stop
        inherited = tuple(int(fd) for fd in os.environ.get("CNNKIT_PASS_FDS", "").split(",")
                          if fd)
        own_user = {} if uid is None else {"user": uid, "group": uid, "extra_groups": []}
        worker = subprocess.Popen(argv, pass_fds=inherited, close_fds=True, **own_user)
        for fd in inherited:
            os.close(fd)
        while True:
            pid, code = os.wait()
            if pid == worker.pid:
                status = os.waitstatus_to_exitcode(code)
                break
    except (_Stop, ChildProcessError):
        pass
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        kill_everything_below(os.getpid())
    os._exit(status if status >= 0 else 128 - status)


if __name__ == "__main__":
    main()
