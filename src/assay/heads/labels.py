"""Gold labels for head checks: names or indices mapped onto the model's classes."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from assay.errors import DataError
from assay.heads.masking import unwrap_model


def label_names(model) -> list[str]:
    """The model's class names in output order (``config.id2label``)."""
    config: Any = unwrap_model(model).config
    id2label = getattr(config, "id2label", None) or {}
    return [str(id2label.get(i, id2label.get(str(i), f"LABEL_{i}"))) for i in range(int(config.num_labels))]


def label_indices(model, labels: Sequence, n: int) -> np.ndarray:
    """Class indices for ``labels`` (names, case-insensitive, or integer indices), one per input."""
    names = label_names(model)
    lookup = {name.lower(): index for index, name in enumerate(names)}
    if len(labels) != n:
        raise DataError(f"got {len(labels)} labels for {n} inputs; give one label per input")
    out = np.empty(n, dtype=np.int64)
    for position, label in enumerate(labels):
        if isinstance(label, (int, np.integer)) and not isinstance(label, bool) and 0 <= int(label) < len(names):
            out[position] = int(label)
        elif isinstance(label, str) and label.lower() in lookup:
            out[position] = lookup[label.lower()]
        else:
            raise DataError(f"label {label!r} (input {position}) is not one of the model's labels {names}; fix the label column")
    return out


def accuracy(predictions: np.ndarray, targets: np.ndarray | None) -> float | None:
    """Share of predictions equal to the targets; None without targets (or without inputs)."""
    if targets is None or len(targets) == 0:
        return None
    return float((np.asarray(predictions) == targets).mean())
