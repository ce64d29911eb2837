"""WordNet helpers for building lexicons: synonyms, antonyms and related words, optionally kept only
where a masked language model finds them fit for a context (CheckList's ``editor.synonyms`` & co.).

WordNet is read through :func:`assay.perturb.synonyms.wordnet` (nltk's data, or the system's WordNet
3.0 files). Only single-word lemmas are returned, most common sense first, without duplicates.

With ``context=`` (a text, or a list of texts, that contains ``word``), each candidate is scored by
the masked LM at the word's place: it is kept when its log-probability is within ``threshold`` of the
word's own in every context, and the kept ones are ranked by their mean log-probability. Candidates
that are not one token of the model's vocabulary cannot be scored and are left out.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Sequence

from assay.errors import DeclarationError
from assay.perturb.synonyms import _WN_POS, wordnet


def _synsets(word: str, pos: str | None, senses: int | None) -> list:
    if pos is not None and pos not in _WN_POS:
        raise DeclarationError(f"pos={pos!r} must be one of {', '.join(_WN_POS)} (or None for every part of speech)")
    tags = _WN_POS[pos] if pos else None
    found = [s for s in wordnet().synsets(word) if tags is None or s.pos() in tags]
    return found[:senses] if senses is not None else found


def _names(lemmas: Iterable[Any], word: str) -> list[str]:
    out: list[str] = []
    for lemma in lemmas:
        name = lemma.name()
        if "_" in name or name.lower() == word.lower() or name in out:
            continue
        out.append(name)
    return out


def _maybe_in_context(found: list[str], word: str, context: Any, mlm: Any, threshold: float) -> list[str]:
    return found if context is None else in_context(found, word, context, mlm, threshold=threshold)


def synonyms(word: str, *, pos: str | None = None, senses: int | None = None, context: str | Sequence[str] | None = None,
             mlm: Any = None, threshold: float = 5.0) -> list[str]:
    """Lemmas that share a sense with ``word`` (``senses``: only its most common ones)."""
    found = _names((lemma for s in _synsets(word, pos, senses) for lemma in s.lemmas()), word)
    return _maybe_in_context(found, word, context, mlm, threshold)


def antonyms(word: str, *, pos: str | None = None, senses: int | None = None, context: str | Sequence[str] | None = None,
             mlm: Any = None, threshold: float = 5.0) -> list[str]:
    """WordNet's antonyms of ``word``'s senses."""
    lemmas = (a for s in _synsets(word, pos, senses) for lemma in s.lemmas() if lemma.name().lower() == word.lower()
              for a in lemma.antonyms())
    return _maybe_in_context(_names(lemmas, word), word, context, mlm, threshold)


def related(word: str, *, pos: str | None = None, senses: int | None = 1, depth: int = 1,
            context: str | Sequence[str] | None = None, mlm: Any = None, threshold: float = 5.0) -> list[str]:
    """Words of the same kind: hyponyms (``depth`` levels down) of ``word``'s hypernyms, e.g. doctor ->
    nurse, surgeon, dentist (default: the most common sense only)."""
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise DeclarationError(f"depth={depth!r} must be a positive integer")
    lemmas: list[Any] = []  # nltk's Lemma objects (nltk has no type hints)
    for synset in _synsets(word, pos, senses):
        for parent in synset.hypernyms() + synset.instance_hypernyms():
            level = [parent]
            for _ in range(depth):
                level = [h for s in level for h in s.hyponyms() + s.instance_hyponyms()]
                lemmas.extend(lemma for s in level for lemma in s.lemmas())
    return _maybe_in_context(_names(lemmas, word), word, context, mlm, threshold)


def in_context(candidates: Iterable[str], word: str, context: str | Sequence[str], mlm: Any, *,
               threshold: float = 5.0) -> list[str]:
    """The candidates that fit where ``word`` stands in each context, best first (see the module docstring)."""
    from assay.mlm.loading import as_mlm
    from assay.mlm.model import MASK

    model = as_mlm(mlm)
    if model is None:
        raise DeclarationError("scoring words in a context needs a masked language model: pass mlm=MODEL")
    texts = [context] if isinstance(context, str) else list(context)
    pattern = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE)
    masked = []
    for text in texts:
        if not pattern.search(text):
            raise DeclarationError(f"the context {text!r} does not contain the word {word!r}; write the word where candidates should fit")
        masked.append(pattern.sub(MASK, text, count=1))
    candidates = list(dict.fromkeys(candidates))
    rows = model.score(masked, [word, *candidates])
    if any(row[0] is None for row in rows):
        raise DeclarationError(f"{word!r} is not one token of {model.name}'s vocabulary, so candidates cannot be compared with it")
    kept = []
    for i, candidate in enumerate(candidates, start=1):
        scores = [row[i] for row in rows]
        if all(s is not None and row[0] - s < threshold for s, row in zip(scores, rows)):
            kept.append((sum(scores) / len(scores), candidate))
    kept.sort(key=lambda item: (-item[0], item[1]))
    return [candidate for _, candidate in kept]
