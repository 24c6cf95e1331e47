"""An nbgrader preprocessor: the kit's test cells get the points of the isolated grading.

``nbgrader autograde`` runs a submission in two passes: it *sanitizes* it (clears outputs,
restores locked cells and test cells from the gradebook), then *autogrades* the sanitized copy
through ``Autograde.autograde_preprocessors``: ``Execute`` runs every cell in one kernel, a few
preprocessors tidy the outputs, and ``SaveAutoGrades`` turns each test cell's outputs into its
score (``nbgrader.utils.determine_grade``). The kernel runs the student's cells, so whatever a
test cell prints or returns there is the student's to forge. :class:`KitGrades` goes between
the output tidying and ``SaveAutoGrades`` (``nbgrader_config.py`` puts it there) and replaces
those outputs with the kit's own grading of the notebook, run in a separate process.

:class:`SandboxedExecute` replaces ``Execute`` in that pipeline: the same preprocessor, with a
kernel confined by the kit's sandbox (:class:`SandboxedKernelManager`,
:mod:`autograder.sandbox.kernel`) and every process the notebook started killed once it has
run.
"""

from __future__ import annotations

import contextlib
import copy
import ctypes
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbconvert.exporters.exporter import ResourcesDict
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Integer

from autograder import sandbox
from autograder.nbgrader_bridge import (
    GRADE_CALL,
    GRADE_CELL_PREFIX,
    cell_report,
    function_of,
    grade_isolated,
)
from autograder.sandbox import kernel as kernel_sandbox
from autograder.sandbox import landlock, supervise


