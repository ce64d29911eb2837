"""``suggest``: ranked fill-ins for the ``{mask}`` of a pattern (CheckList's ``editor.suggest``).

It builds a template (:mod:`assay.templates`) and ranks with :mod:`assay.mlm.templates`, which
``assay.templates`` itself uses to fill ``{mask}`` slots: kept apart so the two never import each other.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Sequence

from assay.errors import DeclarationError
from assay.inputs import Input
from assay.mlm.templates import Suggestion, has_masks, rank


def suggest(pattern: Input, mlm: Any, *, top: int = 20, contexts: int = 10, seed: int = 0, beam: int = 50,
            **slots: Sequence[str]) -> list[Suggestion]:
    """Ranked fill-ins for the ``{mask}`` of ``pattern`` (CheckList's ``editor.suggest``).

    ``slots`` fill the pattern's other slots (built-in lexicons are found by name); ``contexts``
    combinations of them are drawn with ``seed`` and a fill-in is ranked by its mean log-probability.
    """
    from assay.mlm.loading import as_mlm
    from assay.templates import template as make_template

    options: dict[str, Any] = {"seed": seed, **slots}  # template()'s keywords: the seed, then word lists by slot
    t = make_template(pattern if isinstance(pattern, (str, tuple)) else tuple(pattern), **options)
    if not has_masks(t.patterns[0]):
        raise DeclarationError(f"{t.patterns[0]!r} has no {{mask}} to fill: write {{mask}} where the model should suggest words")
    if not isinstance(top, int) or isinstance(top, bool) or top < 1:
        raise DeclarationError(f"top={top!r} must be a positive integer")
    t = replace(t, mask_contexts=contexts)
    return rank(t, t.patterns[0], as_mlm(mlm), top=top, contexts=contexts, beam=beam)
