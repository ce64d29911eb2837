"""Head functions on a tiny BERT whose heads are wired by hand to the previous / next position."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import torch
# The shared tokenizer fixture, and one torch thread for the module.
from test_explain_attributions import one_thread, tokenizer  # noqa: F401
from transformers import BertConfig, BertForSequenceClassification

from assay.explain import function_table, head_function_scores, plot_function_heatmaps, run_functions
from assay.explain import head_functions
from assay.explain.head_functions import FUNCTIONS

POSITIONS, HIDDEN, HEADS = 16, 64, 4
PREVIOUS_HEAD, NEXT_HEAD = 2, 1
TEXTS = ["the flight was late", "the crew was good and the seat was fine", "not magic ?", "a bad seat is a bad seat"]



def positional_model(tokenizer) -> BertForSequenceClassification:
    """Hidden state i after the embeddings is LayerNorm(one-hot(i)); in layer 0, head 2's query is the
    key of position i - 1 and head 1's the key of i + 1, so they attend to the previous / next token.
    Every other head has zero query and key weights (uniform attention)."""
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(tokenizer), hidden_size=HIDDEN, num_hidden_layers=2, num_attention_heads=HEADS,
        intermediate_size=37, num_labels=2, max_position_embeddings=POSITIONS, hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )
    model = BertForSequenceClassification(config).eval()
    head_dim = HIDDEN // HEADS
    with torch.no_grad():
        embeddings = model.bert.embeddings
        embeddings.word_embeddings.weight.zero_()
        embeddings.token_type_embeddings.weight.zero_()
        embeddings.position_embeddings.weight.copy_(torch.eye(POSITIONS, HIDDEN))
        for layer in model.bert.encoder.layer:
            for linear in (layer.attention.self.query, layer.attention.self.key):
                linear.weight.zero_()
                linear.bias.zero_()
        first = model.bert.encoder.layer[0].attention.self
        for head in (PREVIOUS_HEAD, NEXT_HEAD):
            for m in range(head_dim):
                first.key.weight[head * head_dim + m, m] = 1.0
        for m in range(head_dim - 1):
            first.query.weight[PREVIOUS_HEAD * head_dim + m, m + 1] = 1.0  # q_i = k_(i-1)
            first.query.weight[NEXT_HEAD * head_dim + m + 1, m] = 1.0  # q_i = k_(i+1)
    return model


@pytest.fixture(scope="module")
def scores(tokenizer):
    return head_function_scores(positional_model(tokenizer), tokenizer, TEXTS)


def test_hand_wired_heads_score_highest_on_their_function(scores):
    assert set(scores) == set(FUNCTIONS) - {"same_word_other_segment"}
    for name, head in (("previous_token", PREVIOUS_HEAD), ("next_token", NEXT_HEAD)):
        grid = scores[name]
        assert grid.shape == (2, HEADS)
        assert np.unravel_index(np.argmax(grid), grid.shape) == (0, head)
        assert grid[0, head] > 0.95
        others = np.delete(grid.ravel(), head)
        assert others.max() < 0.4
    assert scores["previous_token"][0, NEXT_HEAD] < 0.05


def test_uniform_heads_spread_their_mass_evenly(scores, tokenizer):
    lengths = [len(tokenizer(t)["input_ids"]) for t in TEXTS]
    # a uniform head puts 1/T on [CLS]; pooled over all queries that is the query-weighted mean of 1/T
    expected = sum(n * (1 / n) for n in lengths) / sum(lengths)
    assert scores["cls"][1, 0] == pytest.approx(expected, abs=1e-5)


def synthetic_maps(model, tokenizer, encs):
    """Head 0 attends to the other pieces of the query's word (else [CLS]); head 1 to [CLS];
    head 2 to the same word in the other segment (else [CLS])."""
    out = []
    for enc in encs:
        size = len(enc.input_ids)
        maps = np.zeros((1, 3, size, size))
        targets = head_functions._targets(enc, tokenizer)
        for head, name in ((0, "same_word"), (2, "same_word_other_segment")):
            matrix = targets.get(name, (np.zeros((size, size)), None))[0]
            for q in range(size):
                if matrix[q].any():
                    maps[0, head, q] = matrix[q] / matrix[q].sum()
                else:
                    maps[0, head, q, 0] = 1.0
        maps[0, 1, :, 0] = 1.0
        out.append(maps)
    return out


def test_word_piece_and_cross_segment_functions(tokenizer, monkeypatch):
    monkeypatch.setattr(head_functions, "attention_maps", synthetic_maps)
    inputs = [("the unbelievable flight", "flight was unbelievable"), "the unbelievable crew"]
    scores = head_function_scores(torch.nn.Module(), tokenizer, inputs)
    assert scores["same_word"][0].tolist() == pytest.approx([1.0, 0.0, 0.0])
    assert scores["same_word_other_segment"][0].tolist() == pytest.approx([0.0, 0.0, 1.0])
    assert scores["cls"][0, 1] == 1.0


def test_tables_plots_and_run_functions(scores, tokenizer, tmp_path):
    table = function_table(scores)
    assert f"| previous_token | 0.{PREVIOUS_HEAD}: " in table
    png = plot_function_heatmaps(scores, tmp_path / "heads.png")
    assert png.read_bytes()[:4] == b"\x89PNG"
    model = positional_model(tokenizer)
    importance = np.arange(2 * HEADS, dtype=float).reshape(2, HEADS)
    printed = run_functions(model, tokenizer, TEXTS, tmp_path / "out", importance)
    rows = list(csv.DictReader((tmp_path / "out" / "head_functions.csv").open()))
    assert len(rows) == 2 * HEADS and float(rows[PREVIOUS_HEAD]["importance"]) == PREVIOUS_HEAD
    assert float(rows[PREVIOUS_HEAD]["previous_token"]) > 0.95
    lines = printed.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| head | importance"))
    assert lines[header + 2].startswith("| 1.3 | 7 |")  # the most important head comes first
    with pytest.raises(ValueError, match=r"\(2, 4\)"):
        run_functions(model, tokenizer, TEXTS, tmp_path / "bad", np.ones((3, 3)))


def test_inputs_longer_than_the_position_table_are_truncated(tokenizer):
    long_text = " ".join(["the flight was late"] * 10)  # 40 words, the model has 16 positions
    scores = head_function_scores(positional_model(tokenizer), tokenizer, [long_text])
    assert scores["previous_token"][0, PREVIOUS_HEAD] > 0.95
