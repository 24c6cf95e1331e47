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
