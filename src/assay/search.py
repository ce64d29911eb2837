"""Hypothesis search for failing perturbations of an INV test's originals.

The failure rate of an INV test is always computed over its fixed, seeded sample of cases; the search
adds, for the first ``search`` originals, the smallest perturbation Hypothesis can find that changes
the prediction — the most telling counterexample a test author can get.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .declarations import INV
from .inputs import Input


def search_counterexamples(decl: INV, predict: Callable[[Input], np.ndarray], labels: list[str]) -> list[dict[str, Any]]:
    """``[{"original", "found", "original_label", "found_label", "edit_side"}]`` for each original
    where a failing perturbation was found (searched seeded and derandomized)."""
    from .strategies import perturbed, search_failure

    found: list[dict[str, Any]] = []
    originals = [case.inputs[0] for case in decl.cases()][: decl.search]
    side = "b" if decl.side == "b" else "a"
    for i, original in enumerate(originals):
        text = original if isinstance(original, str) else original[0 if side == "a" else 1]
        if not text.strip():
            continue

        def rebuild(t: str, original: Input = original) -> Input:
            if isinstance(original, str):
                return t
            return (t, original[1]) if side == "a" else (original[0], t)

        before = predict(original)
        base = int(np.argmax(before))

        def fails(t: str, rebuild=rebuild, base=base, before=before) -> bool:
            probs = predict(rebuild(t))
            if decl.tolerance is not None and abs(float(probs[base] - before[base])) > decl.tolerance:
                return True
            return int(np.argmax(probs)) != base

        hit = search_failure(text, perturbed(text, kinds=decl.search_kinds), fails, seed=decl.seed + i,
                             max_examples=decl.search_examples)
        if hit is not None:
            changed = rebuild(hit)
            found.append({
                "original": original if isinstance(original, str) else list(original),
                "found": changed if isinstance(changed, str) else list(changed),
                "original_label": labels[base],
                "found_label": labels[int(np.argmax(predict(changed)))],
            })
    return found


def format_counterexamples(found: list[dict[str, Any]]) -> str:
    if not found:
        return ""
    lines = [f"hypothesis found {len(found)} minimal failing perturbation(s):"]
    for f in found:
        lines.append(f"  {f['original']!r} ({f['original_label']}) -> {f['found']!r} ({f['found_label']})")
    return "\n".join(lines)
