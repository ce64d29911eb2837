"""A CheckList test as an assay declaration: MFT / INV / DIR with CheckList's expectation.

CheckList writes labels as class indices (its sentiment suite: 0 negative, 1 neutral, 2 positive);
assay's built-in CheckList expectations accept those indices directly, so INV and DIR tests need no
label names. An MFT's expected labels become names through ``label_names`` (the model's labels in
CheckList's order).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from .. import expect as E
from ..cases import Case
from ..declarations import DIR, INV, MFT, AssayTest
from ..errors import DeclarationError
from .recognise import ExpectSpec

if TYPE_CHECKING:
    from .suite import CheckListTest


@dataclass(frozen=True, init=False)
class CheckListMFT(MFT):
    """An MFT over stored cases: each case one input or a group of inputs (all judged), with its
    expected labels (CheckList's single or per-case labels) and its ``meta``."""

    stored: tuple = ()

    def __init__(self, stored: Sequence[tuple[tuple, frozenset[str] | None]], **common: Any):
        MFT.__init__(self, data=[c[0][0] for c in stored], **common)
        object.__setattr__(self, "stored", tuple(stored))

    def _validate_source(self) -> None:
        if not self.stored:
            raise DeclarationError("MFT has no case")
        if self.expectation.needs_expected and any(exp is None for _, exp in self.stored):
            raise DeclarationError("MFT has cases without an expected label: give expect= that needs no label")

    def _expected_labels(self) -> set[str]:
        return {lab for _, exp in self.stored if exp for lab in exp}

    def _generate(self) -> list[Case]:
        return [Case(tuple(inputs), expected) for inputs, expected in self.stored]


def expectation_of(spec: ExpectSpec, test_type: str, label_names: Sequence[str] | None = None) -> E.Expectation:
    """assay's built-in expectation for a recognised CheckList expectation."""
    skip_first = spec.agg == "all_except_first"
    kind, p = spec.kind, spec.params
    if kind == "label":
        if p.get("label") is None and test_type != "MFT":
            raise DeclarationError("Expect.eq() with per-case labels outside an MFT")
        return E.predicted_label(p.get("label"), skip_first=skip_first and test_type != "MFT")
    if kind == "label_sets" or (kind == "label" and p.get("label") is None):
        return E.predicted_label(None)
    if kind == "label_not":
        exp = E.label_not_in(*p["labels"])  # class indices: no label names needed
        exp.label_args = ()
        return exp
    if kind == "inv":
        return E.label_kept_or_close(p["tolerance"])
    if kind == "monotonic":
        return E.monotonic_confidence(p["label"], p["increasing"], p["tolerance"])
    if kind == "margin":
        factory = E.margin_not_lower if p["increasing"] else E.margin_not_higher
        return factory(p["up"], p["down"], p["tolerance"])
    if kind == "slice":
        inner = expectation_of(p["inner"], test_type, label_names)
        original = p["original"]
        if original["op"] == "==":
            return E.when_original(inner, predicted=original["label"])
        return E.when_original(inner, not_predicted=original["label"])
    if kind == "transitive":
        return E.transitive(p["duplicate"])
    raise DeclarationError(f"CheckList expectation {spec.params.get('function', '?')!r} cannot be read from the pickle"
                           f" ({spec.note}); set expect= for this test (see docs/checklist.md)")


def _names(test: "CheckListTest", label_names: Sequence[str] | None, label: Any) -> frozenset[str] | None:
    if label is None:
        return None
    if label_names is None:
        raise DeclarationError(f"{test.source}: test {test.name!r} has CheckList labels (class indices such as {label!r}): "
                               "give label_names, the model's labels in CheckList's order "
                               "(e.g. negative, neutral, positive)")
    indices = label if isinstance(label, list) else [label]
    try:
        return frozenset(label_names[i] for i in indices)
    except IndexError:
        raise DeclarationError(f"{test.source}: test {test.name!r} uses label {label!r}, beyond the "
                               f"{len(label_names)} label names {list(label_names)}") from None


def to_declaration(test: "CheckListTest", *, label_names: Sequence[str] | None = None, n: Any = None, seed: int = 0,
                   expect: Any = None, max_failure_rate: float = 1.0, name: str | None = None) -> AssayTest:
    """``test`` as an MFT / INV / DIR over the sample CheckList ran on (``n=None``), every case
    (``n='all'``) or a seeded sample of ``n``; ``expect=`` replaces the recognised expectation."""
    if expect is None:
        expect = expectation_of(test.expect, test.test_type, label_names)
    elif not isinstance(expect, E.Expectation):
        expect = E.from_spec(expect)
    common = dict(name=name or test.name, capability=test.capability, description=test.description,
                  max_failure_rate=max_failure_rate, seed=seed, expect=expect)
    picked = test.sample(n, seed)
    if test.test_type == "MFT":
        sets = test.expect.params.get("sets", {}) if test.expect.kind == "label_sets" else {}
        stored = []
        for i in picked:
            label = test.label_of(i)
            if isinstance(label, int) and label in sets:
                label = list(sets[label])
            if isinstance(label, list) and test.grouped and len(label) == len(test.cases[i]):
                label = sorted(set(label))  # per-input labels of a group (QQP's triplets)
            stored.append((test.cases[i], _names(test, label_names, label)))
        return CheckListMFT(stored, **common)
    groups = [test.cases[i] for i in picked]
    cls = INV if test.test_type == "INV" else DIR
    return cls(groups=groups, **common)


__all__ = ["CheckListMFT", "expectation_of", "to_declaration"]
