"""One batching module: the engine, head checks and explanations predict an input the same way, and
inputs that encode alike are one prediction whatever else shares the batch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from assay.engine import load_model
from assay.explain.tokens import encode_all, predict_encoded
from assay.heads.forward import predict_under_masks
from test_engine_fixtures import TEXTS, bert_dir, roberta_dir  # noqa: F401  (fixtures)

LONG = " ".join(["the flight was great but the food was bad"] * 12)  # ~110 tokens; both tiny models take 64


def three_ways(folder, inputs):
    """The engine's rows, the unmasked row of a head check, and an explanation's prediction."""
    clf = load_model(str(folder), cache_dir=False)
    n_layers, n_heads = 2, 4
    engine = clf.predict_proba(inputs)
    heads = predict_under_masks(clf.model, clf.tokenizer, inputs, torch.ones(1, n_layers, n_heads))[0]
    explain = predict_encoded(clf.model, clf.tokenizer, encode_all(clf.model, clf.tokenizer, inputs))
    return clf, engine, heads, explain


@pytest.mark.parametrize("fixture", ["bert_dir", "roberta_dir"])
def test_engine_head_check_and_explanation_predict_a_long_input_identically(fixture, request):
    inputs = [LONG, "bad food", (LONG, "late"), "the crew was not very good"]
    clf, engine, heads, explain = three_ways(request.getfixturevalue(fixture), inputs)
    assert clf.max_length == 64  # BERT: 64 positions; RoBERTa: 66 positions less its padding offset of 2
    assert clf.stats["truncated"] == 2
    np.testing.assert_array_equal(engine, heads.astype(np.float64))
    np.testing.assert_array_equal(engine, explain.astype(np.float64))


def test_inputs_that_encode_alike_are_one_prediction(bert_dir):
    model = load_model(str(bert_dir), cache_dir=False)
    probs = model.predict_proba(["The Flight was GREAT", "the flight was great", "THE FLIGHT  WAS great"])
    assert model.stats["predicted"] == 1  # an uncased tokenizer reads all three as one input
    assert np.array_equal(probs[0], probs[1]) and np.array_equal(probs[0], probs[2])


def test_an_encoding_gets_the_same_row_whatever_shares_its_batch(bert_dir):
    model = load_model(str(bert_dir), cache_dir=False, batch_size=4)
    first = model.predict_proba(["The crew was NOT very good", LONG, "late", "i hate it", "x"])
    second = model.predict_proba(["bad food", "the crew was not very good", "never again"])
    assert model.stats["predicted"] == 7
    assert np.array_equal(first[0], second[1])


def test_a_fresh_model_and_a_warm_cache_give_the_row_of_the_same_encoding(bert_dir, tmp_path):
    writer = load_model(str(bert_dir), cache_dir=tmp_path)
    stored = writer.predict_proba(["Never AGAIN", LONG])[0]
    reader = load_model(str(bert_dir), cache_dir=tmp_path)
    got = reader.predict_proba(["never again", "on time"])[0]
    assert reader.stats["cache_hits"] == 1 and reader.stats["predicted"] == 1
    assert np.array_equal(stored, got)
