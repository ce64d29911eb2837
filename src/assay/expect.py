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


def _index(labels: Sequence[str], label: "str | int") -> int:
    """The position of ``label`` among the model's labels; an int is already a position (CheckList
    writes labels as class indices: 0 negative, 1 neutral, 2 positive in its sentiment suite)."""
    if isinstance(label, (int, np.integer)) and not isinstance(label, bool):
        if 0 <= int(label) < len(labels):
            return int(label)
        raise DeclarationError(f"label index {label} is out of range for the model's labels {list(labels)}")
    try:
        return list(labels).index(str(label))
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

    return Expectation(judge, f"label_in{allowed!r}", label_args=[a for a in allowed if isinstance(a, str)])


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

    return Expectation(judge, f"label_not_in{forbidden!r}", label_args=[a for a in forbidden if isinstance(a, str)])


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


# -- expectations that see inputs and metadata, judge a whole case or a whole test ---------------
@dataclass(frozen=True)
class CaseView:
    """What a custom expectation sees of one case: its inputs, the model's probabilities for each
    (``probs[i]`` belongs to ``inputs[i]``; ``inputs[0]`` is the original of an INV / DIR case),
    the model's label names, the predicted labels, the expected labels (MFT), what made each changed
    input, the case's ``meta`` and its position in the test."""

    index: int
    inputs: tuple
    probs: np.ndarray
    labels: tuple[str, ...]
    expected: frozenset[str] | None
    perturbations: tuple[str | None, ...]
    meta: object = None

    @property
    def predicted(self) -> list[str]:
        return [self.labels[int(np.argmax(row))] for row in self.probs]

    @property
    def predicted_index(self) -> list[int]:
        return [int(np.argmax(row)) for row in self.probs]

    def p(self, label: "str | int", i: int = 0) -> float:
        """Probability of ``label`` (a name, or an index as CheckList writes labels) for input ``i``."""
        return float(self.probs[i][_index(self.labels, label)])


def _view(index: int, case: Case, probs: np.ndarray, labels: Sequence[str]) -> CaseView:
    perts = tuple(case.perturbation_of(i) for i in range(len(case.inputs)))
    return CaseView(index, case.inputs, probs, tuple(labels), case.expected, perts, getattr(case, "meta", None))


def _as_verdict(result: object, view: CaseView, name: str) -> Verdict:
    """A custom function's answer as a Verdict: ``True`` / ``False`` / ``None`` (not applicable),
    ``(ok, severity)``, or a :class:`Verdict`."""
    if isinstance(result, Verdict):
        return result
    severity = 0.0
    if isinstance(result, tuple) and len(result) == 2:
        result, severity = result
    if result is None:
        return Verdict(NA)
    if isinstance(result, (bool, np.bool_)):
        if result:
            return Verdict(PASS)
        return Verdict(FAIL, float(severity), f"{name} failed", tuple(range(len(view.inputs))))
    raise DeclarationError(f"expectation {name} returned {result!r}; return True, False, None, (ok, severity) or a Verdict")


def case(fn: Callable[[CaseView], object] | None = None, *, name: str | None = None):
    """Turn ``fn(view: CaseView) -> True | False | None | (ok, severity) | Verdict`` into an
    expectation that judges a whole case at once (all its inputs together, with their metadata)."""

    def wrap(f):
        label = name or getattr(f, "__name__", "case")

        def judge(c: Case, probs: np.ndarray, labels: Sequence[str], index: int = 0) -> Verdict:
            view = _view(index, c, probs, labels)
            return _as_verdict(f(view), view, label)

        exp = Expectation(lambda c, probs, labels: judge(c, probs, labels), label)
        exp.judge_all = lambda cases, probs, labels: [judge(c, p, labels, i) for i, (c, p) in
                                                      enumerate(zip(cases, probs))]
        return exp

    return wrap(fn) if fn is not None else wrap


