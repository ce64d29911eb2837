"""Masked-LM suggestions for test authors (CheckList's Editor), and WordNet helpers for lexicons.

>>> from assay.mlm import load_mlm, suggest                             # doctest: +SKIP
>>> mlm = load_mlm("distilroberta-base")                                # doctest: +SKIP
>>> [s.text for s in suggest("This is a {mask} flight.", mlm, top=5)]   # doctest: +SKIP

``{mask}`` in :func:`assay.template` is filled the same way (``mlm=`` or pytest's ``--assay-mlm``).
Names are imported on first use, so ``import assay.mlm`` does not import torch.
"""

from __future__ import annotations

from assay._lazy import lazy_exports

_EXPORTS = {
    "MaskedLM": "model", "Fill": "model",
    "load_mlm": "loading", "MLMSpec": "loading", "as_mlm": "loading",
    "suggest": "suggestions", "Suggestion": "templates",
    "bind": "binding",
    "synonyms": "wordnet", "antonyms": "wordnet", "related": "wordnet", "in_context": "wordnet",
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
