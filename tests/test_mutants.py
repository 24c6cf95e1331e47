"""Mutation testing: the catalogues of plausible mistakes apply to the references, and the
hidden suites catch a fixed sample of them (so that a weakened suite fails here)."""

from __future__ import annotations

import json
import subprocess
import sys

import nbformat
import pytest
from grading import ROOT

from autograder.assignments import ASSIGNMENTS
from autograder.mutants import (
    BASELINE,
    Mutant,
    MutationReport,
    apply,
    load_catalogue,
    mutant_notebooks,
    outcome_of,
    report_table,
)
from autograder.nbgrader_bridge import rubric

# A sample graded in every run of the kit's tests: in two assignments, a seed pitfall the
# suite always caught and mistakes it caught only once it was made stronger (a percentage
# rounded on the way; the seed's axis limits copied onto a confusion matrix; a Sequential
# model's first convolution skipped), so that weakening either kind of check fails here (the
# README's table has the whole catalogue's results).
SAMPLE = {"01_mnist_cnn": ("preprocess_no_scaling", "find_misclassified_rounded_percentage",
                           "plot_confusion_seaborn_ylim"),
          "03_activations": ("overlay_uint8_not_scaled", "activation_model_skips_first_layer")}


@pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))
def test_each_catalogue_covers_every_graded_function_with_twenty_mistakes(assignment):
    found = ASSIGNMENTS[assignment]
    mutants = load_catalogue(found)
    assert len(mutants) >= 20, f"{assignment}: {len(mutants)} mutants, at least 20 are expected"
    graded = {line.function for line in rubric(found)}
    assert graded <= {m.function for m in mutants}, (
        f"functions without a mutant: {sorted(graded - {m.function for m in mutants})}")
    assert all(m.description and m.kind for m in mutants)


@pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))
def test_every_mutant_changes_only_its_function_and_still_compiles(assignment):
    found = ASSIGNMENTS[assignment]
    reference = nbformat.read(found.solution_path, as_version=4)
    notebooks = mutant_notebooks(found, load_catalogue(found))
    baseline = notebooks.pop(BASELINE)
    for mutant in load_catalogue(found):
        mutated = notebooks[mutant.id]
        changed = [i for i, (a, b) in enumerate(zip(baseline.cells, mutated.cells, strict=True))
                   if a.source != b.source]
        assert len(changed) == 1, f"{mutant.id}: {len(changed)} cells changed"
        cell = mutated.cells[changed[0]]
        assert cell.metadata["nbgrader"]["grade_id"] == mutant.function
        compile(cell.source, mutant.id, "exec")
    assert reference.cells  # the reference itself is left as it was
    assert nbformat.read(found.solution_path, as_version=4) == reference


def test_a_mutant_whose_text_is_gone_is_refused():
    found = ASSIGNMENTS["01_mnist_cnn"]
    stale = Mutant("stale", "preprocess_images", "student error", "gone", "no such code", "x")
    with pytest.raises(ValueError, match="not once"):
        apply(stale, nbformat.read(found.solution_path, as_version=4))


def test_a_mutant_is_caught_only_by_a_failed_rubric_line():
    mutant = Mutant("m", "f", "student error", "a mistake", "a", "b")
    failed = {"score": 28, "tests": [{"tags": ["test_x"], "status": "failed"},
                                     {"tags": ["test_y"], "status": "passed"}]}
    not_run = {"score": 28, "tests": [{"tags": ["test_x"]}]}  # skipped: no status
    assert outcome_of(mutant, failed, 30).caught_by == ["test_x"]
    assert not outcome_of(mutant, not_run, 30).caught
    report = MutationReport("01", 30, 30, [outcome_of(mutant, failed, 30),
                                           outcome_of(mutant, not_run, 30)])
    assert report.rate == 0.5 and "1 of 2 mutants caught (50%)" in report_table(report)


@pytest.mark.slow
def test_the_suites_catch_a_fixed_sample_of_mutants(tmp_path):
    for assignment, ids in SAMPLE.items():
        out = tmp_path / assignment
        completed = subprocess.run(
            [sys.executable, "-m", "autograder.cli", "mutants", assignment, "--out", str(out),
             "--only", *ids, "--jobs", "1"], cwd=ROOT, capture_output=True, text=True, timeout=1200)
        assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
        report = json.loads((out / "mutants.json").read_text(encoding="utf-8"))
        outcomes = {m["id"]: m for m in report["mutants"]}
        assert set(outcomes) == set(ids)
        for mutant_id, outcome in outcomes.items():
            assert outcome["caught"], f"{assignment}: the suite no longer catches {mutant_id}"
            assert outcome["score"] < report["full_marks"]
