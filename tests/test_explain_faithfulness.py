"""Deletion-test faithfulness and seed / sample-count stability of explanations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
# The shared tiny model and tokenizer fixtures, and one torch thread for the module.
from test_explain_attributions import model, one_thread, tokenizer  # noqa: F401

from assay.explain import faithfulness_report, format_faithfulness, format_stability, stability_report
from assay.explain.stability import average_ranks, kendall_tau, spearman

TEXTS = [
    "the flight was magic and good",
    "not fine seat magic and the crew was late",
    "magic crew was late and the seat was bad",
    "the crew was good and the seat was magic",
    "the flight was bad and not fine but magic",
    ("the seat was fine and good", "magic crew was late"),
]



def test_deleting_the_top_word_hurts_more_than_deleting_random_words(model, tokenizer):
    report = faithfulness_report(model, tokenizer, TEXTS, [1] * len(TEXTS), lime_samples=100, ig_steps=16)
    for method in ("integrated_gradients", "lime"):
        top1 = report["methods"][method][1]
        assert top1["cases"] == len(TEXTS)
        assert top1["drop"] > 0.3 and top1["random_drop"] < 0.15, top1
        assert top1["difference"] == pytest.approx(top1["drop"] - top1["random_drop"])
    # uniform attention gives every word the same rollout score: no better than chance at finding "magic"
    assert report["methods"]["rollout"][1]["difference"] < report["methods"]["lime"][1]["difference"] - 0.2
    table = format_faithfulness(report)
    assert table.count("\n") == 2 + 3 * 3 - 1 and "| lime | 1 |" in table


def test_targets_default_to_the_prediction_and_short_inputs_are_left_out_for_large_k(model, tokenizer):
    texts = ["the magic crew", "the flight was late and the crew was bad"]
    report = faithfulness_report(model, tokenizer, texts, methods=("integrated_gradients",), ks=(1, 3, 5), ig_steps=8)
    counts = {k: row["cases"] for k, row in report["methods"]["integrated_gradients"].items()}
    assert counts == {1: 2, 3: 1, 5: 1}
    again = faithfulness_report(model, tokenizer, texts, methods=("integrated_gradients",), ks=(1, 3, 5), ig_steps=8)
    assert again == report


def test_spearman_and_kendall_on_known_rankings():
    assert spearman(np.array([1, 2, 3, 4]), np.array([10, 20, 30, 40])) == pytest.approx(1.0)
    assert spearman(np.array([1, 2, 3, 4]), np.array([4, 3, 2, 1])) == pytest.approx(-1.0)
    # one adjacent swap among four: 5 concordant, 1 discordant pairs; d^2 sum = 2 -> 1 - 6*2/(4*15)
    assert kendall_tau(np.array([1, 2, 3, 4]), np.array([1, 3, 2, 4])) == pytest.approx(4 / 6)
    assert spearman(np.array([1, 2, 3, 4]), np.array([1, 3, 2, 4])) == pytest.approx(0.8)
    np.testing.assert_allclose(average_ranks(np.array([5.0, 1.0, 5.0, 3.0])), [3.5, 1.0, 3.5, 2.0])
    assert np.isnan(spearman(np.array([1, 1, 1]), np.array([1, 2, 3])))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(-1000, 1000), min_size=3, max_size=12, unique=True))
def test_rank_correlations_are_one_for_monotone_maps_and_symmetric(values):
    a = np.array(values, dtype=float) / 7
    assert spearman(a, np.exp(a / 50)) == pytest.approx(1.0)
    assert kendall_tau(a, -a) == pytest.approx(-1.0)
    b = np.roll(a, 1)
    assert kendall_tau(a, b) == pytest.approx(kendall_tau(b, a))
    assert -1.0 - 1e-9 <= spearman(a, b) <= 1.0 + 1e-9


def test_stability_deterministic_methods_agree_perfectly_and_lime_reports_sample_counts(model, tokenizer):
    report = stability_report(
        model, tokenizer, TEXTS[:4], [1] * 4, k=2, seeds=(0, 1), lime_samples=(20, 60, 120),
        ig_steps=(4, 16), reference_samples=60, reference_steps=16,
    )
    ig = report["methods"]["integrated_gradients"]
    assert ig["seeds"]["jaccard"] == 1.0 and ig["seeds"]["spearman"] == pytest.approx(1.0)
    assert set(ig["samples"]) == {"4"} and ig["reference"] == 16
    lime = report["methods"]["lime"]
    assert set(lime["samples"]) == {"20", "60"} and lime["reference"] == 120
    assert 0.0 <= lime["seeds"]["jaccard"] <= 1.0 and lime["seeds"]["spearman"] < 1.0
    # more samples agree better with the largest budget
    assert lime["samples"]["60"]["spearman"] >= lime["samples"]["20"]["spearman"]
    assert report["methods"]["rollout"]["samples"] == {}
    table = format_stability(report)
    assert "| lime | lime_samples=20 vs 120 |" in table and "Jaccard@2" in table
