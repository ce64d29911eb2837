"""Head checks never judge a model whose outputs are NaN (issue 11, item 1).

A tiny BERT whose classifier bias is NaN gives NaN logits for every input. Every head function, the
``assay heads`` command and the head checks under pytest must say so on one line naming the model,
instead of reporting agreement 1.0 (``argmax`` of a NaN row is 0 with and without a mask).
"""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import torch
from test_engine_fixtures import save_bert

from assay.cli import main
from assay.errors import PredictionError
from assay.heads.ablation import layer_ablation, random_masking, single_head_ablation
from assay.heads.forward import encode, predict, predict_under_masks
from assay.heads.importance import head_importance, pruning_curve

TEXTS = ["the flight was great", "bad food", "late again", "the crew was not very good"]


def _poison(folder, value=float("nan")):
    from safetensors.torch import load_file, save_file

    weights = load_file(folder / "model.safetensors")
    weights["classifier.bias"][:] = value
    save_file(weights, folder / "model.safetensors", metadata={"format": "pt"})
    return folder


@pytest.fixture(scope="module")
def nan_dir(tmp_path_factory):
    return _poison(save_bert(tmp_path_factory.mktemp("nan") / "nan-bert", seed=3))


@pytest.fixture(scope="module")
def nan_model(nan_dir):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    return AutoModelForSequenceClassification.from_pretrained(nan_dir).eval(), AutoTokenizer.from_pretrained(nan_dir)


CHECKS = {
    "predict": lambda m, t, x: predict(m, t, x),
    "predict_under_masks": lambda m, t, x: predict_under_masks(m, t, x, torch.zeros(2, 2, 4)),
    "random_masking": lambda m, t, x: random_masking(m, t, x, fraction=0.25, draws=2),
    "layer_ablation": lambda m, t, x: layer_ablation(m, t, x),
    "single_head_ablation": lambda m, t, x: single_head_ablation(m, t, x),
    "head_importance": lambda m, t, x: head_importance(m, t, x),
    "head_importance_labels": lambda m, t, x: head_importance(m, t, x, labels=[0, 1, 2, 0]),
    "pruning_curve": lambda m, t, x: pruning_curve(m, t, x, step=0.5),
}


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_every_head_function_refuses_nan_outputs_naming_the_model(check, nan_model, nan_dir):
    model, tokenizer = nan_model
    with pytest.raises(PredictionError) as raised:
        CHECKS[check](model, tokenizer, TEXTS)
    message = str(raised.value)
    assert "\n" not in message
    assert str(nan_dir) in message and "NaN or infinite" in message, message


def test_encoded_inputs_are_named_by_position(nan_model):
    model, tokenizer = nan_model
    with pytest.raises(PredictionError, match=r"input 1 of 4"):
        predict(model, tokenizer, encode(tokenizer, TEXTS, model=model))


def test_nan_only_under_a_mask_names_the_mask(nan_model, tmp_path):
    """Finite without a mask, infinite under one (a huge scale factor overflows float32): the error says which mask."""
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(save_bert(tmp_path / "fine", seed=3)).eval()
    _, tokenizer = nan_model
    masks = torch.ones(3, 2, 4)
    masks[2, 1, 1] = 1e38
    with pytest.raises(PredictionError, match=r"NaN or infinite.*under head mask 2 of 3"):
        predict_under_masks(model, tokenizer, TEXTS, masks)
    assert np.isfinite(predict_under_masks(model, tokenizer, TEXTS, masks[:2])).all()


def test_heads_command_exits_2_with_one_line(nan_dir, tmp_path):
    data = tmp_path / "dev.tsv"
    data.write_text("label\ttext\n" + "".join(f"negative\t{t}\n" for t in TEXTS))
    for extra in ([], ["--label-column", "label"]):
        out, err = io.StringIO(), io.StringIO()
        code = main(["heads", str(nan_dir), "--data", str(data), "--text-column", "text", "--out", str(tmp_path / "o"),
                     "--device", "cpu", "--step", "0.5", "--draws", "1", *extra], out=out, err=err)
        assert code == 2, out.getvalue()
        assert err.getvalue().count("\n") == 1 and "Traceback" not in err.getvalue()
        assert err.getvalue().startswith("assay heads: error: ") and "NaN or infinite" in err.getvalue()
        assert not (tmp_path / "o" / "heads.csv").exists()


SUITE = '''
from assay.head_checks import importance, layer_ablation, random_masking, single_head_ablation

DATA = ["the flight was great", "bad food", "late again"]
test_random = random_masking(DATA, fraction=0.25, draws=2, min_agreement=0.0)
test_layers = layer_ablation(DATA, min_agreement=0.0)
test_heads = single_head_ablation(DATA, max_changed=1.0)
test_importance = importance(DATA, fraction=0.25, min_agreement=0.0)
'''

YAML = '''
tests:
  - name: yaml_random
    type: HEADS
    check: random_masking
    inputs: ["the flight was great", "bad food"]
    min_agreement: 0.0
    fraction: 0.25
    draws: 2
  - name: yaml_layers
    type: HEADS
    check: layer_ablation
    inputs: ["the flight was great", "bad food"]
    min_agreement: 0.0
'''


@pytest.mark.slow  # a real pytest session in a subprocess
def test_head_checks_on_a_nan_model_are_errors_naming_the_model(pytester, nan_dir):
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest_subprocess(f"--assay-model=nan={nan_dir}", "--assay-no-cache", "--assay-report=r.json",
                                           "-p", "no:cacheprovider")
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    report = json.loads((pytester.path / "r.json").read_text())
    assert report["tests"], result.stdout.str()
    for test in report["tests"]:
        assert test["outcome"] == "error", (test["nodeid"], test["outcome"])
        assert str(nan_dir) in test["error"] and "NaN or infinite" in test["error"], test["error"]
        assert "\n" not in test["error"]
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) == 0 and outcomes.get("failed", 0) == 0 and outcomes["errors"] == len(report["tests"])


@pytest.mark.slow
def test_yaml_head_checks_on_a_nan_model_are_errors(pytester, nan_dir):
    (pytester.path / "suite.assay.yaml").write_text(YAML)
    result = pytester.runpytest_subprocess(f"--assay-model=nan={nan_dir}", "--assay-no-cache", "--assay-report=r.json",
                                           "-p", "no:cacheprovider")
    report = json.loads((pytester.path / "r.json").read_text())
    assert report["tests"] and all(t["outcome"] == "error" for t in report["tests"]), result.stdout.str()
    assert all(str(nan_dir) in t["error"] for t in report["tests"])
    assert np.isclose(report["summary"]["errors"], len(report["tests"]))
