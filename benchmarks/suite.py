"""The shipped suite's predictions, end to end: assay's shared pass against test-by-test loops.

    PYTHONPATH=src python benchmarks/suite.py

Collects suites/ with pytest (the real collection), expands every behavioral test's cases, then
times, in one run and on the shared fine-tuned model:
  (A) assay: every input of every test de-duplicated, one global length sort, the engine's batches
      (prediction cache off);
  (B) the same suite predicted test by test with an unsorted batch-32 loop (what CheckList does);
  (C) assay's engine test by test, without sharing inputs across tests (no de-duplication);
  (O) as (A), on the ONNX Runtime backend (``backend="onnx"``);
and prints cases per second for each with the ratios A/B (target >= 1.1), A/C and O/A. Every round of
(A), (C) and (O) gets a new engine object (an engine remembers what it predicted). A second run of
(A) through the persistent cache shows what a test author sees when re-running an unchanged suite.
Head checks are left out: they predict under masks, which benchmarks/heads.py measures.
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
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT / "src"))

from assay.engine import load_model  # noqa: E402


class _Grab:
    """A pytest plugin that keeps the collected assay items."""

    def __init__(self) -> None:
        self.items: list = []

    def pytest_collection_finish(self, session) -> None:
        from assay.plugin.items import AssayItem

        self.items = [i for i in session.items if isinstance(i, AssayItem) and i.decl.test_type != "HEADS"]


def collect(suite: str, model: str) -> list[list]:
    grab = _Grab()
    code = pytest.main([suite, "--collect-only", "-qq", f"--assay-model={model}", "-p", "no:cacheprovider",
                        "-W", "ignore::pytest.PytestAssertRewriteWarning"], plugins=[grab])
    if code not in (0, 5):
        raise SystemExit(f"collection failed with exit code {code}")
    return [item.decl.inputs() for item in grab.items]


def unsorted_loop(model, tokenizer, inputs: list, batch_size: int, max_length: int) -> np.ndarray:
    parts = []
    with torch.inference_mode():
        for start in range(0, len(inputs), batch_size):
            chunk = inputs[start : start + batch_size]
            if isinstance(chunk[0], tuple):
                batch = tokenizer([a for a, _ in chunk], [b for _, b in chunk], padding=True, truncation=True,
                                  max_length=max_length, return_tensors="pt")
            else:
                batch = tokenizer(chunk, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
            parts.append(torch.softmax(model(**batch).logits.float(), -1).numpy())
    return np.concatenate(parts)


def timed(fn) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default=str(ROOT / "suites"))
    parser.add_argument("--model", default=str(SHARED / "models" / "minilm-airline-sentiment"))
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds; the best counts")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    started = time.perf_counter()
    per_test = [inputs for inputs in collect(args.suite, args.model) if inputs]
    cases_seconds = time.perf_counter() - started
    total = sum(len(inputs) for inputs in per_test)
    unique = len({x for inputs in per_test for x in inputs})
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, torch threads {torch.get_num_threads()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"suite {args.suite}: {len(per_test)} behavioral tests, {total} inputs, {unique} distinct "
          f"({total / unique:.2f}x duplication); collection and case generation {cases_seconds:.1f} s")

    graphs = tempfile.TemporaryDirectory()  # the exported ONNX graph lives in assay's cache folder
    os.environ["ASSAY_CACHE_DIR"] = graphs.name

    def fresh(backend: str = "torch"):
        new = load_model(args.model, cache_dir=False, backend=backend)
        new.predict_proba(["warm-up"])
        return new

    engine = fresh()
    model, tokenizer = engine.model, engine.tokenizer
    everything = [x for inputs in per_test for x in inputs]
    prepare = {"A": fresh, "C": fresh, "O": lambda: fresh("onnx")}  # outside the timed part
    methods = {
        "A": lambda new: new.predict_proba(everything),
        "B": lambda _: [unsorted_loop(model, tokenizer, inputs, 32, engine.max_length) for inputs in per_test],
        "C": lambda new: [new.predict_proba(inputs) for inputs in per_test],
        "O": lambda new: new.predict_proba(everything),
    }
    best = {k: (float("inf"), float("inf")) for k in methods}
    for round_ in range(args.rounds):
        for key, fn in methods.items():
            state = prepare[key]() if key in prepare else None
            wall, cpu = timed(lambda: fn(state))
            best[key] = (min(best[key][0], wall), min(best[key][1], cpu))
            print(f"  round {round_ + 1}, ({key}): {wall:.1f} s wall, {cpu:.1f} s CPU", flush=True)
    names = {"A": "assay: shared, de-duplicated, one length sort", "B": "test by test, unsorted batch-32 loop",
             "C": "assay engine test by test (no sharing)", "O": "as (A), on ONNX Runtime"}
    for key in methods:
        wall, cpu = best[key]
        print(f"({key}) {names[key]:<48} {total / wall:8.1f} cases/s  ({total / cpu:8.1f} per CPU-second)")
    for other in ("B", "C"):
        print(f"A/{other}: {best[other][0] / best['A'][0]:.2f}x wall, {best[other][1] / best['A'][1]:.2f}x CPU")
    print(f"O/A: {best['A'][0] / best['O'][0]:.2f}x wall, {best['A'][1] / best['O'][1]:.2f}x CPU")

    with tempfile.TemporaryDirectory() as folder:
        cold = load_model(args.model, cache_dir=folder, backend="torch")
        first, _ = timed(lambda: cold.predict_proba(everything))
        warm = load_model(args.model, cache_dir=folder, backend="torch")
        second, _ = timed(lambda: warm.predict_proba(everything))
    print(f"persistent cache: first run {first:.2f} s, unchanged re-run {second:.3f} s ({first / second:.0f}x)")


if __name__ == "__main__":
    main()