def whole_test(fn: Callable[[list[CaseView]], Sequence[object]] | None = None, *, name: str | None = None):
    """Turn ``fn(views: list[CaseView]) -> one answer per case`` into an expectation that judges the
    whole test at once (answers as for :func:`case`): for rules across cases, e.g. that a model's
    answers on related pairs agree with each other."""

    def wrap(f):
        label = name or getattr(f, "__name__", "whole_test")

        def judge_all(cases: Sequence[Case], probs: Sequence[np.ndarray], labels: Sequence[str]) -> list[Verdict]:
            views = [_view(i, c, p, labels) for i, (c, p) in enumerate(zip(cases, probs))]
            answers = list(f(views))
            if len(answers) != len(views):
                raise DeclarationError(f"expectation {label} returned {len(answers)} answers for {len(views)} cases")
            return [_as_verdict(a, v, label) for a, v in zip(answers, views)]

        def judge_one(c: Case, probs: np.ndarray, labels: Sequence[str]) -> Verdict:
            return judge_all([c], [probs], labels)[0]

        exp = Expectation(judge_one, label)
        exp.judge_all = judge_all
        return exp

    return wrap(fn) if fn is not None else wrap


def judge_all(expectation: Expectation, cases: Sequence[Case], probs: Sequence[np.ndarray],
              labels: Sequence[str]) -> list[Verdict]:
    """Every case's verdict: one call for a whole-test expectation, else one call per case."""
    whole = getattr(expectation, "judge_all", None)
    if callable(whole):
        return list(whole(cases, probs, labels))
    return [expectation(c, p, labels) for c, p in zip(cases, probs)]


# -- CheckList's semantics (docs/checklist.md lists them beside CheckList's names) ---------------
AGGREGATIONS = ("all", "any")


def _aggregate(results: list[tuple[int, bool, float]], agg: str) -> Verdict:
    """CheckList's aggregation of a case's several judged inputs: ``all`` (a case fails if any
    input fails) or ``any`` (a case passes if any input passes); none judged: not applicable."""
    if not results:
        return Verdict(NA)
    failing = [i for i, ok, _ in results if not ok]
    worst = max((s for _, ok, s in results if not ok), default=0.0)
    failed = bool(failing) if agg == "all" else len(failing) == len(results)
    return Verdict(FAIL, worst, "failed", tuple(failing)) if failed else Verdict(PASS)


def _check_agg(agg: str) -> None:
    if agg not in AGGREGATIONS:
        raise DeclarationError(f"agg={agg!r} must be one of {AGGREGATIONS} (CheckList's agg_fn)")


def _changed(fn: Callable[[np.ndarray, np.ndarray, Sequence[str]], "tuple[bool | None, float]"], name: str,
             agg: str, label_args: Iterable[str] = ()) -> Expectation:
    _check_agg(agg)

    def judge(c: Case, probs: np.ndarray, labels: Sequence[str]) -> Verdict:
        if len(c.inputs) < 2:
            return Verdict(NA, reason="no changed input")
        results = []
        for i in range(1, len(c.inputs)):
            ok, severity = fn(probs[0], probs[i], labels)
            if ok is not None:
                results.append((i, bool(ok), float(severity)))
        v = _aggregate(results, agg)
        return Verdict(v.outcome, v.severity, f"{name} failed" if v.failed else "", v.failing_inputs)

    return Expectation(judge, name, needs_pairs=True, label_args=[a for a in label_args if isinstance(a, str)])


def label_kept_or_close(tolerance: float = 0.1, *, agg: str = "all") -> Expectation:
    """CheckList's ``Expect.inv(tolerance)`` (INV's default there): a changed input passes when its
    predicted label is the original's, OR the original label's probability moved by at most
    ``tolerance``. Unlike :func:`invariant` (label kept AND within tolerance), a label may change
    when the probabilities barely move."""
    valid.PROBABILITY.check(tolerance, "tolerance", DeclarationError)

    def check(orig: np.ndarray, new: np.ndarray, labels: Sequence[str]):
        k = int(np.argmax(orig))
        delta = abs(float(new[k] - orig[k]))
        return int(np.argmax(new)) == k or delta <= tolerance + NUMERICAL_SLACK, delta

    return _changed(check, f"label_kept_or_close(tolerance={tolerance})", agg)


