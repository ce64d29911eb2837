"""Recognise a CheckList expectation from the function records a pickle stores, as data.

CheckList's expectations are closures built by ``Expect.single`` / ``Expect.pairwise`` /
``Expect.eq`` / ``Expect.inv`` / ``Expect.monotonic`` / ``Expect.wrap_slice``; ``dill`` stores each
closure's code name, its variable names, constants and closure values. This module reads those
records (never runs them) and answers an :class:`ExpectSpec`: what the expectation does, with its
parameters. A one-line comparison lambda (``lambda x, pred, *args: pred != 0``) is read from its
bytecode as data (load a name, load a constant, compare, return). Functions defined in CheckList's
notebooks are known by their name and code (``diff_up``, ``diff_down``, ``allow_for_neutral``,
``expect_triplet``); anything else is ``unknown`` and the importer asks the user for ``expect=``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .plain import FunctionRecord, UnknownCallable

_OPS = {0: "<", 1: "<=", 2: "==", 3: "!=", 4: ">", 5: ">="}
LOAD_FAST, LOAD_CONST, COMPARE_OP, RETURN_VALUE = 124, 100, 107, 83


@dataclass
class ExpectSpec:
    """What a CheckList expectation does. ``kind`` is one of: ``label`` (``Expect.eq``: the
    predicted label is the case's label, or ``params['label']``), ``label_sets`` (the case's label
    ``l`` allows ``params['sets'][l]``), ``label_not`` (the predicted label is not
    ``params['labels']``), ``inv`` (``Expect.inv``), ``monotonic`` (``Expect.monotonic``),
    ``margin`` (p(up) - p(down) does not fall / rise by more than the tolerance: the Sentiment
    notebook's ``diff_up`` / ``diff_down``), ``slice`` (``params['inner']`` judged only where the
    original's prediction passes ``params['original']``), ``transitive`` (the QQP notebook's
    ``expect_triplet``), ``unknown``."""

    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    agg: str = "all"
    note: str = ""

    def describe(self) -> str:
        if self.kind == "slice":
            return f"slice({self.params['inner'].describe()}, original {self.params['original']})"
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{self.kind}({args})"


def compare_lambda(fn: FunctionRecord) -> tuple[str, str, Any] | None:
    """``(name, op, constant)`` for a function whose whole body is ``return NAME OP CONSTANT``."""
    code = fn.code
    if len(code) != 8 or code[0] != LOAD_FAST or code[2] != LOAD_CONST or code[4] != COMPARE_OP or code[6] != RETURN_VALUE:
        return None
    if code[1] >= len(fn.varnames) or code[3] >= len(fn.consts) or code[5] not in _OPS:
        return None
    return fn.varnames[code[1]], _OPS[code[5]], fn.consts[code[3]]




def _notebook(fn: FunctionRecord) -> ExpectSpec | None:
    if fn.name in ("diff_up", "diff_down") and fn.names == ("positive_change",) and 0.1 in fn.consts:
        increasing = fn.name == "diff_up"
        return ExpectSpec("margin", {"up": 2, "down": 0, "increasing": increasing, "tolerance": 0.1},
                          note=f"CheckList's Sentiment notebook function {fn.name}")
    if fn.name == "<lambda>" and fn.varnames == ("x", "pred", "_", "label", "_2") and fn.consts == (None, 1, 0):
        return ExpectSpec("label_sets", {"sets": {1: [1, 2]}},
                          note="CheckList's Sentiment notebook lambda allow_for_neutral")
    if fn.name == "expect_triplet" and fn.varnames[:2] == ("xs", "preds"):
        return ExpectSpec("transitive", {"duplicate": 1}, note="CheckList's QQP notebook function expect_triplet")
    return None


def recognise(fn: Any, agg: str = "all") -> ExpectSpec:
    """The :class:`ExpectSpec` of a test's stored ``expect`` (a :class:`FunctionRecord` tree)."""
    spec = _outer(fn)
    spec.agg = agg
    return spec


def _unknown(fn: Any, why: str = "") -> ExpectSpec:
    name = fn.where if isinstance(fn, FunctionRecord) else getattr(fn, "name", type(fn).__name__)
    return ExpectSpec("unknown", {"function": name}, note=why or f"a function {name!r} assay does not recognise")


