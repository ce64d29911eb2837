"""assay's engine on a CUDA GPU in bfloat16, float16 and float32, against a raw loop; head checks on the GPU.

    benchmarks/gpu.sh [--n 5000] [--heads-n 1000] [--dtypes bfloat16,float16,float32]

For each dtype, on the first ``--n`` texts of the shared tweets and the shared model:
  (a) assay's engine (``device="cuda"``, default batch size, cache off, a new engine object per round),
  (b) a raw length-sorted loop (benchmarks/engine.py's) at its best batch size of ``--batch-sizes``,
  (c) one plain pass of the head-check forward over ``--heads-n`` texts, the single-head sweep
      (1 + layers x heads masks) and gradient head importance,
and prints sentences per second, a/b, the sweep against (1 + layers x heads) plain passes, importance
against one plain pass, and each dtype's largest probability difference from float32. Times are wall
clock after ``torch.cuda.synchronize()``; the best of ``--rounds`` counts. A step that fails (a dtype
the GPU lacks) is reported and the others go on. ``--device cpu`` runs the same steps on the CPU, to
check the script on a machine without a GPU.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT / "src"))

from assay.engine import load_model  # noqa: E402
from assay.heads.ablation import single_head_ablation  # noqa: E402
from assay.heads.forward import DEFAULT_BATCH_SIZE, encode, predict  # noqa: E402
from assay.heads.importance import head_importance  # noqa: E402
from assay.heads.masking import head_layout  # noqa: E402
from engine import raw_sorted_loop, read_texts  # noqa: E402  (benchmarks/engine.py)


def clocked(function, device: torch.device):
    """(wall seconds, value), with the GPU's queued work finished on both sides."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    started = time.perf_counter()
    value = function()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - started, value


def best_of(rounds: int, prepare, run, device: torch.device):
    """The fastest of ``rounds`` runs of ``run(prepare())`` (``prepare`` is not timed) and its value."""
    results = [clocked(lambda state=prepare(): run(state), device) for _ in range(rounds)]
    return min(results, key=lambda r: r[0])


def engine_rows(args, dtype: str, texts: list[str], reference: np.ndarray | None) -> tuple[dict, np.ndarray]:
    def fresh():
        new = load_model(args.model, device=args.device, dtype=dtype, cache_dir=False, backend="torch")
        new.predict_proba(["warm-up"])
        return new

    engine = fresh()
    device, model = engine.device, engine.model
    encoded = engine.tokenizer(texts, truncation=True, max_length=engine.max_length)
    raw = {}
    for size in args.batch_sizes:
        raw_sorted_loop(model, encoded, size, device)  # warm-up at this shape
        raw[size] = best_of(args.rounds, lambda: None, lambda _: raw_sorted_loop(model, encoded, size, device), device)[0]
    best_size = min(raw, key=raw.get)
    seconds, probs = best_of(args.rounds, fresh, lambda new: new.predict_proba(texts), device)
    row = {"engine": len(texts) / seconds, "raw": len(texts) / raw[best_size], "raw_batch": best_size,
           "engine_batch": engine.batch_size,
           "difference": float(np.abs(probs - reference).max()) if reference is not None else 0.0}
    row["ratio"] = row["engine"] / row["raw"]
    print(f"  {dtype}: (a) engine {row['engine']:9.1f} sentences/s (batch {engine.batch_size}), (b) raw loop "
          f"{row['raw']:9.1f} at its best batch {best_size} (of {', '.join(f'{s}: {len(texts) / t:.0f}' for s, t in raw.items())}); "
          f"a/b {row['ratio']:.2f}; max |p - p(float32)| {row['difference']:.1e}", flush=True)
    return row, probs


