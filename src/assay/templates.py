"""Templates: sentences with ``{slot}`` placeholders filled from word lists.

``template("The {thing} was {positive_adjectives}.", thing=["flight", "seat"])`` expands to every
combination (or to a seeded sample with ``n=``). Slots not given as keywords are looked up among the
built-in lexicons (:mod:`assay.lexicon`). ``{a:thing}`` puts the right article before the word
("a flight", "an aircraft"), ``{A:thing}`` capitalises it. A numbered slot such as ``{adj2}`` reuses
the word list of ``adj`` and never repeats a value taken by another slot of the same family.
A pair template is a tuple of two patterns: ``template(("{q}", "{title}"), ...)``.
``{mask}`` is filled by a masked language model (``mlm=``; see :mod:`assay.mlm.templates`).
"""

from __future__ import annotations

import bisect
import random
import re
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Iterator, Mapping, Sequence

from . import lexicon as _lexicon
from .lexicon import article  # noqa: F401  (documented here first; lives with the word lists)
from .errors import DeclarationError
from .inputs import Input

_SLOT = re.compile(r"\{(?:(a|an|A|An):)?([A-Za-z_][A-Za-z0-9_]*)\}")
_NUMBERED = re.compile(r"^(.*?[A-Za-z_])(\d+)$")

Example = tuple[Input, "frozenset[str] | None"]


def slots_of(pattern: str) -> list[str]:
    """Slot names in order of first appearance (``{{`` and ``}}`` are literal braces)."""
    seen: list[str] = []
    for match in _SLOT.finditer(pattern.replace("{{", "").replace("}}", "")):
        if match.group(2) not in seen:
            seen.append(match.group(2))
    return seen


def _fill(pattern: str, values: Mapping[str, str]) -> str:
    def sub(match: re.Match[str]) -> str:
        art, name = match.group(1), match.group(2)
        word = values[name]
        if art:
            return f"{article(word, capital=art[0].isupper())} {word}"
        return word

    parts = pattern.split("{{")
    out = []
    for part in parts:
        sub_parts = part.split("}}")
        out.append("}".join(_SLOT.sub(sub, p) for p in sub_parts))
    return "{".join(out)


def _family(name: str) -> str:
    match = _NUMBERED.match(name)
    return match.group(1) if match else name


