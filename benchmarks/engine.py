"""Throughput of assay's model engine against plain transformers, in one run.

    PYTHONPATH=src python benchmarks/engine.py --n 2000

Prints sentences per second for
  (a) assay's engine, prediction cache off (tokenisation included),
  (b) a hand-optimised transformers loop: pre-tokenised (not timed), sorted by length, dynamic
      padding, inference mode, best of several batch sizes,
  (c) transformers.pipeline("text-classification", batch_size=32),
  (d) an unsorted batch-32 loop (reference),
  (e) the prediction cache: a second run of the same inputs (fresh model object) against the first,
  (f) assay's engine on the ONNX Runtime backend (``backend="onnx"``; the graph is exported into a
      temporary folder first, and that export is timed on its own),
  (g) the float32 limit: the multiply-adds of the model's linear layers and attention on these batches
      at this machine's own matrix-multiply rate (torch.matmul of the model's shapes, one thread): no
      float32 runtime can predict faster than that,
and the ratios a/b (target >= 0.9), a/c (target >= 1.2), the cache speed-up (target >= 20x) and f/a,
from wall-clock time and from process CPU time (the steadier figure on a machine shared with other
work). ``--thread-sweep 1,2`` also times both backends at each thread count (wall time: run it on an
idle machine).
"""

from __future__ import annotations

import argparse
import csv
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

from assay.engine import load_model  # noqa: E402
from assay.engine.batching import length_order  # noqa: E402


def read_texts(path: Path, n: int) -> list[str]:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [row["text"] for _, row in zip(range(n), rows)]


CPU_SECONDS: list[float] = []  # CPU time of the last timed() call, alongside its wall time


def timed(fn):
    """Run fn; return (value, wall seconds). Its process CPU seconds go to CPU_SECONDS."""
    started, cpu_started = time.perf_counter(), time.process_time()
    value = fn()
    CPU_SECONDS[:] = [time.process_time() - cpu_started]
    return value, time.perf_counter() - started


