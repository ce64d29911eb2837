"""One test of the HTML report: its summary line, figures and failing cases, with the words a
perturbation changed marked and token attributions coloured.

Values become the view dicts ``templates/parts.html.j2`` shows; the few pieces that are HTML
(marked-up diffs) are built from escaped text here and passed on as ``Markup``.
"""

from __future__ import annotations

import difflib
import math
import re
from typing import Any, Iterable, Mapping

from markupsafe import Markup, escape

from assay.report.format import count, delta, direction, number, p_value, percent, rate_colour, text, truncation

_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")
_SEP = Markup('<span class="sep">‖</span>')
WORDS = {"passed": "PASSED", "failed": "FAILED", "error": "ERROR", "skipped": "SKIPPED"}


def delta_view(value: Any) -> dict[str, str | None]:
    return {"text": delta(value), "direction": direction(value)}


def test_view(test: Mapping[str, Any], labels: list[str] | None, max_length: Any = None) -> dict[str, Any]:
    outcome: str = test["outcome"] if test.get("outcome") in WORDS else "error"
    rate = number(test.get("failure_rate"))
    if rate is not None:
        rate_text = (f"{percent(rate)} failed ({text(test.get('failed'))}/{text(test.get('cases'))}, 95% CI "
                     f"{percent(test.get('ci_low'))}–{percent(test.get('ci_high'))}) · threshold "
                     f"{percent(test.get('max_failure_rate'))}")
    else:
        rate_text = {"error": "could not be judged", "skipped": "skipped"}.get(outcome, "no applicable case")
    baseline = test.get("baseline")
    comparison: Mapping[str, Any] = baseline if isinstance(baseline, Mapping) else {}
    cases = [c for c in test.get("failing_cases") or [] if isinstance(c, Mapping)] \
        if isinstance(test.get("failing_cases"), list) else []
    kind = text(test.get("type")) if test.get("model") is not None else "collection"
    found_extra = test.get("extra")
    extra: Mapping[str, Any] = found_extra if isinstance(found_extra, Mapping) else {}
    return {
        "anchor": test["_anchor"], "outcome": outcome, "word": WORDS[outcome], "open": outcome in ("failed", "error"),
        "name": text(test.get("name")), "model": text(test.get("model")), "type": kind,
        "capability": text(test.get("capability")), "rate": rate_text,
        "trend": delta_view(comparison.get("delta")) if number(comparison.get("delta")) is not None else None,
        "description": text(test.get("description")), "nodeid": text(test.get("nodeid")),
        "seed": text(test.get("seed")), "not_applicable": count(test.get("not_applicable")),
        "total_cases": text(test.get("total_cases")), "error": text(test.get("error")),
        "truncated": truncation(count(test.get("truncated")), max_length) if count(test.get("truncated")) else None,
        "comparison": {"status": text(comparison.get("status")), "previous": percent(comparison.get("previous_rate")),
                       "current": percent(comparison.get("current_rate")), "p": p_value(comparison.get("p_value")),
                       "reason": text(comparison.get("reason"))} if comparison else None,
        "perturbations": _by_perturbation(test.get("by_perturbation")),
        "figures": _figures(extra), "heatmap": "importance" in extra,
        "failed": text(test.get("failed")), "cases": [_case(c, labels, text(test.get("type"))) for c in cases],
        "explained": any(c.get("explanations") for c in cases),
    }


def _by_perturbation(table: object) -> list[dict[str, Any]]:
    if not isinstance(table, Mapping):
        return []
    return [{"name": text(name), "failed": text(cell.get("failed")), "cases": text(cell.get("cases")),
             "rate": percent(cell.get("failure_rate")), "colour": rate_colour(cell.get("failure_rate"))}
            for name, cell in table.items() if isinstance(cell, Mapping)]


def _short(value: object) -> str | None:
    """Scalars and short lists of scalars; matrices are plotted."""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (str, int, bool)) or value is None:
        return str(value)
    if isinstance(value, list) and len(value) <= 8 and all(isinstance(v, (str, int, float)) for v in value):
        return "[" + ", ".join(_short(v) or "" for v in value) + "]"
    return None


def _figures(extra: Mapping[str, Any]) -> list[tuple[str, str]]:
    shown = [(text(k), _short(v)) for k, v in extra.items() if k != "importance"]
    return [(k, v) for k, v in shown if v is not None]


