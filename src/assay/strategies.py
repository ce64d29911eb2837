"""Hypothesis strategies over perturbations of one text, and a search for a failing perturbation.

A drawn text is described by a list of small edits (which word, which kind of edit, where in the
word), so Hypothesis shrinks a failure toward fewer edits, earlier words and simpler kinds.
``search_failure`` returns the minimal perturbed text for which a predicate holds::

    worst = search_failure("The crew was great.", perturbed("The crew was great."),
                           lambda t: model_label(t) != "positive")

``ci_settings()`` gives derandomized settings with no example database and no deadline, for a suite to
use or register under a profile name of its own choosing; importing this module registers nothing.
"""

from __future__ import annotations

import random
import re
from typing import Callable, Sequence

from hypothesis import HealthCheck, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

_WORD = re.compile(r"[A-Za-z]{2,}")
_OPS = ("swap", "delete", "repeat", "neighbour")
_NEIGHBOURS = {
    "q": "wa", "w": "qes", "e": "wrd", "r": "etf", "t": "ryg", "y": "tuh", "u": "yij", "i": "uok", "o": "ipl",
    "p": "ol", "a": "qsz", "s": "adw", "d": "sfe", "f": "dgr", "g": "fht", "h": "gjy", "j": "hku", "k": "jli",
    "l": "ko", "z": "ax", "x": "zc", "c": "xv", "v": "cb", "b": "vn", "n": "bm", "m": "n",
}
DEFAULT_KINDS = ("typos", "punctuation", "case", "contractions")


def _typo(text: str, word_index: int, op: str, position: int) -> str:
    words = list(_WORD.finditer(text))
    if not words:
        return text
    m = words[word_index % len(words)]
    word = m.group()
    i = position % len(word)
    if op == "swap":
        i = min(i, len(word) - 2)
        new = word[:i] + word[i + 1] + word[i] + word[i + 2:]
    elif op == "delete":
        new = word[:i] + word[i + 1:]
    elif op == "repeat":
        new = word[:i] + word[i] + word[i:]
    else:
        options = _NEIGHBOURS.get(word[i].lower(), "")
        if not options:
            return text
        key = options[position % len(options)]
        new = word[:i] + (key.upper() if word[i].isupper() else key) + word[i + 1:]
    return text[: m.start()] + new + text[m.end():]


def _typo_edit() -> st.SearchStrategy:
    return st.tuples(st.integers(0, 50), st.sampled_from(_OPS), st.integers(0, 20)).map(
        lambda e: ("typos", e)
    )


def typo_edits(text: str, max_edits: int = 3) -> st.SearchStrategy[str]:
    """``text`` with 1..max_edits character typos (swap, delete, repeat, neighbouring key)."""
    if not _WORD.search(text):
        return st.just(text)
    return st.lists(_typo_edit(), min_size=1, max_size=max_edits).map(lambda edits: _apply_all(text, edits))


def _punctuation(text: str, op: str) -> str:
    body = text.rstrip()
    if op == "strip_end":
        return re.sub(r"[.!?,;:…]+$", "", body)
    if op == "drop_commas":
        return text.replace(",", "")
    mark = "." if op == "add_period" else "!"
    return body + mark if body and body[-1].isalnum() else body


def _case(text: str, op: str, index: int) -> str:
    if op == "lower_all":
        return text.lower()
    if op == "upper_all":
        return text.upper()
    words = list(_WORD.finditer(text))
    if not words:
        return text
    m = words[index % len(words)]
    new = m.group().lower() if op == "lower_word" else m.group().upper() if op == "upper_word" else m.group().capitalize()
    return text[: m.start()] + new + text[m.end():]


def _contractions(text: str, op: str) -> str:
    from .perturb.text import contractions, expand_contractions

    p = contractions() if op == "contract" else expand_contractions()
    out = p(text)
    return out[0] if out else text


def _registered(text: str, name: str, seed: int) -> str:
    from .perturb import by_name

    out = by_name(name).with_seed(seed)(text)
    return out[0] if out else text


def _apply_one(text: str, edit: tuple) -> str:
    kind, args = edit
    if kind == "typos":
        return _typo(text, *args)
    if kind == "punctuation":
        return _punctuation(text, args)
    if kind == "case":
        return _case(text, *args)
    if kind == "contractions":
        return _contractions(text, args)
    return _registered(text, kind, args)


def _apply_all(text: str, edits: Sequence[tuple]) -> str:
    for edit in edits:
        text = _apply_one(text, edit)
    return text


def _edit_strategy(kind: str) -> st.SearchStrategy:
    if kind == "typos":
        return _typo_edit()
    if kind == "punctuation":
        return st.sampled_from(("strip_end", "add_period", "add_exclamation", "drop_commas")).map(lambda o: ("punctuation", o))
    if kind == "case":
        ops = st.sampled_from(("lower_word", "lower_all", "upper_word", "title_word", "upper_all"))
        return st.tuples(ops, st.integers(0, 50)).map(lambda e: ("case", e))
    if kind == "contractions":
        return st.sampled_from(("contract", "expand")).map(lambda o: ("contractions", o))
    from .perturb import REGISTRY

    if kind in REGISTRY:
        return st.integers(0, 2**16).map(lambda seed: (kind, seed))
    from .errors import DeclarationError

    known = ", ".join(("typos", "punctuation", "case", "contractions", *REGISTRY))
    raise DeclarationError(f"perturbed(): unknown kind {kind!r}; known kinds: {known}")


def perturbed(text: str, kinds: Sequence[str] = DEFAULT_KINDS, max_edits: int = 3) -> st.SearchStrategy[str]:
    """``text`` after 1..max_edits edits drawn from ``kinds`` (earlier kinds are preferred when shrinking).

    Kinds: "typos", "punctuation", "case", "contractions", or any name in ``assay.perturb.REGISTRY``
    (its output under a drawn seed).
    """
    if not kinds:
        raise ValueError("perturbed(): kinds must not be empty")
    edits = st.one_of(*[_edit_strategy(k) for k in kinds])
    return st.lists(edits, min_size=1, max_size=max_edits).map(lambda es: _apply_all(text, es))


def ci_settings(**overrides) -> settings:
    """Settings for CI: derandomized, no example database, no deadline (``overrides`` win).

    Use them as a decorator, or register them yourself:
    ``settings.register_profile("ci", ci_settings(max_examples=50))``.
    """
    return settings(**{"derandomize": True, "database": None, "deadline": None, **overrides})


def search_failure(original: str, strategy: st.SearchStrategy[str] | None, fails: Callable[[str], bool], *,
                   seed: int = 0, max_examples: int = 100) -> str | None:
    """The minimal text drawn from ``strategy`` (default ``perturbed(original)``) that differs from
    ``original`` and for which ``fails`` is true; None when none is found in ``max_examples`` tries.

    Seeded and derandomized: the same arguments give the same answer in every run.
    """
    if strategy is None:
        strategy = perturbed(original)
    search = ci_settings(max_examples=max_examples, suppress_health_check=list(HealthCheck))
    try:
        return find(strategy, lambda t: t != original and bool(fails(t)), settings=search,
                    random=random.Random(seed))
    except NoSuchExample:
        return None
