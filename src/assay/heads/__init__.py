"""Attention-head masking, head checks and gradient head importance for BERT-family encoders.

>>> from assay.heads import mask_heads, head_importance, single_head_ablation   # doctest: +SKIP

Names are imported on first use, so importing the package stays cheap.
"""

from __future__ import annotations

from assay._lazy import lazy_exports

_EXPORTS = {
    "HeadMaskError": "masking", "SUPPORTED_MODEL_TYPES": "masking", "head_layout": "masking", "mask_heads": "masking",
    "Encoded": "forward", "encode": "forward", "predict": "forward", "predict_under_masks": "forward",
    "random_masking": "ablation", "layer_ablation": "ablation", "single_head_ablation": "ablation",
    "harmful_heads": "ablation", "paired_difference_interval": "ablation",
    "HeadImportance": "importance", "head_importance": "importance", "pruning_curve": "importance",
    "heatmap": "plot",
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
