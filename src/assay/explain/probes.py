"""Layer probes: which layer's representation makes a property linearly readable?

A multinomial logistic regression (torch, L-BFGS, L2-regularised, standardised features) is trained on
each layer's ``[CLS]`` vector and on its mean-pooled vector (hidden states 0 = embeddings .. L), on a
seeded stratified split; held-out accuracy is reported next to the majority-class baseline.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from assay.errors import DataError
from assay.explain.tokens import collate, device_of, encode, encode_all
from assay.inputs import Input, render

POOLINGS = ("cls", "mean")
BUILTIN_PROPERTIES = ("negation", "sentiment", "length")
NEGATION_WORDS = (
    "not", "no", "never", "nothing", "nobody", "none", "neither", "nor", "nowhere", "cannot", "without",
)
_NEGATION = re.compile(r"\b(?:" + "|".join(NEGATION_WORDS) + r")\b|n't\b|n’t\b", re.IGNORECASE)


def has_negation(text: str) -> bool:
    return bool(_NEGATION.search(text))


def property_labels(
    name: str, inputs: Sequence[Input], labels: Sequence[str] | None = None, tokenizer=None
) -> tuple[np.ndarray, list[str]]:
    """Class indices and class names of a property: ``negation``, ``length`` (token-length tertiles),
    or ``sentiment`` / any other name meaning "the given label column"."""
    if name == "negation":
        y = np.array([int(has_negation(render(v))) for v in inputs])
        return y, ["no_negation", "negation"]
    if name == "length":
        if tokenizer is None:
            raise ValueError("the length property needs the tokenizer")
        lengths = np.array([len(encode(tokenizer, v).input_ids) for v in inputs])
        cuts = np.quantile(lengths, [1 / 3, 2 / 3])
        return np.searchsorted(cuts, lengths, side="left").astype(int), ["short", "medium", "long"]
    if labels is None or len(labels) != len(inputs):
        raise ValueError(f"property {name!r} reads the label column, but the data has no labels for every input")
    names = sorted({str(label) for label in labels})
    index = {label: i for i, label in enumerate(names)}
    return np.array([index[str(label)] for label in labels]), names


@torch.no_grad()
def pooled_hidden_states(
    model, tokenizer, inputs: Sequence[Input], pooling: Sequence[str] = POOLINGS, batch_size: int = 32
) -> dict[str, np.ndarray]:
    """``{pooling: [layers + 1, n, hidden]}`` from ``output_hidden_states=True`` (index 0 = embeddings)."""
    unknown = [p for p in pooling if p not in POOLINGS]
    if unknown:
        raise ValueError(f"unknown pooling {unknown}; choose from {', '.join(POOLINGS)}")
    model.eval()
    device = device_of(model)
    encs = encode_all(model, tokenizer, inputs)
    parts: dict[str, list[np.ndarray]] = {p: [] for p in pooling}
    for start in range(0, len(encs), batch_size):
        chunk = encs[start : start + batch_size]
        batch = collate([(e.input_ids, e.token_type_ids) for e in chunk], tokenizer, device)
        hidden = torch.stack(model(**batch, output_hidden_states=True).hidden_states).float()  # [L+1, B, T, d]
        if "cls" in parts:  # the first real token, whichever side the tokenizer pads
            first = batch["attention_mask"].argmax(dim=1)
            parts["cls"].append(hidden[:, torch.arange(hidden.shape[1]), first].cpu().numpy())
        if "mean" in parts:
            mask = batch["attention_mask"].to(hidden.dtype)[None, :, :, None]
            parts["mean"].append(((hidden * mask).sum(2) / mask.sum(2)).cpu().numpy())
    return {p: np.concatenate(v, axis=1) for p, v in parts.items()}


def stratified_split(y: np.ndarray, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded train / test indices with every class represented in proportion on both sides."""
    rng = np.random.default_rng(seed)
    train: list[int] = []
    test: list[int] = []
    for label in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == label))
        n_test = int(round(len(members) * test_fraction))
        if len(members) > 1:
            n_test = min(max(n_test, 1), len(members) - 1)
        test.extend(members[:n_test])
        train.extend(members[n_test:])
    return np.sort(np.array(train, dtype=np.int_)), np.sort(np.array(test, dtype=np.int_))