def head_rows(args, dtype: str, texts: list[str]) -> dict:
    classifier = load_model(args.model, device=args.device, dtype=dtype, cache_dir=False, backend="torch")
    model, tokenizer, device = classifier.model, classifier.tokenizer, classifier.device
    layers, heads = head_layout(model)
    passes = 1 + layers * heads
    encoded = encode(tokenizer, texts)
    predict(model, tokenizer, texts[:32], batch_size=args.heads_batch_size)  # warm-up
    plain, _ = best_of(args.rounds, lambda: None, lambda _: predict(model, tokenizer, encoded, batch_size=args.heads_batch_size), device)
    sweep, _ = clocked(lambda: single_head_ablation(model, tokenizer, encoded, batch_size=args.heads_batch_size), device)
    importance, _ = clocked(lambda: head_importance(model, tokenizer, encoded, batch_size=args.heads_batch_size), device)
    row = {"plain": plain, "sweep": sweep, "sweep_ratio": sweep / (plain * passes), "importance": importance,
           "importance_ratio": importance / plain}
    print(f"  {dtype}: (c) one plain pass over {len(texts)} texts {plain:.2f} s; single-head sweep ({passes} masks) "
          f"{sweep:.1f} s = {row['sweep_ratio']:.2f}x {passes} plain passes; gradient importance {importance:.2f} s = "
          f"{row['importance_ratio']:.2f}x one plain pass", flush=True)
    return row


def attempt(what: str, function):
    try:
        return function()
    except Exception as error:  # report and go on: one unsupported dtype must not hide the others
        print(f"  {what}: failed ({type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''})", flush=True)
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(SHARED / "models" / "minilm-airline-sentiment"))
    parser.add_argument("--data", default=str(SHARED / "data" / "airline" / "tweets.tsv"))
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--heads-n", type=int, default=1000)
    parser.add_argument("--dtypes", default="bfloat16,float16,float32")
    parser.add_argument("--batch-sizes", default="64,128,256,512,1024", help="tried for the raw loop")
    parser.add_argument("--heads-batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    args.batch_sizes = [int(s) for s in args.batch_sizes.split(",")]
    dtypes = args.dtypes.split(",")
    if "float32" in dtypes:  # the reference for the differences comes first
        dtypes = ["float32"] + [d for d in dtypes if d != "float32"]

    device = torch.device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "CPU"
    print(f"device {device} ({name}); torch {torch.__version__}, CUDA {torch.version.cuda}, python {platform.python_version()}")
    texts = read_texts(Path(args.data), args.n)
    print(f"inputs: first {len(texts)} texts of {args.data} (head checks: first {args.heads_n}); model {args.model}")

    engines: dict[str, dict] = {}
    heads: dict[str, dict] = {}
    reference = None
    print("engine against the raw length-sorted loop:")
    for dtype in dtypes:
        result = attempt(dtype, lambda: engine_rows(args, dtype, texts, reference))
        if result is not None:
            engines[dtype], probs = result
            if dtype == "float32":
                reference = probs
    print("head checks:")
    for dtype in dtypes:
        row = attempt(dtype, lambda: head_rows(args, dtype, texts[: args.heads_n]))
        if row is not None:
            heads[dtype] = row

    print("\nsummary (ratios):")
    print(f"{'dtype':>9} | {'engine/s':>9} | {'raw/s':>9} | {'a/b':>5} | {'vs float32':>10} | {'sweep/passes':>15} | {'importance/pass':>15}")
    for dtype in dtypes:
        e, h = engines.get(dtype), heads.get(dtype)
        speed = f"{e['engine'] / engines['float32']['engine']:.2f}x" if e and "float32" in engines else "-"
        print(f"{dtype:>9} | {e['engine'] if e else float('nan'):9.0f} | {e['raw'] if e else float('nan'):9.0f} | "
              f"{e['ratio'] if e else float('nan'):5.2f} | {speed:>10} | "
              f"{h['sweep_ratio'] if h else float('nan'):15.2f} | {h['importance_ratio'] if h else float('nan'):15.2f}")
    return 0 if engines else 1


if __name__ == "__main__":
    raise SystemExit(main())
