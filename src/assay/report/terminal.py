"""The terminal summary: a capability x test-type table of failure rates per model."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable

TYPES = ("MFT", "INV", "DIR", "HEADS")


def _pct(rate: float) -> str:
    return f"{rate * 100:5.1f}%"


def summary_lines(records: Iterable[dict[str, Any]], width: int = 100) -> list[str]:
    """Rows: capability; columns: the test types present. A cell pools the cases of its tests:
    ``12.4% 1/3`` = 12.4% of cases failed, 1 of 3 tests failed (``!`` marks errors)."""
    records = list(records)
    models = sorted({r["model"] for r in records})
    lines: list[str] = []
    for model in models:
        rows = [r for r in records if r["model"] == model]
        types = [t for t in TYPES if any(r["type"] == t for r in rows)]
        cells: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for r in rows:
            cells[(r["capability"], r["type"])].append(r)
        caps = sorted({r["capability"] for r in rows})
        cap_width = min(max([len(c) for c in caps] + [10]), 24)
        cell_width = 18
        lines.append(f"model {model}: failure rate of cases (tests failed / tests)")
        lines.append(f"{'capability':<{cap_width}} " + "".join(f"{t:>{cell_width}}" for t in types))
        for cap in caps:
            row = f"{cap[:cap_width]:<{cap_width}} "
            for t in types:
                row += f"{_cell(cells.get((cap, t), [])):>{cell_width}}"
            lines.append(row[:width])
        totals = [r for r in rows if r.get("outcome") in ("passed", "failed")]
        n_failed = sum(r["outcome"] == "failed" for r in rows)
        n_error = sum(r["outcome"] == "error" for r in rows)
        n_skip = sum(r["outcome"] == "skipped" for r in rows)
        lines.append(f"{len(totals) - n_failed} passed, {n_failed} failed, {n_error} errors, {n_skip} skipped")
        for r in sorted(rows, key=lambda r: r["nodeid"]):
            if r.get("outcome") == "failed":
                lines.append(f"  FAILED {r['name']}: {_headline(r)}"[:width])
            elif r.get("outcome") == "error":
                lines.append(f"  ERROR  {r['name']}: {r.get('error')}"[:width])
        lines.append("")
    if len(models) > 1:
        lines.extend(side_by_side(records, models, width))
    return lines


def side_by_side(records: list[dict[str, Any]], models: list[str], width: int = 100) -> list[str]:
    """One row per capability and type, one column per model: the models compared at a glance."""
    label_width = 30
    cell_width = max(14, min(18, (width - label_width) // len(models)))
    header = f"{'capability / type':<{label_width}}" + "".join(f"{m[:cell_width - 1]:>{cell_width}}" for m in models)
    lines = ["models side by side: failure rate of cases (tests failed / tests)", header[:width]]
    keys = sorted({(r["capability"], r["type"]) for r in records}, key=lambda k: (k[0], TYPES.index(k[1])
                                                                                 if k[1] in TYPES else 9))
    for cap, kind in keys:
        row = f"{(cap[:label_width - 7] + ' ' + kind):<{label_width}}"
        for model in models:
            cell = [r for r in records if r["model"] == model and r["capability"] == cap and r["type"] == kind]
            row += f"{_cell(cell):>{cell_width}}"
        lines.append(row[:width])
    lines.append("")
    return lines


def _cell(records: list[dict[str, Any]]) -> str:
    if not records:
        return "-"
    judged = [r for r in records if r.get("outcome") in ("passed", "failed") and r.get("cases")]
    errors = sum(r.get("outcome") == "error" for r in records)
    failed_cases = sum(r["failed"] for r in judged)
    cases = sum(r["cases"] for r in judged)
    failed_tests = sum(r["outcome"] == "failed" for r in judged)
    rate = _pct(failed_cases / cases) if cases else "   n/a"
    mark = "!" if errors else " "
    return f"{rate} {failed_tests}/{len(records)}{mark}"


def _headline(r: dict[str, Any]) -> str:
    if r.get("cases") is None:
        return str(r.get("error"))
    return (f"{r['failure_rate'] * 100:.1f}% failed ({r['failed']}/{r['cases']}), "
            f"allowed {r['max_failure_rate'] * 100:g}%")
