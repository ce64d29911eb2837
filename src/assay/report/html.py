"""A self-contained HTML report from a JSON report dict (schema ``assay-report/1``).

One file, no external URL: CSS inline, plots as base64 PNG (matplotlib, Agg backend), a small inline
script allowed by hash in the page's Content-Security-Policy. Every text from the report is
escaped: test inputs are untrusted.
"""

from __future__ import annotations

import base64
import datetime as _dt
import difflib
import hashlib
import io
import math
import re
from collections import defaultdict
from html import escape
from typing import Any, Iterable, Mapping

from assay.atomic import write_text_atomic

TYPE_ORDER = ("MFT", "INV", "DIR", "HEADS")
_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")
_ARROWS = {"up": "↑", "down": "↓"}

CSS = """
:root{--ink:#1d2430;--mute:#5b6575;--line:#dde2ea;--bg:#f6f7f9;--pass:#1e7d45;--fail:#c0392b;--err:#7a4fb3}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:var(--ink);background:var(--bg)}main{max-width:1220px;margin:0 auto;padding:24px 28px 60px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:18px;margin:34px 0 10px;border-bottom:2px solid var(--line);padding-bottom:4px}
.meta{color:var(--mute);margin:0 0 16px}.top{display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start}
.cards{display:flex;gap:12px;flex-wrap:wrap}details.same>summary{cursor:pointer;color:var(--mute);margin:8px 0}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 16px;min-width:110px}
.card b{display:block;font-size:24px}.card span{color:var(--mute);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card.bad b{color:var(--fail)}.card.good b{color:var(--pass)}
table{border-collapse:collapse;background:#fff;border:1px solid var(--line)}th,td{padding:5px 10px;border:1px solid var(--line);text-align:left;vertical-align:top}
th{background:#eef1f5;font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.matrix td.cell{text-align:center;min-width:92px;font-variant-numeric:tabular-nums}
.cell small{display:block;color:#333a;font-size:11px}.cell.none{color:#aab}
.badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600;color:#fff}
.passed .badge,.badge.passed,.badge.improved{background:var(--pass)}.failed .badge,.badge.failed,.badge.regressed{background:var(--fail)}
.error .badge,.badge.error{background:var(--err)}.skipped .badge{background:#8a94a6}details.test.skipped{border-left-color:#8a94a6}.badge.unchanged,.badge.new,.badge.not_comparable{background:#8a94a6}
.tag{display:inline-block;border:1px solid var(--line);border-radius:4px;padding:0 5px;font-size:12px;color:var(--mute);background:#fafbfc}
details.test{background:#fff;border:1px solid var(--line);border-left:5px solid var(--pass);border-radius:6px;margin:8px 0}
details.test.failed{border-left-color:var(--fail)}details.test.error{border-left-color:var(--err)}
details.test>summary{cursor:pointer;padding:8px 12px;display:flex;gap:10px;align-items:center;flex-wrap:wrap}
details.test>summary .name{font-weight:600}details.test>summary .rate{margin-left:auto;font-variant-numeric:tabular-nums}
.body{padding:4px 16px 14px;border-top:1px solid var(--line)}.body p{margin:6px 0}
table.cases{width:100%;border:0}table.cases td{border:0;border-top:1px solid #e6e9ee;padding:4px 8px}
tbody.case{border-top:2px solid #d5dae2}td.about{width:190px;font-size:12px}b.reason{color:var(--fail);font-weight:500}
td.role{width:110px;color:var(--mute);font-size:12px}tr.bad td.text{background:#fff5f4}
td.text{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px;white-space:pre-wrap;word-break:break-word}
td.pred{width:260px;font-size:12px}mark.ins{background:#ffe08a;border-radius:3px;padding:0 1px}mark.del{background:#f6c8c8;text-decoration:line-through;border-radius:3px}
.sep{color:#99a;padding:0 6px}.attr{margin:1px 0;font-size:13px}.attr .m{color:var(--mute);font-size:11px;display:inline-block;width:120px}
.attr span.t{border-radius:3px;padding:1px 2px;margin:0 1px}.up{color:var(--fail);font-weight:600}.down{color:var(--pass);font-weight:600}
pre.err{background:#faf6ff;border:1px solid #e2d6f5;padding:8px;white-space:pre-wrap;font-size:12px}
figure{background:#fff;border:1px solid var(--line);border-radius:6px;display:inline-block;margin:8px 12px 8px 0;padding:8px}
figure img{max-width:100%}figcaption{font-size:12px;color:var(--mute)}.tools{margin:8px 0}
button{font:inherit;font-size:12px;border:1px solid var(--line);background:#fff;border-radius:5px;padding:3px 10px;cursor:pointer}
.legend{font-size:12px;color:var(--mute)}.legend i{display:inline-block;width:26px;height:10px;margin:0 2px;vertical-align:middle}
footer{color:var(--mute);font-size:12px;margin-top:40px}
"""

