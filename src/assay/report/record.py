"""The JSON report's record type (schema ``assay-report/1``) and what makes a report complete.

:class:`Report` and :class:`ItemRecord` describe every field a report holds; a report is validated
against them when it is read back (``assay compare``, ``--assay-baseline``) and every record is made
to fit them before it is written, so a report assay writes is always one assay can read.

A report is **complete** when ``complete`` is ``true``: its pytest session ran to its end (not
interrupted by Ctrl-C, ``-x``/``--maxfail``, collection errors, or a kill) and ran every item it
selected. Only a complete report can be either side of a comparison, unless the user says otherwise.
"""

from __future__ import annotations

import math
from typing import Any, Literal, Mapping

from typing_extensions import NotRequired, TypedDict

SCHEMA = "assay-report/1"

Outcome = Literal["passed", "failed", "error", "skipped"]
"""pytest's words: ``error`` = could not be judged, ``failed`` = judged and failed."""
Phase = Literal["collect", "setup", "call", "teardown"]
Status = Literal["running", "finished", "interrupted"]
ComparisonStatus = Literal["regressed", "improved", "unchanged", "not_comparable", "new"]
Input = str | list[str]


class CaseRecord(TypedDict):
    """One failing case: its inputs (original first), what was expected and what the model said."""

    index: int
    inputs: list[Input]
    perturbations: list[str | None]
    expected: list[str] | None
    predicted: list[str]
    probs: list[list[float | None]]
    failing_inputs: list[int]
    reason: str | None
    explanations: NotRequired[dict[str, Any]]


class PerturbationCell(TypedDict):
    failed: int
    cases: int
    failure_rate: float | None


class ComparisonRecord(TypedDict):
    """A test against its baseline twin (see :class:`assay.baseline.Comparison`)."""

    status: ComparisonStatus
    reason: str
    name: NotRequired[str | None]
    model: NotRequired[str | None]
    previous_rate: NotRequired[float | None]
    current_rate: NotRequired[float | None]
    delta: NotRequired[float | None]
    p_value: NotRequired[float | None]
    b: NotRequired[int]
    c: NotRequired[int]
    pairs: NotRequired[int]
    max_regression: NotRequired[float]
    alpha: NotRequired[float]


class ItemRecord(TypedDict):
    """One pytest item (a test on one model, or one layer / head of a sweep), or one collection
    error (``phase: collect``, no type, capability or model)."""

    nodeid: str
    name: str
    type: str | None
    capability: str | None
    model: str | None
    outcome: Outcome
    error: NotRequired[str | None]
    phase: NotRequired[Phase]
    passed: NotRequired[bool | None]
    description: NotRequired[str | None]
    part: NotRequired[str | None]
    labels: NotRequired[list[str]]
    failure_rate: NotRequired[float | None]
    failed: NotRequired[int | None]
    cases: NotRequired[int | None]
    not_applicable: NotRequired[int]
    total_cases: NotRequired[int]
    ci_low: NotRequired[float | None]
    ci_high: NotRequired[float | None]
    max_failure_rate: NotRequired[float | None]
    seed: NotRequired[int | None]
    fingerprint: NotRequired[str | None]
    outcomes: NotRequired[str]
    failing_cases: NotRequired[list[CaseRecord]]
    by_perturbation: NotRequired[dict[str, PerturbationCell]]
    extra: NotRequired[dict[str, Any]]
    truncated: NotRequired[int | None]
    baseline: NotRequired[ComparisonRecord]


class ModelRecord(TypedDict):
    """A model of the run; the Hugging Face adapter also says where and how it ran."""

    name: str
    source: NotRequired[str | None]
    fingerprint: NotRequired[str | None]
    labels: NotRequired[list[str]]
    stats: NotRequired[dict[str, Any]]
    device: NotRequired[str | None]
    dtype: NotRequired[str | None]
    max_length: NotRequired[int | None]
    batch_size: NotRequired[int | None]
    backend: NotRequired[str | None]
    notes: NotRequired[list[str]]
    warnings: NotRequired[list[str]]


class SessionRecord(TypedDict):
    """How far the pytest session got: ``selected`` items (after ``-k``/``-m``) against ``run``."""

    status: Status
    reason: str | None
    exitstatus: int | None
    started: str
    selected: int | None
    run: int
    collection_errors: int


class Summary(TypedDict):
    tests: NotRequired[int]
    passed: NotRequired[int]
    failed: NotRequired[int]
    errors: NotRequired[int]
    skipped: NotRequired[int]


