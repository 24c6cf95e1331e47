"""Gradescope: build an ``autograder.zip`` for one assignment, and the code it runs there.

Gradescope's autograder specification: the zip holds ``setup.sh`` and ``run_autograder`` at
its root; Gradescope unpacks it into ``/autograder/source``, runs ``setup.sh`` once when it
builds the grading image, then for each submission runs ``/autograder/run_autograder`` with the
student's files in ``/autograder/submission/`` and reads ``/autograder/results/results.json``.

The zip holds the kit's code, the assignment's hidden suite and reference notebook and the
datasets manifest; no student files (no examples, no released notebooks) and no other
assignment's suite. ``run_autograder`` accepts another root than ``/autograder`` through
``CNNKIT_AUTOGRADER_ROOT`` (and another interpreter through ``CNNKIT_PYTHON``), which is how
the kit's tests run it in a simulated layout.

    python -m autograder.gradescope run [--root /autograder]    grade the submission
    python -m autograder.gradescope selfcheck                   grade the reference (setup.sh)
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import zipfile
from pathlib import Path

from autograder import __version__
from autograder.assignments import ROOT, get_assignment
from autograder.i18n import LANGUAGES, _, current_language, language

CONFIG_FILE = "cnnkit-gradescope.json"

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, in /autograder/source, when it builds the grading image.
# It installs Python 3.11+ and the course kit (with TensorFlow) into /autograder/source/.venv.
set -euo pipefail
cd "$(dirname "$0")"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends python3 python3-venv python3-pip
PY=""
for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
        PY="$candidate"
        break
    fi
done
if [ -z "$PY" ]; then
    # Older Ubuntu images: their universe component carries Python 3.11.
    apt-get install -y --no-install-recommends python3.11 python3.11-venv
    PY=python3.11
fi
"$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .
# Grade the reference once now: a broken image fails here, and the grader's cache (its
# trainings of the reference's model, the embeddings of assignment 04) is ready for students.
CNNKIT_OFFLINE=1 .venv/bin/python -m autograder.gradescope selfcheck
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for each submission. CNNKIT_AUTOGRADER_ROOT replaces /autograder and
# CNNKIT_PYTHON the interpreter installed by setup.sh (both for running it elsewhere).
set -u
ROOT="${CNNKIT_AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
PYTHON="${CNNKIT_PYTHON:-$SOURCE/.venv/bin/python}"
mkdir -p "$ROOT/results"
cd "$SOURCE" || exit 1
# The kit in this folder, never another copy installed elsewhere; grading never goes online.
export PYTHONPATH="$SOURCE${PYTHONPATH:+:$PYTHONPATH}"
export CNNKIT_OFFLINE="${CNNKIT_OFFLINE:-1}" TF_CPP_MIN_LOG_LEVEL=3
"$PYTHON" -m autograder.gradescope run --root "$ROOT"
status=$?
if [ ! -s "$ROOT/results/results.json" ]; then
    message="The autograder stopped (exit code $status) before writing results; please tell"
    message="$message the course staff."
    printf '{"score": 0, "output": "%s", "tests": []}\\n' "$message" \\
        > "$ROOT/results/results.json"
fi
"""


# The English lines of RUN_AUTOGRADER that say the autograder stopped; a zip built in another
# language gets that sentence translated (see _run_autograder_script).
_STOPPED_LINES = (
    '    message="The autograder stopped (exit code $status) before writing results; please tell"\n'
    '    message="$message the course staff."\n'
)


def _run_autograder_script() -> str:
    """RUN_AUTOGRADER with its message in the language in use (the zip's)."""
    sentence = _("The autograder stopped (exit code {status}) before writing results; please "
                 "tell the course staff.")
    if sentence == ("The autograder stopped (exit code {status}) before writing results; "
                    "please tell the course staff."):
        return RUN_AUTOGRADER
    # it sits in a double-quoted shell string, then in a JSON string: no quote, no expansion
    sentence = sentence.replace('"', "'").replace("`", "'").replace("\\", "").replace("$", "")
    line = f'    message="{sentence.format(status="$status")}"\n'
    return RUN_AUTOGRADER.replace(_STOPPED_LINES, line)


