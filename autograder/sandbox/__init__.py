"""The sandbox around every grading worker.

A worker runs a student's code, and that code is assumed hostile. A worker is forked from the
fork server (:mod:`autograder.engine.forkserver`, which has imported the libraries and holds
no student code); before it can load any of that code, the worker limits itself
(:func:`enter`) with what the kernel offers:

- **files** (Landlock): read only the interpreter, the installed libraries (never the kit's
  own folder, which holds the hidden suites), a copy of the few kit modules a worker needs
  (:func:`worker_runtime`), a few system files, and the folder the grader hands data in;
  write only in the worker's own scratch folder (its working directory, HOME, TMPDIR,
  MPLCONFIGDIR, KERAS_HOME), which the grader removes afterwards;
- **network**: no socket at all (seccomp), and TCP refused by Landlock too (ABI >= 4);
- **processes**: signals and ptrace only inside the sandbox (Landlock ABI >= 6, or a user of
  its own when the grader runs as root); every process it starts lives under a supervisor
  (:mod:`autograder.sandbox.supervise`) that kills them all when the submission ends,
  whatever session or process group they moved to.

What was enforced is reported as a *level* (:func:`describe_level`) and recorded in each
``results.json``; ``--require-sandbox`` refuses to grade below ``"full"``.
``CNNKIT_SANDBOX=off`` turns the sandbox off (for measuring its cost; never for grading).
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path

from autograder.sandbox import landlock, seccomp

SANDBOX_ENV = "CNNKIT_SANDBOX"
#: The Landlock ABI that gives every promise above (signals are scoped from ABI 6 on).
FULL_ABI = 6

KIT_ROOT = Path(__file__).resolve().parents[1]  # the autograder package

# The kit modules a worker imports, copied out of the package so that the package folder
# itself (which holds the hidden suites) never has to be readable inside the sandbox.
_RUNTIME_FILES = ("__init__.py",)
_RUNTIME_PACKAGES = ("engine", "sandbox")
# Readable system locations beyond the interpreter and its libraries.
_SYSTEM_READ = (
    "/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc",
    "/proc/cpuinfo", "/proc/meminfo", "/proc/stat", "/proc/filesystems",
    "/sys/devices/system/cpu", "/sys/fs/cgroup",
    "/dev/urandom", "/dev/random", "/dev/zero",
)


def enabled() -> bool:
    """Whether workers are sandboxed (the default)."""
    return os.environ.get(SANDBOX_ENV, "on").strip().lower() not in ("off", "0", "no")


_RUNTIMES: list[Path] = []  # the copies worker_runtime made, removed at the end


@functools.cache
def worker_runtime() -> Path:
    """A folder holding a copy of the kit modules a worker imports (engine and sandbox).

    Made once per grader process and removed when it ends (:func:`discard_worker_runtime`);
    the engine holds no answer, the hidden suites and the reference stay out of it.
    """
    folder = Path(tempfile.mkdtemp(prefix="cnnkit-runtime-"))
    _RUNTIMES.append(folder)
    atexit.register(discard_worker_runtime)
    package = folder / "autograder"
    package.mkdir()
    for name in _RUNTIME_FILES:
        shutil.copy2(KIT_ROOT / name, package / name)
    for name in _RUNTIME_PACKAGES:
        shutil.copytree(KIT_ROOT / name, package / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    # The engine imports the students' package (descriptions, comparisons); an editable
    # install keeps it in the kit's checkout, which a worker cannot read.
    shutil.copytree(Path(__import__("cnnkit_student").__file__).parent, folder / "cnnkit_student",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    folder.chmod(0o755)
    for path in folder.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return folder


def discard_worker_runtime() -> None:
    """Remove the copy :func:`worker_runtime` made (no worker may be running). Runs at exit;
    a process that leaves with ``os._exit`` calls it first."""
    while _RUNTIMES:
        shutil.rmtree(_RUNTIMES.pop(), ignore_errors=True)
    worker_runtime.cache_clear()


@functools.cache
def kernel_runtime() -> Path:
    """A folder holding a copy of the whole kit package except its hidden suites.

    What a notebook kernel sandboxed by :mod:`autograder.sandbox.kernel` imports: the
    course notebooks use ``autograder.data``, ``autograder.startup``, ``autograder.check``
    and ``autograder.nbgrader_bridge``, which import further kit modules (the assignment
    catalogue, the engine). None of them holds an answer; ``suites/`` (hidden tests, their
    inputs and budgets) stays out. Made once per process, read only for the kernels.

    Returns
    -------
    Path
        The folder to put on the kernel's ``PYTHONPATH``.
    """
    folder = Path(tempfile.mkdtemp(prefix="cnnkit-kernel-runtime-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    shutil.copytree(KIT_ROOT, folder / "autograder",
                    ignore=_ignore_suites_and_caches)
    # The kit imports the students' package (the test cells' grade_cell); an editable install
    # keeps it in the kit's checkout, which the kernel cannot read.
    try:
        import cnnkit_student
    except ImportError:
        cnnkit_student = None
    if cnnkit_student is not None:
        shutil.copytree(Path(cnnkit_student.__file__).parent, folder / "cnnkit_student",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    folder.chmod(0o755)
    for path in folder.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return folder


def _ignore_suites_and_caches(directory: str, names: list[str]) -> set[str]:
    """``shutil.copytree``'s filter for :func:`kernel_runtime`."""
    skipped = {n for n in names if n == "__pycache__" or n.endswith(".pyc")}
    if Path(directory).resolve() == KIT_ROOT:
        skipped.add("suites")
    return skipped