def _outer(fn: Any) -> ExpectSpec:
    if not isinstance(fn, FunctionRecord):
        return _unknown(fn, "no expectation function stored" if fn is None else "")
    q = fn.where
    if q.startswith("Expect.testcase.") and "fn" in fn.closure:  # Expect.testcase(fn): fn judges a case
        return _case_fn(fn.closure["fn"])
    if q.startswith("Expect.wrap_slice.") and {"expect_fn", "slice_fn"} <= set(fn.closure):
        inner = _outer(fn.closure["expect_fn"])
        original = _slice(fn.closure["slice_fn"])
        if inner.kind == "unknown" or original is None:
            return _unknown(fn, "a slice assay cannot read")
        return ExpectSpec("slice", {"inner": inner, "original": original})
    return _case_fn(fn)


def _case_fn(fn: Any) -> ExpectSpec:
    if not isinstance(fn, FunctionRecord):
        return _unknown(fn)
    q = fn.where
    if fn.name == "expectz" and "individual_expect_fn" in fn.closure:  # Expect.aggregate_and_wrap
        return _case_fn(fn.closure["individual_expect_fn"])
    if q.startswith("Expect.single.") and "fn" in fn.closure:
        return _single(fn.closure["fn"])
    if q.startswith("Expect.pairwise.") and "fn" in fn.closure:
        return _pairwise(fn.closure["fn"])
    return _notebook(fn) or _unknown(fn)


def _single(fn: Any) -> ExpectSpec:
    if not isinstance(fn, FunctionRecord):
        return _unknown(fn)
    if fn.name == "ret_fn" and fn.freevars == ("val",):  # Expect.eq(val)
        val = fn.closure["val"]
        return ExpectSpec("label", {"label": int(val) if val is not None else None})
    cmp = compare_lambda(fn)
    if cmp is not None and cmp[0] == "pred" and isinstance(cmp[2], int) and cmp[1] in ("==", "!="):
        return ExpectSpec("label" if cmp[1] == "==" else "label_not",
                          {"label": cmp[2]} if cmp[1] == "==" else {"labels": [cmp[2]]},
                          note=f"read from lambda: pred {cmp[1]} {cmp[2]}")
    return _notebook(fn) or _unknown(fn)


def _pairwise(fn: Any) -> ExpectSpec:
    if not isinstance(fn, FunctionRecord):
        return _unknown(fn)
    free = set(fn.freevars)
    if fn.name == "expect" and free == {"tolerance"} and "abs" in fn.names:  # Expect.inv
        return ExpectSpec("inv", {"tolerance": float(fn.closure["tolerance"])})
    if fn.name == "expect" and free == {"increasing", "keep_label", "tolerance"}:  # Expect.monotonic
        label = fn.closure["keep_label"]
        return ExpectSpec("monotonic", {"label": int(label) if label is not None else None,
                                        "increasing": bool(fn.closure["increasing"]),
                                        "tolerance": float(fn.closure["tolerance"])})
    return _notebook(fn) or _unknown(fn)


def _slice(fn: Any) -> dict[str, Any] | None:
    """A slice on the original's prediction: ``{'op': '==' or '!=', 'label': k}``."""
    if not isinstance(fn, FunctionRecord):
        return None
    q = fn.where
    if q.startswith("Expect.testcase.") and "fn" in fn.closure:
        return _slice(fn.closure["fn"])
    if fn.name == "expectz" and "individual_expect_fn" in fn.closure:
        return _slice(fn.closure["individual_expect_fn"])
    if q.startswith("Expect.pairwise.") and "fn" in fn.closure:
        inner = fn.closure["fn"]
        if isinstance(inner, FunctionRecord) and "slice_fn" in inner.closure:  # Expect.slice_orig
            inner = inner.closure["slice_fn"]
        if not isinstance(inner, FunctionRecord):
            return None
        cmp = compare_lambda(inner)
        first = inner.varnames[0] if inner.varnames else None
        if cmp is not None and cmp[0] == first and isinstance(cmp[2], int) and cmp[1] in ("==", "!="):
            return {"op": cmp[1], "label": cmp[2]}  # the first argument of a pairwise fn is the original's prediction
    return None


__all__ = ["ExpectSpec", "recognise", "compare_lambda", "UnknownCallable"]