def raw_sorted_loop(model, encoded: dict, batch_size: int, device) -> np.ndarray:
    ids, types = encoded["input_ids"], encoded.get("token_type_ids")
    order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
    out = np.empty((len(ids), model.config.num_labels), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            width = len(ids[rows[0]])
            input_ids = torch.zeros((len(rows), width), dtype=torch.long)
            mask = torch.zeros((len(rows), width), dtype=torch.long)
            token_types = torch.zeros((len(rows), width), dtype=torch.long)
            for r, i in enumerate(rows):
                n = len(ids[i])
                input_ids[r, :n] = torch.tensor(ids[i])
                mask[r, :n] = 1
                if types is not None:
                    token_types[r, :n] = torch.tensor(types[i])
            logits = model(input_ids=input_ids.to(device), attention_mask=mask.to(device),
                           token_type_ids=token_types.to(device)).logits
            out[rows] = torch.softmax(logits.float(), -1).cpu().numpy()
    return out


def unsorted_loop(model, tokenizer, texts: list[str], batch_size: int, device) -> np.ndarray:
    parts = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            batch = tokenizer(texts[start : start + batch_size], padding=True, truncation=True, return_tensors="pt").to(device)
            parts.append(torch.softmax(model(**batch).logits.float(), -1).cpu().numpy())
    return np.concatenate(parts)


def linear_and_attention_flops(model, encoded, batch_size: int) -> float:
    """Floating-point operations of the encoder's linear layers and attention products on ``encoded``
    run longest first in batches of ``batch_size``, each padded to its longest member."""
    config = model.config
    layers = int(getattr(config, "num_hidden_layers", getattr(config, "n_layers", 0)))
    hidden = int(getattr(config, "hidden_size", getattr(config, "dim", 0)))
    encoder = getattr(model.base_model, "encoder", None) or getattr(model.base_model, "transformer", None)
    per_token = 2 * sum(m.in_features * m.out_features for m in encoder.modules() if isinstance(m, torch.nn.Linear))
    lengths = encoded.lengths[length_order(encoded)]
    flops = 0.0
    for start in range(0, len(lengths), batch_size):
        rows, width = len(lengths[start : start + batch_size]), int(lengths[start])
        flops += per_token * rows * width + layers * 4 * rows * width * width * hidden
    return flops


def matmul_rate(hidden: int, intermediate: int, seconds: float = 2.0) -> float:
    """This process's float32 matrix-multiply rate (FLOP per CPU-second) on the model's own shapes."""
    a, b = torch.randn(1024, hidden), torch.randn(hidden, intermediate)
    torch.matmul(a, b)
    runs, started = 0, time.process_time()
    while time.process_time() - started < seconds:
        torch.matmul(a, b)
        runs += 1
    return runs * 2 * 1024 * hidden * intermediate / (time.process_time() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--model", default=str(SHARED / "models" / "minilm-airline-sentiment"))
    parser.add_argument("--data", default=str(SHARED / "data" / "airline" / "tweets.tsv"))
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch-sizes", default="16,32,64,128", help="tried for (a) and (b)")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds; the best counts")
    parser.add_argument("--sweep", type=int, default=500, help="texts used to pick the best batch size")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--thread-sweep", default="", help="thread counts to time both backends at, e.g. 1,2")
    args = parser.parse_args()
    graphs = tempfile.TemporaryDirectory()  # exported ONNX graphs: assay keeps them in its cache folder
    os.environ["ASSAY_CACHE_DIR"] = graphs.name
    batch_sizes = [int(b) for b in args.batch_sizes.split(",")]

    import transformers
    from transformers import pipeline

    texts = read_texts(Path(args.data), args.n)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, torch threads {torch.get_num_threads()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"torch {torch.__version__}, transformers {transformers.__version__}, python {platform.python_version()}")
    print(f"inputs: first {len(texts)} texts of {args.data}; model {args.model}")

    engine = load_model(args.model, device=args.device, cache_dir=False, backend="torch")  # cache off
    device, model, tokenizer = engine.device, engine.model, engine.tokenizer
    print(f"device {device}, dtype {engine.dtype}, default batch size {engine.batch_size}")
    engine.predict_proba(texts[:64])  # warm-up (first-call allocations)
    encoded, tok_seconds = timed(lambda: tokenizer(texts, truncation=True, max_length=engine.max_length))
    print(f"tokenising {len(texts)} texts once: {tok_seconds:.3f} s (counted in (a), not in (b))")

    # Batch-size sweep for (a) and (b) on the first quarter of the inputs.
    sweep = texts[: args.sweep]
    sweep_encoded = tokenizer(sweep, truncation=True, max_length=engine.max_length)
    engine_rates, raw_rates = {}, {}
    for size in batch_sizes:
        fresh = load_model(args.model, device=args.device, cache_dir=False, batch_size=size, backend="torch")
        _, seconds = timed(lambda: fresh.predict_proba(sweep))
        engine_rates[size], engine_cpu = len(sweep) / seconds, len(sweep) / CPU_SECONDS[0]
        _, seconds = timed(lambda: raw_sorted_loop(model, sweep_encoded, size, device))
        raw_rates[size], raw_cpu = len(sweep) / seconds, len(sweep) / CPU_SECONDS[0]
        print(f"sweep on {len(sweep)} texts, batch {size:4d}: (a) engine {engine_rates[size]:8.1f} "
              f"({engine_cpu:.1f}/cpu-s), (b) raw sorted loop {raw_rates[size]:8.1f} ({raw_cpu:.1f}/cpu-s) sentences/s")
    best_a = max(engine_rates, key=engine_rates.get)
    best_b = max(raw_rates, key=raw_rates.get)
    print(f"best batch size: engine {best_a}, raw loop {best_b}")

    # Main measurement: the methods interleaved over several rounds (the best round counts), so that
    # a change in the machine's load hits every method alike.
    classify = pipeline("text-classification", model=model, tokenizer=tokenizer, device=device, top_k=None, batch_size=32)
    classify(texts[:64])
    def fresh(backend: str):
        """A new engine, cache off: an engine remembers what it predicted, and every round must predict."""
        new = load_model(args.model, device=args.device, cache_dir=False, backend=backend)
        new.predict_proba(["warm-up"])
        return new

    onnx_engine, export_seconds = timed(lambda: fresh("onnx"))
    print(f"(f) ONNX Runtime backend: {onnx_engine.backend_name}, first load with export and check {export_seconds:.1f} s; "
          f"notes: {onnx_engine.notes or 'none'}")
    prepare = {"a": lambda: fresh("torch"), "f": lambda: fresh("onnx")}  # outside the timed part
    methods = {
        "a": lambda new: new.predict_proba(texts),
        "b": lambda _: raw_sorted_loop(model, encoded, best_b, device),
        "c": lambda _: classify(texts, truncation=True),
        "d": lambda _: unsorted_loop(model, tokenizer, texts, 32, device),
        "f": lambda new: new.predict_proba(texts),
    }
    names = {
        "a": f"(a) assay engine, default batch {engine.batch_size}, cache off",
        "b": f"(b) hand-optimised raw loop, batch {best_b}",
        "c": "(c) transformers pipeline, batch 32",
        "d": "(d) unsorted loop, batch 32 (reference)",
        "f": f"(f) assay engine on ONNX Runtime ({onnx_engine.backend_name}), batch {onnx_engine.batch_size}",
    }
    rates: dict[str, list[float]] = {key: [] for key in methods}
    cpu_rates: dict[str, list[float]] = {key: [] for key in methods}
    outputs = {}
    for round_number in range(args.rounds):
        for key, run in methods.items():
            state = prepare[key]() if key in prepare else None
            outputs[key], seconds = timed(lambda: run(state))
            rates[key].append(len(texts) / seconds)
            cpu_rates[key].append(len(texts) / CPU_SECONDS[0])
        print(f"round {round_number + 1}: " + ", ".join(
            f"{k} {rates[k][-1]:.1f} ({cpu_rates[k][-1]:.1f}/cpu-s)" for k in methods) + " sentences/s")
    best = {key: max(values) for key, values in rates.items()}
    best_cpu = {key: max(values) for key, values in cpu_rates.items()}
    for key in methods:
        print(f"{names[key]}: {best[key]:8.1f} sentences/s wall, {best_cpu[key]:8.1f} per CPU-second "
              f"(rounds: {', '.join(f'{v:.1f}' for v in rates[key])})")
    rate_a, rate_b, rate_c = best["a"], best["b"], best["c"]
    engine_probs, raw_probs = outputs["a"], outputs["b"]

    # (e) the prediction cache: first run fills it, a second model object reads it.
    with tempfile.TemporaryDirectory() as folder:
        first = load_model(args.model, device=args.device, cache_dir=folder, backend="torch")
        cached_first, first_seconds = timed(lambda: first.predict_proba(texts))
        first_cpu = CPU_SECONDS[0]
        second = load_model(args.model, device=args.device, cache_dir=folder, backend="torch")
        cached_second, second_seconds = timed(lambda: second.predict_proba(texts))
        second_cpu = CPU_SECONDS[0]
        assert second.stats["cache_hits"] == len(set(texts)) and second.stats["predicted"] == 0
        assert np.array_equal(cached_first, cached_second)
    print(f"(e) cache: first run {len(texts) / first_seconds:8.1f} sentences/s, "
          f"second run {len(texts) / second_seconds:10.1f} sentences/s")

    difference = np.abs(engine_probs - raw_probs.astype(np.float64)).max()
    print(f"max |engine - raw| probability difference: {difference:.2e}")
    print(f"max |onnx engine - engine| probability difference: {np.abs(outputs['f'] - engine_probs).max():.2e} (limit 1e-5)")
    print(f"f/a = {best['f'] / rate_a:.2f} wall, {best_cpu['f'] / best_cpu['a']:.2f} CPU time (ONNX Runtime against PyTorch)")

    # (g) the float32 limit of these batches on this machine.
    encoded = engine.encode(texts)
    flops = linear_and_attention_flops(model, encoded, engine.batch_size)
    rate = matmul_rate(int(model.config.hidden_size), int(model.config.intermediate_size))
    floor = flops / rate
    print(f"(g) float32 limit: {flops / 1e9:.1f} GFLOP in linear layers and attention; matmul rate "
          f"{rate / 1e9:.1f} GFLOP per CPU-second with {torch.get_num_threads()} thread(s) -> at least {floor:.2f} CPU-s "
          f"({len(texts) / floor:.1f} sentences per CPU-second at most); the engine reaches "
          f"{best_cpu['a'] * floor / len(texts):.0%} of it on PyTorch, {best_cpu['f'] * floor / len(texts):.0%} on ONNX Runtime")
    timed(lambda: engine.encode(texts))
    tokenise_cpu = CPU_SECONDS[0]
    print(f"tokenising inside the engine: {tokenise_cpu:.2f} CPU-s, {tokenise_cpu * best_cpu['a'] / len(texts):.1%} of "
          f"the engine's CPU time on PyTorch, {tokenise_cpu * best_cpu['f'] / len(texts):.1%} on ONNX Runtime "
          f"(the most that overlapping it with the forward pass could save)")

    if args.thread_sweep:
        sweep_texts = texts[: args.sweep]
        for threads in (int(t) for t in args.thread_sweep.split(",")):
            torch.set_num_threads(threads)
            for backend in ("torch", "onnx"):
                engine_t = fresh(backend)
                _, seconds = timed(lambda: engine_t.predict_proba(sweep_texts))
                print(f"threads {threads} ({torch.get_num_threads()} set), {backend:5s}: {len(sweep_texts) / seconds:8.1f} "
                      f"sentences/s wall, {len(sweep_texts) / CPU_SECONDS[0]:8.1f} per CPU-second")
    print(f"a/b = {rate_a / rate_b:.2f} wall, {best_cpu['a'] / best_cpu['b']:.2f} CPU time (target >= 0.9)")
    print(f"a/c = {rate_a / rate_c:.2f} wall, {best_cpu['a'] / best_cpu['c']:.2f} CPU time (target >= 1.2)")
    print(f"cache speed-up = {first_seconds / second_seconds:.1f}x wall, {first_cpu / second_cpu:.1f}x CPU time (target >= 20x)")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
