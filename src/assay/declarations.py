"""MFT, INV and DIR: behavioral tests declared as data.

A declaration holds where its inputs come from, how they are changed and what is expected; it expands
to :class:`~assay.cases.Case` objects deterministically (seeded) and never calls a model itself.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import Any, Callable, ClassVar, Iterable, Sequence

from . import _validate as valid
from . import expect as _expect
from .cases import Case
from .errors import DeclarationError
from .inputs import Input, check_input
from .templates import Examples, Template, examples_of, spec_of

Perturbation = Callable[[str], Sequence[str]]
SIDES = ("a", "b", "both")


@dataclass(frozen=True)
class AssayTest:
    """What every declaration has. Subclasses set ``test_type`` and implement :meth:`_generate`."""

    test_type: ClassVar[str] = "?"

    name: str | None = None
    capability: str = "General"
    description: str = ""
    max_failure_rate: float = 0.0
    seed: int = 0
    expect: _expect.Expectation | None = None

    # -- shared behaviour ------------------------------------------------------------------
    def named(self, name: str) -> "AssayTest":
        """A copy carrying ``name`` (the collector names declarations after their variable)."""
        return self if self.name == name else replace(self, name=name)

    @property
    def expectation(self) -> _expect.Expectation:
        return self.expect if self.expect is not None else self._default_expectation()

    def _default_expectation(self) -> _expect.Expectation:
        raise DeclarationError(f"{self.test_type} needs expect=")

    def validate(self, known_labels: Sequence[str] | None = None) -> None:
        """Raise DeclarationError for anything that would make the test meaningless."""
        valid.RATE.check(self.max_failure_rate, "max_failure_rate", DeclarationError)
        valid.SEED.check(self.seed, "seed", DeclarationError)
        if not self.capability or not isinstance(self.capability, str):
            raise DeclarationError("capability= must be a non-empty string")
        if self.expect is not None and not callable(self.expect):
            raise DeclarationError(f"expect={self.expect!r} is not an expectation (see assay.expect)")
        self._validate_source()
        exp = self.expectation
        if known_labels is not None:
            used = set(getattr(exp, "label_args", ())) | self._expected_labels()
            unknown = sorted(lab for lab in used if lab not in known_labels)
            if unknown:
                raise DeclarationError(
                    f"label {', '.join(map(repr, unknown))} is not one of the suite's labels {list(known_labels)}"
                )

    def _validate_source(self) -> None:  # pragma: no cover - overridden
        pass

    def _expected_labels(self) -> set[str]:
        return set()

    def to_spec(self) -> dict[str, Any]:
        return {
            "type": self.test_type,
            "name": self.name,
            "capability": self.capability,
            "description": self.description,
            "max_failure_rate": self.max_failure_rate,
            "seed": self.seed,
            "expect": self.expectation.name,
        }


@dataclass(frozen=True)
class BehaviourTest(AssayTest):
    """A declaration that expands to cases on its own, without a model: MFT, INV and DIR.

    (Head checks, :mod:`assay.heads.declarations`, also declare tests, but their cases are the
    model's heads times the inputs, so they have no cases before a model is known.)
    """

    def cases(self) -> list[Case]:
        """The expanded cases (cached on the instance)."""
        cached = self.__dict__.get("_cases")
        if cached is None:
            cached = self._generate()
            object.__setattr__(self, "_cases", cached)
        return cached

    def _generate(self) -> list[Case]:  # pragma: no cover - overridden
        raise NotImplementedError

    def inputs(self) -> list[Input]:
        """Every input the model must see for this test, in case order."""
        return [inp for case in self.cases() for inp in case.inputs]


def _sampled_examples(data: Any, n: int | None, seed: int) -> list:
    """A seeded sample of ``n`` examples; a template samples lazily instead of expanding fully."""
    if n is not None and isinstance(data, Template):
        return data.sampled(n, seed).examples()
    return sample_examples(examples_of(data), n, seed)


def sample_examples(examples: list, n: int | None, seed: int) -> list:
    """``n`` of ``examples``, drawn with ``random.Random(seed)``, in their order (all when ``n`` is None)."""
    if n is None or n >= len(examples):
        return examples
    picked = sorted(random.Random(seed).sample(range(len(examples)), n))
    return [examples[i] for i in picked]


def _is_empty(data: Any) -> bool:
    """True when ``data`` holds no input; templates answer from their word lists, without expanding."""
    for part in Examples.of(data).parts:
        if isinstance(part, Template):
            if part.size() > 0:
                return False
        elif examples_of(part):
            return False
    return True


def _labels_of(part: Any) -> set[str]:
    if isinstance(part, Template):
        return set(part.labels or ())
    return {lab for _, labs in examples_of(part) if labs for lab in labs}


def _has_unlabelled(data: Any) -> bool:
    for part in Examples.of(data).parts:
        if isinstance(part, Template):
            if part.labels is None:
                return True
        elif any(labs is None for _, labs in examples_of(part)):
            return True
    return False


def _check_n(n: object) -> None:
    if n is not None:
        valid.POSITIVE_INT.check(n, "n", DeclarationError)


@dataclass(frozen=True)
class MFT(BehaviourTest):
    """Minimum functionality test: each input must get one of its expected labels.

    ``label="positive"``: every input is expected to be positive. ``labels={"neutral", "positive"}``:
    every input may take any of these labels. ``case_labels=["positive", "negative", ...]``: one label
    per input, in the data's order (how CheckList passes labels). A ``labels=`` list as long as the data
    or with a repeated label is CheckList's per-input form given to the wrong argument: an error.
    """

    test_type: ClassVar[str] = "MFT"

    data: Any = None
    label: str | None = None
    labels: tuple[str, ...] | frozenset[str] | None = None
    case_labels: tuple[str, ...] | None = None
    n: int | None = None

    def __init__(self, data: Any = None, label: str | None = None, *, labels: Iterable[str] | None = None,
                 case_labels: Sequence[str] | None = None, n: int | None = None, **common: Any):
        AssayTest.__init__(self, **common)
        object.__setattr__(self, "data", data)
        object.__setattr__(self, "label", label)
        object.__setattr__(self, "labels", _as_given(labels))
        object.__setattr__(self, "case_labels", _as_given(case_labels))
        object.__setattr__(self, "n", n)

    def _default_expectation(self) -> _expect.Expectation:
        return _expect.expected_label()

    def _validate_source(self) -> None:
        if self.data is None:
            raise DeclarationError("MFT needs data: a template, a dataset or a list of inputs")
        given = [name for name in ("label", "labels", "case_labels") if getattr(self, name) is not None]
        if len(given) > 1:
            raise DeclarationError(f"give one of label=, labels= or case_labels=, not {' and '.join(given)}")
        _check_n(self.n)
        Examples.of(self.data).validate()
        if _is_empty(self.data):
            raise DeclarationError("MFT data is empty: the test would have no case")
        if self.labels is not None:
            _check_label_set(self.labels, _count_inputs(self.data))
        if self.case_labels is not None:
            _check_case_labels(self.case_labels, self.data)
        if self.expectation.needs_expected and self._override() is None and self.case_labels is None \
                and _has_unlabelled(self.data):
            raise DeclarationError(
                "MFT has inputs without an expected label: pass label=..., labels={...}, case_labels=[...], "
                "label= on each template, or an expect= that needs no label"
            )

    def _override(self) -> frozenset[str] | None:
        if self.label is not None:
            return frozenset([self.label])
        return frozenset(self.labels) if self.labels is not None else None

    def _expected_labels(self) -> set[str]:
        override = self._override()
        if override is not None:
            return set(override)
        if self.case_labels is not None:
            return {lab for lab in self.case_labels if isinstance(lab, str)}
        return {lab for part in Examples.of(self.data).parts for lab in _labels_of(part)}

    def _generate(self) -> list[Case]:
        if self.case_labels is not None:
            labelled = [(inp, frozenset([lab])) for (inp, _), lab in zip(examples_of(self.data), self.case_labels)]
            examples = sample_examples(labelled, self.n, self.seed)
        else:
            override = self._override()
            examples = [(inp, override if override is not None else labs)
                        for inp, labs in _sampled_examples(self.data, self.n, self.seed)]
        if self.expectation.needs_expected:
            _check_consistent(examples)
        return [Case((inp,), labs) for inp, labs in examples]

    def to_spec(self) -> dict[str, Any]:
        spec = super().to_spec()
        spec.update(data=spec_of(self.data), label=self.label,
                    labels=sorted(set(self.labels)) if self.labels else None,
                    case_labels=list(self.case_labels) if self.case_labels is not None else None, n=self.n)
        return spec


def _as_given(values: Any) -> Any:
    """Label arguments as given (order and repeats kept, so validation can see them); a string or
    other non-collection is kept as it is for :meth:`MFT.validate` to name."""
    if values is None or isinstance(values, (str, bytes, frozenset)):
        return values
    if isinstance(values, (set, frozenset)):
        return frozenset(values)
    try:
        return tuple(values)
    except TypeError:
        return values


def _count_inputs(data: Any) -> int | None:
    """How many inputs plain data holds (``None`` for templates, which carry their own labels)."""
    parts = Examples.of(data).parts
    if any(isinstance(part, Template) for part in parts):
        return None
    return sum(len(examples_of(part)) for part in parts)


def _check_label_set(labels: Any, count: int | None) -> None:
    """``labels=`` is one set of acceptable labels; CheckList's one-label-per-input list is refused."""
    if isinstance(labels, (str, bytes)) or not isinstance(labels, (tuple, frozenset)):
        raise DeclarationError(f"labels={labels!r} must be a set of labels: for one label use label=, for one "
                               "label per input case_labels=[...]")
    if isinstance(labels, frozenset):
        return  # a set says "any of these" unambiguously, whatever its size
    repeated = next((lab for i, lab in enumerate(labels) if lab in labels[:i]), None)
    if repeated is not None:
        raise DeclarationError(
            f"labels={list(labels)} repeats {repeated!r}: labels= is one set of labels that every input may take; "
            "to give each input its own label pass case_labels=[...] (one per input, in order)")
    if count is not None and count > 1 and len(labels) == count:
        raise DeclarationError(
            f"labels= has {len(labels)} labels for {count} inputs, which reads as one label per input (CheckList's "
            f"form) but labels= is the set every input may take: pass case_labels=[...] for one label per input, "
            f"or a set (labels={{...}}) if every input may take any of them")


def _check_case_labels(case_labels: Any, data: Any) -> None:
    if not isinstance(case_labels, tuple):
        raise DeclarationError(f"case_labels= is a list with one label per input, got {case_labels!r}")
    for i, lab in enumerate(case_labels):
        if not isinstance(lab, str) or not lab:
            raise DeclarationError(f"case_labels=[{i}] is {lab!r}: give every input a label (a non-empty string)")
    count = _count_inputs(data)
    if count is None:
        raise DeclarationError("case_labels= needs data given as inputs (a list or a dataset); "
                               "a template carries its own label= instead")
    if count != len(case_labels):
        raise DeclarationError(f"case_labels= has {len(case_labels)} label{'s' if len(case_labels) != 1 else ''} "
                               f"for {count} inputs: give exactly one label per input, in the data's order")


def _check_consistent(examples: Sequence[tuple[Input, frozenset[str] | None]]) -> None:
    """The same input expected with two different labels is a test no model can pass."""
    first: dict[Input, frozenset[str] | None] = {}
    for inp, labs in examples:
        seen = first.setdefault(inp, labs)
        if seen != labs:
            raise DeclarationError(
                f"MFT input {inp!r} is expected as {sorted(seen or ())} in one case and as {sorted(labs or ())} in "
                "another: no model can pass both; drop one or give them the same label")


@dataclass(frozen=True)
class _Changed(BehaviourTest):
    """Shared by INV and DIR: originals and their changed versions."""

    data: Any = None
    perturbation: Any = None
    groups: tuple = ()
    side: str = "both"
    n: int | None = None

    def __init__(self, data: Any = None, perturbation: Any = None, *, groups: Iterable[Sequence[Any]] | None = None,
                 pairs: Iterable[Sequence[Any]] | None = None, side: str = "both", n: int | None = None,
                 **common: Any):
        AssayTest.__init__(self, **common)
        if pairs is not None:
            groups = list(groups or []) + [list(p) for p in pairs]
        object.__setattr__(self, "data", data)
        object.__setattr__(self, "perturbation", perturbation)
        object.__setattr__(self, "groups", tuple(tuple(g) for g in groups) if groups is not None else ())
        object.__setattr__(self, "side", side)
        object.__setattr__(self, "n", n)

    def _perturbations(self) -> list[Perturbation]:
        p = self.perturbation
        if p is None:
            return []
        found = list(p) if isinstance(p, (list, tuple)) else [p]
        if self.seed:
            # A declaration's seed (and --assay-seed) also redraws its seeded perturbations.
            found = [q.with_seed(getattr(q, "seed", 0) + self.seed) if hasattr(q, "with_seed") else q for q in found]
        return found

    def _validate_source(self) -> None:
        if self.side not in SIDES:
            raise DeclarationError(f"side={self.side!r} must be one of {SIDES}")
        _check_n(self.n)
        if self.data is None and not self.groups:
            raise DeclarationError(f"{self.test_type} needs data and a perturbation, or groups=/pairs=")
        if self.data is not None:
            if not self._perturbations():
                raise DeclarationError(f"{self.test_type} has data but no perturbation: pass a function text -> list[str]")
            for p in self._perturbations():
                if not callable(p):
                    raise DeclarationError(f"perturbation {p!r} is not callable (text -> list of texts)")
                check = getattr(p, "validate", None)
                if callable(check):
                    check()  # e.g. a masked-LM perturbation that names no model
            Examples.of(self.data).validate()
            if _is_empty(self.data):
                raise DeclarationError(f"{self.test_type} data is empty: the test would have no case")
        for group in self.groups:
            if len(group) < 1:
                raise DeclarationError("a group needs an original")
            for item in group:
                try:
                    check_input(item)
                except TypeError as exc:
                    raise DeclarationError(str(exc)) from None

    def _generate(self) -> list[Case]:
        cases: list[Case] = [
            Case(tuple(check_input(x) for x in g), None, (None,) + ("given",) * (len(g) - 1)) for g in self.groups
        ]
        if self.data is not None:
            examples = _sampled_examples(self.data, self.n, self.seed)
            for original, _labels in examples:
                changed, names = self._apply(original)
                cases.append(Case((original,) + tuple(changed), None, (None,) + tuple(names)))
        return cases

    def _apply(self, original: Input) -> tuple[list[Input], list[str]]:
        outs: list[Input] = []
        names: list[str] = []
        for p in self._perturbations():
            name = getattr(p, "name", getattr(p, "__name__", type(p).__name__))
            for variant in _apply_to_input(p, original, self.side):
                if variant != original and variant not in outs:
                    outs.append(variant)
                    names.append(name)
        return outs, names

    def to_spec(self) -> dict[str, Any]:
        spec = super().to_spec()
        spec.update(
            data=spec_of(self.data) if self.data is not None else None,
            perturbations=[getattr(p, "name", getattr(p, "__name__", repr(p))) for p in self._perturbations()],
            groups=len(self.groups), side=self.side, n=self.n,
        )
        return spec


def _apply_to_input(p: Perturbation, original: Input, side: str) -> list[Input]:
    if isinstance(original, str):
        return [str(v) for v in (p(original) or [])]
    a, b = original
    outs_a = [str(v) for v in (p(a) or [])] if side in ("a", "both") else []
    outs_b = [str(v) for v in (p(b) or [])] if side in ("b", "both") else []
    if side == "a":
        return [(x, b) for x in outs_a]
    if side == "b":
        return [(a, y) for y in outs_b]
    if outs_a and outs_b:
        return [(x, y) for x, y in zip(outs_a, outs_b)]
    changed: list[Input] = [(x, b) for x in outs_a]
    return changed + [(a, y) for y in outs_b]


@dataclass(frozen=True, init=False)
class INV(_Changed):
    """Invariance test: a change must not alter the prediction (optionally within ``tolerance``)."""

    test_type: ClassVar[str] = "INV"
    tolerance: float | None = None
    search: int = 0
    search_kinds: tuple[str, ...] = ("typos", "punctuation", "case", "contractions")
    search_examples: int = 100

    def __init__(self, data: Any = None, perturbation: Any = None, *, tolerance: float | None = None,
                 search: int = 0, search_kinds: Sequence[str] | None = None, search_examples: int = 100,
                 **kwargs: Any):
        """``search=K``: besides the seeded sample, let Hypothesis look for a failing perturbation of
        the first K originals and shrink each one it finds to the smallest (see assay.strategies)."""
        _Changed.__init__(self, data, perturbation, **kwargs)
        object.__setattr__(self, "tolerance", tolerance)
        object.__setattr__(self, "search", search)
        if search_kinds is not None:
            object.__setattr__(self, "search_kinds", tuple(search_kinds))
        object.__setattr__(self, "search_examples", search_examples)

    def _validate_source(self) -> None:
        super()._validate_source()
        for name, value in (("search", self.search), ("search_examples", self.search_examples)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise DeclarationError(f"{name}={value!r} must be a non-negative integer")
        if self.search and not self.search_kinds:
            raise DeclarationError("search_kinds must name at least one kind of edit")

    def _default_expectation(self) -> _expect.Expectation:
        return _expect.invariant(self.tolerance)


@dataclass(frozen=True, init=False)
class DIR(_Changed):
    """Directional test: a change must move the prediction as ``expect`` says."""

    test_type: ClassVar[str] = "DIR"

    def _default_expectation(self) -> _expect.Expectation:
        raise DeclarationError(
            "DIR needs expect=, e.g. expect.confidence_not_lower(label='positive', tolerance=0.05)"
        )


__all__ = ["AssayTest", "BehaviourTest", "MFT", "INV", "DIR"]