def _case(case: Mapping[str, Any], labels: list[str] | None, test_type: str) -> dict[str, Any]:
    """One failing case: a row per input (original first), then its attributions."""
    inputs = _items(case.get("inputs"))
    perturbations, predicted, probs = _items(case.get("perturbations")), _items(case.get("predicted")), \
        _items(case.get("probs"))
    failing = set(x for x in _items(case.get("failing_inputs")) if isinstance(x, int))
    compare = len(inputs) > 1 or test_type in ("INV", "DIR")
    rows = []
    for j, value in enumerate(inputs):
        if compare and j > 0:
            shown = _render_diff(inputs[0], value)[1]
        elif compare and len(inputs) > 1:
            shown = _render_original(inputs[0], inputs[1:])
        else:
            shown = _render_plain(value)
        role = "original" if compare and j == 0 else (text(perturbations[j]) if j < len(perturbations) and perturbations[j]
                                                     else ("changed" if compare else ""))
        row_probs = probs[j] if j < len(probs) and isinstance(probs[j], list) else []
        names = labels if labels and len(labels) == len(row_probs) else [str(i) for i in range(len(row_probs))]
        rows.append({"bad": j in failing, "role": role, "text": shown,
                     "label": text(predicted[j]) if j < len(predicted) and predicted[j] is not None else None,
                     "probs": [(n, f"{p:.2f}") for n, p in zip(names, map(number, row_probs)) if p is not None]})
    expected = case.get("expected")
    return {"rows": rows, "reason": text(case.get("reason")),
            "expected": ", ".join(map(str, expected)) if isinstance(expected, list) and expected else "",
            "attributions": _explanations(case.get("explanations"))}


def _items(value: object) -> list:
    return list(value) if isinstance(value, list) else []


def _explanations(explanations: object) -> list[dict[str, Any]]:
    if not isinstance(explanations, Mapping):
        return []
    methods = []
    for method, pairs in explanations.items():
        if not isinstance(pairs, list):
            continue
        pairs = [p for p in pairs if isinstance(p, (list, tuple)) and len(p) == 2 and isinstance(p[1], (int, float))
                 and not isinstance(p[1], bool)]
        scores = [float(p[1]) if math.isfinite(p[1]) else 0.0 for p in pairs]
        top = max((abs(s) for s in scores), default=0.0) or 1.0
        spans = []
        for (token, _), score in zip(pairs, scores):
            alpha = 0.85 * abs(score) / top
            colour = f"rgba(230,110,0,{alpha:.2f})" if score > 0 else f"rgba(40,110,220,{alpha:.2f})"
            spans.append({"token": text(token), "score": f"{score:+.3f}", "colour": colour})
        methods.append({"name": text(method), "spans": spans})
    return methods


# ------------------------------------------------------------------------------ word diffs


def _sides(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]


def _render_plain(value: object) -> Markup:
    return _SEP.join(escape(s) for s in _sides(value))


def _render_diff(original: object, changed: object) -> tuple[Markup, Markup]:
    """Both inputs with the words that differ wrapped in <mark> (pairs: side by side)."""
    a_sides, b_sides = _sides(original), _sides(changed)
    if len(a_sides) != len(b_sides):
        return _render_plain(original), _render_plain(changed)
    pairs = [diff_words(a, b) for a, b in zip(a_sides, b_sides)]
    return _SEP.join(p[0] for p in pairs), _SEP.join(p[1] for p in pairs)


def _render_original(original: object, others: Iterable[object]) -> Markup:
    """The original with every word the one changed input removed or replaced marked."""
    others = list(others)
    return _render_diff(original, others[0])[0] if len(others) == 1 else _render_plain(original)


def diff_words(original: str, changed: str) -> tuple[Markup, Markup]:
    """Escaped HTML of ``original`` and ``changed`` with differing word tokens in <mark>."""
    a, b = _TOKEN.findall(original), _TOKEN.findall(changed)
    left: list[str] = []
    right: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        old, new = "".join(a[i1:i2]), "".join(b[j1:j2])
        if op == "equal":
            left.append(escape(old))
            right.append(escape(new))
            continue
        left.append(_mark(old, "del"))
        right.append(_mark(new, "ins"))
    return Markup("").join(left), Markup("").join(right)


def _mark(value: str, cls: str) -> Markup:
    if not value.strip():
        return escape(value)
    core = value.strip()
    start = value.index(core)
    return Markup('{}<mark class="{}">{}</mark>{}').format(value[:start], cls, core, value[start + len(core):])