def monotonic_confidence(label: "str | int | None" = None, increasing: bool = True, tolerance: float = 0.0, *,
                         agg: str = "all") -> Expectation:
    """CheckList's ``Expect.monotonic``: p(label) (``None``: the original's predicted label) of each
    changed input does not fall (``increasing=True``) or rise (``False``) by more than ``tolerance``.
    A pair that cannot fail is not applicable, as in CheckList: rising when the original's p(label)
    is at most ``tolerance``, falling when it is at least ``1 - tolerance``."""
    valid.PROBABILITY.check(tolerance, "tolerance", DeclarationError)

    def check(orig: np.ndarray, new: np.ndarray, labels: Sequence[str]):
        k = _index(labels, label) if label is not None else int(np.argmax(orig))
        before, after = float(orig[k]), float(new[k])
        if increasing and before <= tolerance:
            return None, 0.0
        if not increasing and before >= 1 - tolerance:
            return None, 0.0
        diff = after - before
        if increasing:
            return diff + tolerance + NUMERICAL_SLACK >= 0, max(0.0, -(diff + tolerance))
        return diff - tolerance - NUMERICAL_SLACK <= 0, max(0.0, diff - tolerance)

    word = "increasing" if increasing else "decreasing"
    return _changed(check, f"monotonic_confidence(label={label!r}, {word}, tolerance={tolerance})", agg,
                    [label] if isinstance(label, str) else [])  # class indices need no validation


def margin_not_lower(up: "str | int", down: "str | int", tolerance: float = 0.0, *, agg: str = "all") -> Expectation:
    """p(up) - p(down) of each changed input does not fall below the original's by more than
    ``tolerance`` (CheckList's Sentiment notebook ``diff_up``: up=positive, down=negative, 0.1)."""
    return _margin(up, down, True, tolerance, agg)


def margin_not_higher(up: "str | int", down: "str | int", tolerance: float = 0.0, *, agg: str = "all") -> Expectation:
    """p(up) - p(down) does not rise above the original's by more than ``tolerance`` (``diff_down``)."""
    return _margin(up, down, False, tolerance, agg)


def _margin(up: "str | int", down: "str | int", increasing: bool, tolerance: float, agg: str) -> Expectation:
    valid.PROBABILITY.check(tolerance, "tolerance", DeclarationError)

    def check(orig: np.ndarray, new: np.ndarray, labels: Sequence[str]):
        u, d = _index(labels, up), _index(labels, down)
        change = float(orig[d] - new[d] + new[u] - orig[u])
        if increasing:
            return change + tolerance + NUMERICAL_SLACK >= 0, max(0.0, -(change + tolerance))
        return change - tolerance - NUMERICAL_SLACK <= 0, max(0.0, change - tolerance)

    word = "margin_not_lower" if increasing else "margin_not_higher"
    return _changed(check, f"{word}(up={up!r}, down={down!r}, tolerance={tolerance})", agg,
                    [x for x in (up, down) if isinstance(x, str)])