def _library_paths() -> list[Path]:
    """Where the interpreter and the installed libraries live, the kit's package excluded.

    Only the interpreter's own locations and library folders count (never the current
    folder or other entries of ``sys.path``, which may be a course folder holding the
    references). When the kit is
    installed inside one of them (a wheel in site-packages), that folder's other entries
    are allowed one by one.
    """
    import site

    roots = {Path(sys.base_prefix), Path(sys.prefix), Path(sys.executable).resolve().parent}
    roots.update(Path(p) for p in sysconfig.get_paths().values() if p)
    roots.update(Path(p) for p in site.getsitepackages())
    # Library folders another environment lends through a .pth line (never a plain folder of
    # sys.path such as the current one, which may be a course folder).
    roots.update(Path(p) for p in sys.path if Path(p).name in ("site-packages", "dist-packages"))
    kept: set[Path] = set()
    for root in roots:
        if not root.exists():
            continue
        root = root.resolve()
        if KIT_ROOT.is_relative_to(root):
            kept.update(_entries_except(root, KIT_ROOT))
        elif not root.is_relative_to(KIT_ROOT):
            kept.add(root)
    return sorted(kept)


def _entries_except(root: Path, excluded: Path) -> list[Path]:
    """The entries of ``root`` that neither are nor contain ``excluded`` (recursing into the
    one that contains it)."""
    kept = []
    for entry in sorted(root.iterdir()):
        resolved = entry.resolve()
        if resolved == excluded:
            continue
        if excluded.is_relative_to(resolved):
            kept += _entries_except(resolved, excluded)
        else:
            kept.append(resolved)
    return kept


def plan(scratch: Path, handover: Path, readable: list[Path] | None = None) -> list[dict]:
    """The worker's Landlock rules, computed by the grader (which knows where the kit, the
    course and the libraries really are) and handed to the worker as plain data.

    Parameters
    ----------
    scratch : Path
        The worker's own folder: read, write, create and remove.
    handover : Path
        Where the grader puts the data a test hands the worker: read only.
    readable : list of Path, optional
        Further folders a suite hands the worker (public data sets): read only.

    Returns
    -------
    list of dict
        ``[{"path": str, "access": int}]``; the worker adds its own ``/proc`` entry.
    """
    allowed = [(str(p), landlock.READ) for p in _library_paths()]
    allowed += [(p, landlock.READ) for p in _SYSTEM_READ]
    allowed += [(str(worker_runtime()), landlock.READ), (str(handover), landlock.READ)]
    allowed += [(str(p), landlock.READ) for p in readable or []]
    allowed += [("/dev/null", landlock.READ | landlock.WRITE_FILE)]
    # POSIX semaphores live in /dev/shm: Python's thread pools need one (Keras's directory
    # iterators start a pool), and it is unlinked as soon as it is made.
    allowed += [("/dev/shm", landlock.READ_FILE | landlock.WRITE_FILE | landlock.MAKE_REG
                 | landlock.REMOVE_FILE | landlock.TRUNCATE)]
    allowed += [(str(scratch), landlock.READ_WRITE)]
    return [{"path": path, "access": access} for path, access in allowed]


def enter(rules: list[dict], *, own_user: bool = False) -> dict:
    """Sandbox this process (a worker) before any student code or any thread of its own
    exists (a process just forked has one thread: Landlock and seccomp then hold for every
    thread it starts).

    Parameters
    ----------
    rules : list of dict
        From :func:`plan`.
    own_user : bool
        Whether the supervisor started this process under a user of its own.

    Returns
    -------
    dict
        The level in force (see :func:`describe_level`).
    """
    if not enabled():
        return describe_level(None, None, disabled=True)
    allowed = [landlock.Rule(r["path"], int(r["access"])) for r in rules]
    allowed.append(landlock.Rule(f"/proc/{os.getpid()}", landlock.READ))
    try:
        filesystem: dict = landlock.restrict(allowed, abi=_abi_override())
    except OSError as error:
        filesystem = {"error": str(error)}
    try:
        seccomp.forbid_sockets()
        network: bool | dict = True
    except OSError as error:
        network = {"error": str(error)}
    if os.geteuid() == 0:
        drop_capabilities()
    return describe_level(filesystem, network, own_user=own_user)


def drop_capabilities() -> None:
    """Give up every capability of this process and of anything it executes later.

    A worker of a grader that runs as root (and could not get a user of its own) keeps
    root's file ownership but loses what makes root powerful: loading kernel modules,
    overriding file permissions, mounting, changing users. Landlock confines it either way.
    """
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop, pr_cap_ambient, ambient_clear_all = 24, 47, 4
    libc.prctl(pr_cap_ambient, ambient_clear_all, 0, 0, 0)
    for capability in range(64):
        if libc.prctl(pr_capbset_drop, capability, 0, 0, 0) != 0:
            break  # past the last capability this kernel knows

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    version_3 = 0x20080522
    if libc.capset(ctypes.byref(Header(version_3, 0)), (Data * 2)()) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")


