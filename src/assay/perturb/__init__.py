"""Perturbations: named, seeded, deterministic ``text -> list[str]`` transformations.

Each factory returns a :class:`Perturbation`; ``p(text)`` gives the changed texts (``[]`` when the
perturbation does not apply). YAML suites name them through :data:`REGISTRY`, e.g.
``perturb: {typos: {n: 2}}``; :func:`by_name` does the same from Python.
"""

from __future__ import annotations

import difflib
import inspect
from typing import Any, Callable

from ..errors import DeclarationError
from .base import Perturbation, chain, deterministic, perturbation, rng_for, union
from .contextual import contextual_substitution
from .negation import add_negation_perturbation as add_negation
from .negation import remove_negation_perturbation as remove_negation
from .noise import char_noise, keyboard, ocr, typos
from .phrases import (add_intensifier, add_irrelevant_negation, add_negative_phrase, add_positive_phrase,
                      add_reducer)
from .swaps import change_numbers, swap_locations, swap_names
from .synonyms import synonyms
from .text import (add_handle, add_punctuation, add_url, contractions, expand_contractions, lowercase,
                   strip_punctuation, titlecase, uppercase)

REGISTRY: dict[str, Callable[..., Perturbation]] = {
    "typos": typos,
    "keyboard": keyboard,
    "ocr": ocr,
    "add_punctuation": add_punctuation,
    "strip_punctuation": strip_punctuation,
    "contractions": contractions,
    "expand_contractions": expand_contractions,
    "lowercase": lowercase,
    "uppercase": uppercase,
    "titlecase": titlecase,
    "add_url": add_url,
    "add_handle": add_handle,
    "swap_names": swap_names,
    "swap_locations": swap_locations,
    "change_numbers": change_numbers,
    "synonyms": synonyms,
    "contextual_substitution": contextual_substitution,
    "add_negation": add_negation,
    "remove_negation": remove_negation,
    "add_intensifier": add_intensifier,
    "add_reducer": add_reducer,
    "add_irrelevant_negation": add_irrelevant_negation,
    "add_positive_phrase": add_positive_phrase,
    "add_negative_phrase": add_negative_phrase,
}


def by_name(name: str, **kwargs: Any) -> Perturbation:
    """The perturbation ``name`` from :data:`REGISTRY` built with ``kwargs``.

    Unknown names and parameters raise DeclarationError naming the close matches.
    """
    factory = REGISTRY.get(name)
    if factory is None:
        close = difflib.get_close_matches(name, list(REGISTRY), n=3, cutoff=0.5)
        hint = f" (did you mean {', '.join(close)}?)" if close else f"; known perturbations: {', '.join(REGISTRY)}"
        raise DeclarationError(f"no perturbation named {name!r}{hint}")
    params = inspect.signature(factory).parameters
    unknown = [k for k in kwargs if k not in params]
    if unknown:
        raise DeclarationError(
            f"perturbation {name!r} has no parameter {', '.join(map(repr, unknown))}; "
            f"its parameters: {', '.join(params) or '(none)'}"
        )
    for key, value in list(kwargs.items()):
        if isinstance(value, list):
            kwargs[key] = tuple(value)  # YAML lists -> the tuples the factories expect
    try:
        return factory(**kwargs)
    except (TypeError, ValueError) as exc:
        raise DeclarationError(f"perturbation {name!r}: {exc}") from None


__all__ = [
    "Perturbation", "REGISTRY", "by_name", "chain", "union", "perturbation", "deterministic", "rng_for",
    "char_noise", *REGISTRY,
]
