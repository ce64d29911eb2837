"""The terminal summary: a capability x test-type table of failure rates per model.

Lines never exceed ``width``: a table too wide is split into column groups (the capability column
repeated), and long messages wrap. A figure is never cut.
"""

from __future__ import annotations

import textwrap
from collections import defaultdict
from typing import Any, Iterable, Mapping

from assay.report.format import percent, pool, text

TYPES = ("MFT", "INV", "DIR", "HEADS")
GAP = "  "


def summary_lines(records: Iterable[Mapping[str, Any]], width: int = 100) -> list[str]:
    """Rows: capability; columns: the test types present. A cell pools the cases of its tests:
    ``12.4% 1/3`` = 12.4% of cases failed, 1 of 3 tests failed (``!`` marks errors)."""
    records = [r for r in records if isinstance(r, Mapping)]
    tested = [r for r in records if r.get("model") is not None]
    models = sorted({text(r["model"]) for r in tested})
    lines: list[str] = []
    for model in models:
        rows = [r for r in tested if text(r["model"]) == model]
        types = _types(rows)
        cells: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
        for r in rows:
            cells[(text(r.get("capability")), text(r.get("type")))].append(r)
        caps = sorted({cap for cap, _ in cells})
        lines += _wrap(f"model {model}: failure rate of cases (tests failed / tests)", width)
        lines += table(["capability", *types],
                       [[cap, *(pool(cells[(cap, t)]).cell() if (cap, t) in cells else "-" for t in types)]
                        for cap in caps], width)
        lines.append(_counts(rows))
        lines += _problems(rows, width)
        lines.append("")
    collection = [r for r in records if r.get("model") is None]
    if collection:
        lines.append(f"{len(collection)} collection error{'s' * (len(collection) != 1)}")
        lines += _problems(collection, width)
        lines.append("")
    if len(models) > 1:
        lines.extend(side_by_side(tested, models, width))
    return lines


def side_by_side(records: list[Mapping[str, Any]], models: list[str], width: int = 100) -> list[str]:
    """One row per capability and type, one column per model: the models compared at a glance."""
    keys = sorted({(text(r.get("capability")), text(r.get("type"))) for r in records},
                  key=lambda k: (k[0], TYPES.index(k[1]) if k[1] in TYPES else len(TYPES), k[1]))
    rows = []
    for cap, kind in keys:
        row = [f"{cap} {kind}"]
        for model in models:
            cell = [r for r in records if text(r.get("model")) == model and text(r.get("capability")) == cap
                    and text(r.get("type")) == kind]
            row.append(pool(cell).cell() if cell else "-")
        rows.append(row)
    return ["models side by side: failure rate of cases (tests failed / tests)",
            *table(["capability / type", *models], rows, width), ""]


def table(header: list[str], rows: list[list[str]], width: int) -> list[str]:
    """A left-aligned first column and right-aligned others, in as many column groups as it takes
    to stay within ``width`` (each group repeats the first column)."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    first = min(widths[0], max(10, width // 2))
    groups: list[list[int]] = [[]]
    used = first
    for i in range(1, len(header)):
        need = len(GAP) + widths[i]
        if groups[-1] and used + need > width:
            groups.append([])
            used = first
        groups[-1].append(i)
        used += need
    lines: list[str] = []
    for group in groups:
        for row in [header, *rows]:
            lead = row[0] if len(row[0]) <= first else row[0][:first - 1] + "…"
            lines.append((lead.ljust(first) + "".join(GAP + row[i].rjust(widths[i]) for i in group)).rstrip())
    return lines


def _types(rows: list[Mapping[str, Any]]) -> list[str]:
    present = {text(r.get("type")) for r in rows}
    return [t for t in TYPES if t in present] + sorted(present - set(TYPES))


def _counts(rows: list[Mapping[str, Any]]) -> str:
    n = {o: sum(r.get("outcome") == o for r in rows) for o in ("passed", "failed", "skipped")}
    errors = len(rows) - sum(n.values())
    return f"{n['passed']} passed, {n['failed']} failed, {errors} error{'s' * (errors != 1)}, {n['skipped']} skipped"


def _problems(rows: list[Mapping[str, Any]], width: int) -> list[str]:
    lines: list[str] = []
    for r in sorted(rows, key=lambda r: text(r.get("nodeid"))):
        if r.get("outcome") == "failed":
            lines += _wrap(f"  FAILED {text(r.get('name'))}: {_headline(r)}", width)
        elif r.get("outcome") not in ("passed", "skipped"):
            name = text(r.get("name") if r.get("model") is not None else r.get("nodeid"))
            lines += _wrap(f"  ERROR  {name}: {_first_line(r.get('error'))}", width)
    return lines


def _headline(r: Mapping[str, Any]) -> str:
    if not isinstance(r.get("cases"), int):
        return _first_line(r.get("error"))
    line = (f"{percent(r.get('failure_rate'))} failed ({text(r.get('failed'))}/{r['cases']}), "
            f"allowed {percent(r.get('max_failure_rate'), trim=True)}")
    extra = r.get("extra")
    gates = extra.get("gate_failures") if isinstance(extra, Mapping) else None  # head checks' other gates
    return line + "".join(f"; {text(g)}" for g in gates) if isinstance(gates, list) else line


def _first_line(value: Any) -> str:
    lines = text(value).strip().splitlines()
    return lines[0] if lines else ""


def _wrap(line: str, width: int) -> list[str]:
    return textwrap.wrap(line, width, subsequent_indent="         ", break_on_hyphens=False) or [""]
