"""The shipped suite through pytest on each prediction backend, in one run: time, ratio, limit, verdicts.

    PYTHONPATH=src python benchmarks/suite_backends.py --rounds 2

Runs, for each round and each backend (interleaved, so that a change in the machine's load hits both),

    pytest suites/ --assay-model=../shared/models/minilm-airline-sentiment --assay-no-cache --assay-backend B

as a fresh process, and prints its wall and CPU seconds (the best round counts), the ratio torch / onnx,
and where the time went (benchmarks/assay_timing.py): collection, case generation (templates and
perturbations), plain predictions (what the backend runs; tokenising inside them), head checks
(always PyTorch) and the rest. The limit is Amdahl's: with plain predictions taking no time at all the
run would take (session - plain predictions), so no prediction backend can make the run faster than
session / (session - plain predictions). The exported ONNX graph is made once, before the timed runs,
in a temporary cache folder (its time is printed apart). Finally the two backends' JSON reports are
compared test by test (outcome, failure rate, failed and total cases): the verdicts must be identical;
the exit status is 1 when they are not.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
VERDICT_FIELDS = ("outcome", "failure_rate", "failed", "cases")
PARTS = (("collection", "collection"), ("cases", "case generation (templates, perturbations)"),
         ("plain_predictions", "plain predictions (the backend's part)"), ("heads_items", "head checks (PyTorch)"))


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_suite(args, backend: str, folder: Path, tag: str, env: dict[str, str]) -> dict:
    report, timing = folder / f"{tag}.json", folder / f"{tag}-timing.json"
    command = [sys.executable, "-m", "pytest", args.suite, f"--assay-model={args.model}", "--assay-no-cache",
               f"--assay-backend={backend}", f"--assay-report={report}", "-q", "-p", "no:randomly",
               "-p", "no:cacheprovider", "-p", "assay_timing", *args.pytest_args]
    wall, cpu = time.perf_counter(), children_cpu()
    done = subprocess.run(command, cwd=ROOT, env={**env, "ASSAY_TIMING_OUT": str(timing)}, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - wall, children_cpu() - cpu
    if done.returncode not in (0, 1) or not report.is_file():
        sys.exit(f"pytest on {backend} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    return {"wall": wall, "cpu": cpu, "report": report, "timing": json.loads(timing.read_text()), "summary": summary}


def verdicts(report: Path) -> dict[str, tuple]:
    tests = json.loads(report.read_text(encoding="utf-8"))["tests"]
    return {test["nodeid"]: tuple(test.get(field) for field in VERDICT_FIELDS) for test in tests}


def describe(run: dict) -> str:
    timing = run["timing"]
    session = timing["session"]["wall"]
    parts = [f"{label} {timing.get(key, {}).get('wall', 0.0):.1f} s" for key, label in PARTS]
    known = sum(timing.get(key, {}).get("wall", 0.0) for key, _ in PARTS)
    tokenising = timing.get("tokenising", {}).get("wall", 0.0)
    return (f"session {session:.1f} s: " + ", ".join(parts) + f", the rest {session - known:.1f} s; "
            f"tokenising inside the plain predictions {tokenising:.1f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="suites/")
    parser.add_argument("--model", default=str(SHARED / "models" / "minilm-airline-sentiment"))
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds; the best counts")
    parser.add_argument("--backends", default="torch,onnx")
    parser.add_argument("pytest_args", nargs="*", help="more pytest arguments, after --")
    args = parser.parse_args()
    backends = args.backends.split(",")

    sys.path.insert(0, str(ROOT / "src"))
    import torch
    import transformers

    from assay.engine import load_model

    folder = Path(tempfile.mkdtemp(prefix="assay-suite-backends-"))
    env = {**os.environ, "ASSAY_CACHE_DIR": str(folder / "cache"),
           "PYTHONPATH": os.pathsep.join([str(ROOT / "benchmarks"), str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    os.environ["ASSAY_CACHE_DIR"] = env["ASSAY_CACHE_DIR"]
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
          f"python {platform.python_version()}, torch {torch.__version__}, transformers {transformers.__version__}")
    if "onnx" in backends:
        started = time.perf_counter()
        prepared = load_model(args.model, cache_dir=False, backend="onnx")
        print(f"ONNX graph exported and checked once in {time.perf_counter() - started:.1f} s "
              f"(backend {prepared.backend_name}{'; ' + '; '.join(prepared.notes) if prepared.notes else ''})")
        del prepared

    runs: dict[str, list[dict]] = {backend: [] for backend in backends}
    for number in range(1, args.rounds + 1):
        for backend in backends:
            run = run_suite(args, backend, folder, f"{backend}-{number}", env)
            runs[backend].append(run)
            print(f"round {number}, {backend:5s}: {run['wall']:.1f} s wall, {run['cpu']:.1f} s CPU ({run['summary']})", flush=True)
            print(f"    {describe(run)}", flush=True)

    best = {backend: min(runs[backend], key=lambda r: r["wall"]) for backend in backends}
    best_cpu = {backend: min(r["cpu"] for r in runs[backend]) for backend in backends}
    for backend in backends:
        print(f"{backend:5s} best: {best[backend]['wall']:.1f} s wall, {best_cpu[backend]:.1f} s CPU")
    status = 0
    if len(backends) == 2:
        first, second = backends
        print(f"{first}/{second}: {best[first]['wall'] / best[second]['wall']:.2f}x wall, "
              f"{best_cpu[first] / best_cpu[second]:.2f}x CPU")
        timing = best[first]["timing"]
        session, plain = timing["session"]["wall"], timing.get("plain_predictions", {}).get("wall", 0.0)
        other = best[second]["timing"].get("plain_predictions", {}).get("wall", 0.0)
        print(f"limit: plain predictions are {plain:.1f} s of the {session:.1f} s session on {first} ({plain / session:.0%}); "
              f"the rest ({session - plain:.1f} s: collection, case generation, head checks, reports) no backend touches, "
              f"so at most {session / max(session - plain, 1e-9):.2f}x faster even if predictions took no time")
        if other:
            print(f"plain predictions alone: {plain:.1f} s on {first}, {other:.1f} s on {second} ({plain / other:.2f}x)")
        a, b = verdicts(best[first]["report"]), verdicts(best[second]["report"])
        different = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
        if different:
            status = 1
            print(f"verdicts DIFFER on {len(different)} of {len(a)} tests ({', '.join(VERDICT_FIELDS)}):")
            for key in different:
                print(f"    {key}: {first} {a.get(key)}, {second} {b.get(key)}")
        else:
            print(f"verdicts identical on all {len(a)} tests ({', '.join(VERDICT_FIELDS)})")
    print(f"reports and timings in {folder}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