def _kit_call(cell: NotebookNode) -> tuple[str, str] | None:
    """``(assignment, function)`` of a kit test cell, ``None`` for any other cell."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
        return None
    if not str(meta.get("grade_id", "")).startswith(GRADE_CELL_PREFIX):
        return None
    # the source is the gradebook's (OverwriteCells restored it), never the student's edit
    found = GRADE_CALL.search(cell.source)
    return (found.group(1), found.group(2)) if found else None


def _sources_only(nb: NotebookNode) -> NotebookNode:
    """A copy of the notebook without anything the kernel produced (outputs, counts, timing)."""
    clean = copy.deepcopy(nb)
    for cell in clean.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
    return clean


class KitGrades(NbGraderPreprocessor):
    """Overwrite the output of each kit test cell with the kit's isolated grading.

    The notebook graded is the sanitized one nbgrader holds in memory, written to a temporary
    file with its outputs removed: the kernel can change outputs but neither this copy's
    sources nor this process, whereas it could rewrite the notebook file in its own folder.
    Each test cell's outputs become one stdout stream (the kit's line per hidden test of that
    function, a failing test's message) and one ``execute_result`` holding the function's
    points as a float, which ``determine_grade`` records as the cell's partial credit.
    """

    timeout = Integer(
        1800, help="Seconds the kit's grading of one notebook may take before autograding of "
                   "that submission fails."
    ).tag(config=True)

    def preprocess(self, nb: NotebookNode,
                   resources: ResourcesDict) -> tuple[NotebookNode, ResourcesDict]:
        """Grade the notebook once and rewrite its kit test cells.

        Parameters
        ----------
        nb : NotebookNode
            The executed notebook.
        resources : ResourcesDict
            nbgrader's resources (the notebook's name is taken from ``resources["nbgrader"]``).

        Returns
        -------
        tuple
            The notebook with its kit test cells rewritten, and the resources unchanged.

        Raises
        ------
        RuntimeError
            When the kit cannot grade the notebook, or its rubric does not match the
            gradebook's test cells: nbgrader then fails this submission rather than record
            points that are not the kit's.
        """
        calls = {index: _kit_call(cell) for index, cell in enumerate(nb.cells)}
        calls = {index: call for index, call in calls.items() if call}
        if not calls:
            return nb, resources
        assignments = {assignment for assignment, _ in calls.values()}
        if len(assignments) != 1:
            raise RuntimeError(f"test cells of several assignments in one notebook: {assignments}")
        assignment = assignments.pop()
        name = resources.get("nbgrader", {}).get("notebook") or "submission"
        with tempfile.TemporaryDirectory(prefix="cnnkit-autograde-") as folder:
            path = Path(folder) / f"{name}.ipynb"
            nbformat.write(_sources_only(nb), path)
            result = grade_isolated(path, assignment, timeout=self.timeout)

        tests: dict[str, list[dict]] = {}
        for test in result["tests"]:
            tests.setdefault(function_of(test["name"]), []).append(test)
            if test.get("grader_error"):
                self.log.error("the kit could not finish %r (scored 0, as `cnnkit grade` does)",
                               test["name"])
        cells = {function for _, function in calls.values()}
        if set(tests) != cells:
            raise RuntimeError(
                f"the test cells ({sorted(cells)}) do not match the hidden suite of {assignment} "
                f"({sorted(tests)}): run `cnnkit release`, then `nbgrader generate_assignment`"
            )
        for index, (_, function) in calls.items():
            self._rewrite(nb.cells[index], tests[function])
        return nb, resources

    def _rewrite(self, cell: NotebookNode, tests: list[dict]) -> None:
        points = float(sum(test["score"] for test in tests))
        if points > float(cell.metadata["nbgrader"]["points"]):
            raise RuntimeError(
                f"{cell.metadata['nbgrader']['grade_id']}: the kit gives {points:g} points, the "
                f"cell is worth {cell.metadata['nbgrader']['points']}: release the assignment again"
            )
        # repr() of a float reads back as the same float: nbgrader records exactly these points
        cell.outputs = [
            nbformat.v4.new_output("stream", name="stdout", text=cell_report(tests)),
            nbformat.v4.new_output("execute_result", data={"text/plain": repr(points)},
                                   execution_count=cell.get("execution_count")),
        ]


# -- the kernel that runs the student's cells ------------------------------------------------
#: Entries of the kit's dataset cache that are public data, shared read only with the kernel.
#: The rest of the cache (the grader's precomputed embeddings) stays out of its reach.
_PUBLIC_CACHE = ("mnist.npz", "cats_and_dogs_filtered", "cats_dogs_standin_v*")
#: Folders of the grader's Keras home that hold public downloads (data sets, weights).
_PUBLIC_KERAS = ("datasets", "models")


def _public_data(home: Path) -> tuple[dict[str, str], list[Path]]:
    """What the demo cells of a confined kernel may load, and the settings that point there.

    The kernel gets caches of its own under ``home`` (the loaders write layouts and
    stand-ins there), in which the grader's already downloaded public data are linked.

    Parameters
    ----------
    home : Path
        The kernel's scratch HOME.

    Returns
    -------
    tuple
        Environment settings for the kernel, and the paths it may read.
    """
    from autograder.data import manifest

    readable: list[Path] = []
    if manifest.MANIFEST_PATH.is_file():
        readable.append(manifest.MANIFEST_PATH)
    override = os.environ.get(manifest.CACHE_DIR_ENV, "").strip()
    shared = Path(override).expanduser() if override else manifest.REPO_ROOT / "datasets" / "cache"
    cache = home / "cache"
    cache.mkdir()
    for pattern in _PUBLIC_CACHE:
        for entry in sorted(shared.glob(pattern)) if shared.is_dir() else []:
            (cache / entry.name).symlink_to(entry.resolve())
            readable.append(entry.resolve())
    keras_shared = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras").expanduser()
    keras_home = home / ".keras"
    keras_home.mkdir()
    for name in _PUBLIC_KERAS:
        if (keras_shared / name).is_dir():
            (keras_home / name).symlink_to((keras_shared / name).resolve())
            readable.append((keras_shared / name).resolve())
    data_dir = os.environ.get("CNNKIT_DATA_DIR", "").strip()
    if data_dir and Path(data_dir).expanduser().exists():
        readable.append(Path(data_dir).expanduser().resolve())
    env = {"HOME": str(home), "TMPDIR": str(home), "MPLCONFIGDIR": str(home),
           "KERAS_HOME": str(keras_home), manifest.CACHE_DIR_ENV: str(cache)}
    return env, readable


def _student_package() -> Path | None:
    """The students' package as ``cnnkit release`` built it (public checks, frozen expected
    values), so that a notebook's ``check()`` runs in the confined kernel, where the hidden
    suites that ``cnnkit check`` needs are out of reach."""
    from autograder.student_bundle import DEFAULT_OUT

    source = DEFAULT_OUT / "src"
    return source if (source / "cnnkit_student" / "data").is_dir() else None


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels run in the kit's sandbox (:mod:`autograder.sandbox.kernel`).

    The kernel command of the kernel spec is wrapped in the launcher, which confines itself
    with Landlock, then executes that command. The grader (this process) computes the rules:
    read the libraries, a copy of the kit without its hidden suites, public data; write the
    notebook's folder (the working directory nbclient gives) and a scratch folder of the
    kernel's own, removed when the kernel is cleaned up. Without the sandbox (turned off, or
    no Landlock) the kernel runs unconfined, and a warning says so.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._scratches: list[Path] = []

    async def _async_pre_start_kernel(self, **kw: Any) -> tuple[list[str], dict[str, Any]]:
        kernel_cmd, kw = await super()._async_pre_start_kernel(**kw)
        if not sandbox.enabled():
            self.log.warning("cnnkit: the sandbox is turned off (%s=off): this notebook's "
                             "kernel runs unconfined", sandbox.SANDBOX_ENV)
            return kernel_cmd, kw
        if landlock.abi_version() < 1:
            self.log.warning("cnnkit: this system offers no Landlock: this notebook's kernel "
                             "runs unconfined")
        scratch = Path(tempfile.mkdtemp(prefix="cnnkit-kernel-"))
        self._scratches.append(scratch)
        home = scratch / "home"
        home.mkdir()
        workdir = Path(kw.get("cwd") or os.getcwd()).resolve()
        data_env, readable = _public_data(home)
        python_path = [str(sandbox.kernel_runtime())]
        if (package := _student_package()) is not None:
            # first: the released package holds the frozen expected values of check()
            python_path.insert(0, str(package))
            readable.append(package)
        env = dict(kw.get("env") or os.environ)
        env.update(data_env)
        env.update({
            "PYTHONPATH": os.pathsep.join(python_path),  # never the kit's own folder
            kernel_sandbox.RULES_ENV: json.dumps(kernel_sandbox.plan(home, workdir, readable)),
            kernel_sandbox.LEVEL_ENV: str(scratch / "level.json"),
        })
        kw["env"] = env
        launcher = [sys.executable, "-P", "-s", "-m", "autograder.sandbox.kernel", "--"]
        return [*launcher, *kernel_cmd], kw

    def sandbox_level(self) -> dict | None:
        """The level the launcher of the latest kernel reported (``None``: not known yet)."""
        for scratch in reversed(self._scratches):
            with contextlib.suppress(OSError, ValueError):
                return json.loads((scratch / "level.json").read_text(encoding="utf-8"))
        return None

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        level = self.sandbox_level()
        if level is not None:
            log = self.log.info if level["level"] == "full" else self.log.warning
            log("cnnkit: the notebook's kernel ran with sandbox level %r (Landlock ABI %s)%s",
                level["level"], level.get("landlock_abi", 0),
                "".join(f"; {p}" for p in level.get("problems", [])))
        for scratch in self._scratches:
            shutil.rmtree(scratch, ignore_errors=True)
        self._scratches.clear()


_PR_SET_CHILD_SUBREAPER = 36


class SandboxedExecute(Execute):
    """nbgrader's ``Execute`` with a confined kernel, and nothing left running afterwards.

    The kernel comes from :class:`SandboxedKernelManager`. ``Execute`` forces its kernel
    manager class over any configuration, hence this subclass, which ``nbgrader_config.py``
    puts in ``Execute``'s place (its settings, ``c.Execute.*``, apply).

    Processes: nbgrader ends a kernel with a shutdown request, then SIGKILL to its process
    group, which misses what a cell started in another session or detached by a double fork.
    This process therefore becomes a child subreaper (``PR_SET_CHILD_SUBREAPER``): whatever
    the kernel orphaned is re-parented here instead of to init; once the notebook has run,
    every process beneath this one that was not already its child is killed.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        # A graceful shutdown has ipykernel look for its children in /proc, which the sandbox
        # hides (it logs a traceback); the sweep below ends them all anyway.
        kwargs.setdefault("shutdown_kernel", "immediate")
        super().__init__(*args, **kwargs)

    def preprocess(self, nb: NotebookNode,
                   resources: ResourcesDict) -> tuple[NotebookNode, ResourcesDict]:
        """Run the notebook in a confined kernel, then kill every process it left.

        Parameters
        ----------
        nb : NotebookNode
            The notebook to run.
        resources : ResourcesDict
            nbgrader's resources (``metadata.path`` is the kernel's working directory).

        Returns
        -------
        tuple
            The executed notebook and the resources, as ``Execute`` returns them.
        """
        if ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
            self.log.warning("cnnkit: cannot become a child subreaper: processes a notebook "
                             "detaches may outlive its autograding")
        ours = supervise.children_now(os.getpid())
        try:
            return super().preprocess(nb, resources)
        finally:
            killed = supervise.kill_new_descendants(os.getpid(), ours)
            if killed:
                self.log.warning("cnnkit: killed %d process(es) the notebook left running",
                                 killed)
