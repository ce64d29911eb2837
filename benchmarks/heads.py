"""Benchmark: the single-head sweep and gradient importance against plain forward passes.

    python benchmarks/heads.py [--model DIR] [--data FILE] [--n 1000] [--repeats 3]

(a) one plain forward pass over the texts, timed ``--repeats`` times (median), times 73;
(b) the single-head sweep: the unmasked model plus every head switched off, as per-row masks
    (73 masks for 6 x 12 heads, so 73x the rows of one pass);
(c) gradient head importance (one forward and one backward pass per batch) against one plain pass.
Ratios: b / a (target <= 1.2) and c (target <= 3).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
SHARED = ROOT.parent / "shared"

from assay.datasets import dataset  # noqa: E402
from assay.engine import load_model  # noqa: E402
from assay.heads.ablation import single_head_ablation  # noqa: E402
from assay.heads.forward import DEFAULT_BATCH_SIZE, encode, predict  # noqa: E402
from assay.heads.importance import head_importance  # noqa: E402
from assay.heads.masking import head_layout  # noqa: E402


def _timed(function):
    """(wall seconds, CPU seconds of this process, value). CPU time is steadier on a shared machine."""
    wall, cpu = time.perf_counter(), time.process_time()
    value = function()
    return time.perf_counter() - wall, time.process_time() - cpu, value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(SHARED / "models" / "minilm-airline-sentiment"))
    parser.add_argument("--data", default=str(SHARED / "data" / "airline" / "tweets.tsv"))
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="rows per pass for plain passes and the sweep")
    parser.add_argument("--grad-batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    parser.add_argument("--skip-sweep", action="store_true", help="measure (a) and (c) only")
    args = parser.parse_args()

    classifier = load_model(args.model, device="cpu", dtype="float32", cache_dir=False)
    model, tokenizer = classifier.model, classifier.tokenizer
    texts = list(dataset(args.data, text_column="text", n=args.n, seed=0))
    n_layers, n_heads = head_layout(model)
    passes = 1 + n_layers * n_heads

    print(f"python {platform.python_version()}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    print(f"model {args.model} ({n_layers}x{n_heads} heads, {next(model.parameters()).dtype}, "
          f"attention {model.config._attn_implementation}), {len(texts)} texts, batch size {args.batch_size}")

    encode_s, _, encoded = _timed(lambda: encode(tokenizer, texts))
    print(f"tokenise once: {encode_s:.2f} s (mean {encoded.lengths.mean():.1f} tokens, max {encoded.lengths.max()})")
    predict(model, tokenizer, texts[:32], batch_size=args.batch_size)  # warm-up

    def plain():
        return _timed(lambda: predict(model, tokenizer, encoded, batch_size=args.batch_size))[:2]

    before = [plain() for _ in range(args.repeats)]
    if not args.skip_sweep:
        sweep_wall, sweep_cpu, sweep = _timed(lambda: single_head_ablation(model, tokenizer, encoded, batch_size=args.batch_size))
    after = [plain() for _ in range(args.repeats)]
    grad_wall, grad_cpu, _ = _timed(lambda: head_importance(model, tokenizer, encoded, batch_size=args.grad_batch_size))
    last = [plain() for _ in range(args.repeats)]

    passes_all = before + after + last
    wall = statistics.median(t[0] for t in passes_all)
    cpu = statistics.median(t[1] for t in passes_all)
    around_sweep = statistics.median(t[1] for t in before + after)
    around_grad = statistics.median(t[1] for t in after + last)
    print(f"(a) one plain pass: wall {[round(t[0], 1) for t in passes_all]} s, CPU {[round(t[1], 1) for t in passes_all]} s; "
          f"median wall {wall:.1f} s, CPU {cpu:.1f} s; x{passes}: wall {wall * passes:.0f} s, CPU {cpu * passes:.0f} s")
    if not args.skip_sweep:
        print(f"(b) single-head sweep ({passes} masks, {passes * len(texts)} rows): wall {sweep_wall:.0f} s, CPU {sweep_cpu:.0f} s; "
              f"b / a = {sweep_cpu / (around_sweep * passes):.2f} by CPU time, {sweep_wall / (wall * passes):.2f} by wall time (target <= 1.2)")
        print(f"sweep: lowest single-head agreement {sweep.agreement.min():.3f}")
    print(f"(c) gradient importance: wall {grad_wall:.1f} s, CPU {grad_cpu:.1f} s; "
          f"c = {grad_cpu / around_grad:.2f}x a plain pass by CPU time, {grad_wall / wall:.2f}x by wall time (target <= 3)")
    print(f"load average {os.getloadavg()[0]:.1f} at end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
