"""The masked LM in a pytest run (--assay-mlm, YAML mlm:) and on the command line (assay suggest)."""

from __future__ import annotations

import json

import pytest
import torch  # noqa: F401  (imported before any pytester run; see test_integration_shared)
from test_engine_fixtures import bert_dir, bert_mlm_dir, roberta_mlm_dir, save_bert, save_mlm  # noqa: F401

from assay.cli import main

SUITE = '''
from assay import INV, MFT, perturb, template
test_mask = MFT(template("the {thing} was {mask}.", thing=["seat", "crew"], mask_top=2), label="positive",
                max_failure_rate=1.0)
test_swap = INV(["the flight was late"], perturb.contextual_substitution(words=["flight"], top_k=4,
                exclude=["positive_adjectives"]), max_failure_rate=1.0)
'''
# Writes every assay item's inputs, as the plugin bound and expanded them, next to the suite.
CONFTEST = '''
import json
def pytest_collection_modifyitems(session, config, items):
    found = {item.name: [list(x) if isinstance(x, tuple) else x for x in item.decl.inputs()]
             for item in items if hasattr(item, "decl")}
    with open("inputs.json", "w") as handle:
        json.dump(found, handle)
'''
EXPECTED = {
    "test_mask[model]": ["the seat was great.", "the crew was great.", "the seat was airline.", "the crew was airline."],
    "test_swap[model]": ["the flight was late", "the airline was late", "the seat was late"],
}


@pytest.fixture
def classifier(tmp_path):
    return save_bert(tmp_path / "classifier", seed=5)


@pytest.mark.slow
def test_assay_mlm_fills_masks_and_drives_the_perturbation(pytester, classifier, bert_mlm_dir, tmp_path):
    pytester.makepyfile(test_suite=SUITE)
    pytester.makeconftest(CONFTEST)
    args = [f"--assay-model=model={classifier}", f"--assay-mlm={bert_mlm_dir}", f"--assay-cache-dir={tmp_path / 'c'}"]
    result = pytester.runpytest_subprocess(*args)
    result.assert_outcomes(passed=2)
    assert json.loads((pytester.path / "inputs.json").read_text()) == EXPECTED


@pytest.mark.slow  # a real pytest session in a subprocess
def test_without_a_masked_lm_each_test_is_a_one_line_collection_error(pytester, classifier):
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest_subprocess(f"--assay-model=model={classifier}", "--assay-no-cache")
    result.assert_outcomes(errors=2)
    out = result.stdout.str()
    assert "test_suite.py::test_mask: template 'the {thing} was {mask}.' has {mask} but no masked language model" in out
    assert "test_suite.py::test_swap: perturbation 'contextual_substitution' has no masked language model" in out
    assert "--assay-mlm=MODEL" in out and "Traceback" not in out


@pytest.mark.slow
def test_a_yaml_entry_names_its_masked_lm_relative_to_the_suite(pytester, classifier):
    save_mlm(pytester.path / "models" / "mlm", "roberta")
    pytester.makeconftest(CONFTEST)
    pytester.makefile(".assay.yaml", suite='''
tests:
  - name: mask
    type: MFT
    template: "the {thing} was {mask}."
    slots: {thing: [seat, crew]}
    mask_top: 2
    mlm: ./models/mlm
    label: positive
    max_failure_rate: 1.0
  - name: swap
    type: INV
    inputs: ["the flight was late"]
    perturb: {contextual_substitution: {words: [flight], exclude: [positive_adjectives], top_k: 4}}
    mlm: ./models/mlm
    max_failure_rate: 1.0
''')
    result = pytester.runpytest_subprocess(f"--assay-model=model={classifier}", "--assay-no-cache")
    result.assert_outcomes(passed=2)
    found = json.loads((pytester.path / "inputs.json").read_text())
    assert found == {"mask[model]": EXPECTED["test_mask[model]"], "swap[model]": EXPECTED["test_swap[model]"]}


def test_assay_suggest_prints_ranked_fill_ins(capsys, roberta_mlm_dir, tmp_path):
    cache = str(tmp_path / "cache")
    assert main(["suggest", "This is {a:mask} flight.", "--mlm", str(roberta_mlm_dir), "--top", "3", "--cache-dir", cache]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "mask token <mask>" in lines[0]
    assert [line.split()[:2] for line in lines[1:]] == [["1", "great"], ["2", "airline"], ["3", "good"]]
    assert lines[2].endswith("This is an airline flight.")
    assert main(["suggest", "the {thing} was {mask}", "--slot", "thing=seat,crew", "--mlm", str(roberta_mlm_dir),
                 "--top", "2", "--words", "--cache-dir", cache]) == 0
    assert capsys.readouterr().out.splitlines() == ["great", "airline"]


def test_assay_suggest_bad_input_is_one_line_and_exit_2(capsys, bert_mlm_dir, bert_dir):
    assert main(["suggest", "the flight was late", "--mlm", str(bert_mlm_dir), "--no-cache"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("assay suggest: error:") and "no {mask}" in err and "\n" not in err
    assert main(["suggest", "the flight was {mask}", "--mlm", str(bert_dir), "--no-cache"]) == 2
    err = capsys.readouterr().err.strip()
    assert "not a fill-mask model" in err and "\n" not in err
    with pytest.raises(SystemExit):
        main(["suggest", "the {thing} was {mask}", "--mlm", str(bert_mlm_dir), "--slot", "thing"])
    assert "NAME=word1,word2" in capsys.readouterr().err
