"""Predictions shared by every test: each distinct input is predicted once per model."""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from assay.errors import PredictionError
from assay.inputs import Input
from assay.probabilities import checked_probabilities


class PredictionStore:
    """Probabilities per input for one model, filled in large de-duplicated batches."""

    def __init__(self, model: Any, name: str):
        self.model = model
        self.name = name
        self.labels = list(model.labels)
        self._probs: dict[Input, np.ndarray] = {}
        self.calls = 0
        self.requested = 0

    def ensure(self, inputs: Iterable[Input]) -> None:
        """Predict every input not yet known, in one call to the model."""
        missing = list(dict.fromkeys(x for x in inputs if x not in self._probs))
        if not missing:
            return
        self.calls += 1
        try:
            raw = self.model.predict_proba(missing)
        except PredictionError:
            raise
        except Exception as exc:  # a user's model: report what broke, on one line
            raise PredictionError(f"model {self.name!r}: predict_proba raised {type(exc).__name__}: {exc}") from exc
        probs = checked_probabilities(raw, model=self.name, inputs=missing, labels=self.labels, values=False)
        for x, row in zip(missing, probs):
            self._probs[x] = row

    def __call__(self, x: Input) -> np.ndarray:
        row = self._probs.get(x)
        if row is None:
            self.ensure([x])
            row = self._probs[x]
        self.requested += 1
        return row

    def __len__(self) -> int:
        return len(self._probs)
