"""``assay heads MODEL --data FILE``: head importance map, pruning curve and random-masking agreement."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path
from typing import TextIO

from assay import _validate as valid
from assay.cli import OK
from assay.options import EngineOptions, add_engine_options


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", metavar="MODEL", help="model folder or Hugging Face hub id (BERT, RoBERTa, ELECTRA, DistilBERT)")
    parser.add_argument("--data", required=True, metavar="FILE", help=".txt / .csv / .tsv file of inputs")
    parser.add_argument("--text-column", default=None, metavar="C", help="column holding the text (default: detected)")
    parser.add_argument("--label-column", default=None, metavar="C", help="column of gold labels; adds accuracy figures")
    parser.add_argument("--n", type=valid.POSITIVE_INT, default=1000, metavar="N", help="seeded sample of N inputs (default 1000)")
    parser.add_argument("--out", type=valid.folder, default="assay-heads", metavar="DIR",
                        help="folder for heads.csv, pruning.csv, heads-importance.png and heads-pruning.png")
    add_engine_options(parser.add_argument)
    parser.add_argument("--step", type=valid.STEP, default=0.1, help="pruning curve step, a fraction of all heads in (0, 1] (default 0.1)")
    parser.add_argument("--random-fraction", type=valid.OPEN_FRACTION, default=0.2,
                        help="fraction of heads masked at random, in (0, 1) (default 0.2)")
    parser.add_argument("--draws", type=valid.POSITIVE_INT, default=5, help="random masking draws (default 5)")
    parser.add_argument("--seed", type=valid.SEED, default=0, help="seed for the data sample and the random masks (default 0)")
    parser.add_argument("--functions", action="store_true",
                        help="also score every head's function (previous / next token, [CLS], [SEP], same word, "
                             "same word in the other segment) and join it with the importance")


def format_grid(values, digits: int = 2) -> str:
    """A layers x heads table with a header row of head numbers."""
    n_heads = len(values[0]) if len(values) else 0
    width = max(5, digits + 3)
    lines = ["layer " + "".join(f"{'h' + str(h):>{width}}" for h in range(n_heads))]
    for layer, row in enumerate(values):
        lines.append(f"{layer:>5} " + "".join(f"{v:>{width}.{digits}f}" for v in row))
    return "\n".join(lines)


def format_curve(curve) -> str:
    lines = [f"{'masked':>8} {'heads':>6} {'agreement':>10} {'accuracy':>9}"]
    for step in curve.steps:
        acc = "-" if step.accuracy is None else f"{step.accuracy:.3f}"
        lines.append(f"{step.fraction:>8.0%} {step.n_masked:>6} {step.agreement:>10.3f} {acc:>9}")
    return "\n".join(lines)


def write_heads_csv(path: Path, importance) -> None:
    ranks = {head: rank for rank, head in enumerate(reversed(importance.ranking()), start=1)}
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["layer", "head", "importance", "raw_importance", "rank"])
        n_layers, n_heads = importance.importance.shape
        for layer in range(n_layers):
            for head in range(n_heads):
                writer.writerow([layer, head, f"{importance.importance[layer, head]:.6f}",
                                 f"{importance.raw[layer, head]:.6g}", ranks[(layer, head)]])


def write_curve_csv(path: Path, curve) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["fraction", "n_masked", "agreement", "accuracy"])
        for step in curve.steps:
            writer.writerow([f"{step.fraction:.4f}", step.n_masked, f"{step.agreement:.6f}",
                             "" if step.accuracy is None else f"{step.accuracy:.6f}"])


def run(args: argparse.Namespace, out: TextIO) -> int:
    from assay.datasets import dataset
    from assay.engine import load_model
    from assay.heads.ablation import random_masking
    from assay.heads.forward import DEFAULT_BATCH_SIZE, encode
    from assay.heads.importance import head_importance, pruning_curve
    from assay.heads.masking import head_layout
    from assay.heads.plot import importance_heatmap, pruning_plot

    data = dataset(args.data, text_column=args.text_column, label_column=args.label_column, n=args.n, seed=args.seed)
    inputs = list(data)
    labels = list(data.labels) if args.label_column and data.labels is not None else None
    classifier = load_model(args.model, **EngineOptions.from_namespace(args, "", "MODEL").load_kwargs())
    model, tokenizer = classifier.model, classifier.tokenizer
    n_layers, n_heads = head_layout(model)
    batch_size = args.batch_size or DEFAULT_BATCH_SIZE
    encoded = encode(tokenizer, inputs, model=classifier)
    target = "gold labels" if labels is not None else "the model's own predictions"
    print(f"assay heads: {args.model} ({n_layers} layers x {n_heads} heads) on {len(inputs)} inputs from {args.data}", file=out)

    # The texts, not their token ids: an output that is not a probability is reported with its input.
    importance = head_importance(classifier, tokenizer, inputs, labels, batch_size=batch_size)
    print(f"\nhead importance (Michel et al. 2019, loss against {target}, normalised per layer):", file=out)
    print(format_grid(importance.importance), file=out)

    curve = pruning_curve(model, tokenizer, encoded, labels, step=args.step, importance=importance, batch_size=batch_size)
    print("\npruning curve (least important heads masked first; agreement with the unmasked model):", file=out)
    print(format_curve(curve), file=out)

    randomly = random_masking(model, tokenizer, encoded, labels, fraction=args.random_fraction, draws=args.draws,
                              seed=args.seed, batch_size=batch_size)
    count = len(randomly.draws[0].masked) if randomly.draws else 0
    line = (f"\nrandom masking of {args.random_fraction:.0%} of heads ({count} heads, {args.draws} draws, seed {args.seed}): "
            f"mean agreement {randomly.mean_agreement:.3f}, min {randomly.min_agreement:.3f}")
    if randomly.unmasked_accuracy is not None:
        accuracies = [d.accuracy for d in randomly.draws if d.accuracy is not None]
        mean_acc = sum(accuracies) / len(accuracies)
        line += f"; accuracy {randomly.unmasked_accuracy:.3f} -> {mean_acc:.3f} (mean)"
    print(line, file=out)

    folder = Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    write_heads_csv(folder / "heads.csv", importance)
    write_curve_csv(folder / "pruning.csv", curve)
    name = Path(args.model).name
    png = importance_heatmap(importance, folder / "heads-importance.png", title=f"Head importance: {name}")
    curve_png = pruning_plot(curve, folder / "heads-pruning.png", title=f"Pruning curve: {name}")
    print(f"\nwrote {folder / 'heads.csv'}, {folder / 'pruning.csv'}, {png} and {curve_png}", file=out)
    if args.functions:
        from assay.explain.head_functions import run_functions

        print("\nhead functions (mean attention to each target; Clark et al. 2019):", file=out)
        print(run_functions(model, tokenizer, inputs, folder, importance.importance), file=out)
    return OK
