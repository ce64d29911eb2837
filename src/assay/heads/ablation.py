"""Head checks as plain functions: random masking, layer ablation, single-head ablation, harmful heads.

Each check evaluates the unmasked model and all of its masks in one batched pass (one mask per
row) and returns a small dataclass whose ``to_dict()`` is JSON-able. The masks and the figures are
those of :mod:`assay.heads.masks`, shared with the test declarations, so a suite's
``random_masking(seed=0)`` and ``random_masking(model, tokenizer, inputs, seed=0)`` mask the same heads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from assay.heads.forward import DEFAULT_BATCH_SIZE, Encoded, as_encoded, predict_under_masks
from assay.heads.labels import label_indices
from assay.heads.masking import head_layout, unwrap_model
from assay.heads.masks import MaskSet, head_masks, heads_off, layer_masks, mask_figures, random_masks
from assay.inputs import Input
from assay.stats import mcnemar_exact, paired_difference_interval


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 6)


def _grid(values: np.ndarray | None) -> list | None:
    return None if values is None else np.round(values.astype(float), 6).tolist()


def _evaluate(model, tokenizer, inputs, labels, mask_set: MaskSet, batch_size: int):
    """Predicted labels ``[1 + M, n]`` (row 0: unmasked), gold indices (or None) and the figures."""
    module = unwrap_model(model)
    encoded = as_encoded(tokenizer, inputs, model)
    n_layers, n_heads = head_layout(module)
    all_masks = torch.cat([torch.ones(1, n_layers, n_heads), torch.from_numpy(mask_set.masks)])
    probs = predict_under_masks(module, tokenizer, encoded, all_masks, batch_size=batch_size)
    targets = None if labels is None else label_indices(module, labels, len(encoded))
    predictions = probs.argmax(-1)
    return predictions, targets, mask_figures(predictions[0], predictions[1:], targets)


@dataclass(frozen=True)
class RandomMaskingDraw:
    masked: list[tuple[int, int]]
    agreement: float
    accuracy: float | None

    def to_dict(self) -> dict:
        return {"masked": [list(h) for h in self.masked], "agreement": _round(self.agreement), "accuracy": _round(self.accuracy)}


@dataclass(frozen=True)
class RandomMaskingResult:
    fraction: float
    seed: int
    draws: list[RandomMaskingDraw]
    unmasked_accuracy: float | None
    n: int

    @property
    def mean_agreement(self) -> float:
        return float(np.mean([d.agreement for d in self.draws])) if self.draws else 1.0

    @property
    def min_agreement(self) -> float:
        return float(min(d.agreement for d in self.draws)) if self.draws else 1.0

    def to_dict(self) -> dict:
        return {
            "fraction": self.fraction,
            "seed": self.seed,
            "n": self.n,
            "unmasked_accuracy": _round(self.unmasked_accuracy),
            "mean_agreement": _round(self.mean_agreement),
            "min_agreement": _round(self.min_agreement),
            "draws": [d.to_dict() for d in self.draws],
        }


def random_masking(
    model,
    tokenizer,
    inputs: Sequence[Input] | Encoded,
    labels: Sequence | None = None,
    fraction: float = 0.2,
    draws: int = 5,
    seed: int = 0,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> RandomMaskingResult:
    """Mask ``round(fraction * heads)`` heads (at least one) chosen at random, ``draws`` times: the
    masks of :func:`assay.heads.masks.random_masks`, as in the ``random_masking`` test declaration."""
    n_layers, n_heads = head_layout(model)
    mask_set = random_masks(n_layers, n_heads, fraction, draws, seed)
    predictions, targets, figures = _evaluate(model, tokenizer, inputs, labels, mask_set, batch_size)
    results = [
        RandomMaskingDraw(
            masked=mask_set.off(row),
            agreement=float(figures.agreement[row]),
            accuracy=None if figures.accuracy is None else float(figures.accuracy[row]),
        )
        for row in range(len(mask_set))
    ]
    return RandomMaskingResult(fraction, seed, results, figures.unmasked_accuracy, predictions.shape[1])


@dataclass(frozen=True)
class LayerAblationResult:
    agreement: np.ndarray  # [L]
    accuracy: np.ndarray | None  # [L]
    accuracy_drop: np.ndarray | None  # [L]: unmasked accuracy - accuracy with the layer's heads off
    unmasked_accuracy: float | None
    n: int

    def to_dict(self) -> dict:
        return {
            "n": self.n,
            "unmasked_accuracy": _round(self.unmasked_accuracy),
            "layers": [
                {
                    "layer": layer,
                    "agreement": _round(self.agreement[layer]),
                    "accuracy": None if self.accuracy is None else _round(self.accuracy[layer]),
                    "accuracy_drop": None if self.accuracy_drop is None else _round(self.accuracy_drop[layer]),
                }
                for layer in range(len(self.agreement))
            ],
        }


def layer_ablation(
    model,
    tokenizer,
    inputs: Sequence[Input] | Encoded,
    labels: Sequence | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> LayerAblationResult:
    """Switch off all heads of one layer at a time."""
    n_layers, n_heads = head_layout(model)
    predictions, _, figures = _evaluate(model, tokenizer, inputs, labels, layer_masks(n_layers, n_heads), batch_size)
    return LayerAblationResult(figures.agreement, figures.accuracy, figures.accuracy_drop(), figures.unmasked_accuracy,
                               predictions.shape[1])


@dataclass(frozen=True)
class HeadAblationResult:
    agreement: np.ndarray  # [L, H]
    accuracy: np.ndarray | None  # [L, H]
    accuracy_drop: np.ndarray | None  # [L, H]
    unmasked_accuracy: float | None
    n: int
    predictions: np.ndarray  # [1 + L*H, n]: row 0 unmasked, then heads in (layer, head) order
    targets: np.ndarray | None

    @property
    def changed(self) -> np.ndarray:
        """Share of inputs whose predicted label changes when the head is masked."""
        return 1.0 - self.agreement

    def to_dict(self) -> dict:
        return {
            "n": self.n,
            "unmasked_accuracy": _round(self.unmasked_accuracy),
            "agreement": _grid(self.agreement),
            "changed": _grid(self.changed),
            "accuracy": _grid(self.accuracy),
            "accuracy_drop": _grid(self.accuracy_drop),
        }


def single_head_ablation(
    model,
    tokenizer,
    inputs: Sequence[Input] | Encoded,
    labels: Sequence | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> HeadAblationResult:
    """Switch off one head at a time; all ``L * H`` masks run as per-row masks in shared batches."""
    n_layers, n_heads = head_layout(model)
    predictions, targets, figures = _evaluate(model, tokenizer, inputs, labels, head_masks(n_layers, n_heads), batch_size)
    grid = (n_layers, n_heads)
    drop = figures.accuracy_drop()
    return HeadAblationResult(
        figures.agreement.reshape(grid),
        None if figures.accuracy is None else figures.accuracy.reshape(grid),
        None if drop is None else drop.reshape(grid),
        figures.unmasked_accuracy,
        predictions.shape[1],
        predictions,
        targets,
    )


@dataclass(frozen=True)
class HarmfulHead:
    layer: int
    head: int
    accuracy_gain: float
    ci_low: float
    ci_high: float
    fixed: int  # cases wrong with the head, right without it
    broken: int  # cases right with the head, wrong without it
    p_value: float  # exact McNemar on (broken, fixed)

    def to_dict(self) -> dict:
        return {
            "layer": self.layer,
            "head": self.head,
            "accuracy_gain": _round(self.accuracy_gain),
            "ci_low": _round(self.ci_low),
            "ci_high": _round(self.ci_high),
            "fixed": self.fixed,
            "broken": self.broken,
            "p_value": _round(self.p_value),
        }


@dataclass(frozen=True)
class HarmfulHeadsResult:
    heads: list[HarmfulHead]  # best gain first
    unmasked_accuracy: float
    accuracy_all_masked: float  # with every harmful head masked together
    n: int

    def to_dict(self) -> dict:
        return {
            "n": self.n,
            "unmasked_accuracy": _round(self.unmasked_accuracy),
            "accuracy_all_masked": _round(self.accuracy_all_masked),
            "heads": [h.to_dict() for h in self.heads],
        }


def harmful_heads(
    model,
    tokenizer,
    inputs: Sequence[Input] | Encoded,
    labels: Sequence,
    ablation: HeadAblationResult | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> HarmfulHeadsResult:
    """Heads whose masking improves accuracy, each with a 95% interval for the gain on the paired cases.

    ``ablation``: a single-head sweep already run on the same inputs, to avoid running it twice.
    """
    if labels is None:
        raise ValueError("harmful_heads needs labels: accuracy cannot improve without them")
    module = unwrap_model(model)
    encoded = as_encoded(tokenizer, inputs, model)
    targets = label_indices(module, labels, len(encoded))
    if ablation is None:
        ablation = single_head_ablation(module, tokenizer, encoded, batch_size=batch_size)
    n_layers, n_heads = head_layout(module)
    figures = mask_figures(ablation.predictions[0], ablation.predictions[1:], targets)
    counts = [] if figures.paired is None else figures.paired.tolist()
    heads = []
    for flat, (both, broken, fixed, neither) in enumerate(counts):  # fixed: right only with the head masked
        if fixed <= broken:
            continue
        low, high = paired_difference_interval(broken, fixed, both, neither)
        heads.append(HarmfulHead(flat // n_heads, flat % n_heads, (fixed - broken) / figures.n, low, high, fixed, broken,
                                 mcnemar_exact(broken, fixed)))
    heads.sort(key=lambda h: (-h.accuracy_gain, h.layer, h.head))
    base = figures.unmasked_accuracy or 0.0
    together = base
    if heads:
        mask = heads_off(n_layers, n_heads, [(h.layer, h.head) for h in heads], "harmful").masks
        probs = predict_under_masks(module, tokenizer, encoded, torch.from_numpy(mask), batch_size=batch_size)
        together = float((probs[0].argmax(-1) == targets).mean())
    return HarmfulHeadsResult(heads, base, together, figures.n)
