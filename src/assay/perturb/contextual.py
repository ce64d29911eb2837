"""Contextual word substitution: a masked language model rewrites one word at a time.

CheckList's sentiment suite "changes neutral words with BERT": each eligible word is masked in turn,
the masked LM's best whole-word fill-ins for that position replace it, and only the substitutes the
caller accepts are kept (for a sentiment test: none from a sentiment lexicon). The result should not
change the prediction, so it is an INV perturbation. The model is any Hugging Face fill-mask model
(``mlm=``, or pytest's ``--assay-mlm``); its fill-ins are cached on disk like every other prediction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from .. import lexicon
from ..errors import DeclarationError
from .base import Perturbation, _clean, rng_for
from .synonyms import _match_case

NAME = "contextual_substitution"
_WORD = re.compile(r"(?<![\w@#'’-])[A-Za-z]+(?![\w'’-])")


def _unused(text, rng):  # pragma: no cover - ContextualSubstitution overrides __call__
    return []


@dataclass(frozen=True)
class ContextualSubstitution(Perturbation):
    """See :func:`contextual_substitution`."""

    mlm: Any = None
    keep: Callable[[str], bool] | None = field(default=None, compare=False, repr=False)
    words: frozenset[str] | None = field(default=None, repr=False)
    blocked: frozenset[str] = field(default=frozenset(), repr=False)

    def validate(self) -> None:
        """Raise DeclarationError when no model is named, or the model cannot be used."""
        from assay.mlm.loading import as_mlm

        if self.mlm is None:
            raise DeclarationError(
                f"perturbation {NAME!r} has no masked language model: pass mlm=MODEL "
                f"(YAML: perturb: {{{NAME}: {{mlm: MODEL}}}}) or run pytest with --assay-mlm=MODEL"
            )
        as_mlm(self.mlm)

    def __call__(self, text: str) -> list[str]:
        from assay.mlm.loading import as_mlm
        from assay.mlm.model import MASK

        if not isinstance(text, str):
            raise TypeError(f"perturbation {self.name!r} takes a string, got {type(text).__name__}")
        self.validate()
        spans = [m for m in _WORD.finditer(text) if self._maskable(m.group())]
        if not spans or MASK in text:
            return []
        contexts = [text[: m.start()] + MASK + text[m.end():] for m in spans]
        found = as_mlm(self.mlm).fill(contexts, beam=int(self.params["top_k"]))
        options = []
        for match, fills in zip(spans, found):
            for fill in fills:
                new = fill.words[0]
                if new.lower() == match.group().lower() or not self._accepts(new):
                    continue
                options.append(text[: match.start()] + _match_case(match.group(), new) + text[match.end():])
        options = _clean(text, options)
        n = int(self.params["n"])
        if len(options) > n:
            rng = rng_for(self.seed, self.name, text)
            options = [options[i] for i in sorted(rng.sample(range(len(options)), n))]
        return options

    def _maskable(self, word: str) -> bool:
        low = word.lower()
        return low not in self.blocked and (self.words is None or low in self.words)

    def _accepts(self, word: str) -> bool:
        return word.lower() not in self.blocked and (self.keep is None or bool(self.keep(word)))

    def to_spec(self) -> dict[str, Any]:
        from assay.mlm.loading import name_of

        spec = super().to_spec()
        spec["mlm"] = name_of(self.mlm)
        return spec


def contextual_substitution(mlm: Any = None, *, n: int = 10, top_k: int = 5, words: Iterable[str] | None = None,
                            exclude: Iterable[str] = (), exclude_words: Iterable[str] = (),
                            keep: Callable[[str], bool] | None = None, seed: int = 0) -> Perturbation:
    """Mask one word at a time and put in the masked LM's ``top_k`` best fill-ins; ``n`` variants.

    ``words``: the only words that may be masked (default: every word). ``exclude``: names of
    built-in lexicons (:mod:`assay.lexicon`) and ``exclude_words``: words, both never masked and never
    put in. ``keep(word) -> bool``: a further filter on the substitutes (Python only). The ``n``
    variants are a seeded sample when there are more.
    """
    for label, value in (("n", n), ("top_k", top_k)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{label}={value!r} must be a positive integer")
    if keep is not None and not callable(keep):
        raise ValueError("keep= is a function word -> bool (Python only); in YAML use exclude: [lexicon names] or exclude_words: [...]")
    if isinstance(exclude, str) or isinstance(exclude_words, str) or isinstance(words, str):
        raise ValueError("words=, exclude= and exclude_words= take lists, not a single string")
    exclude, exclude_words = tuple(exclude), tuple(exclude_words)
    blocked = {w.lower() for name in exclude for w in lexicon.get(name)} | {w.lower() for w in exclude_words}
    params: dict[str, Any] = {"n": n, "top_k": top_k, "words": tuple(words) if words is not None else None,
                              "exclude": exclude, "exclude_words": exclude_words}
    if keep is not None:
        params["keep"] = getattr(keep, "__name__", repr(keep))
    return ContextualSubstitution(
        name=NAME, apply=_unused, seed=seed, params=params, mlm=mlm, keep=keep,
        words=frozenset(w.lower() for w in words) if words is not None else None, blocked=frozenset(blocked),
    )
