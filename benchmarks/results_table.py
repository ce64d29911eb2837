"""Turn a JSON report of one or more models into the markdown table of docs/results.md.

    PYTHONPATH=src python benchmarks/results_table.py both.json --models demo shared

A cell reads ``failure rate (failed / applicable cases)``; ✗ marks a test over its threshold. Sweeps
over layers or heads (one item per part) are summarised in one row.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict


def cell(records: list[dict]) -> str:
    if not records:
        return "-"
    if len(records) == 1 and not records[0].get("part"):
        r = records[0]
        if r.get("outcome") == "error":
            return f"error: {r.get('error')}"
        if r.get("outcome") == "skipped":
            return "skipped"
        mark = " ✗" if r["outcome"] == "failed" else ""
        return f"{r['failure_rate'] * 100:.1f}% ({r['failed']}/{r['cases']}){mark}"
    failing = [r for r in records if r.get("outcome") == "failed"]
    worst = max(records, key=lambda r: r.get("failure_rate") or 0.0)
    mark = " ✗" if failing else ""
    return (f"{len(failing)}/{len(records)} parts fail; worst {worst.get('part')} "
            f"{(worst.get('failure_rate') or 0) * 100:.1f}%{mark}")


def by_capability(report: dict, models: list[str]) -> None:
    """Tests failed / tests per capability and model (a sweep over heads or layers counts as one test)."""
    tests: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    for r in report["tests"]:
        tests[(r["capability"], r["model"], r["name"].split("[")[0])].append(r)
    capabilities = sorted({c for c, _, _ in tests})
    print("| capability | " + " | ".join(f"{m}: tests failed" for m in models) + " |")
    print("| --- | " + " | ".join("---" for _ in models) + " |")
    for cap in capabilities:
        cells = []
        for m in models:
            groups = [g for (c, model, _), g in tests.items() if c == cap and model == m]
            failed = sum(any(r.get("outcome") in ("failed", "error") for r in g) for g in groups)
            cells.append(f"{failed} / {len(groups)}")
        print(f"| {cap} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report")
    parser.add_argument("--models", nargs="+", help="column order (default: as in the report)")
    parser.add_argument("--by-capability", action="store_true", help="one row per capability (for the README)")
    args = parser.parse_args()
    report = json.load(open(args.report, encoding="utf-8"))
    report["tests"] = [r for r in report["tests"] if r.get("model") is not None]  # collection errors: no model
    models = args.models or [m["name"] for m in report["models"]]
    if args.by_capability:
        by_capability(report, models)
        return
    groups: dict[tuple[str, str], dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    meta: dict[tuple[str, str], dict] = {}
    for r in report["tests"]:
        base = r["name"].split("[")[0]
        key = (r["capability"], base)
        groups[key][r["model"]].append(r)
        meta[key] = r
    print("| capability | test | type | threshold | " + " | ".join(models) + " |")
    print("| --- | --- | --- | --- | " + " | ".join("---" for _ in models) + " |")
    for key in sorted(groups):
        r = meta[key]
        print(f"| {key[0]} | {key[1]} | {r['type']} | {r['max_failure_rate'] * 100:g}% | "
              + " | ".join(cell(groups[key].get(m, [])) for m in models) + " |")


if __name__ == "__main__":
    main()
