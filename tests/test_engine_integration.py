"""The engine on the shared fine-tuned airline sentiment model (skipped where ../shared is absent)."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import torch

from assay.engine import load_model
from test_engine_fixtures import reference_probs

pytestmark = pytest.mark.integration


def tweets(path, n):
    with open(path, newline="", encoding="utf-8") as handle:
        rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [(row["label"], row["text"]) for _, row in zip(range(n), rows)]


def test_shared_model_matches_plain_transformers_and_agrees_with_the_labels(shared_model_path, shared_tweets_path, tmp_path):
    model = load_model(str(shared_model_path), cache_dir=tmp_path, batch_size=16)
    assert model.labels == ["negative", "neutral", "positive"]
    assert model.dtype == torch.float32  # stored in float16, run in float32 on the CPU
    rows = tweets(shared_tweets_path, 48)
    texts = [text for _, text in rows]
    probs = model.predict_proba(texts)
    np.testing.assert_allclose(probs[:8], reference_probs(shared_model_path, texts[:8]), atol=1e-5)
    predicted = [model.labels[i] for i in probs.argmax(axis=1)]
    agreement = np.mean([p == gold for p, (gold, _) in zip(predicted, rows)])
    majority = max(np.mean([gold == label for gold, _ in rows]) for label in model.labels)
    assert agreement > majority  # better than always answering the most frequent label
    again = load_model(str(shared_model_path), cache_dir=tmp_path)
    assert np.array_equal(again.predict_proba(texts), probs) and again.stats["cache_hits"] == len(set(texts))
    assert again.fingerprint == model.fingerprint
