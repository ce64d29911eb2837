"""CheckList's released 38-test sentiment suite, imported, predicted by assay against a CheckList-style loop.

    PYTHONPATH=src python benchmarks/checklist_suite.py [--n 100] [--threads 1]

Reads ``../shared/checklist/sentiment_suite.tar.gz`` with ``assay.checklist.load_suite`` (nothing in
the pickle runs), takes each test's cases as CheckList ran them (its stored sample, in its order) and
times, in one run, on the shared fine-tuned model:
  (A) assay, cold: a fresh engine over an empty prediction cache predicts every input of every test
      the way a pytest run does (one de-duplicated pass, one global length sort, the engine's batches);
      writing the cache is counted against it;
  (B) what a CheckList user writes: test by test, each test's inputs in CheckList's order, unsorted
      batches of 32, ``tokenizer(...)`` + ``model(**batch).logits.softmax(-1)`` under ``torch.no_grad``;
  (L) the physical limit: a hand-written loop over the suite's distinct inputs, sorted by token length,
      in the engine's batch size (no cache, no checks: only tokenising and the forward passes);
  (W) the unchanged rerun: a new engine over the cache (A) wrote predicts the same inputs again;
and prints B/A (target >= 1.3 in wall and CPU time, or A within 5% of L) and A/W (target >= 50).
Judging every test's cases with assay's expectations is timed apart (it runs the same on every path).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT / "src"))

from assay.checklist import load_suite  # noqa: E402
from assay.engine import load_model  # noqa: E402
from assay.judge import evaluate  # noqa: E402

LABELS = ["negative", "neutral", "positive"]  # CheckList's sentiment order: 0, 1, 2


def checklist_loop(model, tokenizer, per_test: list[list[str]], batch_size: int = 32) -> list[np.ndarray]:
    """(B): the prediction function a CheckList user passes to ``suite.run``, called test by test."""
    out = []
    with torch.no_grad():
        for inputs in per_test:
            parts = []
            for start in range(0, len(inputs), batch_size):
                batch = tokenizer(inputs[start:start + batch_size], padding=True, truncation=True, return_tensors="pt")
                parts.append(torch.softmax(model(**batch).logits, dim=-1).numpy())
            out.append(np.concatenate(parts))
    return out


def sorted_loop(model, tokenizer, distinct: list[str], batch_size: int) -> dict[str, np.ndarray]:
    """(L): distinct inputs, tokenised once, sorted by length, padded per batch."""
    encoded = tokenizer(distinct, truncation=True)["input_ids"]
    order = np.argsort([len(ids) for ids in encoded], kind="stable")
    pad = tokenizer.pad_token_id
    out: dict[str, np.ndarray] = {}
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            width = max(len(encoded[i]) for i in rows)
            ids = torch.full((len(rows), width), pad, dtype=torch.long)
            mask = torch.zeros((len(rows), width), dtype=torch.long)
            for r, i in enumerate(rows):
                ids[r, :len(encoded[i])] = torch.tensor(encoded[i])
                mask[r, :len(encoded[i])] = 1
            probs = torch.softmax(model(input_ids=ids, attention_mask=mask).logits, dim=-1).numpy()
            for r, i in enumerate(rows):
                out[distinct[i]] = probs[r]
    return out


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn()
    return value, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default=str(SHARED / "checklist" / "sentiment_suite.tar.gz"))
    parser.add_argument("--model", default=str(SHARED / "models" / "minilm-airline-sentiment"))
    parser.add_argument("--tests", type=int, default=0, help="only the first N tests (a quick check; 0: all)")
    parser.add_argument("--n", type=int, default=None,
                        help="a seeded sample of N cases per test (default: the sample CheckList ran on)")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    tests = load_suite(args.suite).tests
    tests = tests[:args.tests] if args.tests else tests
    decls = [t.declaration(label_names=LABELS, n=args.n) for t in tests]
    per_test = [[x for i in t.sample(args.n) for x in t.cases[i]] for t in tests]  # CheckList's order
    everything = [x for d in decls for x in d.inputs()]
    distinct = list(dict.fromkeys(everything))
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, torch threads {torch.get_num_threads()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    sample = "the sample CheckList ran on" if args.n is None else f"a seeded sample of {args.n} cases per test"
    print(f"suite {Path(args.suite).name}: {len(tests)} tests, {sample}: {len(everything)} inputs, "
          f"{len(distinct)} distinct")

    with tempfile.TemporaryDirectory() as cache:
        engine = load_model(args.model, cache_dir=cache, backend="torch")  # loading is not timed on any path
        model, tokenizer = engine.model, engine.tokenizer
        model.eval()
        engine.predict_proba(["warm-up"])  # first-call allocations, on no path's clock
        probs_a, wall_a, cpu_a = timed(lambda: engine.predict_proba(everything))
        print(f"  (A) {wall_a:.1f} s wall, {cpu_a:.1f} s CPU", flush=True)
        probs_b, wall_b, cpu_b = timed(lambda: checklist_loop(model, tokenizer, per_test))
        print(f"  (B) {wall_b:.1f} s wall, {cpu_b:.1f} s CPU", flush=True)
        probs_l, wall_l, cpu_l = timed(lambda: sorted_loop(model, tokenizer, distinct, engine.batch_size))
        print(f"  (L) {wall_l:.1f} s wall, {cpu_l:.1f} s CPU", flush=True)
        rerun = load_model(args.model, cache_dir=cache, backend="torch")
        probs_w, wall_w, cpu_w = timed(lambda: rerun.predict_proba(everything))
        print(f"  (W) {wall_w:.2f} s wall, {cpu_w:.2f} s CPU", flush=True)

    row = {x: p for x, p in zip(everything, probs_a)}
    flat_b = {x: p for inputs, probs in zip(per_test, probs_b) for x, p in zip(inputs, probs)}
    diff = max(max(float(np.abs(row[x] - flat_b[x]).max()), float(np.abs(row[x] - probs_l[x]).max())) for x in distinct)
    assert np.array_equal(probs_w, probs_a), "the rerun must give the cold run's probabilities"
    _, wall_j, cpu_j = timed(lambda: [evaluate(d, "m", LABELS, row.__getitem__) for d in decls])

    n = len(everything)
    print(f"(A) assay, cold (empty cache)            {n / wall_a:8.1f} inputs/s  {wall_a:7.1f} s wall {cpu_a:7.1f} s CPU")
    print(f"(B) CheckList-style loop, batch 32       {n / wall_b:8.1f} inputs/s  {wall_b:7.1f} s wall {cpu_b:7.1f} s CPU")
    print(f"(L) hand-written sorted distinct loop    {n / wall_l:8.1f} inputs/s  {wall_l:7.1f} s wall {cpu_l:7.1f} s CPU")
    print(f"(W) assay, unchanged rerun (warm cache)  {n / wall_w:8.1f} inputs/s  {wall_w:7.2f} s wall {cpu_w:7.2f} s CPU")
    print(f"judging all {len(decls)} tests' cases: {wall_j:.2f} s wall, {cpu_j:.2f} s CPU (the same on every path)")
    print(f"largest probability difference between the paths: {diff:.1e}")
    print(f"B/A: {wall_b / wall_a:.2f}x wall, {cpu_b / cpu_a:.2f}x CPU   (target >= 1.3x)")
    print(f"A vs L: A takes {wall_a / wall_l:.3f}x L's wall, {cpu_a / cpu_l:.3f}x L's CPU   (target <= 1.05x)")
    print(f"A/W: {wall_a / wall_w:.0f}x wall, {cpu_a / cpu_w:.0f}x CPU   (target >= 50x)")


if __name__ == "__main__":
    main()
