"""The sandbox's own promises, checked on small processes (no TensorFlow, no grading)."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder import sandbox
from autograder.engine.client import StudentCodeError
from autograder.engine.models import model_spec_problem
from autograder.engine.plugin import _message
from autograder.sandbox import landlock, supervise

needs_landlock = pytest.mark.skipif(landlock.abi_version() < 1,
                                    reason="this kernel offers no Landlock")


def _sandboxed(code: str, tmp_path: Path, *, env: dict | None = None) -> dict:
    """Run ``code`` in a process sandboxed exactly as a worker is; it prints JSON."""
    home, handover = tmp_path / "home", tmp_path / "handover"
    home.mkdir(exist_ok=True)
    handover.mkdir(exist_ok=True)
    (handover / "given.txt").write_text("data a test hands over")
    prelude = ("import json, os, sys\nfrom autograder import sandbox\n"
               "level = sandbox.enter(json.loads(os.environ['CNNKIT_SANDBOX_RULES']))\n")
    completed = subprocess.run(
        [sys.executable, "-P", "-s", "-c", prelude + code], cwd=home, capture_output=True,
        text=True, timeout=60, check=False,
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(sandbox.worker_runtime()),
             "CNNKIT_SANDBOX_RULES": json.dumps(sandbox.plan(home, handover)), **(env or {})})
    assert completed.returncode == 0, completed.stderr[-2000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


_ATTEMPTS = """
root = os.environ["KIT"]
def attempt(f):
    try:
        f()
        return "allowed"
    except OSError as error:
        return type(error).__name__
