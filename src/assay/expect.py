"""Expectations: small composable functions that judge one case as pass, fail or not applicable.

An expectation is called with the case, the model's probabilities for each of the case's inputs
(``probs[i]`` belongs to ``case.inputs[i]``) and the model's label names, and returns a
:class:`Verdict`. Build your own with :func:`single` (one input at a time) or :func:`pairwise`
(original against each changed input); combine them with :func:`all_of` / :func:`any_of` or ``&`` / ``|``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import numpy as np

from . import _validate as valid
from .cases import Case
from .errors import DeclarationError

PASS, FAIL, NA = "pass", "fail", "na"

NUMERICAL_SLACK = 1e-6
"""Added to every tolerance a probability comparison uses. The same input can come back from a
model a few 1e-8 apart depending on which other inputs share its batch (padding width, kernel
choice); with ``tolerance=0`` such noise alone would decide a verdict. 1e-6 is far above that noise
and far below any change a test author means."""


@dataclass(frozen=True)
class Verdict:
    """The judgement of one case. ``severity`` orders failures (worst first) in reports."""

    outcome: str
    severity: float = 0.0
    reason: str = ""
    failing_inputs: tuple[int, ...] = field(default=())

    @property
    def passed(self) -> bool:
        return self.outcome == PASS

    @property
    def failed(self) -> bool:
        return self.outcome == FAIL


Judge = Callable[[Case, np.ndarray, Sequence[str]], Verdict]


class Expectation:
    """A named judge. ``needs_pairs`` marks expectations that compare an original with changes."""

    def __init__(self, judge: Judge, name: str, *, needs_pairs: bool = False, needs_expected: bool = False,
                 label_args: Iterable[str] = ()):
        self._judge = judge
        self.name = name
        self.needs_pairs = needs_pairs
        self.needs_expected = needs_expected
        self.label_args = tuple(label_args)

    def __call__(self, case: Case, probs: np.ndarray, labels: Sequence[str]) -> Verdict:
        return self._judge(case, probs, labels)

    def __and__(self, other: "Expectation") -> "Expectation":
        return all_of(self, other)

    def __or__(self, other: "Expectation") -> "Expectation":
        return any_of(self, other)

    def __repr__(self) -> str:
        return f"expect.{self.name}"


def _index(labels: Sequence[str], label: str) -> int:
    try:
        return list(labels).index(label)
    except ValueError:
        raise DeclarationError(f"label {label!r} is not one of the model's labels {list(labels)}") from None


def single(fn: Callable[[np.ndarray, Sequence[str], frozenset[str] | None], bool | None] | None = None, *,
           name: str | None = None):
    """Turn ``fn(probs_row, labels, expected) -> bool | None`` into an expectation over every input.

    ``None`` means not applicable. The case fails when any input fails.
    """

    def wrap(f):
        def judge(case: Case, probs: np.ndarray, labels: Sequence[str]) -> Verdict:
            failing, applicable, worst = [], False, 0.0
            for i in range(len(case.inputs)):
                result = f(probs[i], labels, case.expected)
                if result is None:
                    continue
                applicable = True
                if not result:
                    failing.append(i)
                    worst = max(worst, float(np.max(probs[i])))
            if not applicable:
                return Verdict(NA)
            if failing:
                return Verdict(FAIL, worst, f"{getattr(f, '__name__', 'check')} failed", tuple(failing))
            return Verdict(PASS)

        return Expectation(judge, name or getattr(f, "__name__", "single"))

    return wrap(fn) if fn is not None else wrap


def pairwise(fn: Callable[[np.ndarray, np.ndarray, Sequence[str]], "bool | None | tuple[bool, float]"] | None = None,
             *, name: str | None = None):
    """Turn ``fn(original_row, changed_row, labels) -> bool | None`` into an expectation.

    It is applied to the original and each changed input; the case fails when any pair fails and is
    not applicable when the case has no changed input or every pair is not applicable. ``fn`` may
    return ``(ok, severity)`` to rank failures.
    """

    def wrap(f):
        def judge(case: Case, probs: np.ndarray, labels: Sequence[str]) -> Verdict:
            if len(case.inputs) < 2:
                return Verdict(NA, reason="no changed input")
            failing, applicable, worst = [], False, 0.0
            for i in range(1, len(case.inputs)):
                result = f(probs[0], probs[i], labels)
                if result is None:
                    continue
                severity = float(np.max(np.abs(probs[i] - probs[0])))
                if isinstance(result, tuple):
                    result, severity = result
                applicable = True
                if not result:
                    failing.append(i)
                    worst = max(worst, severity)
            if not applicable:
                return Verdict(NA)
            if failing:
                return Verdict(FAIL, worst, f"{getattr(f, '__name__', 'check')} failed", tuple(failing))
            return Verdict(PASS)

        return Expectation(judge, name or getattr(f, "__name__", "pairwise"), needs_pairs=True)

    return wrap(fn) if fn is not None else wrap


# -- label expectations (MFT) --------------------------------------------------------------------
def _predicted_in(probs: np.ndarray, allowed: list[int], reason: str) -> Verdict:
    """Every input's predicted label must be in ``allowed``; severity is the winning margin."""
    failing, worst = [], 0.0
    for i, row in enumerate(probs):
        if int(np.argmax(row)) not in allowed:
            failing.append(i)
            worst = max(worst, float(np.max(row) - max(row[j] for j in allowed)))
    return Verdict(FAIL, worst, reason, tuple(failing)) if failing else Verdict(PASS)


