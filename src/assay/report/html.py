"""A self-contained HTML report from a JSON report dict (schema ``assay-report/1``).

One file, no external URL: CSS inline, plots as base64 PNG, a small inline script allowed by hash in
the page's Content-Security-Policy. The markup lives in ``templates/`` (Jinja2 with autoescape: every
text from the report is escaped, test inputs are untrusted); this module turns a report into the
values those templates show. :mod:`assay.report.html_tests` does the same for one test.
"""

from __future__ import annotations

import base64
import datetime as _dt
import functools
import hashlib
import io
import math
from collections import defaultdict
from importlib import resources
from typing import Any, Iterable, Mapping

from markupsafe import Markup

from assay.atomic import write_text_atomic
from assay.report.format import count, number, p_value, percent, pool, points, rate_colour, text
from assay.report.html_tests import delta_view, diff_words, test_view
from assay.report.record import incompleteness

__all__ = ["diff_words", "heatmap_png", "rate_colour", "render_html", "write_html"]

TYPE_ORDER = ("MFT", "INV", "DIR", "HEADS")


@functools.lru_cache(maxsize=None)
def _asset(name: str) -> str:
    # one part per joinpath: Python 3.10's Traversable.joinpath takes a single child
    return resources.files("assay.report").joinpath("templates").joinpath(name).read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    return Environment(loader=PackageLoader("assay.report", "templates"), autoescape=True, trim_blocks=True,
                       lstrip_blocks=True, undefined=StrictUndefined)


def write_html(report: Mapping[str, Any], path: Any, *, comparisons: Mapping[Any, Any] | None = None) -> None:
    """Write ``report`` as one self-contained HTML page to ``path`` (atomically).

    ``comparisons`` maps a test's nodeid or ``(name, model)`` to a Comparison (or its dict); without
    it, each test's own ``"baseline"`` entry is used.
    """
    write_text_atomic(render_html(report, comparisons=comparisons), path)


def render_html(report: Mapping[str, Any], *, comparisons: Mapping[Any, Any] | None = None) -> str:
    tests = [dict(t) for t in _list(report.get("tests")) if isinstance(t, Mapping)]
    for test in tests:
        found = _comparison_for(test, comparisons)
        if found is not None:
            test["baseline"] = found
    rank: dict[str | None, int] = {"error": 0, "failed": 1, "passed": 2, "skipped": 2}
    tests.sort(key=lambda t: rank.get(t.get("outcome"), 0))  # stable: report order within each group
    for i, test in enumerate(tests):
        test["_anchor"] = f"test-{i}"
    models = _model_names(report, tests)
    labels = {m.get("name"): m.get("labels") for m in _list(report.get("models")) if isinstance(m, Mapping)}
    limits = {m.get("name"): m.get("max_length") for m in _list(report.get("models")) if isinstance(m, Mapping)}
    script = _asset("report.js")
    script_hash = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    return _environment().get_template("page.html.j2").render(
        csp=f"default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'sha256-{script_hash}'",
        css=Markup(_asset("report.css")), script=Markup(script),
        header=_header(report, tests), incomplete=incompleteness(report),
        matrix=_matrix(tests, models), baseline=_baseline(tests),
        tests=[test_view(t, _labels_for(t, labels), limits.get(t.get("model"))) for t in tests], heads=_heads(tests),
        footer={"version": text(report.get("assay_version")), "schema": text(report.get("schema"))},
    )


def _list(value: object) -> list:
    return value if isinstance(value, list) else []


def _labels_for(test: Mapping[str, Any], labels: Mapping[Any, Any]) -> list[str] | None:
    found = labels.get(test.get("model")) if isinstance(test.get("model"), str) else None
    found = found or test.get("labels")
    return [str(x) for x in found] if isinstance(found, list) else None


def _comparison_for(test: Mapping[str, Any], comparisons: Mapping[Any, Any] | None) -> dict | None:
    if not comparisons:
        return None
    found = comparisons.get(test.get("nodeid"))
    if found is None:
        found = comparisons.get((test.get("name"), test.get("model")))
    if found is None:
        return None
    return found.to_dict() if hasattr(found, "to_dict") else dict(found)


def _model_names(report: Mapping[str, Any], tests: list[dict]) -> list[str]:
    names = [m["name"] for m in _list(report.get("models")) if isinstance(m, Mapping) and isinstance(m.get("name"), str)]
    for test in tests:
        if test.get("model") is not None and text(test.get("model")) not in names:
            names.append(text(test.get("model")))
    return names


# ------------------------------------------------------------------------------ header


def _header(report: Mapping[str, Any], tests: list[dict]) -> dict[str, Any]:
    outcomes = [t.get("outcome") for t in tests]
    errors = sum(o not in ("passed", "failed", "skipped") for o in outcomes)
    regressed = sum(isinstance(t.get("baseline"), Mapping) and t["baseline"].get("status") == "regressed"
                    for t in tests)
    cards = [("tests", len(tests), ""), ("passed", outcomes.count("passed"), "good"),
             ("failed", outcomes.count("failed"), "bad" if "failed" in outcomes else ""),
             ("errors", errors, "bad" if errors else "")]
    if outcomes.count("skipped"):
        cards.append(("skipped", outcomes.count("skipped"), ""))
    if any(t.get("baseline") for t in tests):
        cards.append(("regressed", regressed, "bad" if regressed else "good"))
    created = text(report.get("created"))
    try:
        created = _dt.datetime.fromisoformat(created).strftime("%Y-%m-%d %H:%M %Z").strip()
    except ValueError:
        pass
    models = [{"name": text(m.get("name")), "source": text(m.get("source")),
               "fingerprint": text(m.get("fingerprint"))[:12],
               "labels": ", ".join(map(str, _list(m.get("labels"))))}
              for m in _list(report.get("models")) if isinstance(m, Mapping)]
    return {"created": created, "seed": text(report.get("seed")), "models": models,
            "cards": [{"label": k, "count": n, "tone": tone} for k, n, tone in cards]}


