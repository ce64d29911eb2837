"""The JSON report (schema ``assay-report/1``, typed in :mod:`assay.report.record`): every test, its
figures and its failing cases, and how far the session got.

Writing never fails on the values a record holds: NaN and infinities become ``null`` and a field of
the wrong type is dropped, with the test put in error and the reason in its ``error``.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Iterable, Mapping

from assay import __version__
from assay.report.record import (
    OUTCOMES,
    SCHEMA,
    ItemRecord,
    ModelRecord,
    Report,
    SessionRecord,
    finite_copy,
    is_complete,
    non_finite,
    type_problems,
)

_REQUIRED_TEXT = ("nodeid", "name")
_REQUIRED_OR_NONE = ("type", "capability", "model")


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def build_report(records: Iterable[Mapping[str, Any]], seed: int, session: SessionRecord | None = None) -> Report:
    """The report of ``records`` (one per item). Without ``session`` the report does not say how far
    its run got, so it is not complete (see :func:`assay.report.record.is_complete`)."""
    models: dict[str, dict[str, Any]] = {}
    tests: list[ItemRecord] = []
    for raw in records:
        record = dict(raw)
        info = record.pop("model_info", None)
        record.pop("junit_extra", None)
        if isinstance(info, Mapping) and isinstance(info.get("name"), str):
            models.setdefault(info["name"], fit_model(info))
        tests.append(fit_record(record))
    tests.sort(key=lambda r: r["nodeid"])
    summary = {"tests": len(tests)}
    for outcome in OUTCOMES:
        summary["errors" if outcome == "error" else outcome] = sum(r["outcome"] == outcome for r in tests)
    report: dict[str, Any] = {"schema": SCHEMA, "assay_version": __version__, "created": now()}
    if session is not None:
        report.update(complete=is_complete(session), session=dict(session))
    else:
        report["complete"] = False
    report.update(seed=seed if isinstance(seed, int) else 0, models=list(models.values()), summary=summary,
                  tests=tests)
    return report  # type: ignore[return-value]


def running_report(session: SessionRecord) -> Report:
    """What a run writes at its start: no tests, ``complete: false``, status ``running``. A run that
    is killed leaves this behind, never the previous run's report."""
    return build_report([], 0, session)


def write_report(report: Mapping[str, Any], path: Any) -> None:
    """Write atomically: a run killed halfway leaves the previous file intact."""
    from assay.atomic import write_json_atomic

    write_json_atomic(report, path, default=str)


def fit_record(record: Mapping[str, Any]) -> ItemRecord:
    """``record`` made to fit :class:`~assay.report.record.ItemRecord`: non-finite numbers become
    ``None`` and fields of the wrong type are dropped; either puts the test in error."""
    problems: list[str] = []
    data: dict[str, Any] = finite_copy(dict(record), "", problems)
    notes = [non_finite(problems) + ", written as null"] if problems else []
    for key in _REQUIRED_TEXT:
        if not isinstance(data.get(key), str):
            data[key] = "?" if data.get(key) is None else str(data[key])
    for key in _REQUIRED_OR_NONE:
        if data.get(key) is not None and not isinstance(data[key], str):
            data[key] = str(data[key])
        data.setdefault(key, None)
    if data.get("outcome") not in OUTCOMES:
        notes.append(f"outcome {data.get('outcome')!r} is not one of {', '.join(OUTCOMES)}")
        data["outcome"] = "error"
    dropped = sorted({str(where[0]) for where, _ in type_problems(ItemRecord, data) if where})
    for key in dropped:
        data.pop(key, None)
    if dropped:
        notes.append(f"field{'s' * (len(dropped) > 1)} {', '.join(dropped)} of the wrong type (left out)")
    if notes:
        message = "cannot report this test's figures: " + "; ".join(notes)
        if data["outcome"] == "error" and data.get("error"):
            message = f"{data['error']}; {message}"
        data.update(outcome="error", passed=False, error=message)
    if type_problems(ItemRecord, data):  # cannot happen once the fields above are fixed; never lose the test
        data = {k: data[k] for k in ("nodeid", "name", *_REQUIRED_OR_NONE, "outcome", "error", "passed")}
    return data  # type: ignore[return-value]


def fit_model(info: Mapping[str, Any]) -> dict[str, Any]:
    """A model's description made to fit :class:`~assay.report.record.ModelRecord` (odd fields left out)."""
    data: dict[str, Any] = finite_copy(dict(info))
    for where, _ in type_problems(ModelRecord, data):
        if where and where[0] != "name":
            data.pop(str(where[0]), None)
    return data
