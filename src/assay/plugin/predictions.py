"""Predictions shared by every test: each distinct input is predicted once per model.

Also what the engine has to tell about those predictions: which inputs it cut to the model's token
limit (counted per test) and what it warned about the model, as lines for the terminal summary.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable

import numpy as np

from assay.errors import PredictionError
from assay.inputs import Input
from assay.probabilities import checked_probabilities
from assay.report.format import truncation


class PredictionStore:
    """Probabilities per input for one model, filled in large de-duplicated batches."""

    def __init__(self, model: Any, name: str):
        self.model = model
        self.name = name
        self.labels = list(model.labels)
        self._probs: dict[Input, np.ndarray] = {}
        self.truncated: set[Input] | None = None  # None: the model does not say what it truncates
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
        cut = getattr(self.model, "truncated_inputs", None)
        if isinstance(cut, (set, frozenset)):
            self.truncated = (self.truncated or set()) | {x for x in missing if x in cut}

    def truncated_among(self, inputs: Iterable[Input]) -> int | None:
        """How many distinct ``inputs`` the model cut to its token limit (None: it does not say)."""
        if self.truncated is None:
            return None
        return sum(1 for x in dict.fromkeys(inputs) if x in self.truncated)

    def __call__(self, x: Input) -> np.ndarray:
        row = self._probs.get(x)
        if row is None:
            self.ensure([x])
            row = self._probs[x]
        self.requested += 1
        return row

    def __len__(self) -> int:
        return len(self._probs)


def same_model(a: Any, b: Any) -> bool:
    """Whether ``b`` answers as ``a`` does: the same object, equal by the class's own ``==``, or a model of
    the same class with the same fingerprint and labels (the engine's classifier loaded twice)."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    try:
        if a == b:  # a class without __eq__ compares identity: False here
            return True
    except Exception:  # noqa: BLE001 - a user's __eq__ may raise (arrays): not equal then
        return False
    keys = [(getattr(m, "fingerprint", None), getattr(m, "cache_namespace", None), list(getattr(m, "labels", [])))
            for m in (a, b)]
    return keys[0][0] is not None and keys[0] == keys[1]


def model_notices(records: Iterable[dict[str, Any]]) -> list[str]:
    """Terminal lines: inputs cut to each model's token limit (with the tests they belong to), and each
    model's warnings, once per model."""
    lines: list[str] = []
    truncated: dict[str, list[tuple[str, int]]] = defaultdict(list)
    info: dict[str, dict[str, Any]] = {}
    for record in records:
        model = record.get("model_info") or {}
        name = str(model.get("name") or record.get("model"))
        info.setdefault(name, model)
        if record.get("truncated"):
            truncated[name].append((str(record.get("name")), int(record["truncated"])))
    for name, model in info.items():
        for warning in model.get("warnings") or []:
            lines.append(f"assay: WARNING model {name}: {warning}")
        if truncated.get(name):
            tests = sorted(truncated[name], key=lambda t: (-t[1], t[0]))
            lines.append(f"assay: model {name}: {truncation(sum(n for _, n in tests), model.get('max_length'))} "
                         f"(in {', '.join(f'{test} {n}' for test, n in tests)})")
    return lines