# ------------------------------------------------------------------------------ capability x type


def _matrix(tests: list[dict], models: list[str]) -> dict[str, Any]:
    tested = [t for t in tests if t.get("model") is not None]
    present = {text(t.get("type")) for t in tested}
    types = [t for t in TYPE_ORDER if t in present] + sorted(present - set(TYPE_ORDER))
    capabilities = sorted({text(t.get("capability")) or "(none)" for t in tested}, key=str.lower)
    cells: dict[tuple, list[dict]] = defaultdict(list)
    for test in tested:
        cells[(text(test.get("model")), text(test.get("capability")) or "(none)", text(test.get("type")))].append(test)
    rows = [{"capability": cap, "cells": [_matrix_cell(cells.get((model, cap, kind), []))
                                          for model in models for kind in types]}
            for cap in capabilities]
    legend = [rate_colour(r) for r in (0, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5)]
    return {"models": models, "types": types, "capabilities": capabilities, "rows": rows, "legend": legend}


def _matrix_cell(tests: list[dict]) -> dict[str, str] | None:
    if not tests:
        return None
    pooled = pool(tests)
    notes = [f"{pooled.failed_tests}/{pooled.tests} failing" if pooled.failed_tests
             else f"{pooled.tests} test{'s' * (pooled.tests > 1)}"]
    if pooled.errors:
        notes.append(f"{pooled.errors} error{'s' * (pooled.errors > 1)}")
    return {"colour": rate_colour(pooled.rate), "title": ", ".join(text(t.get("name")) for t in tests),
            "anchor": tests[0]["_anchor"], "rate": percent(pooled.rate, missing="n/a"), "notes": " · ".join(notes)}


# ------------------------------------------------------------------------------ baseline


def _baseline(tests: list[dict]) -> dict[str, Any] | None:
    compared = [t for t in tests if isinstance(t.get("baseline"), Mapping)]
    if not compared:
        return None
    order = {"regressed": 0, "not_comparable": 1, "improved": 2, "new": 3, "unchanged": 4}
    compared.sort(key=lambda t: (order.get(t["baseline"].get("status"), 9), text(t.get("name")), text(t.get("model"))))
    rows = [_comparison_row(t) for t in compared]
    first = compared[0]["baseline"]
    return {"max_regression": points(first.get("max_regression"), signed=False), "alpha": text(first.get("alpha")),
            "changed": [r for r in rows if r["status"] != "unchanged"],
            "same": [r for r in rows if r["status"] == "unchanged"]}


def _comparison_row(test: Mapping[str, Any]) -> dict[str, Any]:
    c = test["baseline"]
    status = text(c.get("status"))
    return {"anchor": test["_anchor"], "name": text(test.get("name")), "model": text(test.get("model")),
            "previous": percent(c.get("previous_rate")), "current": percent(c.get("current_rate")),
            "delta": delta_view(c.get("delta")), "p": p_value(c.get("p_value")),
            "b": count(c.get("b")), "c": count(c.get("c")), "status": status,
            "status_text": status.replace("_", " "), "reason": text(c.get("reason"))}


# ------------------------------------------------------------------------------ head importance


def _heads(tests: list[dict]) -> list[dict[str, Any]]:
    """One heatmap per distinct (model, importance matrix): a sweep over heads shares one map."""
    groups: dict[tuple, list[dict]] = {}
    for test in tests:
        extra = test.get("extra")
        importance = extra.get("importance") if isinstance(extra, Mapping) else None
        if _is_matrix(importance):
            groups.setdefault((text(test.get("model")), repr(importance)), []).append(test)
    figures = []
    for (model, _), members in groups.items():
        title = f"{text(members[0].get('name'))} [{model}]" + (f" and {len(members) - 1} more" if len(members) > 1 else "")
        figures.append({"title": title, "model": model, "png": heatmap_png(members[0]["extra"]["importance"], title=title),
                        "tests": [{"anchor": t["_anchor"], "name": text(t.get("name"))} for t in members[:20]]})
    return figures


def _is_matrix(value: object) -> bool:
    """A non-empty rectangular list of rows of numbers (``None`` for a value that was not finite)."""
    if not (isinstance(value, list) and value and all(isinstance(r, list) and r for r in value)):
        return False
    cells = [v for r in value for v in r]
    return len({len(r) for r in value}) == 1 and all(v is None or number(v) is not None for v in cells) \
        and any(v is not None for v in cells)


def heatmap_png(matrix: Iterable[Iterable[float | None]], *, title: str = "") -> str:
    """A layers x heads heatmap (:func:`assay.heads.plot.heatmap_figure`) as base64 PNG."""
    from assay.heads.plot import heatmap_figure

    grid = [[math.nan if v is None else float(v) for v in row] for row in matrix]
    buffer = io.BytesIO()
    heatmap_figure(grid, title=title).savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode("ascii")