def expected_label() -> Expectation:
    """The predicted label is one of the case's expected labels (the MFT default)."""

    def judge(case: Case, probs: np.ndarray, labels: Sequence[str]) -> Verdict:
        if case.expected is None:
            return Verdict(NA, reason="no expected label")
        allowed = [_index(labels, lab) for lab in case.expected]
        return _predicted_in(probs, allowed, "predicted label not expected")

    return Expectation(judge, "expected_label()", needs_expected=True)


def label_in(*allowed: str) -> Expectation:
    """The predicted label is one of ``allowed`` (for every input of the case)."""
    if not allowed:
        raise DeclarationError("expect.label_in() needs at least one label")

    def judge(case: Case, probs: np.ndarray, labels: Sequence[str]) -> Verdict:
        idx = [_index(labels, lab) for lab in allowed]
        return _predicted_in(probs, idx, f"predicted label not in {list(allowed)}")

    return Expectation(judge, f"label_in{allowed!r}", label_args=allowed)


label = label_in


def label_not_in(*forbidden: str) -> Expectation:
    """The predicted label is none of ``forbidden``."""
    if not forbidden:
        raise DeclarationError("expect.label_not_in() needs at least one label")

    def judge(case: Case, probs: np.ndarray, labels: Sequence[str]) -> Verdict:
        idx = [_index(labels, lab) for lab in forbidden]
        failing, worst = [], 0.0
        for i, row in enumerate(probs):
            if int(np.argmax(row)) in idx:
                failing.append(i)
                worst = max(worst, float(np.max(row)))
        return Verdict(FAIL, worst, f"predicted label in {list(forbidden)}", tuple(failing)) if failing else Verdict(PASS)

    return Expectation(judge, f"label_not_in{forbidden!r}", label_args=forbidden)


# -- pairwise expectations (INV / DIR) -----------------------------------------------------------
def invariant(tolerance: float | None = None) -> Expectation:
    """The changed input gets the original's label (and, with ``tolerance``, that label's probability
    moves by at most ``tolerance`` + :data:`NUMERICAL_SLACK`). The INV default."""
    if tolerance is not None:
        valid.PROBABILITY.check(tolerance, "tolerance", DeclarationError)

    def same_prediction(orig: np.ndarray, new: np.ndarray, labels: Sequence[str]):
        k = int(np.argmax(orig))
        delta = abs(float(new[k] - orig[k]))
        ok = int(np.argmax(new)) == k and (tolerance is None or delta <= tolerance + NUMERICAL_SLACK)
        return ok, delta

    return pairwise(same_prediction, name=f"invariant(tolerance={tolerance})")


def _confidence(direction: int, label: str | None, tolerance: float, name: str) -> Expectation:
    valid.PROBABILITY.check(tolerance, "tolerance", DeclarationError)

    def check(orig: np.ndarray, new: np.ndarray, labels: Sequence[str]):
        k = _index(labels, label) if label is not None else int(np.argmax(orig))
        change = float(new[k] - orig[k]) * direction  # positive = moved the allowed way
        return change >= -(tolerance + NUMERICAL_SLACK), max(0.0, -change)

    exp = pairwise(check, name=f"{name}(label={label!r}, tolerance={tolerance})")
    exp.label_args = (label,) if label else ()
    return exp


