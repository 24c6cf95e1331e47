"""The GitHub Actions workflows: valid YAML of the right shape, and the commands they run work.

The commands are taken from the workflow files themselves (a step found by its name), with
the ``${{ ... }}`` expressions GitHub would fill in replaced by test values, and run here in
a simulated repository. The steps that need GitHub (checkout, ``gh repo clone``, artifacts)
are not run.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml
from grading import ROOT, answered_submission, function_points

from autograder.assignments import get_assignment

WORKFLOWS = ROOT / ".github" / "workflows"
STUDENT = WORKFLOWS / "cnnkit-student-checks.yml"
INSTRUCTOR = WORKFLOWS / "cnnkit-instructor-grade.yml"
ASSIGNMENT = get_assignment("01_mnist_cnn")


def load(path: Path) -> dict:
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    # YAML 1.1 reads the bare key `on` as the boolean true; GitHub reads it as "on".
    if True in workflow:
        workflow["on"] = workflow.pop(True)
    return workflow


def step(workflow: dict, job: str, name: str) -> dict:
    found = [s for s in workflow["jobs"][job]["steps"] if s.get("name") == name]
    assert len(found) == 1, f"{job} has no single step named {name!r}"
    return found[0]


def command_of(workflow: dict, job: str, name: str, values: dict[str, str]) -> str:
    """A step's shell command with GitHub's expressions replaced by ``values``."""
    command = step(workflow, job, name)["run"]
    for expression, value in values.items():
        command = command.replace("${{ " + expression + " }}", value)
    assert "${{" not in command, f"an expression was left unfilled: {command}"
    return command


def run_bash(command: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"  # `cnnkit` on PATH
    return subprocess.run(["bash", "-eo", "pipefail", "-c", command], cwd=cwd,
                          env={**os.environ, "PATH": path, "CNNKIT_OFFLINE": "1", **env},
                          capture_output=True, text=True, timeout=900)


@pytest.mark.parametrize("path", [STUDENT, INSTRUCTOR], ids=lambda p: p.name)
def test_each_workflow_is_valid_yaml_with_a_trigger_and_jobs_of_steps(path):
    workflow = load(path)
    assert workflow["name"] and workflow["on"], "a workflow needs a name and a trigger"
    assert workflow["permissions"] == {"contents": "read"}, "least privilege"
    for job_name, job in workflow["jobs"].items():
        assert job["runs-on"] == "ubuntu-latest", job_name
        for each in job["steps"]:
            assert ("run" in each) != ("uses" in each), (job_name, each)
            if "uses" in each:  # actions pinned to a major version
                assert re.fullmatch(r"[\w-]+/[\w-]+@v\d+", each["uses"]), each["uses"]


def test_the_student_workflow_runs_on_push_only_where_the_kit_is_configured():
    workflow = load(STUDENT)
    assert "push" in workflow["on"]
    assert "vars.CNNKIT_PIP_SPEC" in workflow["jobs"]["public-checks"]["if"]


def test_the_instructor_plan_step_gives_a_matrix_github_can_read(tmp_path):
    workflow = load(INSTRUCTOR)
    command = command_of(workflow, "plan", "Number the shards", {"inputs.shards": "3"})
    output = tmp_path / "github_output"
    completed = run_bash(command, tmp_path, GITHUB_OUTPUT=str(output))
    assert completed.returncode == 0, completed.stderr
    key, value = output.read_text().strip().split("=", 1)
    assert key == "shards" and json.loads(value) == [0, 1, 2]


@pytest.mark.slow
def test_the_student_workflow_commands_grade_the_public_checks_and_report_points(tmp_path):
    workflow = load(STUDENT)
    repository = tmp_path / "student-repo"
    repository.mkdir()
    shutil.copy(ASSIGNMENT.examples_dir / "reference.ipynb", repository / ASSIGNMENT.notebook)
    summary = tmp_path / "summary.md"
    checks = run_bash(command_of(workflow, "public-checks", "Run the public checks", {}),
                      repository, GITHUB_STEP_SUMMARY=str(summary))
    assert checks.returncode == 0, checks.stdout[-2000:] + checks.stderr[-2000:]
    results = json.loads((repository / "cnnkit-results" / "mnist_cnn" / "results.json")
                         .read_text())
    assert results["extra_data"]["public_only"] is True
    assert all(t["visibility"] == "visible" for t in results["tests"])
    assert 0 < results["score"] == results["max_score"] < 30  # the public part of the rubric
    assert f"| mnist_cnn | {results['score']:g} / {results['max_score']:g} |" in summary.read_text()

    report = run_bash(command_of(workflow, "public-checks", "Report the points", {}), repository)
    assert report.returncode == 0, report.stderr
    assert report.stdout.strip() == (f"::notice title=Public checks::mnist_cnn: "
                                     f"{results['score']:g} / {results['max_score']:g} points")


@pytest.mark.slow
def test_the_instructor_workflow_commands_grade_and_merge_shards(tmp_path):
    workflow = load(INSTRUCTOR)
    values = {"inputs.assignment": ASSIGNMENT.id}
    shards = []
    for shard, students in enumerate([["alice"], ["bob"]]):  # two matrix jobs
        job = tmp_path / f"shard{shard}"
        for student in students:
            (job / "submissions" / f"mnist-cnn-{student}").mkdir(parents=True)
            # alice answered find_misclassified only, bob nothing
            nbformat.write(answered_submission(ASSIGNMENT, only="find_misclassified",
                                               blank=student == "bob"),
                           job / "submissions" / f"mnist-cnn-{student}" / ASSIGNMENT.notebook)
        graded = run_bash(command_of(workflow, "grade", "Grade with the hidden suite", values),
                          job)
        assert graded.returncode == 0, graded.stdout[-2000:] + graded.stderr[-2000:]
        shards.append(job / "grades")
    merged = tmp_path / "collect" / "grades"  # download-artifact with merge-multiple
    for shard in shards:
        shutil.copytree(shard, merged, dirs_exist_ok=True)
    summary = tmp_path / "summary.md"
    collected = run_bash(
        command_of(workflow, "collect", "One grades.csv and junit.xml for the whole class", {}),
        merged.parent, GITHUB_STEP_SUMMARY=str(summary))
    assert collected.returncode == 0, collected.stderr
    with open(merged / "grades.csv", newline="") as handle:
        rows = {row["submission"]: float(row["total"]) for row in csv.DictReader(handle)}
    alice = function_points(ASSIGNMENT.id, "find_misclassified")
    assert alice > 0 and rows == {"mnist-cnn-alice": alice, "mnist-cnn-bob": 0.0}
    assert "mnist-cnn-alice" in summary.read_text()
    assert (merged / "mnist-cnn-bob" / "feedback.html").is_file()