def fit_logistic(x: np.ndarray, y: np.ndarray, n_classes: int, *, l2: float = 1e-2, max_iter: int = 200):
    """Multinomial logistic regression on standardised features; returns ``predict(x) -> labels``."""
    mean, std = x.mean(0), x.std(0) + 1e-6
    features = torch.from_numpy((x - mean) / std).double()
    targets = torch.from_numpy(y).long()
    weight = torch.zeros(x.shape[1], n_classes, dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(n_classes, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([weight, bias], max_iter=max_iter, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(features @ weight + bias, targets) + l2 * (weight**2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    w, b = weight.detach(), bias.detach()

    def predict(new: np.ndarray) -> np.ndarray:
        scaled = torch.from_numpy((new - mean) / std).double()
        return (scaled @ w + b).argmax(1).numpy()

    return predict


def probe_features(
    features: dict[str, np.ndarray], y: Sequence[int] | np.ndarray, *, seed: int = 0, test_fraction: float = 0.3,
    l2: float = 1e-2,
) -> list[dict]:
    """Probe every layer of precomputed ``{pooling: [layers + 1, n, d]}`` features."""
    classes = np.asarray(y, dtype=int)
    n_classes = int(classes.max()) + 1 if len(classes) else 0
    train, test = stratified_split(classes, test_fraction, seed)
    if len(train) == 0 or len(test) == 0:
        raise DataError(f"{len(classes)} examples are too few for a train / test split at test_fraction={test_fraction}; "
                        "give more examples")
    majority_class = np.bincount(classes[train], minlength=n_classes).argmax()
    majority = float(np.mean(classes[test] == majority_class))
    results = []
    for pooling, per_layer in features.items():
        for layer, x in enumerate(per_layer):
            torch.manual_seed(seed)
            predict = fit_logistic(x[train], classes[train], n_classes, l2=l2)
            accuracy = float(np.mean(predict(x[test]) == classes[test]))
            results.append({
                "layer": layer, "pooling": pooling, "accuracy": accuracy, "majority": majority,
                "n_train": len(train), "n_test": len(test), "classes": n_classes,
            })
    return results


def layer_probes(
    model, tokenizer, texts: Sequence[Input], y: Sequence[int] | np.ndarray, *, pooling: Sequence[str] = POOLINGS,
    seed: int = 0, test_fraction: float = 0.3, l2: float = 1e-2,
) -> list[dict]:
    """Held-out probe accuracy for each layer (0 = embeddings) and pooling, with the majority baseline.

    Returns ``[{"layer", "pooling", "accuracy", "majority", "n_train", "n_test", "classes"}]``.
    """
    if len(texts) != len(y):
        raise ValueError(f"{len(texts)} texts but {len(y)} labels")
    features = pooled_hidden_states(model, tokenizer, texts, pooling)
    return probe_features(features, y, seed=seed, test_fraction=test_fraction, l2=l2)


def format_probes(results: list[dict]) -> str:
    """A Markdown table: one row per layer, one accuracy column per pooling, and the majority baseline."""
    poolings = list(dict.fromkeys(r["pooling"] for r in results))
    by = {(r["layer"], r["pooling"]): r["accuracy"] for r in results}
    layers = sorted({r["layer"] for r in results})
    lines = ["| layer | " + " | ".join(f"{p} accuracy" for p in poolings) + " | majority |",
             "|---" * (len(poolings) + 2) + "|"]
    majority = results[0]["majority"] if results else float("nan")
    for layer in layers:
        cells = " | ".join(f"{by[(layer, p)]:.3f}" for p in poolings)
        name = "emb" if layer == 0 else str(layer)
        lines.append(f"| {name} | {cells} | {majority:.3f} |")
    return "\n".join(lines)


def write_probe_csv(results: list[dict], path: str | Path, prop: str = "") -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["property", "layer", "pooling", "accuracy", "majority", "n_train", "n_test", "classes"])
        for r in results:
            writer.writerow([prop, r["layer"], r["pooling"], f"{r['accuracy']:.4f}", f"{r['majority']:.4f}",
                             r["n_train"], r["n_test"], r["classes"]])
    return path


def plot_probe_curves(results: dict[str, list[dict]], path: str | Path, title: str = "layer probes") -> Path:
    """Accuracy per layer for each property and pooling, majority baselines dashed; saved as PNG.

    Drawn through the Figure API, not pyplot, so the caller's matplotlib backend is left alone."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path = Path(path)
    fig = Figure(figsize=(6.0, 3.8))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    colours = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    styles = {"cls": "-o", "mean": "-s"}
    for i, (prop, rows) in enumerate(results.items()):
        colour = colours[i % len(colours)]
        for pooling in dict.fromkeys(r["pooling"] for r in rows):
            sel = sorted((r for r in rows if r["pooling"] == pooling), key=lambda r: r["layer"])
            ax.plot([r["layer"] for r in sel], [r["accuracy"] for r in sel], styles.get(pooling, "-"),
                    color=colour, label=f"{prop} ({pooling})", markersize=4, alpha=0.9 if pooling == "cls" else 0.6)
        if rows:
            ax.axhline(rows[0]["majority"], color=colour, linestyle="--", linewidth=1, label=f"{prop} majority")
    ax.set_xlabel("layer (0 = embeddings)")
    ax.set_ylabel("held-out accuracy")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path