def zip_members(assignment_id: str) -> dict[str, Path]:
    """What goes into the zip: archive name -> file in the checkout."""
    assignment = get_assignment(assignment_id)
    members: dict[str, Path] = {}

    def add_tree(folder: Path, *, skip: tuple[Path, ...] = ()) -> None:
        for path in sorted(folder.rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            if any(path.is_relative_to(s) for s in skip):
                continue
            members[path.relative_to(ROOT).as_posix()] = path

    suites = ROOT / "autograder" / "suites"
    other_suites = tuple(p for p in suites.iterdir() if p.is_dir() and p != assignment.suite_dir)
    add_tree(ROOT / "autograder", skip=other_suites)
    add_tree(assignment.solution_path.parent)
    for name in ("pyproject.toml", "README.md", "datasets/manifest.json", "datasets/README.md"):
        if (ROOT / name).is_file():
            members[name] = ROOT / name
    return members


def build_zip(assignment_id: str, target: str | os.PathLike) -> list[str]:
    """Write ``autograder.zip`` for ``assignment_id``.

    Parameters
    ----------
    assignment_id : str
        The assignment, e.g. ``"01_mnist_cnn"``.
    target : path
        The zip to write (its folder is created).

    Returns
    -------
    list of str
        The names in the archive.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    # the language the zip is built in is the language its gradings speak
    config = {"assignment": assignment_id, "kit_version": __version__,
              "language": current_language()}
    temporary = target.with_name(f".{target.name}.tmp")
    with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in (("setup.sh", SETUP_SH), ("run_autograder", _run_autograder_script())):
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.external_attr = 0o100755 << 16  # executable scripts
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text)
        archive.writestr(CONFIG_FILE, json.dumps(config, indent=2) + "\n")
        for name, path in zip_members(assignment_id).items():
            archive.write(path, name)
        names = archive.namelist()
    os.replace(temporary, target)
    return names


def _config(source: Path) -> dict:
    return json.loads((source / CONFIG_FILE).read_text(encoding="utf-8"))


def find_notebook(submission_dir: Path, expected_name: str) -> Path | None:
    """The submitted notebook: the one named as released, else the only notebook uploaded."""
    notebooks = sorted(
        p for p in submission_dir.rglob("*.ipynb")
        if ".ipynb_checkpoints" not in p.parts and "__MACOSX" not in p.parts
    )
    named = [p for p in notebooks if p.name == expected_name]
    if named:
        return named[0]
    return notebooks[0] if len(notebooks) == 1 else None


def run(root: Path) -> dict:
    """Grade ``root/submission`` and write ``root/results/results.json`` (Gradescope's layout).

    Returns
    -------
    dict
        The results.json content, in the language the zip was built in.
    """
    config = _config(root / "source")
    with language(config.get("language") if config.get("language") in LANGUAGES else None):
        return _run(root, config)


def _run(root: Path, config: dict) -> dict:
    import shutil
    import tempfile

    from autograder.batch import grade_in_lane
    from autograder.engine.results import SubmissionResult, TestResult, write_json_atomic

    assignment = get_assignment(config["assignment"])
    results_dir = root / "results"
    notebook = find_notebook(root / "submission", assignment.notebook)
    if notebook is None:
        uploaded = sorted(p.name for p in (root / "submission").rglob("*") if p.is_file())
        message = _("No notebook to grade: upload {notebook} (found: {found}).").format(
            notebook=assignment.notebook, found=", ".join(uploaded) or _("nothing"))
        result = SubmissionResult(
            submission="submission", assignment=assignment.id, output=message,
            tests=[TestResult(name=_("a notebook was submitted"), nodeid="submission",
                              score=0.0, max_score=0.0, status="failed", output=message,
                              visibility="public")],
        )
        data = result.gradescope()
        write_json_atomic(results_dir / "results.json", data)
        return data
    with tempfile.TemporaryDirectory(prefix="cnnkit-gradescope-") as out:
        data = grade_in_lane(notebook, out, name=notebook.stem, assignment=assignment.id)
        # results.json last: its presence means the grading is complete
        shutil.copytree(Path(out) / notebook.stem, results_dir, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("results.json"))
        write_json_atomic(results_dir / "results.json", data)
    return data


def selfcheck(source: Path) -> str:
    """Grade the configured assignment's reference once (imports TensorFlow, runs the whole
    hidden suite); a line to print.

    Run by ``setup.sh`` when Gradescope builds the image: a broken image fails there, and
    what the grader computes from plain data alone (its trainings of the reference's model,
    the embeddings of 04, ...) is then in the image's cache (:mod:`autograder.engine.cache`)
    for every student's grading.

    Raises
    ------
    RuntimeError
        When the reference does not earn full marks.
    """
    import tempfile

    from autograder.batch import grade_in_lane
    from autograder.engine.results import outcome

    assignment = get_assignment(_config(source)["assignment"])
    with tempfile.TemporaryDirectory(prefix="cnnkit-selfcheck-") as out:
        results = grade_in_lane(assignment.solution_path, out, name="reference",
                                assignment=assignment.id)
    if not results["tests"] or results["score"] != results["max_score"]:
        failing = [f"{t['name']}: {t.get('output', '')}" for t in results["tests"]
                   if outcome(t) == "failed"]
        raise RuntimeError(f"the reference of {assignment.id} earns {results['score']:g} of "
                           f"{results['max_score']:g} points: " + "; ".join(failing)[:2000])
    return (f"cnnkit {__version__}: {assignment.id} reference graded "
            f"{results['score']:g}/{results['max_score']:g}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="grade /autograder/submission")
    run_parser.add_argument("--root", type=Path, default=Path("/autograder"))
    commands.add_parser("selfcheck", help="grade the reference of the configured assignment")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.command == "selfcheck":
        print(selfcheck(ROOT))
        return 0
    data = run(args.root.resolve())
    print(f"graded: {data['score']:g} / {data.get('max_score', 0):g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
