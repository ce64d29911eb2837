"""``assay compare OLD.json NEW.json``: gate a release on two JSON reports.

Exit status: 0 when no test regressed, 1 when at least one did, 2 when an input cannot be used
(missing, truncated, another schema, fields of the wrong type, incomplete, or a report of another
suite).
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from assay import _validate as valid
from assay.atomic import write_json_atomic
from assay.baseline import Baseline, Comparison
from assay.cli import FAILED, OK
from assay.errors import BaselineError
from assay.options import add_comparison_options
from assay.report.format import ARROWS, delta, p_value, percent, points
from assay.report.load import read_report, require_complete

COMPARE_SCHEMA = "assay-compare/1"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("old", metavar="OLD.json", help="baseline report (the release you compare against)")
    parser.add_argument("new", metavar="NEW.json", help="report of the candidate")
    add_comparison_options(parser.add_argument)
    parser.add_argument("--json", metavar="OUT", type=valid.output_file, help="also write the comparison as JSON to OUT")


def run(args: argparse.Namespace, out: TextIO) -> int:
    old, new = read_report(args.old), read_report(args.new)
    if not args.allow_incomplete:
        require_complete(old, args.old, "--allow-incomplete")
        require_complete(new, args.new, "--allow-incomplete")
    baseline = Baseline(old, args.old)
    mismatch = baseline.suite_mismatch(t.get("name") for t in new.get("tests", []))
    if mismatch:
        raise BaselineError(mismatch)
    verdicts = baseline.compare(new, max_regression=args.max_regression, alpha=args.alpha)
    arrows = _arrows(out)
    print(format_table(verdicts, arrows=arrows), file=out)
    counts = {status: sum(v.status == status for v in verdicts)
              for status in ("regressed", "improved", "unchanged", "not_comparable", "new")}
    missing = baseline.missing_from(new)
    print(
        f"\n{counts['regressed']} regressed, {counts['improved']} improved, {counts['unchanged']} unchanged, "
        f"{counts['not_comparable']} not comparable, {counts['new']} new "
        f"(max regression {points(args.max_regression, signed=False)}, alpha {args.alpha:g})",
        file=out,
    )
    if missing:
        print(f"not in {args.new}: {', '.join(missing)}", file=out)
    if args.json:
        write_json_atomic(_as_json(args, verdicts, counts, missing), args.json)
    return FAILED if counts["regressed"] else OK


def _as_json(args: Any, verdicts: list[Comparison], counts: dict[str, int], missing: list[str]) -> dict:
    return {
        "schema": COMPARE_SCHEMA, "old": str(args.old), "new": str(args.new),
        "max_regression": args.max_regression, "alpha": args.alpha,
        "counts": counts, "missing": missing,
        "comparisons": [v.to_dict() for v in verdicts],
    }


def _arrows(stream: TextIO) -> tuple[str, str]:
    try:
        "↑↓".encode(getattr(stream, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return "^", "v"
    return ARROWS


def _needs_reason(v: Comparison) -> bool:
    """Say why only where the status alone would puzzle: not comparable, or a big change judged chance."""
    if v.status == "not_comparable":
        return True
    return v.status == "unchanged" and v.delta is not None and abs(v.delta) > v.max_regression


def format_table(verdicts: list[Comparison], *, arrows: tuple[str, str] = ARROWS) -> str:
    header = ("test", "model", "old rate", "new rate", "delta", "p-value", "status")
    rows = [
        (
            v.name or "?", v.model or "?", percent(v.previous_rate, missing="-"),
            percent(v.current_rate, missing="-"), delta(v.delta, arrows, missing="-"), p_value(v.p_value, missing="-"),
            f"{v.status}: {v.reason}" if _needs_reason(v) else v.status,
        )
        for v in verdicts
    ]
    if not rows:
        return "no tests in the new report"
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header) - 1)]
    right = {2, 3, 4, 5}

    def line(row: tuple) -> str:
        cells = [str(c).rjust(w) if i in right else str(c).ljust(w) for i, (c, w) in enumerate(zip(row, widths))]
        return "  ".join([*cells, str(row[-1])]).rstrip()

    rule = "  ".join("-" * w for w in widths) + "  " + "-" * len(header[-1])
    return "\n".join([line(header), rule, *(line(r) for r in rows)])

