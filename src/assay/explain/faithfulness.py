"""Deletion test: do the words an explanation ranks highest matter more to the model than random words?

For each method and k, the k words with the highest attribution towards the target class are removed
(replaced by ``[MASK]`` by default) and the drop in p(target) is compared with removing k random words
(seeded, averaged over several draws). A faithful method's drop is well above the random drop.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from assay.explain.attributions import METHODS, explain_encoded
from assay.explain.tokens import Encoded, encode_all, perturb, predict_encoded, predict_rows
from assay.inputs import Input

DEFAULT_KS = (1, 3, 5)


def top_features(enc: Encoded, scores: np.ndarray, k: int) -> np.ndarray:
    """Positions (into ``enc.features``) of the k features with the highest scores; ties by position."""
    feature_scores = np.asarray(scores)[enc.features]
    return np.argsort(-feature_scores, kind="stable")[:k]


def _keep_without(n_features: int, removed: np.ndarray) -> np.ndarray:
    keep = np.ones(n_features, dtype=bool)
    keep[removed] = False
    return keep


def deletion_drops(
    model, tokenizer, enc: Encoded, target: int, scores: dict[str, np.ndarray], ks: Sequence[int],
    rng: np.random.Generator, *, random_draws: int = 10, mode: str = "mask",
) -> dict:
    """For one input: ``{"random": {k: drop}, method: {k: drop}}`` for every k smaller than its word count."""
    n = len(enc.features)
    usable = [k for k in ks if k < n]
    keeps, labels = [np.ones(n, dtype=bool)], [("full", 0)]
    for k in usable:
        for method, method_scores in scores.items():
            keeps.append(_keep_without(n, top_features(enc, method_scores, k)))
            labels.append((method, k))
        for _ in range(random_draws):
            keeps.append(_keep_without(n, rng.choice(n, size=k, replace=False)))
            labels.append(("random", k))
    probs = predict_rows(model, tokenizer, perturb(enc, np.array(keeps), tokenizer, mode))[:, target]
    drops: dict = {}
    for (name, k), p in zip(labels[1:], probs[1:]):
        drops.setdefault(name, {}).setdefault(k, []).append(probs[0] - p)
    return {name: {k: float(np.mean(v)) for k, v in per_k.items()} for name, per_k in drops.items()}


def faithfulness_report(
    model, tokenizer, inputs: Sequence[Input], targets: Sequence[int] | None = None, *,
    methods: Sequence[str] = METHODS, ks: Sequence[int] = DEFAULT_KS, seed: int = 0, random_draws: int = 10,
    lime_samples: int = 200, ig_steps: int = 32, mode: str = "mask",
) -> dict:
    """Deletion test over ``inputs``; ``targets`` default to the predicted classes.

    Returns ``{"methods": {method: {k: {"drop", "random_drop", "difference", "cases"}}}, ...}`` where
    ``drop`` is the mean drop in p(target) after removing the method's top-k words, ``random_drop``
    the mean drop after removing k random words (same cases), and ``difference`` their difference.
    Cases with at most k words are left out for that k.
    """
    encs = encode_all(model, tokenizer, inputs)
    model.eval()
    if targets is None:
        targets = [int(i) for i in predict_encoded(model, tokenizer, encs).argmax(axis=1)]
    explained = explain_encoded(
        model, tokenizer, encs, targets, methods=methods, seed=seed, lime_samples=lime_samples,
        ig_steps=ig_steps, mode=mode,
    )
    rng = np.random.default_rng(seed)
    per_case = [
        deletion_drops(model, tokenizer, enc, t, s, ks, rng, random_draws=random_draws, mode=mode)
        for enc, t, s in zip(encs, targets, explained)
    ]
    table: dict = {}
    for method in methods:
        table[method] = {}
        for k in ks:
            rows = [c for c in per_case if k in c.get(method, {})]
            drop = float(np.mean([c[method][k] for c in rows])) if rows else float("nan")
            random_drop = float(np.mean([c["random"][k] for c in rows])) if rows else float("nan")
            table[method][k] = {
                "drop": drop, "random_drop": random_drop, "difference": drop - random_drop, "cases": len(rows),
            }
    return {
        "methods": table, "ks": list(ks), "cases": len(encs), "mode": mode, "random_draws": random_draws,
        "seed": seed, "lime_samples": lime_samples, "ig_steps": ig_steps,
    }


def format_faithfulness(report: dict) -> str:
    """A Markdown table: method, k, mean drop, random drop, difference, cases."""
    lines = [
        "| method | k | drop p(target) | random drop | difference | cases |",
        "|---|---|---|---|---|---|",
    ]
    for method, per_k in report["methods"].items():
        for k, row in per_k.items():
            lines.append(
                f"| {method} | {k} | {row['drop']:.3f} | {row['random_drop']:.3f} | "
                f"{row['difference']:+.3f} | {row['cases']} |"
            )
    return "\n".join(lines)
