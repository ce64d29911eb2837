"""Heads: the model's decisions should not hinge on a few attention heads.

Masking a random 20% of the heads, ablating a whole layer, or ablating one head at a time must leave
most predictions unchanged. Without ``data`` the checks run on a seeded sample (``n=200``) of the
suite's own inputs, with the MFT labels as gold where there is one.
"""

from __future__ import annotations

from assay.head_checks import layer_ablation, random_masking, single_head_ablation

test_random_heads = random_masking(
    fraction=0.2, draws=5, min_agreement=0.9, capability="Heads",
    description="Masking a random 20% of the heads (5 seeded draws) changes at most 10% of the predictions.",
)
test_layer_ablation = layer_ablation(
    min_agreement=0.8, capability="Heads",
    description="Masking every head of one layer changes at most 20% of the predictions (one item per layer).",
)
test_critical_heads = single_head_ablation(
    max_changed=0.05, capability="Heads",
    description="Masking a single head changes at most 5% of the predictions (one item per head).",
)
