"""Attention-head checks a test author declares; they live in :mod:`assay.heads.declarations`.

This module keeps the documented import path ``from assay.head_checks import random_masking``.
"""

from __future__ import annotations

from assay.heads.declarations import (  # noqa: F401
    CHECKS,
    HeadCheck,
    importance,
    layer_ablation,
    random_masking,
    single_head_ablation,
)

__all__ = ["HeadCheck", "random_masking", "layer_ablation", "single_head_ablation", "importance", "CHECKS"]
