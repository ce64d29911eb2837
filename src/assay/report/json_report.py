"""The JSON report (schema ``assay-report/1``): every test, its figures and its failing cases."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Iterable

from assay import __version__

SCHEMA = "assay-report/1"


def build_report(records: Iterable[dict[str, Any]], seed: int) -> dict[str, Any]:
    tests = sorted(records, key=lambda r: r["nodeid"])
    models: dict[str, dict[str, Any]] = {}
    for record in tests:
        info = record.pop("model_info", None) if "model_info" in record else None
        if info:
            models.setdefault(info["name"], info)
        record.pop("junit_extra", None)
    summary = {"tests": len(tests)}
    for outcome in ("passed", "failed", "error", "skipped"):
        summary[outcome if outcome != "error" else "errors"] = sum(r.get("outcome") == outcome for r in tests)
    return {
        "schema": SCHEMA,
        "assay_version": __version__,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "seed": seed,
        "models": list(models.values()),
        "summary": summary,
        "tests": tests,
    }


def write_report(report: dict[str, Any], path: str) -> None:
    """Write atomically: a run killed halfway leaves the previous report intact."""
    from assay.atomic import write_json_atomic

    write_json_atomic(report, path)
