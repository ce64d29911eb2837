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
        common.pop("data", None)  # dataclasses.replace() passes every field back; data comes from stored
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


def expect_spec(spec: ExpectSpec, test_type: str) -> Any:
    """The YAML form (``{name: args}`` for :func:`assay.expect.from_spec`) of assay's built-in
    expectation for a recognised CheckList expectation; DeclarationError when there is none."""
    skip_first = spec.agg == "all_except_first" and test_type != "MFT"
    kind, p = spec.kind, spec.params
    if kind == "label" and p.get("label") is not None:
        return {"predicted_label": {"label": p["label"], "skip_first": skip_first}}
    if kind in ("label", "label_sets"):
        if test_type != "MFT":
            raise DeclarationError("Expect.eq() with per-case labels outside an MFT")
        return {"predicted_label": {"label": None}}
    if kind == "label_not":
        return {"label_not_in": list(p["labels"])}  # class indices: no label names needed
    if kind == "inv":
        return {"label_kept_or_close": {"tolerance": p["tolerance"]}}
    if kind == "monotonic":
        return {"monotonic_confidence": {"label": p["label"], "increasing": p["increasing"], "tolerance": p["tolerance"]}}
    if kind == "margin":
        name = "margin_not_lower" if p["increasing"] else "margin_not_higher"
        return {name: {"up": p["up"], "down": p["down"], "tolerance": p["tolerance"]}}
    if kind == "slice":
        original = p["original"]
        where = "predicted" if original["op"] == "==" else "not_predicted"
        return {"when_original": {"expect": expect_spec(p["inner"], test_type), where: original["label"]}}
    if kind == "transitive":
        return {"transitive": {"duplicate": p["duplicate"]}}
    raise DeclarationError(f"its expectation {spec.params.get('function', '?')!r} cannot be read from the pickle "
                           f"({spec.note}); set expect: for this test (see docs/checklist.md)")


def expectation_of(spec: ExpectSpec, test_type: str) -> E.Expectation:
    """assay's built-in expectation for a recognised CheckList expectation."""
    return E.from_spec(expect_spec(spec, test_type))


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
        try:
            expect = expectation_of(test.expect, test.test_type)
        except DeclarationError as exc:
            raise DeclarationError(f"{test.source}: test {test.name!r}: {exc}") from None
    elif not isinstance(expect, E.Expectation):
        expect = E.from_spec(expect)
    common = dict(name=name or test.name, capability=test.capability, description=test.description,
                  max_failure_rate=max_failure_rate, seed=seed, expect=expect)
    picked = test.sample(n, seed)
    if test.test_type == "MFT":
        stored = [(test.cases[i], _names(test, label_names, stored_label(test, i))) for i in picked]
        return CheckListMFT(stored, **common)
    groups = [test.cases[i] for i in picked]
    cls = INV if test.test_type == "INV" else DIR
    return cls(groups=groups, **common)


def stored_label(test: "CheckListTest", index: int) -> Any:
    """Case ``index``'s label as class indices (an int or a list), with label sets the expectation
    implies (``allow_for_neutral``: label 1 allows 1 and 2) spelt out."""
    label = test.label_of(index)
    sets = test.expect.params.get("sets", {}) if test.expect.kind == "label_sets" else {}
    if isinstance(label, int) and label in sets:
        return sorted(sets[label])
    if isinstance(label, list):
        return sorted(set(label))
    return label


__all__ = ["CheckListMFT", "expect_spec", "expectation_of", "to_declaration", "stored_label"]
