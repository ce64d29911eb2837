"""Every key a YAML suite accepts does something (issue 11 item 4): a HEADS entry's
``max_failure_rate`` and ``max_accuracy_drop`` are gates, and a key that would be ignored is a
collection error that names the key to use instead."""

from __future__ import annotations

import json
import re

import pytest
from test_engine_fixtures import save_bert
from test_heads_declarations import modules_loaded  # noqa: F401  (an autouse fixture)

from assay.errors import DeclarationError
from assay.yaml_suite import build_declaration

TEXTS = [
    "the flight was great but the crew was not very good", "i love my seat", "bad food , terrible delay !",
    "the plane was late and i hate it", "never again on this airline", "good service on time",
    "the crew was very good", "the seat was bad", "i hate the food", "the flight was on time",
]


def _build(entry: dict, tmp_path=None):
    return build_declaration(entry, {}, tmp_path or __import__("pathlib").Path("."))


def test_heads_max_failure_rate_is_the_threshold():
    decl = _build({"name": "h", "type": "HEADS", "check": "random_masking", "inputs": ["a"], "max_failure_rate": 0.03})
    assert decl.max_failure_rate == 0.03
    decl = _build({"name": "h", "type": "HEADS", "check": "single_head_ablation", "inputs": ["a"],
                   "max_failure_rate": 0.0})
    assert decl.max_failure_rate == 0.0


def test_python_head_checks_take_max_failure_rate_too():
    from assay.head_checks import layer_ablation, random_masking

    assert random_masking(["a"], max_failure_rate=0.25).max_failure_rate == 0.25
    assert layer_ablation(["a"]).max_failure_rate == pytest.approx(0.2)
    with pytest.raises(DeclarationError, match="min_agreement= or max_failure_rate="):
        random_masking(["a"], min_agreement=0.9, max_failure_rate=0.1)


@pytest.mark.parametrize("entry, message", [
    ({"type": "HEADS", "check": "random_masking", "min_agreement": 0.9, "max_failure_rate": 0.1},
     "give min_agreement or max_failure_rate, not both"),
    ({"type": "HEADS", "check": "single_head_ablation", "max_changed": 0.1, "max_failure_rate": 0.1},
     "give max_changed or max_failure_rate, not both"),
    ({"type": "HEADS", "check": "random_masking", "text_column": "text"},
     "text_column goes inside data: {path: ..., text_column: ...}"),
    ({"type": "HEADS", "check": "random_masking", "label_column": "label"},
     "label_column goes inside data: {path: ..., label_column: ...}"),
    ({"type": "HEADS", "check": "layer_ablation", "draws": 3}, "draws applies to check random_masking only"),
    ({"type": "HEADS", "check": "layer_ablation", "fraction": 0.3}, "fraction applies to check"),
    ({"type": "HEADS", "check": "random_masking", "max_changed": 0.1}, "max_changed applies to check single_head_ablation"),
    ({"type": "HEADS", "check": "single_head_ablation", "min_agreement": 0.9}, "min_agreement applies to check"),
    ({"type": "HEADS", "check": "random_masking", "harmful": False}, "harmful applies to check importance only"),
    ({"type": "HEADS", "check": "random_masking", "data": "x.txt"}, "give data: or inputs:, not both"),
    ({"type": "MFT", "template": "the {x}", "slots": {"x": ["a"]}, "label": "positive",
      "template_labels": ["positive"]}, "template_labels is not read: a test's templates share its label: (or labels:)"),
])
def test_keys_that_would_be_ignored_are_refused_with_the_fix(entry, message):
    entry = {"name": "t", "inputs": ["a"], **entry}
    with pytest.raises(DeclarationError, match="^t: " + re.escape(message)):
        _build(entry)


@pytest.mark.parametrize("value", [-0.1, 1.5, "a lot"])
def test_max_accuracy_drop_must_be_a_rate(value):
    with pytest.raises(DeclarationError, match="max_accuracy_drop"):
        _build({"name": "t", "type": "HEADS", "check": "layer_ablation", "inputs": ["a"],
                "max_accuracy_drop": value}).validate()


def test_max_accuracy_drop_is_a_gate(pytester, tmp_path):
    """Gold labels = the unmasked model's own predictions, so the unmasked accuracy is 1 and each
    prediction a layer's ablation changes costs accuracy: the layer that costs more than
    ``max_accuracy_drop: 0.5`` fails although its agreement gate (``min_agreement: 0``) passes."""
    from assay.engine import load_model

    folder = save_bert(tmp_path / "tiny", seed=2)  # ablating layer 0 changes 9 of 10 predictions, layer 1: 3
    classifier = load_model(str(folder), cache_dir=False)
    predicted = [classifier.labels[i] for i in classifier.predict_proba(TEXTS).argmax(-1)]
    data = pytester.path / "gold.tsv"
    data.write_text("label\ttext\n" + "".join(f"{label}\t{text}\n" for label, text in zip(predicted, TEXTS)))
    pytester.path.joinpath("heads.assay.yaml").write_text('''
tests:
  - name: layers
    type: HEADS
    check: layer_ablation
    data: {path: gold.tsv, text_column: text, label_column: label}
    min_agreement: 0.0
    max_accuracy_drop: 0.5
''')
    result = pytester.runpytest(f"--assay-model=tiny={folder}", "--assay-no-cache", "--assay-report=r.json",
                                "-p", "no:cacheprovider")
    tests = {t["part"]: t for t in json.loads((pytester.path / "r.json").read_text())["tests"]}
    assert set(tests) == {"L0", "L1"}
    for test in tests.values():
        extra = test["extra"]
        assert extra["accuracy_unmasked"] == 1.0 and extra["max_accuracy_drop"] == 0.5
        assert test["failure_rate"] == pytest.approx(extra["accuracy_drop"])  # the labels are the predictions
        assert test["outcome"] == ("failed" if extra["accuracy_drop"] > 0.5 else "passed"), test
        assert ("gate_failures" in extra) == (test["outcome"] == "failed")
    assert sorted(t["outcome"] for t in tests.values()) == ["failed", "passed"]
    # The summary says why a test under its failure-rate threshold failed.
    result.stdout.fnmatch_lines(["*FAILED layers[[]L*]: *% failed (*/10), allowed 100%; accuracy dropped by *"])


def test_max_accuracy_drop_without_gold_labels_cannot_be_judged(pytester, tmp_path):
    folder = save_bert(tmp_path / "tiny", seed=3)
    pytester.path.joinpath("heads.assay.yaml").write_text(f'''
tests:
  - name: layers
    type: HEADS
    check: random_masking
    inputs: {json.dumps(TEXTS)}
    min_agreement: 0.0
    max_accuracy_drop: 0.1
''')
    result = pytester.runpytest(f"--assay-model=tiny={folder}", "--assay-no-cache", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*max_accuracy_drop needs gold labels*label_column*"])