import socket
print(json.dumps({"level": level,
    "read_handover": attempt(lambda: open("../handover/given.txt").read()),
    "write_handover": attempt(lambda: open("../handover/x", "w")),
    "write_home": attempt(lambda: open("scratch.txt", "w").write("ok")),
    "read_suite": attempt(lambda: open(root + "/autograder/suites/mnist_cnn/conftest.py").read()),
    "list_kit": attempt(lambda: os.listdir(root + "/autograder")),
    "read_solution": attempt(lambda: os.listdir(root + "/solutions")),
    "write_tmp": attempt(lambda: open("/tmp/cnnkit-sandbox-test", "w")),
    "import_numpy": attempt(lambda: __import__("numpy")),
    "udp": attempt(lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM)),
    "unix": attempt(lambda: socket.socket(socket.AF_UNIX)),
    "signal_parent": attempt(lambda: os.kill(int(os.environ["PARENT"]), 0)),
    "parent_cmdline": attempt(lambda: open(f"/proc/{os.environ['PARENT']}/cmdline").read()),
}))
"""


@needs_landlock
def test_a_sandboxed_process_reads_libraries_and_its_handover_only(tmp_path):
    seen = _sandboxed(_ATTEMPTS, tmp_path, env={"KIT": str(sandbox.KIT_ROOT.parent),
                                               "PARENT": str(os.getpid())})
    assert seen["read_handover"] == "allowed" and seen["import_numpy"] == "allowed"
    assert seen["write_home"] == "allowed"
    for denied in ("write_handover", "read_suite", "list_kit", "read_solution", "write_tmp",
                   "parent_cmdline"):
        assert seen[denied] == "PermissionError", (denied, seen[denied])
    assert seen["udp"] == seen["unix"] == "PermissionError", "sockets must be refused"
    if landlock.abi_version() >= sandbox.FULL_ABI:
        assert seen["signal_parent"] == "PermissionError"
        assert seen["level"]["level"] == "full"
    assert not Path("/tmp/cnnkit-sandbox-test").exists()


@needs_landlock
def test_an_older_kernel_gives_a_partial_level_and_require_sandbox_refuses(tmp_path):
    env = {"CNNKIT_SANDBOX_MAX_ABI": "3"}
    seen = _sandboxed("print(json.dumps(level))", tmp_path, env=env)
    assert seen["level"] == "partial" and seen["signals"] is False
    assert any("cannot scope signals" in p for p in seen["problems"])
    blank = sandbox.KIT_ROOT.parent / "examples" / "01_mnist_cnn" / "blank.ipynb"
    completed = subprocess.run(
        [sys.executable, "-m", "autograder.cli", "grade", str(blank), "--out",
         str(tmp_path / "out"), "--assignment", "01_mnist_cnn", "--require-sandbox"],
        env={**os.environ, **env}, capture_output=True, text=True, timeout=120, check=False,
        cwd=sandbox.KIT_ROOT.parent)
    assert completed.returncode == 2, completed.stderr  # refused before any grading
    assert "sandbox level 'partial'" in completed.stderr
    assert not (tmp_path / "out").exists()


def test_turning_the_sandbox_off_is_reported_as_level_none(tmp_path):
    seen = _sandboxed("print(json.dumps(level))", tmp_path, env={"CNNKIT_SANDBOX": "off"})
    assert seen["level"] == "none"


def test_the_kit_folder_is_never_among_the_readable_paths(tmp_path):
    readable = [Path(rule["path"]) for rule in sandbox.plan(tmp_path, tmp_path)]
    kit = sandbox.KIT_ROOT
    for path in readable:
        assert not kit.is_relative_to(path) and not path.is_relative_to(kit), path
    assert not any(path == kit.parent for path in readable)


def test_the_supervisor_kills_processes_that_left_the_session(tmp_path):
    """A worker's grandchildren in new sessions die with the worker's supervisor."""
    marker = tmp_path / "pids"
    child = (
        "import os, subprocess, sys, time\n"
        "ids = []\n"
        "for _ in range(3):\n"
        "    ids.append(subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'],"
        " start_new_session=True).pid)\n"
        f"open({str(marker)!r}, 'w').write(' '.join(map(str, ids)))\n"
        "time.sleep(60)\n"
    )
    process = subprocess.Popen([sys.executable, "-m", "autograder.sandbox.supervise", "--",
                                sys.executable, "-c", child], start_new_session=True)
    deadline = time.monotonic() + 30
    while not marker.exists() or not marker.read_text().strip():
        assert time.monotonic() < deadline, "the worker stand-in did not start its children"
        time.sleep(0.1)
    pids = [int(p) for p in marker.read_text().split()]
    assert all(Path(f"/proc/{pid}").exists() for pid in pids)
    process.terminate()
    process.wait(timeout=30)
    time.sleep(0.2)
    alive = [pid for pid in pids if Path(f"/proc/{pid}").exists()
             and b"sleep(60)" in Path(f"/proc/{pid}/cmdline").read_bytes()]
    assert alive == [], "processes outlived their supervisor"


def test_descendants_follow_the_parent_links():
    found = supervise.descendants(os.getppid())
    assert os.getpid() in found


_MODEL = {"module": "keras", "class_name": "Sequential", "registered_name": None,
          "config": {"layers": [{"module": "keras.layers", "class_name": "Dense",
                                 "registered_name": None, "config": {"units": 2}}]}}


def _spec(config: dict, compile_config: dict | None = None) -> dict:
    return {"is_model": True, "class": "Sequential", "config": json.dumps(config),
            "weights": [], "compile": json.dumps(compile_config) if compile_config else None}


def test_models_of_keras_classes_cross_and_custom_classes_do_not():
    assert model_spec_problem(_spec(_MODEL)) is None
    custom = json.loads(json.dumps(_MODEL))
    custom["config"]["layers"][0].update(module=None, class_name="Cheat",
                                         registered_name="Cheat")
    assert "custom class Cheat is not accepted" in model_spec_problem(_spec(custom))
    lookalike = json.loads(json.dumps(_MODEL))
    lookalike["config"]["layers"][0]["module"] = "keras_evil.layers"
    assert "not accepted" in model_spec_problem(_spec(lookalike))
    lam = json.loads(json.dumps(_MODEL))
    lam["config"]["layers"][0]["class_name"] = "Lambda"
    assert "Lambda layer is not accepted" in model_spec_problem(_spec(lam))
    own_loss = {"loss": {"module": "builtins", "class_name": "function", "config": "my_loss",
                         "registered_name": "function"}}
    assert "not accepted" in model_spec_problem(_spec(_MODEL, own_loss))
    assert "keras.Model is expected" in model_spec_problem({"is_model": False, "class": "int"})


class _Info:
    def __init__(self, error: BaseException) -> None:
        self.value = error


def test_hidden_tests_show_the_exception_type_and_line_not_its_text():
    error = StudentCodeError("f() raised ValueError: secret [1, 2, 3]", output="printed secret",
                             kind="ValueError", brief="f() raised ValueError (<cell 4>, line 2)")
    hidden, _ = _message(_Info(error), "hidden")
    public, _ = _message(_Info(error), "public")
    assert "secret" not in hidden and "line 2" in hidden and "ValueError" in hidden
    assert "secret [1, 2, 3]" in public and "printed secret" in public


@needs_landlock
def test_a_notebook_kernel_runs_in_the_sandbox(tmp_path):
    """A real ipykernel started through the autograde kernel manager: the launcher confines
    it before it starts, and it still runs code and talks to its client over ZeroMQ."""
    import asyncio

    from autograder.nbgrader_preprocessor import SandboxedKernelManager

    suite_file = sandbox.KIT_ROOT / "suites" / "mnist_cnn" / "conftest.py"
    code = (
        "import os, socket\n"
        "def attempt(f):\n"
        "    try:\n"
        "        f()\n"
        "        return 'allowed'\n"
        "    except OSError as error:\n"
        "        return type(error).__name__\n"
        f"print({{'suite': attempt(lambda: open({str(suite_file)!r}).read()),\n"
        f"       'kit_write': attempt(lambda: open({str(sandbox.KIT_ROOT / 'x')!r}, 'w')),\n"
        "       'own_folder': attempt(lambda: open('written.txt', 'w').write('ok')),\n"
        "       'connect': attempt(lambda: socket.create_connection(('127.0.0.1', 9), 2)),\n"
        "       'signal_init': attempt(lambda: os.kill(1, 0))})\n"
        "import autograder.nbgrader_bridge, autograder.data\n"
        "1 + 1"
    )

    async def run() -> tuple[str, str, dict | None]:
        manager = SandboxedKernelManager(kernel_name="python3")
        await manager.start_kernel(cwd=str(tmp_path))
        client = manager.client()
        client.start_channels()
        printed, result = [], []
        try:
            await client.wait_for_ready(timeout=60)

            def hook(message: dict) -> None:
                content = message["content"]
                printed.append(content.get("text", ""))
                result.append(content.get("data", {}).get("text/plain", ""))

            reply = await client.execute_interactive(code, timeout=60, output_hook=hook)
            assert reply["content"]["status"] == "ok", reply["content"]
            level = manager.sandbox_level()
        finally:
            client.stop_channels()
            await manager.shutdown_kernel(now=True)
        return "".join(printed), "".join(result), level

    printed, result, level = asyncio.run(run())
    assert result == "2"
    seen = ast.literal_eval(printed)  # the dict the kernel printed
    assert seen["suite"] == seen["kit_write"] == "PermissionError", seen
    assert seen["own_folder"] == "allowed" and (tmp_path / "written.txt").read_text() == "ok"
    assert not (sandbox.KIT_ROOT / "x").exists()
    if landlock.abi_version() >= 4:
        assert seen["connect"] == "PermissionError"
    if landlock.abi_version() >= sandbox.FULL_ABI:
        assert seen["signal_init"] == "PermissionError"
        assert level is not None and level["level"] == "full"