class Report(TypedDict):
    schema: Literal["assay-report/1"]
    assay_version: str
    created: str
    complete: NotRequired[bool]
    session: NotRequired[SessionRecord]
    seed: int
    models: list[ModelRecord]
    summary: Summary
    tests: list[ItemRecord]


OUTCOMES: tuple[Outcome, ...] = ("passed", "failed", "error", "skipped")
OUTCOMES_PATTERN = frozenset("PFN")


def is_complete(session: Mapping[str, Any]) -> bool:
    """The definition: the session finished and ran every item it selected."""
    selected = session.get("selected")
    return session.get("status") == "finished" and selected is not None and session.get("run") == selected


def incompleteness(report: Mapping[str, Any]) -> str | None:
    """Why ``report`` is not complete, in words; ``None`` when it is."""
    session = report.get("session")
    if report.get("complete") is True:
        return None
    if not isinstance(session, Mapping):
        return "it does not record whether its run finished (written by an older assay)"
    status = session.get("status")
    progress = f"{session.get('run')} of {session.get('selected')} selected items ran"
    if status == "running":
        return "its run has not finished: it is still running, or it was killed"
    reason = session.get("reason")
    return f"its run was {'interrupted' if status == 'interrupted' else 'cut short'}" + (
        f" ({reason})" if reason else "") + f": {progress}"


def finite_copy(value: Any, where: str = "", problems: list[str] | None = None) -> Any:
    """``value`` as plain JSON data: NaN and infinities become ``None`` (their paths are appended
    to ``problems``), numpy scalars and arrays become Python numbers and lists, tuples lists,
    mapping keys strings, and anything else its ``str``."""
    if problems is None:
        problems = []
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if math.isfinite(value):
            return float(value)
        problems.append(where or "value")
        return None
    if isinstance(value, Mapping):
        return {str(k): finite_copy(v, f"{where}.{k}" if where else str(k), problems) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_copy(v, f"{where}[{i}]", problems) for i, v in enumerate(value)]
    tolist = getattr(value, "tolist", None)  # numpy scalars and arrays
    if callable(tolist):
        try:
            return finite_copy(tolist(), where, problems)
        except Exception:  # noqa: BLE001 - an odd object: its text is what we can report
            pass
    return str(value)


def non_finite(paths: list[str]) -> str:
    """``a, b and 3 more are not finite (NaN or infinity)``: what :func:`finite_copy` found."""
    shown = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
    return f"{shown} {'is' if len(paths) == 1 else 'are'} not finite (NaN or infinity)"


def type_problems(kind: type, data: Any) -> list[tuple[list[str | int], str]]:
    """Where ``data`` does not fit the record type ``kind``: (path into ``data``, what is wrong).
    Beyond the types: ``outcomes`` holds only the letters P, F and N."""
    from pydantic import ValidationError

    try:
        _adapter(kind).validate_python(data, strict=True)
    except ValidationError as exc:
        return [(_data_path(data, error["loc"]), error["msg"]) for error in exc.errors()]
    items: list[tuple[list[str | int], Any]]  # (path of the record, the record)
    if kind is ItemRecord:
        items = [([], data)]
    elif kind is Report:
        items = [(["tests", i], test) for i, test in enumerate(data["tests"])]
    else:
        items = []
    return [([*where, "outcomes"], "may hold only the letters P, F and N")
            for where, item in items if not OUTCOMES_PATTERN.issuperset(item.get("outcomes", ""))]


def format_path(path: list[str | int]) -> str:
    """``["tests", 3, "failure_rate"]`` -> ``tests[3].failure_rate``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "the top level"


_ADAPTERS: dict[type, Any] = {}


def _adapter(kind: type) -> Any:
    if kind not in _ADAPTERS:
        from pydantic import TypeAdapter

        _ADAPTERS[kind] = TypeAdapter(kind)
    return _ADAPTERS[kind]


def _data_path(data: Any, loc: tuple) -> list[str | int]:
    """The part of pydantic's error location that names keys and indexes of ``data`` (it also
    names the member of a union that failed, which is no place in the data)."""
    path: list[str | int] = []
    for part in loc:
        if isinstance(data, Mapping) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        elif isinstance(data, Mapping) and isinstance(part, str) and not _is_union_tag(part):
            path.append(part)  # a missing key
            break
        else:
            continue
        path.append(part)
    return path


def _is_union_tag(part: str) -> bool:
    return part in ("str", "int", "float", "bool", "none") or "[" in part
