"""The one check every model output passes before anything is judged on it.

Whatever produced the numbers — the Hugging Face adapter, a user's own model object, a forward
pass under head masks — a verdict is only computed from a finite ``(inputs, labels)`` array of
probabilities. Anything else is a :class:`~assay.errors.PredictionError` whose one line names the
model and, where one input is to blame, that input.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from assay.errors import PredictionError
from assay.inputs import Input, render

SUM_TOLERANCE = 1e-3
"""How far a row may sum from 1 (float16 models and rounding stay well inside it)."""


def checked_probabilities(raw: Any, *, model: str, inputs: Sequence[Input], labels: Sequence[str],
                          fix: str = "", values: bool = True) -> np.ndarray:
    """``raw`` as a float64 ``(len(inputs), len(labels))`` array of probabilities, or a PredictionError.

    ``fix``: what the user can do about non-finite values (for example a dtype to run in).
    ``values=False`` checks the type and shape only: a store that predicts for many tests at once
    keeps a bad row, so that only the tests that use it report the error.
    """
    try:
        probs = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError):
        raise PredictionError(f"model {model!r}: predict_proba returned {type(raw).__name__}, not an array of numbers") from None
    expected = (len(inputs), len(labels))
    if probs.shape != expected:
        raise PredictionError(
            f"model {model!r}: predict_proba returned shape {probs.shape}, expected {expected} "
            f"(one row per input, one column per label {list(labels)})"
        )
    if not values or not probs.size:
        return probs
    finite = np.isfinite(probs).all(axis=1)
    if not finite.all():
        first = int(np.flatnonzero(~finite)[0])
        hint = f"; {fix}" if fix else ""
        raise PredictionError(
            f"model {model!r} returned NaN or infinite probabilities for {_clip(render(inputs[first]))!r} "
            f"({int((~finite).sum())} of {len(inputs)} inputs){hint}"
        )
    sums = probs.sum(axis=1)
    off = (probs < 0).any(axis=1) | (np.abs(sums - 1.0) > SUM_TOLERANCE)
    if off.any():
        first = int(np.flatnonzero(off)[0])
        raise PredictionError(
            f"model {model!r}: the row for {_clip(render(inputs[first]))!r} is not a probability distribution "
            f"(sums to {sums[first]:.4g}, min {probs[first].min():.4g}); return softmax probabilities, not logits"
        )
    return probs


def _clip(text: str, width: int = 80) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
