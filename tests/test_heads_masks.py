"""The one mask builder and the one set of figures of the head checks (numpy only, no model)."""

from __future__ import annotations

import numpy as np
import pytest

from assay.heads.masks import head_masks, layer_masks, mask_figures, random_count, random_masks, sweep_names


@pytest.mark.parametrize("fraction, total, count", [(0.2, 72, 14), (0.25, 8, 2), (0.01, 8, 1), (0.99, 8, 8)])
def test_random_count_rounds_and_masks_at_least_one_head(fraction, total, count):
    assert random_count(fraction, total) == count


@pytest.mark.parametrize("fraction", [0, 1, -0.1, 1.5])
def test_fraction_lies_in_the_open_unit_interval(fraction):
    with pytest.raises(ValueError, match=f"fraction={fraction}"):
        random_masks(6, 12, fraction, 1, 0)


def test_random_masks_are_numpys_default_rng_draws():
    masks = random_masks(6, 12, 0.2, 3, seed=0)
    rng = np.random.default_rng(0)
    for draw in range(3):
        flat = np.sort(rng.choice(72, size=14, replace=False))
        assert masks.off(draw) == [(int(i // 12), int(i % 12)) for i in flat]
    assert masks.names == ("draw0", "draw1", "draw2")
    assert masks.masks.shape == (3, 6, 12) and (masks.masks.reshape(3, -1).sum(1) == 72 - 14).all()
    assert random_masks(6, 12, 0.2, 3, seed=0).off(1) == masks.off(1)
    assert random_masks(6, 12, 0.2, 3, seed=1).off(0) != masks.off(0)


def test_sweeps_switch_off_one_layer_or_one_head():
    layers = layer_masks(2, 3)
    assert layers.names == ("L0", "L1") and layers.off(1) == [(1, 0), (1, 1), (1, 2)]
    heads = head_masks(2, 3)
    assert heads.names == tuple(sweep_names("single_head_ablation", 2, 3))
    assert [heads.off(i) for i in range(6)] == [[(layer, head)] for layer in range(2) for head in range(3)]
    assert heads.select("L1-H2") == [5] and heads.select(None) == list(range(6))
    with pytest.raises(ValueError, match="L2-H0 is not in this model's layout"):
        heads.select("L2-H0")


def test_figures_count_agreement_accuracy_and_paired_outcomes():
    unmasked = np.array([0, 1, 2, 1])
    masked = np.array([[0, 1, 2, 1], [0, 2, 2, 0]])
    targets = np.array([0, 2, -1, 1])  # input 2 has no gold label
    figures = mask_figures(unmasked, masked, targets)
    assert figures.agreement.tolist() == [1.0, 0.5]
    assert figures.unmasked_accuracy == pytest.approx(2 / 3) and figures.labelled == 3
    assert figures.accuracy.tolist() == pytest.approx([2 / 3, 2 / 3])
    # (right both ways, right only unmasked, right only masked, wrong both ways)
    assert figures.paired.tolist() == [[2, 0, 0, 1], [1, 1, 1, 0]]
    assert figures.accuracy_drop().tolist() == pytest.approx([0.0, 0.0])
    bare = mask_figures(unmasked, masked)
    assert bare.accuracy is None and bare.paired is None and bare.accuracy_drop() is None