@dataclass(frozen=True)
class Template(Sequence[Input]):
    """A lazily expanded set of inputs built from patterns and word lists.

    A Template is data: it can be inspected (:meth:`to_spec`), expanded deterministically, and
    concatenated with ``+``. Expansion problems (unknown slot, empty word list, nothing produced)
    raise :class:`~assay.errors.DeclarationError` from :meth:`validate`.
    """

    patterns: tuple[Input, ...]
    slots: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    n: int | None = None
    seed: int = 0
    labels: frozenset[str] | None = None
    mlm: Any = None
    mask_top: int = 10
    mask_contexts: int = 10

    # -- expansion -------------------------------------------------------------------------
    def _patterns(self) -> tuple[Input, ...]:
        """The patterns to expand: ``{mask}`` patterns become one pattern per masked-LM fill-in."""
        filled = self.__dict__.get("_filled")
        if filled is None:
            from .mlm.templates import fill_patterns, has_masks

            filled = fill_patterns(self) if any(has_masks(p) for p in self.patterns) else self.patterns
            object.__setattr__(self, "_filled", filled)
        return filled

    def has_masks(self) -> bool:
        from .mlm.templates import has_masks

        return any(has_masks(p) for p in self.patterns)

    def _slot_names(self) -> list[str]:
        names: list[str] = []
        for pattern in self._patterns():
            for text in (pattern if isinstance(pattern, tuple) else (pattern,)):
                for name in slots_of(text):
                    if name not in names:
                        names.append(name)
        return names

    def _words(self, name: str) -> tuple[str, ...]:
        if name in self.slots:
            words = self.slots[name]
        elif _lexicon.has(name):
            words = _lexicon.get(name)
        elif _family(name) != name and _family(name) in self.slots:
            words = self.slots[_family(name)]
        elif _family(name) != name and _lexicon.has(_family(name)):
            words = _lexicon.get(_family(name))
        else:
            given = ", ".join(sorted(self.slots)) or "none"
            raise DeclarationError(
                f"template slot {{{name}}} has no word list: pass {name}=[...] "
                f"or use a built-in lexicon name (slots given: {given})"
            )
        if not words:
            raise DeclarationError(f"template slot {{{name}}} has an empty word list")
        return words

    def validate(self) -> None:
        """Check every slot has words and the template can expand, without expanding it."""
        if not self.patterns:
            raise DeclarationError("template has no pattern")
        for name in ("n", "mask_top", "mask_contexts"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise DeclarationError(f"template {name}={value!r} must be a positive integer")
        families: dict[str, list[str]] = {}
        for name in self._slot_names():
            self._words(name)
            families.setdefault(_family(name), []).append(name)
        for family, names in families.items():
            if len(names) > 1:
                distinct = set().union(*(self._words(name) for name in names))
                if len(distinct) < len(names):
                    raise DeclarationError(
                        f"template {self.patterns[0]!r} expands to nothing: slots {', '.join(names)} need "
                        f"{len(names)} different words but their lists hold {len(distinct)}"
                    )

    def sampled(self, n: int | None, seed: int) -> "Template":
        """This template drawing a seeded sample of ``n`` (lazily: the full product is never built)."""
        if n is None or (self.n is not None and self.n <= n):
            return self
        return replace(self, n=n, seed=seed)

    def _pattern_slots(self) -> list[list[str]]:
        """Each pattern's own slots, in the template's order: a pattern ranges only over its slots."""
        order = self._slot_names()
        out = []
        for pattern in self._patterns():
            used = {name for text in (pattern if isinstance(pattern, tuple) else (pattern,)) for name in slots_of(text)}
            out.append([name for name in order if name in used])
        return out

    def _pattern_sizes(self) -> list[int]:
        sizes = []
        for names in self._pattern_slots():
            total = 1
            for name in names:
                total *= len(self._words(name))
            sizes.append(total)
        return sizes

    def size(self) -> int:
        """Number of combinations before sampling (numbered-slot clashes included)."""
        return sum(self._pattern_sizes())

    def _combinations(self) -> Iterator[tuple[int, dict[str, str]]]:
        per_pattern = self._pattern_slots()
        lists = [[self._words(name) for name in names] for names in per_pattern]
        sizes = self._pattern_sizes()
        starts = [sum(sizes[:i]) for i in range(len(sizes))]
        total = sum(sizes)
        if self.n is None or self.n >= total:
            order: Iterable[int] = range(total)
        else:
            order = _seeded_order(total, self.seed)
        for index in order:
            pattern_index = bisect.bisect_right(starts, index) - 1
            rest = index - starts[pattern_index]
            values: dict[str, str] = {}
            for name, words in zip(reversed(per_pattern[pattern_index]), reversed(lists[pattern_index])):
                rest, k = divmod(rest, len(words))
                values[name] = words[k]
            yield pattern_index, values

    def examples(self) -> list[tuple[Input, frozenset[str] | None]]:
        """The expanded inputs with their labels, in a deterministic order: one per combination of a
        pattern and its slots' words (numbered slots of one family never share a word), duplicates kept."""
        cached = self.__dict__.get("_examples")
        if cached is not None:
            return cached
        out: list[tuple[Input, frozenset[str] | None]] = []
        for pattern_index, values in self._combinations():
            if not _distinct_families(values):
                continue
            pattern = self._patterns()[pattern_index]
            if isinstance(pattern, tuple):
                filled: Input = (_fill(pattern[0], values), _fill(pattern[1], values))
            else:
                filled = _fill(pattern, values)
            # Every combination is a case, as written: a pattern or word given twice gives its text twice
            # (as CheckList's editor.template does), so a suite keeps the cases, and the rates, its author wrote.
            out.append((filled, self.labels))
            if self.n is not None and len(out) >= self.n:
                break
        object.__setattr__(self, "_examples", out)
        return out

    # -- Sequence protocol -----------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.examples())

    def __getitem__(self, index):  # type: ignore[override]
        items = [inp for inp, _ in self.examples()]
        return items[index]

    def __iter__(self) -> Iterator[Input]:
        return (inp for inp, _ in self.examples())

    def __add__(self, other: object) -> "Examples":
        return Examples.of(self) + Examples.of(other)

    def to_spec(self) -> dict:
        spec: dict[str, Any] = {
            "template": [list(p) if isinstance(p, tuple) else p for p in self.patterns],
            "slots": {k: list(v) for k, v in self.slots.items()},
            "n": self.n,
            "seed": self.seed,
            "labels": sorted(self.labels) if self.labels is not None else None,
        }
        if self.has_masks():
            from .mlm.loading import name_of

            spec.update(mlm=name_of(self.mlm), mask_top=self.mask_top, mask_contexts=self.mask_contexts)
        return spec


def _distinct_families(values: Mapping[str, str]) -> bool:
    by_family: dict[str, set[str]] = {}
    for name, word in values.items():
        family = _family(name)
        bucket = by_family.setdefault(family, set())
        if word in bucket:
            return False
        bucket.add(word)
    return True


def _seeded_order(total: int, seed: int) -> Iterator[int]:
    """A seeded random order over ``range(total)`` that is cheap for huge ``total``."""
    rng = random.Random(seed)
    if total <= 200_000:
        order = list(range(total))
        rng.shuffle(order)
        yield from order
        return
    seen: set[int] = set()
    while len(seen) < total:
        k = rng.randrange(total)
        if k not in seen:
            seen.add(k)
            yield k


def template(
    patterns: str | tuple[str, str] | Sequence[str | tuple[str, str]],
    *,
    n: int | None = None,
    seed: int = 0,
    label: str | None = None,
    labels: Iterable[str] | None = None,
    mlm: Any = None,
    mask_top: int = 10,
    mask_contexts: int = 10,
    **slots: Iterable[str],
) -> Template:
    """Build a :class:`Template`. See the module docstring for the slot syntax.

    ``{mask}`` slots take the ``mask_top`` best fill-ins of the masked language model ``mlm`` (a folder,
    hub id or :func:`assay.mlm.load_mlm`; default: pytest's ``--assay-mlm``), ranked over
    ``mask_contexts`` seeded samples of the other slots.
    """
    if isinstance(patterns, (str, tuple)):
        pattern_list: list = [patterns]
    else:
        pattern_list = list(patterns)
    norm: list[Input] = []
    for p in pattern_list:
        if isinstance(p, str):
            norm.append(p)
        elif isinstance(p, (tuple, list)) and len(p) == 2 and all(isinstance(x, str) for x in p):
            norm.append((p[0], p[1]))
        else:
            raise DeclarationError(f"a template pattern is a string or a pair of strings, got {p!r}")
    if label is not None and labels is not None:
        raise DeclarationError("give label= or labels=, not both")
    label_set = frozenset([label]) if label is not None else (frozenset(labels) if labels is not None else None)
    slot_lists: dict[str, tuple[str, ...]] = {}
    for name, words in slots.items():
        if isinstance(words, str):
            raise DeclarationError(f"slot {name}= must be a list of words, not the string {words!r}")
        slot_lists[name] = tuple(str(w) for w in words)
    return Template(tuple(norm), slot_lists, n, seed, label_set, mlm, mask_top, mask_contexts)


@dataclass(frozen=True)
class Examples:
    """A concatenation of sources (templates, datasets, lists): inputs with optional labels."""

    parts: tuple[object, ...]

    @staticmethod
    def of(source: object) -> "Examples":
        if isinstance(source, Examples):
            return source
        return Examples((source,))

    def __add__(self, other: object) -> "Examples":
        return Examples(self.parts + Examples.of(other).parts)

    __radd__ = __add__

    def validate(self) -> None:
        for part in self.parts:
            validate = getattr(part, "validate", None)
            if callable(validate):
                validate()

    def examples(self) -> list[tuple[Input, frozenset[str] | None]]:
        out: list[tuple[Input, frozenset[str] | None]] = []
        for part in self.parts:
            out.extend(examples_of(part))
        return out

    def __iter__(self) -> Iterator[Input]:
        return (inp for inp, _ in self.examples())

    def __len__(self) -> int:
        return len(self.examples())

    def to_spec(self) -> dict:
        return {"concat": [spec_of(p) for p in self.parts]}


def examples_of(source: object) -> list[tuple[Input, frozenset[str] | None]]:
    """Inputs and labels from a template, a dataset (with ``.labels``) or a list of inputs."""
    from .inputs import check_input

    if hasattr(source, "examples") and callable(source.examples):  # Template, Examples
        return list(source.examples())
    if isinstance(source, (str, bytes)):
        raise DeclarationError(f"a source is a list of texts, a template or a dataset, not the string {source!r}")
    if not isinstance(source, Iterable):
        raise DeclarationError(f"a source is a list of texts, a template or a dataset, not {type(source).__name__}")
    items = list(source)
    labels = getattr(source, "labels", None)
    out = []
    for i, item in enumerate(items):
        try:
            inp = check_input(item)
        except TypeError as exc:
            raise DeclarationError(str(exc)) from None
        lab = labels[i] if labels is not None and i < len(labels) else None
        out.append((inp, frozenset([lab]) if lab is not None else None))
    return out


def spec_of(source: object) -> object:
    to_spec = getattr(source, "to_spec", None)
    if callable(to_spec):
        return to_spec()
    if isinstance(source, Iterable):
        return {"inputs": len(list(source))}
    return repr(source)


__all__ = ["Template", "Examples", "template", "article", "slots_of", "examples_of", "spec_of"]
