"""The sandbox around a Jupyter kernel that runs a student's notebook (``nbgrader autograde``).

nbgrader executes a submission top to bottom in an IPython kernel, and every cell of it is
the student's. The kernel manager of the grader
(:class:`autograder.nbgrader_preprocessor.SandboxedKernelManager`) starts this module in
front of the usual kernel command::

    python -P -s -m autograder.sandbox.kernel -- python -m ipykernel_launcher -f <file>

Before anything else runs (no thread exists yet: Landlock only confines the threads created
after it), the launcher reads the connection file, confines itself with Landlock, gives up its
capabilities when it runs as root, and then *executes* the kernel command: Landlock survives
``execve``, so the kernel and everything it starts are confined from their first instruction.

What the kernel may do (the rules come from the grader in ``CNNKIT_KERNEL_RULES``, computed by
:func:`plan`):

- **files**: read the interpreter and the installed libraries, a copy of the kit without its
  hidden suites (:func:`autograder.sandbox.kernel_runtime`), the public data its demo cells
  load, the connection file; read and write its notebook's folder and a scratch folder of its
  own (HOME, TMPDIR, MPLCONFIGDIR, KERAS_HOME, the dataset cache), and make POSIX semaphores
  in ``/dev/shm`` as the workers do. Never the kit's folder,
  ``solutions/``, the gradebook or another student's folders.
- **network** (ABI >= 4): TCP bind on the five ports of the connection file only, TCP connect
  nowhere. No seccomp filter: ZeroMQ needs sockets.
- **signals** (ABI >= 6): only to processes of its own sandbox.

Processes it leaves behind are the grader's to kill (see
:func:`autograder.sandbox.supervise.kill_new_descendants`).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

#: The grader hands the kernel's file rules over in this variable (JSON, as :func:`plan`).
RULES_ENV = "CNNKIT_KERNEL_RULES"
#: Where the launcher writes the level it obtained (opened before the sandbox closes).
LEVEL_ENV = "CNNKIT_KERNEL_LEVEL_FILE"
_PORT_KEYS = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")


def plan(scratch: Path, workdir: Path, readable: list[Path] | None = None) -> list[dict]:
    """The kernel's file rules, computed by the grader.

    Parameters
    ----------
    scratch : Path
        The kernel's own folder (HOME, TMPDIR, caches): read and write.
    workdir : Path
        The notebook's folder, the kernel's working directory: read and write.
    readable : list of Path, optional
        Further files or folders the demo cells read (public data): read only.

    Returns
    -------
    list of dict
        ``[{"path": str, "access": int}]``; the launcher adds the connection file, its own
        ``/proc`` entry and the ports.
    """
    from autograder import sandbox
    from autograder.sandbox import landlock

    allowed = [(str(p), landlock.READ) for p in sandbox._library_paths()]
    allowed += [(p, landlock.READ) for p in sandbox._SYSTEM_READ]
    allowed += [(str(sandbox.kernel_runtime()), landlock.READ)]
    allowed += [(str(p), landlock.READ) for p in readable or []]
    allowed += [("/dev/null", landlock.READ | landlock.WRITE_FILE)]
    # POSIX semaphores live in /dev/shm (thread pools, Keras's directory iterators, joblib),
    # as for the workers (see autograder.sandbox.plan)
    allowed += [("/dev/shm", landlock.READ_FILE | landlock.WRITE_FILE | landlock.MAKE_REG
                 | landlock.REMOVE_FILE | landlock.TRUNCATE)]
    allowed += [(str(workdir), landlock.READ_WRITE), (str(scratch), landlock.READ_WRITE)]
    return [{"path": path, "access": access} for path, access in allowed]


def connection_file_of(argv: list[str]) -> str | None:
    """The connection file named in a kernel command (``-f FILE`` or ``--f=FILE``)."""
    for index, arg in enumerate(argv):
        if arg in ("-f", "--f") and index + 1 < len(argv):
            return argv[index + 1]
        for prefix in ("-f=", "--f="):
            if arg.startswith(prefix):
                return arg[len(prefix):]
    return None


def confine(rules: list[dict], connection_file: str | None) -> dict:
    """Confine this process (single-threaded, before the kernel starts) and say how.

    Parameters
    ----------
    rules : list of dict
        From :func:`plan`.
    connection_file : str or None
        The kernel's connection file: read, and its TCP ports are the only ones the kernel
        may bind.

    Returns
    -------
    dict
        ``{"level": "full" | "partial" | "none", "landlock_abi", "files", "tcp", "signals",
        "problems"}``: ``full`` needs files, TCP and signals confined (Landlock ABI 6).
    """
    from autograder import sandbox
    from autograder.sandbox import landlock

    if not sandbox.enabled():
        return {"level": "none", "problems": [f"turned off ({sandbox.SANDBOX_ENV}=off)"]}
    allowed: list[landlock.Rule | landlock.PortRule] = [
        landlock.Rule(r["path"], int(r["access"])) for r in rules
    ]
    allowed.append(landlock.Rule(f"/proc/{os.getpid()}", landlock.READ))
    problems = []
    if connection_file:
        allowed.append(landlock.Rule(connection_file, landlock.READ))
        with open(connection_file, encoding="utf-8") as handle:
            info = json.load(handle)
        if info.get("transport", "tcp") == "tcp":
            allowed += [landlock.PortRule(int(info[key]), landlock.NET_BIND_TCP)
                        for key in _PORT_KEYS if info.get(key)]
        else:  # ipc: the kernel creates its socket files beside the path it was given
            allowed.append(landlock.Rule(str(Path(info["ip"]).parent), landlock.READ_WRITE))
    else:
        problems.append("no connection file in the kernel command")
    try:
        filesystem = landlock.restrict(allowed, abi=sandbox._abi_override())
    except OSError as error:
        filesystem = {"error": str(error)}
    if os.geteuid() == 0:
        try:
            sandbox.drop_capabilities()
        except OSError as error:
            problems.append(f"capabilities kept ({error})")
    landlock_ok = "error" not in filesystem
    facts = {
        "landlock_abi": filesystem.get("abi", 0) if landlock_ok else 0,
        "files": landlock_ok,
        "tcp": bool(landlock_ok and filesystem.get("network")),
        "signals": bool(landlock_ok and filesystem.get("signals")),
    }
    if not landlock_ok:
        problems.append(f"no Landlock ({filesystem['error']})")
    else:
        if not facts["tcp"]:
            problems.append(f"Landlock ABI {facts['landlock_abi']} cannot restrict TCP (needs 4)")
        if not facts["signals"]:
            problems.append(f"Landlock ABI {facts['landlock_abi']} cannot scope signals "
                            f"(needs {sandbox.FULL_ABI})")
    if facts["files"] and facts["tcp"] and facts["signals"]:
        level = "full"
    else:
        level = "partial" if facts["files"] else "none"
    return {"level": level, **facts, "problems": problems}


def main(argv: list[str] | None = None) -> None:
    """Confine this process, then become the kernel command given after ``--``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        sys.exit("usage: python -m autograder.sandbox.kernel -- <kernel command>")
    rules = json.loads(os.environ.pop(RULES_ENV, "[]"))
    level_path = os.environ.pop(LEVEL_ENV, "")
    # opened before the sandbox closes: afterwards the kernel cannot write there
    report = open(level_path, "w", encoding="utf-8") if level_path else None  # noqa: SIM115
    level = confine(rules, connection_file_of(argv))
    if report is not None:
        report.write(json.dumps(level))
        report.close()
    if level["level"] != "full":
        print(f"cnnkit: this notebook's kernel runs with sandbox level {level['level']!r}: "
              + "; ".join(level["problems"]), file=sys.stderr, flush=True)
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    main()