def _abi_override() -> int | None:
    """Tests simulate an older kernel with CNNKIT_SANDBOX_MAX_ABI."""
    value = os.environ.get("CNNKIT_SANDBOX_MAX_ABI")
    return int(value) if value else None


def describe_level(filesystem: dict | None, network, *, disabled: bool = False,
                   own_user: bool = False) -> dict:
    """What the sandbox enforces, as recorded in ``results.json``.

    ``level`` is ``"full"`` when files, network, signals and processes are all confined,
    ``"partial"`` when some are, ``"none"`` when nothing is (turned off or unavailable).
    """
    if disabled:
        return {"level": "none", "reason": f"turned off ({SANDBOX_ENV}=off)"}
    landlock_ok = isinstance(filesystem, dict) and "error" not in filesystem
    abi = filesystem.get("abi", 0) if landlock_ok else 0
    facts = {
        "landlock_abi": abi,
        "files": landlock_ok,
        "network": network is True,
        "signals": bool(landlock_ok and filesystem.get("signals")) or own_user,
        "processes": True,  # the supervisor, which needs no kernel feature
    }
    problems = []
    if not landlock_ok:
        problems.append(f"no Landlock ({(filesystem or {}).get('error', 'unavailable')})")
    if network is not True:
        problems.append(f"no socket filter ({network.get('error') if network else 'off'})")
    if landlock_ok and not facts["signals"]:
        problems.append(f"Landlock ABI {abi} cannot scope signals (needs {FULL_ABI})")
    if all(facts[k] for k in ("files", "network", "signals")):
        level = "full"
    elif facts["files"] or facts["network"]:
        level = "partial"
    else:
        level = "none"
    return {"level": level, **facts, "problems": problems}


# -- a user of its own (when the grader runs as root) -------------------------------------------
_OWN_UID_BASE = 2_000_000  # far above any real account; no password entry is needed


def own_user() -> int | None:
    """A fresh user id for the next worker when the grader runs as root (Gradescope, CI
    containers), as Securescope does; ``None`` otherwise.

    A worker of its own user can neither signal nor trace the grader (root) nor another
    worker, whatever the Landlock ABI. It needs an interpreter that other users may run: a
    Python under ``/root`` (0700) cannot be, and then Landlock alone confines the worker.
    """
    if not enabled() or os.geteuid() != 0:
        return None
    if os.environ.get("CNNKIT_SANDBOX_USER", "on").lower() in ("off", "0", "no"):
        return None
    if not _usable_by_others():
        return None
    return _OWN_UID_BASE + int.from_bytes(os.urandom(3), "big")


@functools.cache
def _usable_by_others() -> bool:
    """Whether a user other than the owner can run this interpreter and read its libraries."""
    import stat

    def open_to_others(path: Path) -> bool:
        for folder in [path, *path.parents]:
            try:
                mode = folder.stat().st_mode
            except OSError:
                return False
            if folder.is_dir() and not mode & stat.S_IXOTH:
                return False
        return bool(path.stat().st_mode & stat.S_IROTH)

    paths = [Path(sys.executable).resolve(), *(Path(p) for p in sysconfig.get_paths().values()
                                                if p and Path(p).exists())]
    return all(open_to_others(p.resolve()) for p in paths) and \
        open_to_others(worker_runtime())


def hand_to_user(scratch: Path, home: Path, uid: int) -> None:
    """Let ``uid`` reach its scratch folder and own its home (and nothing else in it)."""
    scratch.chmod(0o711)
    for path in scratch.iterdir():
        path.chmod(0o755)
    os.chown(home, uid, uid)


def probe() -> dict:
    """The level a worker started now would get, measured by sandboxing a short-lived
    process exactly as a worker is (without TensorFlow): what ``--require-sandbox`` checks
    before any submission is graded."""
    import json
    import subprocess

    with tempfile.TemporaryDirectory(prefix="cnnkit-probe-") as scratch:
        home, handover = Path(scratch) / "home", Path(scratch) / "handover"
        home.mkdir()
        handover.mkdir()
        env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(worker_runtime()),
               "CNNKIT_SANDBOX_RULES": json.dumps(plan(home, handover))}
        env.update({k: v for k, v in os.environ.items() if k.startswith("CNNKIT_SANDBOX")})
        code = ("import json, os; from autograder import sandbox; "
                "print(json.dumps(sandbox.enter(json.loads(os.environ['CNNKIT_SANDBOX_RULES']),"
                " own_user=False)))")
        completed = subprocess.run([sys.executable, "-P", "-s", "-c", code], env=env, cwd=home,
                                   capture_output=True, text=True, timeout=60, check=False)
    try:
        return json.loads(completed.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {"level": "none", "problems": [completed.stderr.strip()[-500:]]}
