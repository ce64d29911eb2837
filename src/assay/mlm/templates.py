"""``{mask}`` in templates: slots filled by a masked language model (CheckList's Editor).

For a pattern with masks, the other slots are filled first: a seeded sample of ``contexts`` of their
combinations (all of them when there are fewer). Every ``{mask}`` becomes a mask in each context, and
the model ranks whole-word fill-ins in each (:meth:`assay.mlm.model.MaskedLM.fill`). A fill-in's score
is its mean log-probability over the contexts; one that falls outside the ``beam`` best of any
context is dropped, so the fill-ins kept fit every context. The ``top`` best become the slot's words:
the pattern turns into one plain pattern per fill-in, and the template expands as usual.

Several masks in one string are filled jointly (left to right, beam search). In a pair pattern the
k-th mask of each side is the same fill-in, and each side is scored as its own context (as CheckList
does). ``{a:mask}`` puts the right article before the fill-in: contexts are scored with "a" and with
"an", and a fill-in is scored in the contexts whose article fits it.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from assay.errors import DeclarationError
from assay.inputs import Input
from assay.lexicon import article

if TYPE_CHECKING:  # pragma: no cover
    from assay.templates import Template

MASK_SLOT = "mask"
_MASK = re.compile(r"\{(?:(a|an|A|An):)?mask\}")
_MARK = "\ue001{}\ue001"  # stands for the i-th mask while the other slots are filled


@dataclass(frozen=True)
class Suggestion:
    """A ranked fill-in: a word per mask, its mean log-probability, and one filled-in example."""

    words: tuple[str, ...]
    score: float
    example: Input

    @property
    def text(self) -> str:
        return " ".join(self.words)


def _sides(pattern: Input) -> tuple[str, ...]:
    return pattern if isinstance(pattern, tuple) else (pattern,)


def _join(sides: Sequence[str]) -> Input:
    """The inverse of :func:`_sides`: one side is a text, two are a pair."""
    if len(sides) == 1:
        return sides[0]
    first, second = sides
    return (first, second)


def _masks(text: str) -> list[re.Match[str]]:
    """The ``{mask}`` slots of one string (``{{mask}}`` is a literal, not a slot)."""
    literal = re.compile(r"\{\{|\}\}")
    spans = [m.span() for m in literal.finditer(text)]
    return [m for m in _MASK.finditer(text) if not any(a <= m.start() < b for a, b in spans)]


def has_masks(pattern: Input) -> bool:
    return any(_masks(side) for side in _sides(pattern))


def mask_count(pattern: Input) -> int:
    return max(len(_masks(side)) for side in _sides(pattern))


def _article(word: str, option: str | None) -> str:
    return f"{article(word, capital=option[0].isupper())} {word}" if option else word


def _substitute(text: str, words: Sequence[str]) -> str:
    """Pattern ``text`` with its i-th mask replaced by ``words[i]`` (braces escaped)."""
    counter = itertools.count()

    def sub(match: re.Match[str]) -> str:
        return _article(words[next(counter)], match.group(1)).replace("{", "{{").replace("}", "}}")

    masks = {m.start() for m in _masks(text)}
    return _MASK.sub(lambda m: sub(m) if m.start() in masks else m.group(), text)


def _contexts(template: "Template", pattern: Input, contexts: int) -> tuple[list[tuple[str, tuple[str | None, ...]]], Input]:
    """(context with MASK at each mask, the article each mask needs there) for every side and sample,
    and the first sample with its masks still marked (to show an example)."""
    from assay.mlm.model import MASK

    sides = _sides(pattern)
    options = [[m.group(1) for m in _masks(side)] for side in sides]

    def skeleton(side: str) -> str:
        counter = itertools.count()
        marks = {m.start() for m in _masks(side)}
        return _MASK.sub(lambda m: _MARK.format(next(counter)) if m.start() in marks else m.group(), side)

    base = tuple(skeleton(side) for side in sides)
    # type(template), not an import of assay.templates: that module imports this one.
    sample = type(template)((_join(base),), template.slots, contexts, template.seed, None)
    sample.validate()
    out = []
    for filled, _labels in sample.examples():
        for side, side_options in zip(_sides(filled), options):
            if not side_options:
                continue
            choices = [("a", "an") if option else (None,) for option in side_options]
            for articles in itertools.product(*choices):
                text = side
                for i, (option, art) in enumerate(zip(side_options, articles)):
                    said = art.capitalize() if art and option[0].isupper() else art
                    text = text.replace(_MARK.format(i), f"{said} {MASK}" if said else MASK)
                out.append((text, articles))
    return out, sample.examples()[0][0]


def _example(marked: Input, pattern: Input, words: Sequence[str]) -> Input:
    sides = []
    for side, original in zip(_sides(marked), _sides(pattern)):
        for i, match in enumerate(_masks(original)):
            side = side.replace(_MARK.format(i), _article(words[i], match.group(1)))
        sides.append(side)
    return _join(sides)


def rank(template: "Template", pattern: Input, mlm: Any, *, top: int, contexts: int, beam: int) -> list[Suggestion]:
    """The ``top`` best fill-ins for the masks of ``pattern`` (see the module docstring)."""
    scored, marked = _contexts(template, pattern, contexts)
    found = mlm.fill([text for text, _ in scored], beam=max(beam, top))
    width = mask_count(pattern)
    tables = [{fill.words: fill.score for fill in fills} for fills in found]
    candidates = sorted({fill.words for fills in found for fill in fills if len(fill.words) == width})
    ranked = []
    for words in candidates:
        scores: list[float] = []
        for (_text, articles), table in zip(scored, tables):
            if any(art and article(words[i]) != art for i, art in enumerate(articles)):
                continue  # this context's article does not fit the word
            prefix = words[: len(articles)]
            if prefix not in table:
                scores = []
                break
            scores.append(table[prefix])
        if scores:
            ranked.append((sum(scores) / len(scores), words))
    ranked.sort(key=lambda item: (-item[0], item[1]))
    return [Suggestion(words, score, _example(marked, pattern, words)) for score, words in ranked[:top]]


def fill_patterns(template: "Template") -> tuple[Input, ...]:
    """The template's patterns with every ``{mask}`` pattern replaced by one pattern per fill-in."""
    from assay.mlm.loading import as_mlm, name_of

    if not any(has_masks(p) for p in template.patterns):
        return template.patterns
    first = next(p for p in template.patterns if has_masks(p))
    if MASK_SLOT in template.slots:
        raise DeclarationError("the slot name 'mask' is kept for masked-LM fill-ins ({mask}); give your word list another name")
    if template.mlm is None:
        raise DeclarationError(
            f"template {first!r} has {{mask}} but no masked language model: pass mlm=MODEL to template() "
            f"(YAML: mlm: MODEL) or run pytest with --assay-mlm=MODEL"
        )
    mlm = as_mlm(template.mlm)
    out: list[Input] = []
    for pattern in template.patterns:
        if not has_masks(pattern):
            out.append(pattern)
            continue
        suggestions = rank(template, pattern, mlm, top=template.mask_top, contexts=template.mask_contexts, beam=50)
        if not suggestions:
            raise DeclarationError(f"template {pattern!r}: the masked language model {name_of(template.mlm)} "
                                   f"found no whole-word fill-in for {{mask}} that fits every context")
        for s in suggestions:
            filled = tuple(_substitute(side, s.words) for side in _sides(pattern))
            out.append(_join(filled))
    return tuple(out)
