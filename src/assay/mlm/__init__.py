"""Masked-LM suggestions for test authors (CheckList's Editor), and WordNet helpers for lexicons.

>>> from assay.mlm import load_mlm, suggest                             # doctest: +SKIP
>>> mlm = load_mlm("distilroberta-base")                                # doctest: +SKIP
>>> [s.text for s in suggest("This is a {mask} flight.", mlm, top=5)]   # doctest: +SKIP

``{mask}`` in :func:`assay.template` is filled the same way (``mlm=`` or pytest's ``--assay-mlm``).
Names are imported on first use, so ``import assay.mlm`` does not import torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "MaskedLM": "model", "Fill": "model",
    "load_mlm": "loading", "MLMSpec": "loading", "as_mlm": "loading",
    "suggest": "templates", "Suggestion": "templates",
    "bind": "binding",
    "synonyms": "wordnet", "antonyms": "wordnet", "related": "wordnet", "in_context": "wordnet",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'assay.mlm' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"assay.mlm.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value
