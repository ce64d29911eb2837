"""``assay probe MODEL --data FILE --property NAME``: in which layer is a property linearly readable?

Prints one row per layer (0 = embeddings) with the held-out accuracy of a linear probe on the
``[CLS]`` and mean-pooled hidden states next to the majority-class baseline, and writes
``probe_<property>.csv`` and ``probe_<property>.png`` to ``--out``.
Exit status: 0 on success, 2 when an argument, the model, the data or the property cannot be used.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from assay import _validate as valid
from assay.cli import OK
from assay.errors import DataError
from assay.options import EngineOptions, add_engine_options


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from assay.explain.probes import BUILTIN_PROPERTIES

    parser.add_argument("model", metavar="MODEL", help="folder (or hub id) of a sequence classifier")
    parser.add_argument("--data", required=True, metavar="FILE", help=".txt / .csv / .tsv file of inputs")
    parser.add_argument(
        "--property", required=True, metavar="NAME",
        help=f"what to probe: {', '.join(BUILTIN_PROPERTIES)} (sentiment = the label column), or any column of FILE",
    )
    parser.add_argument("--text-column", default=None, help="column holding the text (default: the data's text column)")
    parser.add_argument("--label-column", default="label", help="label column for --property sentiment (default: label)")
    parser.add_argument("--n", type=valid.POSITIVE_INT, default=1000, help="seeded sample of this many rows (default 1000)")
    parser.add_argument("--seed", type=valid.SEED, default=0, help="seed of the sample, the split and the probes (default 0)")
    parser.add_argument("--test-fraction", type=valid.OPEN_FRACTION, default=0.3, help="held-out share, in (0, 1) (default 0.3)")
    parser.add_argument("--out", type=valid.folder, default="assay-probes", metavar="DIR",
                        help="folder for the CSV and PNG (default assay-probes)")
    add_engine_options(parser.add_argument)


def run(args: argparse.Namespace, out: TextIO) -> int:
    from assay.datasets import dataset
    from assay.engine import load_model
    from assay.explain.probes import format_probes, layer_probes, plot_probe_curves, property_labels, write_probe_csv

    prop = args.property
    if prop in ("negation", "length"):
        label_column = None
    elif prop == "sentiment":
        label_column = args.label_column
    else:
        label_column = prop
    data = dataset(args.data, text_column=args.text_column, label_column=label_column, n=args.n, seed=args.seed)
    inputs = list(data)
    found = data.labels if label_column else None
    if label_column and (found is None or any(label is None for label in found)):
        raise DataError(f"{args.data}: property {prop!r} needs a label in column {label_column!r} on every row")
    labels = [label for label in found if label is not None] if found is not None else None  # every one, checked above
    classifier = load_model(args.model, **EngineOptions.from_namespace(args, "", "MODEL").load_kwargs())
    y, classes = property_labels(prop, inputs, labels, classifier.tokenizer)
    results = layer_probes(classifier.model, classifier.tokenizer, inputs, y, seed=args.seed, test_fraction=args.test_fraction)
    counts = ", ".join(f"{name}={int((y == i).sum())}" for i, name in enumerate(classes))
    print(f"probe {prop} on {args.model}: {len(inputs)} inputs ({counts}), held-out {results[0]['n_test']}", file=out)
    print(format_probes(results), file=out)
    out_dir = Path(args.out)
    csv_path = write_probe_csv(results, out_dir / f"probe_{prop}.csv", prop)
    png_path = plot_probe_curves({prop: results}, out_dir / f"probe_{prop}.png", title=f"{prop} probes: {args.model}")
    print(f"wrote {csv_path} and {png_path}", file=out)
    return OK

