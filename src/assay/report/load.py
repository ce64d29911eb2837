"""Reading a JSON report back (``assay compare``, ``--assay-baseline``): parsed, validated against the
record type, and checked for completeness. Every problem is one :class:`~assay.errors.ReportError`
line that names the file, the field and the fix."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Mapping

from assay.errors import ReportError
from assay.report.record import SCHEMA, Report, format_path, incompleteness, type_problems

_FIX = "write it again with `pytest SUITE --assay-report {path}`"


def read_report(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and validate a JSON report; raises :class:`ReportError` with a one-line fix on any problem."""
    p = Path(path)
    if not p.exists():
        raise ReportError(f"{p} does not exist: " + _FIX.format(path=p))
    if not p.is_file():
        raise ReportError(f"{p} is not a file: pass the JSON file written by --assay-report")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"{p} cannot be read ({type(exc).__name__}): " + _FIX.format(path=p)) from None
    if not text.strip():
        raise ReportError(f"{p} is empty: " + _FIX.format(path=p))
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except (json.JSONDecodeError, ValueError) as exc:
        detail = f"{exc.msg} at line {exc.lineno}" if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise ReportError(f"{p} is not valid JSON (truncated or corrupted: {detail}): " + _FIX.format(path=p)) from None
    return validate_report(data, p)


def validate_report(data: object, path: str | os.PathLike[str]) -> dict[str, Any]:
    """Check that ``data`` is an assay report of the schema this version reads, every field of the
    type :class:`~assay.report.record.Report` says; return it."""
    if not isinstance(data, dict) or "schema" not in data:
        raise ReportError(f"{path} is not an assay report (no \"schema\" field): pass a file written by --assay-report")
    schema = data["schema"]
    if schema != SCHEMA:
        if isinstance(schema, str) and schema.startswith("assay-report/"):
            raise ReportError(f"{path} has schema {schema!r} but this assay reads {SCHEMA!r}: "
                              + _FIX.format(path=path))
        raise ReportError(f"{path} is not an assay report (schema {schema!r}): pass a file written by --assay-report")
    if not isinstance(data.get("tests"), list):
        raise ReportError(f"{path} has no valid \"tests\" list: " + _FIX.format(path=path))
    problems = type_problems(Report, data)
    if problems:
        where, what = problems[0]
        more = f" (and {len(problems) - 1} more problem{'s' * (len(problems) > 2)})" if len(problems) > 1 else ""
        raise ReportError(f"{path}: {format_path(where)}{_value_of(data, where)} {_lower(what)}{_test_of(data, where)}"
                          f"{more}: the file was edited or damaged; " + _FIX.format(path=path))
    return data


def require_complete(report: Mapping[str, Any], path: str | os.PathLike[str], flag: str) -> None:
    """Raise :class:`ReportError` unless ``report`` is complete (see :mod:`assay.report.record`)."""
    why = incompleteness(report)
    if why is not None:
        raise ReportError(f"{path} is an incomplete report: {why}; a gate needs every selected test, so run the "
                          f"suite to its end, or pass {flag} to use it anyway")


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON value")


def _lower(message: str) -> str:
    return message[:1].lower() + message[1:]


def _value_of(data: Any, where: list[str | int]) -> str:
    for part in where:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return " is missing:"
    text = repr(data)
    return f" = {text if len(text) <= 40 else text[:39] + '…'}:"


def _test_of(data: Mapping[str, Any], where: list[str | int]) -> str:
    if len(where) >= 2 and where[0] == "tests" and isinstance(where[1], int):
        test = data["tests"][where[1]]
        if isinstance(test, Mapping) and isinstance(test.get("name"), str):
            return f" (test {test['name']!r} on model {test.get('model')!r})"
    return ""
