"""Stability: does an explanation stay the same when only its random seed or its sample budget changes?

For each method, the word rankings are compared across seeds (at fixed settings) and across sample
counts (LIME's ``lime_samples``, integrated gradients' ``ig_steps``; each against the largest) with
Jaccard@k of the top-k word sets and Spearman / Kendall rank correlation over all words.
Rank correlations are computed here with numpy (average ranks for ties, Kendall's tau-b).
"""

from __future__ import annotations

from itertools import combinations
from typing import Any, Sequence

import numpy as np

from assay.explain.attributions import METHODS, explain_encoded
from assay.explain.faithfulness import top_features
from assay.explain.tokens import Encoded, encode_all, predict_encoded
from assay.inputs import Input


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n, tied values sharing their average rank."""
    values = np.asarray(values, dtype=np.float64)
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(1, len(values) + 1)
    for value in np.unique(values):
        tied = values == value
        if tied.sum() > 1:
            ranks[tied] = ranks[tied].mean()
    return ranks


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rho (Pearson correlation of average ranks); NaN when either side is constant."""
    ra, rb = average_ranks(a), average_ranks(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    denominator = np.sqrt((ra**2).sum() * (rb**2).sum())
    return float((ra * rb).sum() / denominator) if denominator > 0 else float("nan")


def kendall_tau(a: np.ndarray, b: np.ndarray) -> float:
    """Kendall's tau-b; NaN when either side is constant."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    i, j = np.triu_indices(len(a), k=1)
    da, db = np.sign(a[i] - a[j]), np.sign(b[i] - b[j])
    n_a, n_b = np.count_nonzero(da), np.count_nonzero(db)
    if n_a == 0 or n_b == 0:
        return float("nan")
    return float((da * db).sum() / np.sqrt(n_a * n_b))


def jaccard_at_k(enc: Encoded, a: np.ndarray, b: np.ndarray, k: int) -> float:
    """Overlap of the two top-k word sets; NaN when the input has at most k words (the sets are trivial)."""
    if len(enc.features) <= k:
        return float("nan")
    top_a, top_b = set(top_features(enc, a, k).tolist()), set(top_features(enc, b, k).tolist())
    return len(top_a & top_b) / len(top_a | top_b)


def agreement(encs: Sequence[Encoded], first: Sequence[np.ndarray], second: Sequence[np.ndarray], k: int) -> dict:
    """Mean Jaccard@k, Spearman and Kendall over inputs (each ignoring the cases where it is undefined)."""
    jac, rho, tau = [], [], []
    for enc, a, b in zip(encs, first, second):
        fa, fb = np.asarray(a)[enc.features], np.asarray(b)[enc.features]
        jac.append(jaccard_at_k(enc, a, b, k))
        if len(fa) >= 2:
            rho.append(spearman(fa, fb))
            tau.append(kendall_tau(fa, fb))

    def mean(values: list[float]) -> float:
        finite = [v for v in values if np.isfinite(v)]
        return float(np.mean(finite)) if finite else float("nan")

    return {"jaccard": mean(jac), "spearman": mean(rho), "kendall": mean(tau), "cases": len(encs)}


def stability_report(
    model, tokenizer, inputs: Sequence[Input], targets: Sequence[int] | None = None, *,
    methods: Sequence[str] = METHODS, k: int = 5, seeds: Sequence[int] = (0, 1, 2),
    lime_samples: Sequence[int] = (50, 200, 500), ig_steps: Sequence[int] = (16, 32, 64),
    reference_samples: int = 200, reference_steps: int = 32, mode: str = "mask",
) -> dict:
    """Agreement of each method with itself across seeds and across sample counts.

    Returns ``{"k", "cases", "methods": {method: {"seeds": {...}, "samples": {str(n): {...}}}}}``
    where each ``{...}`` holds mean ``jaccard`` (@k), ``spearman`` and ``kendall``. ``seeds`` compares
    every pair of seeds at ``reference_samples`` / ``reference_steps``; ``samples`` compares each
    smaller LIME sample count (IG step count) with the largest one, at the first seed.
    """
    encs = encode_all(model, tokenizer, inputs)
    model.eval()
    if targets is None:
        targets = [int(i) for i in predict_encoded(model, tokenizer, encs).argmax(axis=1)]

    def run(method: str, seed: int, samples: int, steps: int) -> list[np.ndarray]:
        out = explain_encoded(
            model, tokenizer, encs, targets, methods=(method,), seed=seed, lime_samples=samples,
            ig_steps=steps, mode=mode,
        )
        return [o[method] for o in out]

    report: dict = {"k": k, "cases": len(encs), "seeds": list(seeds), "mode": mode, "methods": {}}
    for method in methods:
        by_seed = {s: run(method, s, reference_samples, reference_steps) for s in seeds}
        entry: dict[str, Any] = {
            "seeds": _mean_over_pairs([agreement(encs, by_seed[a], by_seed[b], k) for a, b in combinations(seeds, 2)]),
            "samples": {},
        }
        budgets = {"lime": (lime_samples, "lime_samples"), "integrated_gradients": (ig_steps, "ig_steps")}
        if method in budgets:
            counts, name = budgets[method]
            entry["budget"] = name
            cache = {reference_samples if method == "lime" else reference_steps: by_seed[seeds[0]]}
            for n in counts:
                if n not in cache:
                    samples, steps = (n, reference_steps) if method == "lime" else (reference_samples, n)
                    cache[n] = run(method, seeds[0], samples, steps)
            largest = max(counts)
            for n in sorted(counts):
                if n != largest:
                    entry["samples"][str(n)] = agreement(encs, cache[n], cache[largest], k)
            entry["reference"] = largest
        report["methods"][method] = entry
    return report


def _mean_over_pairs(results: list[dict]) -> dict:
    if not results:
        return {"jaccard": float("nan"), "spearman": float("nan"), "kendall": float("nan"), "pairs": 0}
    out = {key: float(np.nanmean([r[key] for r in results])) for key in ("jaccard", "spearman", "kendall")}
    out["pairs"] = len(results)
    return out


def format_stability(report: dict) -> str:
    """A Markdown table: method, comparison, Jaccard@k, Spearman, Kendall."""
    k = report["k"]
    lines = [f"| method | comparison | Jaccard@{k} | Spearman | Kendall |", "|---|---|---|---|---|"]
    for method, entry in report["methods"].items():
        s = entry["seeds"]
        seeds = ", ".join(str(x) for x in report["seeds"])
        lines.append(f"| {method} | seeds {seeds} | {s['jaccard']:.3f} | {s['spearman']:.3f} | {s['kendall']:.3f} |")
        for n, row in entry["samples"].items():
            lines.append(
                f"| {method} | {entry['budget']}={n} vs {entry['reference']} | {row['jaccard']:.3f} | "
                f"{row['spearman']:.3f} | {row['kendall']:.3f} |"
            )
    return "\n".join(lines)
