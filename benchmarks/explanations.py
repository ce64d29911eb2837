"""Explanations of the shared airline-sentiment model's failing cases: faithfulness, stability,
head functions and layer probes. Produces the tables and figures of docs/explanations.md.

    PYTHONPATH=src .venv/bin/python benchmarks/explanations.py          # ~5-10 minutes on 2 CPU cores

Writes docs/explanations/{results.md, results.json, head_functions.png, head_functions.csv, probes.png}.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from assay.datasets import dataset
from assay.explain import explain_cases, format_top_tokens
from assay.explain.faithfulness import faithfulness_report, format_faithfulness
from assay.explain.head_functions import function_table, head_function_scores, plot_function_heatmaps, write_function_csv
from assay.explain.probes import format_probes, layer_probes, plot_probe_curves, property_labels
from assay.explain.stability import format_stability, stability_report
from assay.explain.tokens import encode, predict_encoded

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(SHARED / "models" / "minilm-airline-sentiment"))
    parser.add_argument("--data", default=str(SHARED / "data" / "airline" / "tweets.tsv"))
    parser.add_argument("--n", type=int, default=400, help="tweets to predict; the misclassified ones are the failing cases")
    parser.add_argument("--faithfulness-cases", type=int, default=40)
    parser.add_argument("--stability-cases", type=int, default=10)
    parser.add_argument("--head-cases", type=int, default=150)
    parser.add_argument("--probe-n", type=int, default=800)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (1 is fastest on a busy 2-core machine)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "explanations"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()

    def log(message: str) -> None:
        print(f"[{time.time() - started:6.1f}s] {message}", flush=True)

    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model = AutoModelForSequenceClassification.from_pretrained(args.model, dtype=torch.float32).eval()
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    data = dataset(args.data, text_column="text", label_column="label", n=args.n, seed=0)
    texts, gold = list(data), [labels.index(label) for label in data.labels]
    probs = predict_encoded(model, tokenizer, [encode(tokenizer, t) for t in texts])
    predicted = probs.argmax(1)
    failing = [i for i in range(len(texts)) if predicted[i] != gold[i]]
    log(f"{len(texts)} tweets, accuracy {np.mean(predicted == np.array(gold)):.3f}, {len(failing)} failing cases")
    results: dict = {"n": len(texts), "failing": len(failing), "accuracy": float(np.mean(predicted == np.array(gold)))}
    md = [f"{len(texts)} tweets (seed 0), accuracy {results['accuracy']:.3f}, {len(failing)} misclassified.\n"]

    examples = failing[:3]
    explained = explain_cases(model, tokenizer, [texts[i] for i in examples], [int(predicted[i]) for i in examples])
    md.append("## Example failing cases\n")
    for i, expl in zip(examples, explained):
        md.append(f"`{texts[i]}` — gold {labels[gold[i]]}, predicted {labels[predicted[i]]} "
                  f"(p={probs[i, predicted[i]]:.2f})\n\n```\n{format_top_tokens(expl, k=5)}\n```\n")
    log("examples explained")

    faith_inputs = failing[: args.faithfulness_cases]
    faith = faithfulness_report(model, tokenizer, [texts[i] for i in faith_inputs], [int(predicted[i]) for i in faith_inputs])
    results["faithfulness"] = faith
    md.append(f"## Faithfulness ({len(faith_inputs)} failing cases, target = predicted class, words replaced by [MASK], "
              f"random baseline = mean of {faith['random_draws']} seeded draws)\n\n{format_faithfulness(faith)}\n")
    log("faithfulness done")

    stab_inputs = failing[: args.stability_cases]
    stab = stability_report(model, tokenizer, [texts[i] for i in stab_inputs], [int(predicted[i]) for i in stab_inputs])
    results["stability"] = stab
    md.append(f"## Stability ({len(stab_inputs)} failing cases, k = {stab['k']})\n\n{format_stability(stab)}\n")
    log("stability done")

    head_inputs = texts[: args.head_cases]
    scores = head_function_scores(model, tokenizer, head_inputs)
    plot_function_heatmaps(scores, out / "head_functions.png")
    write_function_csv(scores, out / "head_functions.csv")
    results["head_functions"] = {name: grid.round(4).tolist() for name, grid in scores.items()}
    md.append(f"## Head functions ({len(head_inputs)} tweets)\n\n{function_table(scores)}\n")
    log("head functions done")

    probe_data = dataset(args.data, text_column="text", label_column="label", n=args.probe_n, seed=1)
    probe_texts = list(probe_data)
    curves = {}
    for prop in ("negation", "sentiment"):
        y, classes = property_labels(prop, probe_texts, probe_data.labels, tokenizer)
        curves[prop] = layer_probes(model, tokenizer, probe_texts, y, seed=0)
        counts = ", ".join(f"{c}={int((y == i).sum())}" for i, c in enumerate(classes))
        md.append(f"## Probe: {prop} ({len(probe_texts)} tweets: {counts}; 30% held out)\n\n{format_probes(curves[prop])}\n")
        log(f"probe {prop} done")
    plot_probe_curves(curves, out / "probes.png", title="linear probes: minilm-airline-sentiment")
    results["probes"] = curves

    (out / "results.md").write_text("\n".join(md))
    (out / "results.json").write_text(json.dumps(results, indent=1, default=float))
    log(f"wrote {out}/results.md, results.json, head_functions.png, probes.png")


if __name__ == "__main__":
    main()