SCRIPT = """document.querySelectorAll('button[data-open]').forEach(function (b) {
  b.addEventListener('click', function () {
    var open = b.getAttribute('data-open') === '1';
    document.querySelectorAll('details.test').forEach(function (d) { d.open = open; });
  });
});
document.querySelectorAll('button[data-only-failing]').forEach(function (b) {
  b.addEventListener('click', function () {
    var on = b.getAttribute('aria-pressed') !== 'true';
    b.setAttribute('aria-pressed', on ? 'true' : 'false');
    document.querySelectorAll('details.test.passed').forEach(function (d) { d.hidden = on; });
  });
});"""


ATTRIBUTION_LEGEND = ('<p class="legend">token attributions: <i style="background:rgba(230,110,0,.8)"></i> pushes '
                      'towards the predicted label <i style="background:rgba(40,110,220,.8)"></i> pushes away</p>')


def esc(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def write_html(report: Mapping[str, Any], path: Any, *, comparisons: Mapping[Any, Any] | None = None) -> None:
    """Write ``report`` as one self-contained HTML page to ``path`` (atomically).

    ``comparisons`` maps a test's nodeid or ``(name, model)`` to a Comparison (or its dict); without
    it, each test's own ``"baseline"`` entry is used.
    """
    write_text_atomic(render_html(report, comparisons=comparisons), path)


def render_html(report: Mapping[str, Any], *, comparisons: Mapping[Any, Any] | None = None) -> str:
    tests = [dict(t) for t in report.get("tests", [])]
    for test in tests:
        found = _comparison_for(test, comparisons)
        if found is not None:
            test["baseline"] = found
    rank = {"error": 0, "failed": 1}
    tests.sort(key=lambda t: rank.get(t.get("outcome"), 2))  # stable: report order within each group
    for i, test in enumerate(tests):
        test["_anchor"] = f"test-{i}"
    models = _model_names(report, tests)
    labels = {m.get("name"): m.get("labels") for m in report.get("models", []) if isinstance(m, Mapping)}
    script_hash = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
    csp = f"default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'sha256-{script_hash}'"
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{esc(csp)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>assay report</title>", f"<style>{CSS}</style></head><body><main>",
        _header(report, tests, models),
        _matrix(tests, models),
        _baseline_section(tests),
        '<h2 id="tests">Tests</h2><div class="tools"><button type="button" data-open="1">expand all</button> '
        '<button type="button" data-open="0">collapse all</button> '
        '<button type="button" data-only-failing="1" aria-pressed="false">only failing</button></div>',
        *(_test_details(t, labels.get(t.get("model")) or t.get("labels")) for t in tests),
        _heads_section(tests),
        f"<footer>assay {esc(report.get('assay_version', ''))} · schema {esc(report.get('schema', ''))}</footer>",
        f"</main><script>{SCRIPT}</script></body></html>",
    ]
    return "\n".join(p for p in parts if p)


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
    names = [m.get("name") for m in report.get("models", []) if isinstance(m, Mapping) and m.get("name")]
    for test in tests:
        if test.get("model") not in names:
            names.append(test.get("model"))
    return names


# ------------------------------------------------------------------------------ header


def _header(report: Mapping[str, Any], tests: list[dict], models: list[str]) -> str:
    count = {k: sum(t.get("outcome") == k for t in tests) for k in ("passed", "failed", "error")}
    regressed = sum((t.get("baseline") or {}).get("status") == "regressed" for t in tests)
    cards = [("tests", len(tests), ""), ("passed", count["passed"], "good"),
             ("failed", count["failed"], "bad" if count["failed"] else ""),
             ("errors", count["error"], "bad" if count["error"] else "")]
    if any(t.get("baseline") for t in tests):
        cards.append(("regressed", regressed, "bad" if regressed else "good"))
    created = report.get("created", "")
    try:
        created = _dt.datetime.fromisoformat(str(created)).strftime("%Y-%m-%d %H:%M %Z").strip()
    except ValueError:
        pass
    rows = "".join(
        f"<tr><td>{esc(m.get('name'))}</td><td>{esc(m.get('source'))}</td>"
        f"<td><code>{esc(str(m.get('fingerprint', ''))[:12])}</code></td><td>{esc(', '.join(map(str, m.get('labels') or [])))}</td></tr>"
        for m in report.get("models", []) if isinstance(m, Mapping)
    )
    model_table = (f'<table class="models"><tr><th>model</th><th>source</th><th>fingerprint</th><th>labels</th></tr>{rows}</table>'
                   if rows else "")
    return (
        f"<header><h1>assay report</h1><p class=\"meta\">{esc(created)} · seed {esc(report.get('seed'))} · "
        f"{len(models)} model{'s' if len(models) != 1 else ''}</p><div class=\"top\"><div class=\"cards\">"
        + "".join(f'<div class="card {cls}"><b>{n}</b><span>{esc(k)}</span></div>' for k, n, cls in cards)
        + f"</div>{model_table}</div></header>"
    )


# ------------------------------------------------------------------------------ capability x type


def rate_colour(rate: float | None) -> str:
    """Green at 0, through amber, to red from 50% on; the square root stretches small rates."""
    if rate is None:
        return "#f3f4f6"
    hue = 130 * (1 - min(1.0, math.sqrt(max(rate, 0.0) / 0.5)))
    return f"hsl({hue:.0f},62%,{80 if rate > 0 else 88}%)"


def _matrix(tests: list[dict], models: list[str]) -> str:
    if not tests:
        return "<h2>Failure rate by capability and test type</h2><p>No tests in this report.</p>"
    types = [t for t in TYPE_ORDER if any(x.get("type") == t for x in tests)]
    types += sorted({str(x.get("type")) for x in tests} - set(types))
    capabilities = sorted({str(x.get("capability") or "(none)") for x in tests}, key=str.lower)
    cells: dict[tuple, list[dict]] = defaultdict(list)
    for test in tests:
        cells[(test.get("model"), str(test.get("capability") or "(none)"), str(test.get("type")))].append(test)
    head = "<tr><th rowspan=\"2\">capability</th>" if len(models) > 1 else "<tr><th>capability</th>"
    if len(models) > 1:
        head += "".join(f'<th colspan="{len(types)}">{esc(m)}</th>' for m in models) + "</tr><tr>"
    head += "".join(f"<th>{esc(t)}</th>" for _ in models for t in types) + "</tr>"
    body = []
    for cap in capabilities:
        row = [f"<th>{esc(cap)}</th>"]
        for model in models:
            for typ in types:
                row.append(_matrix_cell(cells.get((model, cap, typ), [])))
        body.append("<tr>" + "".join(row) + "</tr>")
    legend = "".join(f'<i style="background:{rate_colour(r)}"></i>' for r in (0, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5))
    return (
        '<section id="matrix"><h2>Failure rate by capability and test type</h2>'
        f'<table class="matrix">{head}{"".join(body)}</table>'
        f'<p class="legend">failed cases / applicable cases over the tests in each cell · 0% {legend} 50%+</p></section>'
    )


def _matrix_cell(tests: list[dict]) -> str:
    if not tests:
        return '<td class="cell none">–</td>'
    failed = sum(int(t.get("failed") or 0) for t in tests)
    cases = sum(int(t.get("cases") or 0) for t in tests)
    errors = sum(t.get("outcome") == "error" for t in tests)
    failing = sum(t.get("outcome") == "failed" for t in tests)
    rate = failed / cases if cases else None
    text = f"{rate:.1%}" if rate is not None else "n/a"
    notes = [f"{failing}/{len(tests)} failing" if failing else f"{len(tests)} test{'s' * (len(tests) > 1)}"]
    if errors:
        notes.append(f"{errors} error{'s' * (errors > 1)}")
    title = ", ".join(str(t.get("name")) for t in tests)
    link = tests[0]["_anchor"]
    return (f'<td class="cell" style="background:{rate_colour(rate)}" title="{esc(title)}">'
            f'<a href="#{link}" style="color:inherit;text-decoration:none"><b>{text}</b>'
            f"<small>{esc(' · '.join(notes))}</small></a></td>")


# ------------------------------------------------------------------------------ baseline


def format_delta_html(delta: float | None) -> str:
    if delta is None:
        return "–"
    points = delta * 100
    if abs(points) < 0.05:
        return "= 0.0 pp"
    cls, arrow = ("up", _ARROWS["up"]) if points > 0 else ("down", _ARROWS["down"])
    return f'<span class="{cls}">{arrow} {points:+.1f} pp</span>'


def _p(p: float | None) -> str:
    return "–" if p is None else (f"{p:.2g}" if p >= 0.001 else f"{p:.1e}")


def _pct(rate: float | None) -> str:
    return "–" if rate is None else f"{rate:.1%}"


def _baseline_section(tests: list[dict]) -> str:
    compared = [t for t in tests if t.get("baseline")]
    if not compared:
        return ""
    order = {"regressed": 0, "not_comparable": 1, "improved": 2, "new": 3, "unchanged": 4}
    compared.sort(key=lambda t: (order.get(t["baseline"].get("status"), 9), str(t.get("name")), str(t.get("model"))))
    changed = [t for t in compared if t["baseline"].get("status") != "unchanged"]
    same = [t for t in compared if t["baseline"].get("status") == "unchanged"]
    first = compared[0]["baseline"]
    parts = [
        '<section id="baseline"><h2>Against the baseline</h2>'
        f'<p class="legend">regressed = failure rate up by more than {_points(first.get("max_regression"))} and exact '
        f'McNemar p &lt; {esc(first.get("alpha"))} on the paired cases; b / c = cases that passed before and fail now '
        "/ failed before and pass now.</p>"
    ]
    if changed:
        parts.append(_comparison_table(changed))
    if same:
        parts.append(f'<details class="same"><summary>{len(same)} test{"s" * (len(same) > 1)} unchanged</summary>'
                     f"{_comparison_table(same)}</details>")
    return "".join(parts) + "</section>"


def _points(value: object) -> str:
    return f"{float(value) * 100:.1f} pp" if isinstance(value, (int, float)) else "–"


def _comparison_table(tests: list[dict]) -> str:
    rows = []
    for test in tests:
        c = test["baseline"]
        status = str(c.get("status"))
        rows.append(
            f'<tr><td><a href="#{test["_anchor"]}">{esc(test.get("name"))}</a></td><td>{esc(test.get("model"))}</td>'
            f'<td class="num">{_pct(c.get("previous_rate"))}</td><td class="num">{_pct(c.get("current_rate"))}</td>'
            f'<td class="num">{format_delta_html(c.get("delta"))}</td><td class="num">{_p(c.get("p_value"))}</td>'
            f'<td class="num">{esc(c.get("b", 0))} / {esc(c.get("c", 0))}</td>'
            f'<td><span class="badge {esc(status)}">{esc(status.replace("_", " "))}</span></td>'
            f"<td>{esc(c.get('reason'))}</td></tr>"
        )
    return ('<table class="baseline"><tr><th>test</th><th>model</th><th class="num">baseline</th><th class="num">now</th>'
            '<th class="num">delta</th><th class="num">p-value</th><th class="num">b / c</th><th>status</th><th>reason</th></tr>'
            + "".join(rows) + "</table>")


# ------------------------------------------------------------------------------ head importance


def _heads_section(tests: list[dict]) -> str:
    """One heatmap per distinct (model, importance matrix): a sweep over heads shares one map."""
    groups: dict[tuple, list[dict]] = {}
    for test in tests:
        importance = (test.get("extra") or {}).get("importance")
        if _is_matrix(importance):
            key = (str(test.get("model")), repr(importance))
            groups.setdefault(key, []).append(test)
    figures = []
    for (model, _), members in groups.items():
        importance = members[0]["extra"]["importance"]
        title = f"{members[0].get('name')} [{model}]" + (f" and {len(members) - 1} more" if len(members) > 1 else "")
        links = ", ".join(f'<a href="#{t["_anchor"]}">{esc(t.get("name"))}</a>' for t in members[:20])
        figures.append(
            f'<figure><img alt="head importance heatmap for {esc(title)}" '
            f'src="data:image/png;base64,{heatmap_png(importance, title=title)}">'
            f"<figcaption>{esc(model)}: {links} · rows = layers, columns = heads</figcaption></figure>"
        )
    if not figures:
        return ""
    return '<section id="heads"><h2>Attention-head importance</h2>' + "".join(figures) + "</section>"


def _is_matrix(value: object) -> bool:
    return (isinstance(value, list) and bool(value) and all(isinstance(r, list) and r for r in value)
            and all(isinstance(v, (int, float)) for r in value for v in r))


def heatmap_png(matrix: list[list[float]], *, title: str = "") -> str:
    """A layers x heads heatmap as base64 PNG (matplotlib's Agg backend, no display needed)."""
    from matplotlib.figure import Figure
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    layers, heads = len(matrix), max(len(r) for r in matrix)
    grid = [list(r) + [float("nan")] * (heads - len(r)) for r in matrix]
    fig = Figure(figsize=(min(10, 1.8 + 0.42 * heads), min(8, 1.1 + 0.36 * layers)), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    image = ax.imshow(grid, cmap="viridis", aspect="auto")
    ax.set_xlabel("head")
    ax.set_ylabel("layer")
    ax.set_xticks(range(heads))
    ax.set_yticks(range(layers))
    ax.set_title(title[:80], fontsize=10)
    if layers * heads <= 200:
        finite = [v for r in grid for v in r if v == v]
        middle = (max(finite) + min(finite)) / 2 if finite else 0
        for i, row in enumerate(grid):
            for j, value in enumerate(row):
                if value == value:
                    ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=7,
                            color="black" if value > middle else "white")
    fig.colorbar(image, ax=ax, fraction=0.04)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


# ------------------------------------------------------------------------------ per test


def _test_details(test: dict, labels: list[str] | None) -> str:
    outcome = test.get("outcome") if test.get("outcome") in ("passed", "failed", "error", "skipped") else "error"
    rate = test.get("failure_rate")
    rate_text = (f"{rate:.1%} failed ({esc(test.get('failed'))}/{esc(test.get('cases'))}, 95% CI "
                 f"{_pct(test.get('ci_low'))}–{_pct(test.get('ci_high'))}) · threshold {_pct(test.get('max_failure_rate'))}"
                 if isinstance(rate, (int, float)) else "no applicable case" if outcome != "error" else "error")
    comparison = test.get("baseline") or {}
    trend = f" · {format_delta_html(comparison.get('delta'))}" if comparison.get("delta") is not None else ""
    summary = (
        f'<summary><span class="badge">{esc(outcome)}</span><span class="name">{esc(test.get("name"))}</span>'
        f'<span class="tag">{esc(test.get("model"))}</span><span class="tag">{esc(test.get("type"))}</span>'
        f'<span class="tag">{esc(test.get("capability"))}</span><span class="rate">{rate_text}{trend}</span></summary>'
    )
    body = [f"<p>{esc(test.get('description'))}</p>" if test.get("description") else "",
            f'<p class="legend">{esc(test.get("nodeid"))} · seed {esc(test.get("seed"))} · '
            f'{esc(test.get("not_applicable", 0))} not applicable of {esc(test.get("total_cases"))}</p>']
    if test.get("error"):
        body.append(f'<pre class="err">{esc(test.get("error"))}</pre>')
    if comparison:
        body.append(f'<p>Baseline: <span class="badge {esc(comparison.get("status"))}">{esc(comparison.get("status"))}</span> '
                    f'{_pct(comparison.get("previous_rate"))} → {_pct(comparison.get("current_rate"))}, '
                    f'p = {_p(comparison.get("p_value"))} — {esc(comparison.get("reason"))}</p>')
    body.append(_by_perturbation(test.get("by_perturbation")))
    body.append(_extra(test.get("extra")))
    cases = test.get("failing_cases") or []
    if cases:
        body.append(f"<p><b>Failing examples</b> ({len(cases)} shown of {esc(test.get('failed'))})</p>"
                    '<table class="cases">' + "".join(_case(c, labels, str(test.get("type"))) for c in cases) + "</table>")
        if any(c.get("explanations") for c in cases):
            body.append(ATTRIBUTION_LEGEND)
    opened = " open" if outcome in ("failed", "error") else ""
    return (f'<details class="test {outcome}" id="{test["_anchor"]}"{opened}>{summary}<div class="body">'
            + "".join(body) + "</div></details>")


def _by_perturbation(table: object) -> str:
    if not isinstance(table, Mapping) or not table:
        return ""
    rows = "".join(
        f'<tr><td>{esc(name)}</td><td class="num">{esc(cell.get("failed"))}/{esc(cell.get("cases"))}</td>'
        f'<td class="num" style="background:{rate_colour(cell.get("failure_rate"))}">{_pct(cell.get("failure_rate"))}</td></tr>'
        for name, cell in table.items() if isinstance(cell, Mapping)
    )
    return f'<table><tr><th>perturbation</th><th class="num">failed</th><th class="num">rate</th></tr>{rows}</table>'


def _extra(extra: object) -> str:
    if not isinstance(extra, Mapping):
        return ""
    def short(value: object) -> str | None:  # scalars and short lists of scalars; matrices are plotted
        if isinstance(value, float):
            return f"{value:.4g}"
        if isinstance(value, (str, int, bool)) or value is None:
            return str(value)
        if isinstance(value, list) and len(value) <= 8 and all(isinstance(v, (str, int, float)) for v in value):
            return "[" + ", ".join(short(v) or "" for v in value) + "]"
        return None

    items = [(k, short(v)) for k, v in extra.items() if k != "importance"]
    shown = " · ".join(f"{esc(k)} = {esc(v)}" for k, v in items if v is not None)
    if not shown:
        return ""
    note = " · heatmap below" if "importance" in extra else ""
    return f'<p class="legend">{shown}{note}</p>'


def _case(case: Mapping[str, Any], labels: list[str] | None, test_type: str) -> str:
    """One failing case as a <tbody>: a row per input (original first), then its attributions."""
    inputs = list(case.get("inputs") or [])
    perturbations = list(case.get("perturbations") or [])
    predicted, probs = list(case.get("predicted") or []), list(case.get("probs") or [])
    failing = set(case.get("failing_inputs") or [])
    compare = len(inputs) > 1 or test_type in ("INV", "DIR")
    expected = case.get("expected")
    about = f'<b class="reason">{esc(case.get("reason"))}</b>' if case.get("reason") else ""
    if expected:
        about += f'<br><span class="legend">expected {esc(", ".join(map(str, expected)))}</span>'
    attributions = _explanations(case.get("explanations"))
    rows = []
    for j, value in enumerate(inputs):
        if compare and j > 0:
            text = _render_diff(inputs[0], value)[1]
        elif compare and len(inputs) > 1:
            text = _render_original(inputs[0], inputs[1:])
        else:
            text = _render_plain(value)
        role = "original" if compare and j == 0 else (perturbations[j] if j < len(perturbations) and perturbations[j]
                                                     else ("changed" if compare else ""))
        guess = _prediction(predicted[j] if j < len(predicted) else None, probs[j] if j < len(probs) else None, labels)
        lead = (f'<td class="about" rowspan="{len(inputs) + bool(attributions)}">{about}</td>' if j == 0 else "")
        rows.append(f'<tr class="{"bad" if j in failing else ""}">{lead}<td class="role">{esc(role)}</td>'
                    f'<td class="text">{text}</td><td class="pred">{guess}</td></tr>')
    if attributions:
        rows.append(f'<tr><td class="role">attributions</td><td colspan="2">{attributions}</td></tr>')
    return f'<tbody class="case">{"".join(rows)}</tbody>'


def _prediction(label: object, probs: object, labels: list[str] | None) -> str:
    text = f"<b>{esc(label)}</b>" if label is not None else ""
    if isinstance(probs, list) and probs:
        names = labels if labels and len(labels) == len(probs) else [str(i) for i in range(len(probs))]
        text += " " + " · ".join(f"{esc(n)} {float(p):.2f}" for n, p in zip(names, probs)
                                 if isinstance(p, (int, float)))
    return text


def _sides(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]


def _join_sides(parts: list[str]) -> str:
    return '<span class="sep">‖</span>'.join(parts)


def _render_plain(value: object) -> str:
    return _join_sides([esc(s) for s in _sides(value)])


def _render_diff(original: object, changed: object) -> tuple[str, str]:
    """Both inputs as HTML with the words that differ wrapped in <mark> (pairs: side by side)."""
    a_sides, b_sides = _sides(original), _sides(changed)
    if len(a_sides) != len(b_sides):
        return _render_plain(original), _render_plain(changed)
    pairs = [diff_words(a, b) for a, b in zip(a_sides, b_sides)]
    return _join_sides([p[0] for p in pairs]), _join_sides([p[1] for p in pairs])


def _render_original(original: object, others: Iterable[object]) -> str:
    """The original with every word that some changed input removed or replaced marked."""
    others = list(others)
    return _render_diff(original, others[0])[0] if len(others) == 1 else _render_plain(original)


def diff_words(original: str, changed: str) -> tuple[str, str]:
    """Escaped HTML of ``original`` and ``changed`` with differing word tokens in <mark>."""
    a, b = _TOKEN.findall(original), _TOKEN.findall(changed)
    left: list[str] = []
    right: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        old, new = "".join(a[i1:i2]), "".join(b[j1:j2])
        if op == "equal":
            left.append(esc(old))
            right.append(esc(new))
            continue
        left.append(_mark(old, "del"))
        right.append(_mark(new, "ins"))
    return "".join(left), "".join(right)


def _mark(text: str, cls: str) -> str:
    if not text.strip():
        return esc(text)
    core = text.strip()
    start = text.index(core)
    return f'{esc(text[:start])}<mark class="{cls}">{esc(core)}</mark>{esc(text[start + len(core):])}'


def _explanations(explanations: object) -> str:
    if not isinstance(explanations, Mapping) or not explanations:
        return ""
    lines = []
    for method, pairs in explanations.items():
        if not isinstance(pairs, list):
            continue
        scores = [float(p[1]) for p in pairs if isinstance(p, (list, tuple)) and len(p) == 2
                  and isinstance(p[1], (int, float)) and math.isfinite(p[1])]
        top = max((abs(s) for s in scores), default=0.0) or 1.0
        spans = []
        for pair in pairs:
            if not (isinstance(pair, (list, tuple)) and len(pair) == 2 and isinstance(pair[1], (int, float))):
                continue
            token, score = pair
            score = float(score) if math.isfinite(score) else 0.0
            alpha = 0.85 * abs(score) / top
            colour = f"rgba(230,110,0,{alpha:.2f})" if score > 0 else f"rgba(40,110,220,{alpha:.2f})"
            spans.append(f'<span class="t" style="background:{colour}" title="{score:+.3f}">{esc(token)}</span>')
        lines.append(f'<div class="attr"><span class="m">{esc(method)}</span>{" ".join(spans)}</div>')
    return "".join(lines)
