"""HFClassifier.predict_proba against plain transformers: batching, order, duplicates, pairs, truncation."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings, strategies as st

from assay.engine import load_model, predict_in_batches
from assay.engine.batching import Encoded
from assay.errors import PredictionError
from assay.inputs import Model
from assay.options import PYTHON, Flags
from test_engine_fixtures import (  # noqa: F401  (fixtures)
    PAIRS, TEXTS, bert_dir, bert_reference, distilbert_dir, reference_probs, roberta_dir,
)

POOL = TEXTS + PAIRS


@pytest.fixture(scope="module")
def bert(bert_dir):
    return load_model(str(bert_dir), cache_dir=False)


def test_satisfies_the_model_protocol(bert, bert_dir):
    assert isinstance(bert, Model)
    assert bert.labels == ["negative", "neutral", "positive"]
    assert bert.name == "tiny-bert" and bert.source == str(bert_dir)
    assert bert.dtype == torch.float32 and bert.device.type == "cpu"
    assert bert.max_length == 64  # the position-embedding limit is below the tokenizer's 512


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    picks=st.lists(st.integers(0, len(POOL) - 1), min_size=0, max_size=30),
    batch_size=st.sampled_from([1, 2, 3, 7, 64]),
)
def test_predictions_equal_the_raw_models_softmax_whatever_the_batching(bert, bert_reference, picks, batch_size):
    inputs = [POOL[i] for i in picks]  # any order, with duplicates
    bert.batch_size = batch_size
    probs = bert.predict_proba(inputs)
    assert probs.shape == (len(inputs), 3) and probs.dtype == np.float64
    expected = np.array([bert_reference[item] for item in inputs]).reshape(len(inputs), 3)
    np.testing.assert_allclose(probs, expected, atol=1e-5)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-6)  # the model's own float32 softmax


def test_duplicates_are_predicted_once(bert_dir):
    model = load_model(str(bert_dir), cache_dir=False)
    probs = model.predict_proba(["bad food", "bad food", ["the flight", "was great"], ("the flight", "was great")])
    assert model.stats["predicted"] == 2
    assert np.array_equal(probs[0], probs[1]) and np.array_equal(probs[2], probs[3])


def test_pairs_are_fed_as_segments_a_and_b_with_token_types(bert, bert_dir, bert_reference):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    pair = ("the flight", "was great")
    got = bert.predict_proba([pair])[0]
    np.testing.assert_allclose(got, bert_reference[pair], atol=1e-5)
    # Without token types (all segment A) the same ids give a different answer: they are used.
    tokenizer = AutoTokenizer.from_pretrained(bert_dir)
    raw = AutoModelForSequenceClassification.from_pretrained(bert_dir).eval()
    encoded = tokenizer(*pair, return_tensors="pt")
    assert encoded["token_type_ids"].sum() > 0
    with torch.no_grad():
        flat = torch.softmax(raw(input_ids=encoded["input_ids"], token_type_ids=torch.zeros_like(encoded["input_ids"])).logits, -1)[0]
    assert not np.allclose(got, flat.numpy(), atol=1e-4)


def test_empty_strings_are_valid_inputs(bert, bert_reference):
    probs = bert.predict_proba(["", ("", "late")])
    np.testing.assert_allclose(probs, [bert_reference[""], bert_reference[("", "late")]], atol=1e-5)


def test_no_inputs_give_an_empty_array(bert):
    assert bert.predict_proba([]).shape == (0, 3)


def test_overlong_inputs_are_truncated_longest_side_first_and_counted(bert_dir):
    model = load_model(str(bert_dir), cache_dir=False, max_length=12)
    long_text = " ".join(["the flight was great"] * 6)
    inputs = [long_text, "bad food", (long_text, "bad food"), ("bad food", long_text), "the crew was not very good"]
    probs = model.predict_proba(inputs)
    assert model.stats["truncated"] == 3
    np.testing.assert_allclose(probs, reference_probs(bert_dir, inputs, max_length=12), atol=1e-5)
    # Longest first: the short side of a pair survives whole, so its side matters.
    encoded = model.encode([(long_text, "bad food")])
    assert len(encoded.encodings[0]["input_ids"]) == 12 and encoded.truncated == [True]
    assert sum(encoded.encodings[0]["token_type_ids"]) == 3  # "bad food [SEP]" kept intact in segment B


def test_distilbert_without_token_types_matches_the_raw_model(distilbert_dir):
    model = load_model(str(distilbert_dir), cache_dir=False, batch_size=3)
    inputs = TEXTS + PAIRS
    np.testing.assert_allclose(model.predict_proba(inputs), reference_probs(distilbert_dir, inputs), atol=1e-5)
    assert model.labels == ["LABEL_0", "LABEL_1"]
    assert any("generic" in note for note in model.notes)


def test_roberta_with_a_bpe_tokenizer_matches_the_raw_model(roberta_dir):
    model = load_model(str(roberta_dir), cache_dir=False, batch_size=4)
    inputs = TEXTS + PAIRS
    np.testing.assert_allclose(model.predict_proba(inputs), reference_probs(roberta_dir, inputs), atol=1e-5)
    assert model.max_length == 64  # 66 positions minus RoBERTa's padding offset


def test_batch_is_halved_on_out_of_memory_and_the_size_that_ran_recorded():
    seen = []

    def forward(chunk):
        seen.append(len(chunk))
        if len(chunk) > 5:
            raise torch.OutOfMemoryError("CUDA out of memory (fake)")
        return np.full((len(chunk), 2), 0.5, dtype=np.float32)

    encoded = Encoded([{"input_ids": [i]} for i in range(23)], [False] * 23, 1)
    probs, ran = predict_in_batches(encoded, 32, forward)
    assert ran == 4 and probs.shape == (23, 2)
    assert seen[:4] == [23, 16, 8, 4] and all(size <= 4 for size in seen[3:])
    assert sum(seen[3:]) == 23


def test_out_of_memory_on_one_input_is_a_prediction_error():
    def forward(chunk):
        raise torch.OutOfMemoryError("CUDA out of memory (fake)")

    with pytest.raises(PredictionError, match="out of GPU memory"):
        predict_in_batches(Encoded([{"input_ids": [1]}], [False], 1), 8, forward)


def test_classifier_records_the_batch_size_that_ran(bert_dir, bert_reference, monkeypatch):
    model = load_model(str(bert_dir), cache_dir=False, batch_size=8)
    real_forward = model.backend

    def small_gpu(batch):
        if len(batch) > 2:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (fake)")
        return real_forward(batch)

    model.set_backend(small_gpu, "torch")
    probs = model.predict_proba(TEXTS)
    assert model.stats["batch_size_ran"] == 2 and model.batch_size == 2
    np.testing.assert_allclose(probs, [bert_reference[t] for t in TEXTS], atol=1e-5)


def test_progress_bar_on_stderr_only_for_many_inputs(bert_dir, capsys):
    model = load_model(str(bert_dir), cache_dir=False, progress=True)
    model.predict_proba(TEXTS)
    assert "predicting" not in capsys.readouterr().err
    words = "great good bad terrible late food service seat crew plane airline delay time".split()
    many = [f"the flight {'very ' * (i % 4)}{words[i % 13]} {words[i // 13 % 13]}" for i in range(520)]
    assert len({tuple(e["input_ids"]) for e in model.encode(many).encodings}) == 520
    model.predict_proba(many)
    captured = capsys.readouterr()
    assert "predicting with tiny-bert" in captured.err and captured.out == ""


def test_head_mask_goes_through_mask_heads(bert_dir, bert_reference, monkeypatch):
    calls = []

    class Recorder:
        def __init__(self, model, mask):
            calls.append((model, mask.clone()))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    fake = types.ModuleType("assay.heads.masking")
    fake.mask_heads = Recorder
    monkeypatch.setitem(sys.modules, "assay.heads.masking", fake)
    model = load_model(str(bert_dir), cache_dir=False)
    mask = torch.ones(2, 4)
    mask[1, 2] = 0
    model.predict_proba(["bad food"], head_mask=mask)
    assert len(calls) == 1 and calls[0][0] is model.model and torch.equal(calls[0][1], mask)
    with pytest.raises(PredictionError, match=r"\[layers, heads\]"):
        model.predict_proba(["bad food"], head_mask=torch.ones(1, 2, 4))


def test_head_mask_with_the_real_masking_module_changes_predictions(bert_dir, bert_reference):
    masking = pytest.importorskip("assay.heads.masking")
    assert hasattr(masking, "mask_heads")
    model = load_model(str(bert_dir), cache_dir=False)
    everything_off = model.predict_proba(TEXTS, head_mask=torch.zeros(2, 4))
    all_on = model.predict_proba(TEXTS, head_mask=torch.ones(2, 4))
    np.testing.assert_allclose(all_on, [bert_reference[t] for t in TEXTS], atol=1e-5)
    assert not np.allclose(everything_off, all_on, atol=1e-3)


def test_describe_is_json_ready_for_reports(bert_dir):
    import json

    model = load_model(str(bert_dir), cache_dir=False, name="tiny")
    model.predict_proba(["bad food", "bad food", "late"])
    summary = json.loads(json.dumps(model.describe()))
    assert summary["name"] == "tiny" and summary["labels"] == model.labels
    assert summary["fingerprint"] == model.fingerprint and summary["dtype"] == "float32"
    assert summary["stats"]["predicted"] == 2 and summary["stats"]["batch_size_ran"] == model.batch_size


def _edited_copy(bert_dir, folder, edit):
    """A copy of the tiny BERT whose weights ``edit(model)`` changed in place, saved as safetensors."""
    import shutil

    from transformers import AutoModelForSequenceClassification

    shutil.copytree(bert_dir, folder)
    model = AutoModelForSequenceClassification.from_pretrained(folder)
    with torch.no_grad():
        edit(model)
    model.save_pretrained(folder)
    return folder


def test_nan_from_damaged_float32_weights_does_not_advise_float32(bert_dir, tmp_path):
    folder = _edited_copy(bert_dir, tmp_path / "nan-bias", lambda m: m.classifier.bias.fill_(float("nan")))
    model = load_model(str(folder), cache_dir=False)
    assert model.dtype == torch.float32
    with pytest.raises(PredictionError) as caught:
        model.predict_proba(["bad food", "late"])
    message = str(caught.value)
    assert "classifier.bias" in message and "damaged" in message
    assert "run it in float32" not in message and "\n" not in message


def test_nan_from_half_precision_overflow_advises_float32_as_the_caller_spells_it(bert_dir, tmp_path):
    folder = _edited_copy(bert_dir, tmp_path / "huge-head", lambda m: m.classifier.weight.mul_(1e5))
    assert np.isfinite(load_model(str(folder), cache_dir=False).predict_proba(TEXTS)).all()  # fine in float32
    for flags, fix in ((PYTHON, "dtype='float32'"), (Flags("assay-", "--assay-model"), "--assay-dtype float32")):
        model = load_model(str(folder), cache_dir=False, dtype="float16", flags=flags)
        with pytest.raises(PredictionError, match="NaN or infinite") as caught:
            model.predict_proba(TEXTS)
        assert f"run it in float32 ({fix})" in str(caught.value)
