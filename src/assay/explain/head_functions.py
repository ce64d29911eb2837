"""What each attention head does: the attention mass it puts on simple, nameable targets.

For every head the score of a function is the mean, over the query positions the function applies
to, of the attention weight that lands on the function's target positions:

* ``previous_token`` / ``next_token`` — the position just before / after the query;
* ``cls`` — the ``[CLS]`` token; ``sep`` — every ``[SEP]`` token;
* ``same_word`` — the other word pieces of the query's own word (queries in multi-piece words);
* ``same_word_other_segment`` — for sentence pairs, the pieces of the same word (case-insensitive)
  in the other segment (queries whose word occurs there).

Layers and heads are numbered from 0.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from assay.explain.rollout import attention_maps
from assay.explain.tokens import Encoded, encode_all
from assay.inputs import Input

FUNCTIONS = ("previous_token", "next_token", "cls", "sep", "same_word", "same_word_other_segment")


def _targets(enc: Encoded, tokenizer) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per function, (target matrix [T, T] of 0/1, eligible queries [T] bool) for one input."""
    size = len(enc.input_ids)
    ids = np.array(enc.input_ids)
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    out["previous_token"] = (np.eye(size, k=-1), np.arange(size) >= 1)
    out["next_token"] = (np.eye(size, k=1), np.arange(size) < size - 1)
    cls_id = tokenizer.cls_token_id
    cls_keys = ids == cls_id if cls_id is not None and (ids == cls_id).any() else np.arange(size) == 0
    out["cls"] = (np.tile(cls_keys.astype(float), (size, 1)), np.ones(size, dtype=bool))
    sep_keys = ids == tokenizer.sep_token_id if tokenizer.sep_token_id is not None else np.zeros(size, dtype=bool)
    out["sep"] = (np.tile(sep_keys.astype(float), (size, 1)), np.full(size, bool(sep_keys.any())))

    same = np.zeros((size, size))
    for w in enc.features:
        group = enc.groups[w]
        if len(group) > 1:
            for q in group:
                same[q, [p for p in group if p != q]] = 1.0
    out["same_word"] = (same, np.any(same, axis=1))

    if True in enc.boundary:
        cut = enc.boundary.index(True)
        segment_of = {w: 0 if w < cut else 1 for w in enc.features}
        pieces_by_word: dict[tuple[int, str], list[int]] = {}
        for w in enc.features:
            pieces_by_word.setdefault((segment_of[w], enc.words[w].lower()), []).extend(enc.groups[w])
        cross = np.zeros((size, size))
        for w in enc.features:
            other = pieces_by_word.get((1 - segment_of[w], enc.words[w].lower()), [])
            for q in enc.groups[w]:
                cross[q, other] = 1.0
        out["same_word_other_segment"] = (cross, np.any(cross, axis=1))
    return out


def head_function_scores(model, tokenizer, inputs: Sequence[Input]) -> dict[str, np.ndarray]:
    """``{function: [layers, heads] mean attention mass}``; the pair function only when pairs are given.

    Needs attention weights: a model loaded with ``sdpa`` is switched to eager attention for the call.
    """
    encs = encode_all(model, tokenizer, inputs)
    model.eval()
    totals: dict[str, np.ndarray] = {}
    counts: dict[str, int] = {}
    shape = (0, 0)
    for enc, maps in zip(encs, attention_maps(model, tokenizer, encs)):
        shape = maps.shape[:2]
        for name, (target, eligible) in _targets(enc, tokenizer).items():
            if not eligible.any():
                counts.setdefault(name, 0)
                continue
            mass = (maps[:, :, eligible, :] * target[eligible][None, None]).sum(axis=-1).sum(axis=-1)
            totals[name] = totals.get(name, 0.0) + mass
            counts[name] = counts.get(name, 0) + int(eligible.sum())
    has_pairs = any(isinstance(value, tuple) for value in inputs)
    scores = {}
    for name in FUNCTIONS:
        if name == "same_word_other_segment" and not has_pairs:
            continue
        if counts.get(name):
            scores[name] = totals[name] / counts[name]
        else:
            scores[name] = np.full(shape, np.nan)
    return scores


