"""Per-run outputs built from the students' ``results.json``: a CSV of grades, a JUnit XML for
CI dashboards and a Markdown summary (e.g. for a GitHub Actions job summary).

They are rebuilt from the files on disk, so that a resumed run reports every student, graded
now or earlier, and ``cnnkit export`` can rebuild them from results merged from several
machines.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

from autograder.engine.results import outcome, write_text_atomic

CSV_FILE = "grades.csv"
JUNIT_FILE = "junit.xml"


def _test_id(test: dict) -> str:
    return (test.get("tags") or [test.get("name", "")])[0]


def load_results(out_dir: str | Path) -> dict[str, dict]:
    """Every ``<out>/<submission>/results.json`` (one level, or two for a student folder
    holding several notebooks), by submission name."""
    out_dir = Path(out_dir)
    found = {}
    for path in sorted([*out_dir.glob("*/results.json"), *out_dir.glob("*/*/results.json")]):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        found[path.parent.relative_to(out_dir).as_posix()] = data
    return found


def grades_csv(results: dict[str, dict]) -> str:
    """One row per student: the points of each test (columns named by test function, in the
    suite's order), then the total and the maximum."""
    columns: list[str] = []
    for data in results.values():
        for test in data.get("tests", []):
            if _test_id(test) not in columns:
                columns.append(_test_id(test))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["submission", "assignment", *columns, "total", "max_score"])
    for name, data in results.items():
        points = {_test_id(t): t.get("score", 0) for t in data.get("tests", [])}
        writer.writerow([
            name,
            data.get("extra_data", {}).get("assignment") or "",
            *(f"{points[c]:g}" if c in points else "" for c in columns),
            f"{data.get('score', 0):g}",
            f"{data.get('max_score', 0):g}",
        ])
    return buffer.getvalue()


def junit_xml(results: dict[str, dict], *, name: str = "cnnkit") -> str:
    """One ``testsuite`` per student and one ``testcase`` per test; a failed test carries its
    message. The rubric line and the points are in each case's ``system-out``."""
    root = ET.Element("testsuites", name=name)
    total = failures = 0
    for student, data in results.items():
        assignment = data.get("extra_data", {}).get("assignment") or "submission"
        tests = data.get("tests", [])
        failed = sum(outcome(t) == "failed" for t in tests)
        skipped = sum(outcome(t) == "skipped" for t in tests)
        suite = ET.SubElement(
            root, "testsuite", name=student, tests=str(len(tests)), failures=str(failed),
            errors="0", skipped=str(skipped), time=f"{data.get('execution_time', 0):.2f}",
        )
        properties = ET.SubElement(suite, "properties")
        for key in ("score", "max_score"):
            ET.SubElement(properties, "property", name=key, value=f"{data.get(key, 0):g}")
        for test in tests:
            duration = (test.get("extra_data") or {}).get("duration") or 0
            case = ET.SubElement(suite, "testcase", name=_test_id(test),
                                 classname=f"{assignment}.{student}", time=f"{duration:.3f}")
            if outcome(test) == "failed":
                message = (test.get("output") or "failed").splitlines()[0][:300]
                failure = ET.SubElement(case, "failure", message=message, type="failed")
                failure.text = test.get("output", "")
            elif outcome(test) == "skipped":
                ET.SubElement(case, "skipped", message=(test.get("output") or "not run")[:300])
            out = ET.SubElement(case, "system-out")
            out.text = (f"{test.get('score', 0):g}/{test.get('max_score', 0):g} points: "
                        f"{test.get('name', '')}")
        total += len(tests)
        failures += failed
    root.set("tests", str(total))
    root.set("failures", str(failures))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def markdown_summary(results: dict[str, dict]) -> str:
    """A Markdown table of points per submission, then each failed check."""
    lines = ["| submission | points |", "| --- | --- |"]
    for name, data in results.items():
        lines.append(f"| {name} | {data.get('score', 0):g} / {data.get('max_score', 0):g} |")
    for name, data in results.items():
        failed = [t for t in data.get("tests", []) if outcome(t) == "failed"]
        if failed:
            lines += ["", f"**{name}**: checks not passed", ""]
            for test in failed:
                first = (test.get("output") or "").splitlines()
                detail = f": {first[0]}" if first else ""
                lines.append(f"- {test.get('name', '')} "
                             f"({test.get('score', 0):g}/{test.get('max_score', 0):g}){detail}")
    return "\n".join(lines) + "\n"


def write_exports(results: dict[str, dict], out_dir: str | Path) -> list[Path]:
    """Write ``grades.csv`` and ``junit.xml`` into ``out_dir`` (atomically); return them."""
    out_dir = Path(out_dir)
    written = []
    for file_name, text in ((CSV_FILE, grades_csv(results)), (JUNIT_FILE, junit_xml(results))):
        write_text_atomic(out_dir / file_name, text)
        written.append(out_dir / file_name)
    return written


def text_table(results: dict[str, dict]) -> str:
    """A fixed-width table: one row per submission (points, tests passed, grading time)."""
    width = max([len("submission")] + [len(name) for name in results])
    header = f"{'submission':<{width}}  {'score':>13}  {'tests':>7}  {'time':>7}"
    rows = [header, "-" * len(header)]
    for name, data in results.items():
        tests = data.get("tests", [])
        passed = sum(t.get("status") == "passed" for t in tests)
        score = f"{data.get('score', 0):g} / {data.get('max_score', 0):g}"
        rows.append(f"{name:<{width}}  {score:>13}  {f'{passed}/{len(tests)}':>7}  "
                    f"{data.get('execution_time', 0):>6.1f}s")
    return "\n".join(rows)


def text_report(data: dict) -> str:
    """The checks not passed, with their messages (empty when all passed)."""
    lines = []
    for test in data.get("tests", []):
        if outcome(test) != "failed":
            continue
        lines.append(f"  FAIL {test.get('score', 0):g}/{test.get('max_score', 0):g}  "
                     f"{test.get('name', '')}")
        lines += [f"         {line}" for line in (test.get("output") or "").splitlines()]
    return "\n".join(lines)