def predicted_label(label: "str | int | None" = None, *, skip_first: bool = False, agg: str = "all") -> Expectation:
    """CheckList's ``Expect.eq(label)`` over every input of a case: the predicted label is ``label``
    (``None``: one of the case's own expected labels, per case as CheckList's per-case labels).
    ``skip_first`` leaves the original of an INV / DIR case unjudged (CheckList's
    ``agg_fn='all_except_first'``); ``agg`` all / any aggregates the inputs."""
    _check_agg(agg)

    def judge(c: Case, probs: np.ndarray, labels: Sequence[str]) -> Verdict:
        if label is None:
            if c.expected is None:
                return Verdict(NA, reason="no expected label")
            allowed = [_index(labels, lab) for lab in c.expected]
        else:
            allowed = [_index(labels, label)]
        start = 1 if skip_first and len(c.inputs) > 1 else 0
        results = []
        for i in range(start, len(c.inputs)):
            row = probs[i]
            ok = int(np.argmax(row)) in allowed
            results.append((i, ok, 0.0 if ok else float(np.max(row) - max(row[j] for j in allowed))))
        v = _aggregate(results, agg)
        return Verdict(v.outcome, v.severity, "predicted label not expected" if v.failed else "", v.failing_inputs)

    return Expectation(judge, f"predicted_label({label!r}, skip_first={skip_first}, agg={agg!r})",
                       needs_expected=label is None, label_args=[label] if isinstance(label, str) else [])


def when_original(expectation: Expectation, *, predicted: "str | int | None" = None,
                  not_predicted: "str | int | None" = None) -> Expectation:
    """CheckList's ``Expect.slice_orig`` (and a ``slice_pairwise`` on the original's prediction):
    judge a case with ``expectation`` only when its original is predicted as ``predicted`` (or as
    anything but ``not_predicted``); other cases are not applicable."""
    if (predicted is None) == (not_predicted is None):
        raise DeclarationError("when_original needs predicted= or not_predicted= (one of them)")

    def judge(c: Case, probs: np.ndarray, labels: Sequence[str]) -> Verdict:
        k = int(np.argmax(probs[0]))
        if predicted is not None and k != _index(labels, predicted):
            return Verdict(NA, reason="original not in the slice")
        if not_predicted is not None and k == _index(labels, not_predicted):
            return Verdict(NA, reason="original not in the slice")
        return expectation(c, probs, labels)

    which = f"predicted={predicted!r}" if predicted is not None else f"not_predicted={not_predicted!r}"
    extra = [x for x in (predicted, not_predicted) if isinstance(x, str)]
    return Expectation(judge, f"when_original({expectation.name}, {which})", needs_pairs=expectation.needs_pairs,
                       needs_expected=expectation.needs_expected, label_args=list(expectation.label_args) + extra)


def transitive(duplicate: "str | int" = 1) -> Expectation:
    """For a case of three pairs ``(a, b), (a, c), (b, c)`` (CheckList's QQP "Testing
    implications"): when a~b and a~c are both predicted ``duplicate``, b~c must be too; when exactly
    one of them is, b~c must not be. Otherwise not applicable. Judges the case as one."""

    def rule(view: CaseView):
        if len(view.inputs) != 3:
            return None
        d = _index(view.labels, duplicate)
        dup = [k == d for k in view.predicted_index]
        if dup[0] and dup[1]:
            return dup[2]
        if dup[0] != dup[1]:
            return not dup[2]
        return None

    exp = case(rule, name=f"transitive(duplicate={duplicate!r})")
    exp.needs_pairs = True
    return exp


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
    "label_kept_or_close": label_kept_or_close,
    "monotonic_confidence": monotonic_confidence,
    "margin_not_lower": margin_not_lower,
    "margin_not_higher": margin_not_higher,
    "predicted_label": predicted_label,
    "transitive": transitive,
    "when_original": lambda expect, **kw: when_original(from_spec(expect), **kw),
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




def from_spec(spec: object) -> Expectation:
    """An expectation from its YAML form: a name, ``{name: args}``, or several names (all of them)."""
    if isinstance(spec, Expectation):
        return spec
    if isinstance(spec, str):
        return by_name(spec)
    if isinstance(spec, dict) and len(spec) == 1:
        (name, args), = spec.items()
        return by_name(name, args)
    if isinstance(spec, dict) and len(spec) > 1:
        return all_of(*(by_name(n, a) for n, a in spec.items()))
    raise DeclarationError(f"'expect:' is a name or a mapping of name to arguments; got {spec!r}")