def confidence_not_lower(label: str | None = None, tolerance: float = 0.0) -> Expectation:
    """p(label) of the changed input is not lower than the original's, within ``tolerance``
    (+ :data:`NUMERICAL_SLACK`). ``label=None`` uses the original's predicted label."""
    return _confidence(+1, label, tolerance, "confidence_not_lower")


def confidence_not_higher(label: str | None = None, tolerance: float = 0.0) -> Expectation:
    """p(label) of the changed input is not higher than the original's, within ``tolerance``."""
    return _confidence(-1, label, tolerance, "confidence_not_higher")


def moves_away_from(label: str | None = None, min_drop: float = 0.0) -> Expectation:
    """p(label) must drop by more than ``min_drop`` + :data:`NUMERICAL_SLACK` (``label=None``: the
    original's prediction).

    With a label given, cases whose original is not predicted as that label are not applicable:
    a negation can only move a prediction away from where it was.
    """
    valid.DROP.check(min_drop, "min_drop", DeclarationError)

    def check(orig: np.ndarray, new: np.ndarray, labels: Sequence[str]):
        k = _index(labels, label) if label is not None else int(np.argmax(orig))
        if label is not None and int(np.argmax(orig)) != k:
            return None
        drop = float(orig[k] - new[k])
        return drop > min_drop + NUMERICAL_SLACK, max(0.0, min_drop - drop)

    exp = pairwise(check, name=f"moves_away_from(label={label!r}, min_drop={min_drop})")
    exp.label_args = (label,) if label else ()
    return exp


def flips() -> Expectation:
    """The changed input's predicted label differs from the original's."""

    def prediction_flips(orig: np.ndarray, new: np.ndarray, labels: Sequence[str]):
        k = int(np.argmax(orig))
        return int(np.argmax(new)) != k, float(new[k])

    return pairwise(prediction_flips, name="flips()")


# -- combinators ---------------------------------------------------------------------------------
def all_of(*expectations: Expectation) -> Expectation:
    """Pass when every applicable expectation passes; not applicable when none applies."""
    return _combine(expectations, need_all=True)


def any_of(*expectations: Expectation) -> Expectation:
    """Pass when at least one applicable expectation passes."""
    return _combine(expectations, need_all=False)


def _combine(expectations: Sequence[Expectation], need_all: bool) -> Expectation:
    if not expectations:
        raise DeclarationError("combine at least one expectation")

    def judge(case: Case, probs: np.ndarray, labels: Sequence[str]) -> Verdict:
        verdicts = [e(case, probs, labels) for e in expectations]
        applicable = [v for v in verdicts if v.outcome != NA]
        if not applicable:
            return Verdict(NA)
        fails = [v for v in applicable if v.failed]
        if (need_all and fails) or (not need_all and len(fails) == len(applicable)):
            worst = max(fails, key=lambda v: v.severity)
            inputs = tuple(sorted({i for v in fails for i in v.failing_inputs}))
            return Verdict(FAIL, worst.severity, "; ".join(v.reason for v in fails), inputs)
        return Verdict(PASS)

    word = "all_of" if need_all else "any_of"
    combined = Expectation(judge, f"{word}({', '.join(e.name for e in expectations)})",
                           needs_pairs=any(e.needs_pairs for e in expectations),
                           needs_expected=any(e.needs_expected for e in expectations),
                           label_args=[a for e in expectations for a in e.label_args])
    return combined


REGISTRY: dict[str, Callable[..., Expectation]] = {
    "expected_label": expected_label,
    "label": label_in,
    "label_in": label_in,
    "label_not_in": label_not_in,
    "invariant": invariant,
    "confidence_not_lower": confidence_not_lower,
    "confidence_not_higher": confidence_not_higher,
    "moves_away_from": moves_away_from,
    "flips": flips,
}


def by_name(name: str, args: object = None) -> Expectation:
    """Build a registered expectation from YAML: ``{name: {kwargs}}``, ``{name: [labels]}``."""
    factory = REGISTRY.get(name)
    if factory is None:
        raise DeclarationError(f"unknown expectation {name!r}; known: {', '.join(sorted(REGISTRY))}")
    try:
        if args is None:
            return factory()
        if isinstance(args, dict):
            return factory(**args)
        if isinstance(args, (list, tuple)):
            return factory(*args)
        return factory(args)
    except TypeError as exc:
        raise DeclarationError(f"expectation {name}: {exc}") from None
