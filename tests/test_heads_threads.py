"""Head masking shared between threads (issue 11, item 21).

Masking puts hooks on the model's modules and ``predict_under_masks`` runs part of the encoder by
swapping ``encoder.layer`` for a shorter list: without a lock, another thread using the same model
in the meantime gets masked probabilities or fails with "this model needs (1, 4)". assay holds one
re-entrant lock per model while it masks or predicts, so concurrent use is serialised and correct.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import torch
from test_engine_fixtures import TEXTS, save_bert

from assay.heads.forward import predict, predict_under_masks
from assay.heads.importance import head_importance
from assay.heads.masking import mask_heads

INPUTS = [t for t in TEXTS if t] * 6
SECONDS = 1.5


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    from assay.engine import load_model

    folder = save_bert(tmp_path_factory.mktemp("threads") / "bert", seed=5)
    return load_model(str(folder), device="cpu", dtype="float32", cache_dir=False, backend="torch", batch_size=8)


def _race(masker, reader, seconds=SECONDS):
    """Run ``masker()`` in a loop in one thread and ``reader()`` in another; the reader's problems."""
    stop = threading.Event()
    problems: list[str] = []

    def loop(job):
        try:
            while not stop.is_set():
                problem = job()
                if problem:
                    problems.append(problem)
                    stop.set()
        except Exception as exc:  # noqa: BLE001 - the failure itself is what the test reports
            problems.append(f"{type(exc).__name__}: {exc}")
            stop.set()

    threads = [threading.Thread(target=loop, args=(job,)) for job in (masker, reader)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not stop.is_set():
        time.sleep(0.01)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    return problems


def _masks():
    masks = torch.ones(4, 2, 4)
    masks[1, 1] = 0.0  # starts at layer 1: encoder.layer is swapped for a shorter list while it runs
    masks[2, 0, :2] = 0.0
    masks[3] = 0.0
    return masks


def test_unmasked_predictions_in_another_thread_stay_unmasked(classifier):
    model, tokenizer = classifier.model, classifier.tokenizer
    expected = predict(model, tokenizer, INPUTS, batch_size=8)
    masks = _masks()
    reference = predict_under_masks(model, tokenizer, INPUTS, masks, batch_size=8)

    def masker():
        got = predict_under_masks(model, tokenizer, INPUTS, masks, batch_size=8)
        return None if np.allclose(got, reference, atol=1e-5) else "masked rows changed"

    def reader():
        got = predict(model, tokenizer, INPUTS, batch_size=8)
        diff = float(np.abs(got - expected).max())
        return None if diff < 1e-5 else f"unmasked probabilities off by {diff:.3f}"

    assert _race(masker, reader) == []


def test_the_classifier_in_another_thread_is_not_masked(classifier):
    """The engine's own predict_proba waits for a masked block to end instead of running inside it."""
    model = classifier.model
    expected = classifier.predict_proba(INPUTS)

    def masker():
        with mask_heads(model, torch.zeros(2, 4)):
            time.sleep(0.002)  # a user's forward passes under the mask
        return None

    def reader():
        got = classifier.predict_proba(INPUTS)
        diff = float(np.abs(got - expected).max())
        return None if diff < 1e-5 else f"predict_proba off by {diff:.3f} (masked)"

    assert _race(masker, reader) == []


def test_importance_and_sweeps_in_two_threads_agree_with_serial_runs(classifier):
    model, tokenizer = classifier.model, classifier.tokenizer
    masks = _masks()
    reference = predict_under_masks(model, tokenizer, INPUTS, masks, batch_size=8)
    importance = head_importance(model, tokenizer, INPUTS, batch_size=8).raw

    def sweep():
        got = predict_under_masks(model, tokenizer, INPUTS, masks, batch_size=8)
        return None if np.allclose(got, reference, atol=1e-5) else "sweep changed"

    def gradients():
        got = head_importance(model, tokenizer, INPUTS, batch_size=8).raw
        return None if np.allclose(got, importance, rtol=1e-4, atol=1e-7) else "importance changed"

    assert _race(sweep, gradients) == []


def test_the_lock_is_one_per_model_and_reentrant(classifier):
    from assay.heads.masking import model_lock

    model = classifier.model
    lock = model_lock(model)
    assert model_lock(classifier) is lock and model_lock(model.bert) is lock  # classifier, wrapper and encoder
    with lock, mask_heads(model, torch.zeros(2, 4)), lock:  # re-entrant: a masked block may predict
        predict(model, classifier.tokenizer, INPUTS[:2])
    from transformers import BertConfig, BertForSequenceClassification

    other = BertForSequenceClassification(BertConfig(vocab_size=50, hidden_size=8, num_hidden_layers=1,
                                                     num_attention_heads=2, intermediate_size=8))
    assert model_lock(other) is not lock