def function_table(scores: dict[str, np.ndarray], top: int = 3) -> str:
    """One row per function: its strongest heads (layer.head) and the mean over all heads."""
    lines = ["| function | strongest heads (layer.head: mass) | mean over heads |", "|---|---|---|"]
    for name, grid in scores.items():
        if not np.isfinite(grid).any():
            lines.append(f"| {name} | (no applicable positions) | - |")
            continue
        flat = np.where(np.isfinite(grid), grid, -np.inf).ravel()
        best = np.argsort(-flat, kind="stable")[:top]
        heads = ", ".join(f"{i // grid.shape[1]}.{i % grid.shape[1]}: {flat[i]:.2f}" for i in best)
        lines.append(f"| {name} | {heads} | {np.nanmean(grid):.3f} |")
    return "\n".join(lines)


def plot_function_heatmaps(scores: dict[str, np.ndarray], path: str | Path) -> Path:
    """One layer x head heatmap per function, side by side, saved as PNG (no pyplot: no global backend)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path = Path(path)
    names = list(scores)
    fig = Figure(figsize=(3.2 * len(names), 3.0))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(names), squeeze=False)
    for ax, name in zip(axes[0], names):
        grid = scores[name]
        top = float(np.nanmax(grid)) if np.isfinite(grid).any() else 1.0
        image = ax.imshow(grid, cmap="viridis", vmin=0.0, vmax=max(top, 1e-6), aspect="auto")
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("head")
        ax.set_ylabel("layer")
        ax.set_xticks(range(grid.shape[1]))
        ax.set_yticks(range(grid.shape[0]))
        ax.tick_params(labelsize=6)
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    fig.suptitle("mean attention mass per head", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path


def write_function_csv(scores: dict[str, np.ndarray], path: str | Path, importance: np.ndarray | None = None) -> Path:
    """One row per head: layer, head, [importance], one column per function."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    names = list(scores)
    layers, heads = next(iter(scores.values())).shape
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["layer", "head"] + (["importance"] if importance is not None else []) + names)
        for layer in range(layers):
            for head in range(heads):
                row = [layer, head] + ([f"{importance[layer, head]:.6g}"] if importance is not None else [])
                writer.writerow(row + [f"{scores[n][layer, head]:.6g}" for n in names])
    return path


def importance_table(scores: dict[str, np.ndarray], importance: np.ndarray, top: int = 15) -> str:
    """The ``top`` most important heads with each function's score and the head's dominant function."""
    importance = np.asarray(importance, dtype=float)
    names = list(scores)
    heads = importance.shape[1]
    order = np.argsort(-importance.ravel(), kind="stable")[:top]
    short = [n.replace("same_word_other_segment", "other_seg").replace("_token", "") for n in names]
    lines = ["| head | importance | " + " | ".join(short) + " | dominant |", "|---" * (len(names) + 3) + "|"]
    for i in order:
        layer, head = divmod(int(i), heads)
        values = [scores[n][layer, head] for n in names]
        dominant = names[int(np.nanargmax(values))] if np.isfinite(values).any() else "-"
        cells = " | ".join(f"{v:.2f}" for v in values)
        lines.append(f"| {layer}.{head} | {importance[layer, head]:.4g} | {cells} | {dominant} |")
    return "\n".join(lines)


def run_functions(clf_model, tokenizer, inputs: Sequence[Input], out_dir: str | Path, importance: np.ndarray | None = None) -> str:
    """Score every head's functions on ``inputs``; write ``head_functions.png`` and ``head_functions.csv``
    to ``out_dir``; return the table to print (joined with ``importance`` [layers, heads] when given)."""
    out_dir = Path(out_dir)
    model = clf_model if isinstance(clf_model, torch.nn.Module) else getattr(clf_model, "model", clf_model)
    scores = head_function_scores(model, tokenizer, inputs)
    if importance is not None:
        importance = np.asarray(importance, dtype=float)
        expected = next(iter(scores.values())).shape
        if importance.shape != expected:
            raise ValueError(f"head importance has shape {importance.shape}; the model has {expected} (layers, heads)")
    png = plot_function_heatmaps(scores, out_dir / "head_functions.png")
    table_csv = write_function_csv(scores, out_dir / "head_functions.csv", importance)
    parts = [function_table(scores)]
    if importance is not None:
        parts.append(importance_table(scores, importance))
    parts.append(f"wrote {png} and {table_csv}")
    return "\n\n".join(parts)
