"""Label names for a classifier: ``config.id2label``, user renaming, and the neutral band.

A binary negative/positive model can serve three-way tests through a *neutral band* ``(low, high)``
on ``p = p(positive)`` (``low < 1/2 < high``). The three-way probabilities over
``(negative, neutral, positive)`` are

    s(p)   = (1 - low) + (p - low) * (high + low - 1) / (high - low)     # neutral score
    probs  = (1 - p, s(p), p) / (1 + s(p))

``s`` is the straight line through ``(low, 1 - low)`` and ``(high, high)``, so *neutral* is the
most probable label exactly when ``low < p < high``, *negative* below the band and *positive* above
it (at an edge two labels tie). For the symmetric band ``(1/3, 2/3)``, ``s = 2/3`` everywhere and
``probs = (1 - p, 2/3, p) * 3/5``. The order of ``p(negative)`` and ``p(positive)`` is preserved, so
directional expectations keep their meaning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from assay._validate import band_problem
from assay.errors import ModelLoadError

GENERIC_LABEL = re.compile(r"LABEL_\d+")
NEGATIVE_NAMES = {"negative", "neg", "0", "bad"}
POSITIVE_NAMES = {"positive", "pos", "1", "good"}


def model_labels(id2label: Mapping[int | str, str] | None, num_labels: int) -> list[str]:
    """Labels in id order from ``config.id2label`` (``LABEL_i`` where a name is missing)."""
    names = {int(k): str(v) for k, v in (id2label or {}).items()}
    return [names.get(i, f"LABEL_{i}") for i in range(num_labels)]


def is_generic(labels: Sequence[str]) -> bool:
    """True when every label is a placeholder such as ``LABEL_0``."""
    return all(GENERIC_LABEL.fullmatch(label) for label in labels)


def rename_labels(labels: list[str], rename: Mapping[str, str] | Sequence[str] | None, where: str) -> list[str]:
    """Apply a ``{old: new}`` mapping or a list of new names in id order."""
    if rename is None:
        return list(labels)
    if isinstance(rename, Mapping):
        unknown = sorted(set(rename) - set(labels))
        if unknown:
            raise ModelLoadError(f"{where}: cannot rename unknown label(s) {unknown}; the model's labels are {labels}")
        renamed = [str(rename.get(label, label)) for label in labels]
    else:
        renamed = [str(name) for name in rename]
        if len(renamed) != len(labels):
            raise ModelLoadError(
                f"{where}: {len(renamed)} label names given for a model with {len(labels)} labels {labels}; give one name per label in id order"
            )
    if len(set(renamed)) != len(renamed):
        raise ModelLoadError(f"{where}: label names must be distinct, got {renamed}")
    return renamed


@dataclass(frozen=True)
class NeutralBand:
    """Maps binary probabilities (any column order) to (negative, neutral, positive)."""

    low: float
    high: float
    negative_index: int
    positive_index: int

    def labels(self, binary_labels: Sequence[str]) -> list[str]:
        return [binary_labels[self.negative_index], "neutral", binary_labels[self.positive_index]]

    def neutral_score(self, positive: np.ndarray) -> np.ndarray:
        slope = (self.high + self.low - 1.0) / (self.high - self.low)
        return (1.0 - self.low) + (positive - self.low) * slope

    def apply(self, probs: np.ndarray) -> np.ndarray:
        """``(n, 2)`` binary probabilities -> ``(n, 3)`` over (negative, neutral, positive)."""
        positive = probs[:, self.positive_index] / probs.sum(axis=1)
        neutral = self.neutral_score(positive)
        out = np.stack([1.0 - positive, neutral, positive], axis=1)
        return out / out.sum(axis=1, keepdims=True)


def neutral_band(band: tuple[float, float], labels: Sequence[str], where: str, generic: bool) -> NeutralBand:
    """Validate a band for a binary model and find which column is negative and which positive."""
    if len(labels) != 2:
        raise ModelLoadError(f"{where}: a neutral band needs a binary model, this one has {len(labels)} labels {list(labels)}; drop the neutral band")
    low, high = (float(v) for v in band)
    problem = band_problem(low, high)
    if problem:
        raise ModelLoadError(f"{where}: neutral band {band!r}: {problem}")
    lowered = [label.lower() for label in labels]
    if not generic and lowered[0] in POSITIVE_NAMES and lowered[1] in NEGATIVE_NAMES:
        return NeutralBand(low, high, negative_index=1, positive_index=0)
    if not generic and not (lowered[0] in NEGATIVE_NAMES and lowered[1] in POSITIVE_NAMES):
        raise ModelLoadError(
            f"{where}: cannot tell which of the labels {list(labels)} is negative and which positive; rename them with labels=['negative', 'positive']"
        )
    return NeutralBand(low, high, negative_index=0, positive_index=1)
