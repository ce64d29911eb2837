"""Release gating: compare a test's cases with the same test in a baseline report.

A baseline is a JSON report (schema ``assay-report/1``) written by ``--assay-report`` on the
release you compare against. Each current test is matched with its baseline twin by test name and
model name; its cases are paired by position when both runs generated the same cases (same
``fingerprint``), and the exact McNemar test on the discordant pairs decides whether a change in
failure rate is more than noise. See docs/baseline.md.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Collection, Iterable, Mapping

from .errors import BaselineError
from .stats import mcnemar_exact

__all__ = [
    "SCHEMA",
    "STATUSES",
    "Baseline",
    "Comparison",
    "compare_reports",
    "compare_test",
    "load_baseline",
    "validate_report",
]

SCHEMA = "assay-report/1"
STATUSES = ("regressed", "improved", "unchanged", "not_comparable", "new")
_FIX = "regenerate it with `pytest SUITE --assay-report {path}` on the release you compare against"


@dataclass(frozen=True)
class Comparison:
    """The verdict for one test against its baseline twin."""

    status: str
    reason: str
    name: str | None = None
    model: str | None = None
    previous_rate: float | None = None
    current_rate: float | None = None
    delta: float | None = None
    p_value: float | None = None
    b: int = 0  # passed in the baseline, fails now
    c: int = 0  # failed in the baseline, passes now
    pairs: int = 0  # cases applicable on both sides
    max_regression: float = 0.02
    alpha: float = 0.05

    @property
    def regressed(self) -> bool:
        return self.status == "regressed"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Comparison:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


def compare_test(
    current: Mapping[str, Any],
    previous: Mapping[str, Any] | None,
    *,
    max_regression: float = 0.02,
    alpha: float = 0.05,
) -> Comparison:
    """Compare one test entry of the current report with its baseline entry (or ``None``).

    Regressed: the failure rate rose by more than ``max_regression`` AND McNemar's p < ``alpha``.
    Improved: it fell by more than ``max_regression`` AND p < ``alpha``. Otherwise unchanged.
    """
    if not 0.0 <= max_regression < 1.0:
        raise ValueError(f"max_regression must be in [0, 1), got {max_regression}")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    base = {"name": current.get("name"), "model": current.get("model"),
            "max_regression": max_regression, "alpha": alpha, "current_rate": _rate(current)}
    if previous is None:
        return Comparison("new", "not in the baseline", **base)
    previous_rate, current_rate = _rate(previous), base["current_rate"]
    base["previous_rate"] = previous_rate
    if current.get("outcome") == "error":
        detail = _first_line(current.get("error")) or "no detail"
        return Comparison("not_comparable", f"errored in this run ({detail})", **base)
    if previous.get("outcome") == "error":
        return Comparison("not_comparable", "errored in the baseline run", **base)
    if previous_rate is not None and current_rate is not None:
        base["delta"] = current_rate - previous_rate
    old_print, new_print = previous.get("fingerprint"), current.get("fingerprint")
    if not old_print or not new_print:
        return Comparison("not_comparable", "cases cannot be paired: a report has no fingerprint", **base)
    if old_print != new_print:
        return Comparison("not_comparable", "cases changed: fingerprint differs", **base)
    old_outcomes, new_outcomes = previous.get("outcomes") or "", current.get("outcomes") or ""
    if len(old_outcomes) != len(new_outcomes):
        return Comparison(
            "not_comparable",
            f"cases changed: {len(new_outcomes)} outcomes now, {len(old_outcomes)} in the baseline",
            **base,
        )
    b, c, pairs = discordant_counts(old_outcomes, new_outcomes)
    p = mcnemar_exact(b, c)
    base.update(b=b, c=c, pairs=pairs, p_value=p)
    delta = base.get("delta")
    if pairs == 0 or delta is None:
        return Comparison("unchanged", "no case applicable in both runs", **base)
    if delta > max_regression and p < alpha:
        return Comparison("regressed", f"failure rate {_points(delta)}, significant (p={p:.2g})", **base)
    if delta < -max_regression and p < alpha:
        return Comparison("improved", f"failure rate {_points(delta)}, significant (p={p:.2g})", **base)
    if abs(delta) <= max_regression:
        why = f"failure rate {_points(delta)}, within the ±{max_regression * 100:.1f} pp allowed"
    else:
        why = f"failure rate {_points(delta)}, not significant (p={p:.2g} >= {alpha:g}, {b + c} discordant pair{'s' * (b + c != 1)})"
    return Comparison("unchanged", why, **base)


def discordant_counts(old: str, new: str) -> tuple[int, int, int]:
    """``(b, c, pairs)``: pass->fail, fail->pass, and pairs with no 'N' on either side."""
    b = c = pairs = 0
    for before, after in zip(old, new):
        if before == "N" or after == "N":
            continue
        pairs += 1
        if before == "P" and after == "F":
            b += 1
        elif before == "F" and after == "P":
            c += 1
    return b, c, pairs


def _points(delta: float) -> str:
    return f"{delta * 100:+.1f} pp"


def _rate(test: Mapping[str, Any]) -> float | None:
    rate = test.get("failure_rate")
    if isinstance(rate, (int, float)):
        return float(rate)
    outcomes = test.get("outcomes") or ""
    applicable = sum(1 for o in outcomes if o != "N")
    return outcomes.count("F") / applicable if applicable else None


def _first_line(text: object) -> str:
    return str(text).strip().splitlines()[0][:200] if text else ""


class Baseline:
    """A loaded baseline report: look up tests by name and model."""

    def __init__(self, report: Mapping[str, Any], path: str | os.PathLike[str] = "<baseline>"):
        self.path = Path(path)
        self.report = report
        self.tests: list[Mapping[str, Any]] = list(report.get("tests", []))
        self.models: list[str] = _model_names(report)
        self._by_key: dict[tuple[str, str], Mapping[str, Any]] = {}
        self._by_name: dict[str, Mapping[str, Any]] = {}
        for test in self.tests:
            self._by_key.setdefault((test.get("name"), test.get("model")), test)
            self._by_name.setdefault(test.get("name"), test)

    @property
    def names(self) -> set[str]:
        return {t.get("name") for t in self.tests}

    def lookup(
        self, name: str, model: str, *, run_models: Collection[str] | None = None
    ) -> dict[str, Any] | None:
        """The baseline entry of test ``name`` on ``model``, or ``None``.

        Exact match on (test name, model name) first. When the baseline ran exactly one model and
        ``model`` is not among the baseline's models, the test name alone decides — provided the
        current run also has one model (``run_models``; ``None`` means a one-model run). So
        ``pytest --assay-model ./candidate`` compares against a baseline made with ``./release``.
        """
        found = self._by_key.get((name, model))
        if found is not None:
            return dict(found)
        single_run = run_models is None or len(set(run_models)) == 1
        if len(self.models) == 1 and model not in self.models and single_run:
            found = self._by_name.get(name)
            if found is not None:
                return dict(found)
        return None

    def suite_mismatch(self, current_names: Iterable[str]) -> str | None:
        """A one-line error when the baseline shares no test name with this run, else ``None``."""
        current = {n for n in current_names if n}
        if not current or not self.tests or current & self.names:
            return None
        return (
            f"baseline {self.path} shares no test with this run "
            f"(baseline has {_preview(self.names)}; this run has {_preview(current)}): "
            f"it comes from another suite — pass the report of this suite's last release"
        )

    def compare(
        self, report: Mapping[str, Any], *, max_regression: float = 0.02, alpha: float = 0.05
    ) -> list[Comparison]:
        """One comparison per test of ``report``, in report order."""
        run_models = _model_names(report) or sorted({t.get("model") for t in report.get("tests", [])})
        return [
            compare_test(test, self.lookup(test.get("name"), test.get("model"), run_models=run_models),
                         max_regression=max_regression, alpha=alpha)
            for test in report.get("tests", [])
        ]

    def missing_from(self, report: Mapping[str, Any]) -> list[str]:
        """Names of baseline tests that the current report does not have at all."""
        present = {t.get("name") for t in report.get("tests", [])}
        return sorted(n for n in self.names if n not in present)


def compare_reports(
    old: Mapping[str, Any], new: Mapping[str, Any], *, max_regression: float = 0.02, alpha: float = 0.05
) -> list[Comparison]:
    """Compare every test of ``new`` with report ``old`` (both already validated dicts)."""
    return Baseline(old).compare(new, max_regression=max_regression, alpha=alpha)


def _model_names(report: Mapping[str, Any]) -> list[str]:
    models = report.get("models") or []
    names = [m.get("name") for m in models if isinstance(m, Mapping) and m.get("name")]
    if not names:
        names = sorted({t.get("model") for t in report.get("tests", []) if t.get("model")})
    return names


def _preview(names: Iterable[str], limit: int = 3) -> str:
    ordered = sorted(names)
    shown = ", ".join(ordered[:limit])
    more = f" and {len(ordered) - limit} more" if len(ordered) > limit else ""
    return f"{shown}{more}"


def validate_report(data: object, path: str | os.PathLike[str]) -> dict[str, Any]:
    """Check that ``data`` is an assay report of the schema this version reads; return it."""
    if not isinstance(data, dict) or "schema" not in data:
        raise BaselineError(
            f"{path} is not an assay report (no \"schema\" field): pass a file written by --assay-report"
        )
    schema = data["schema"]
    if schema != SCHEMA:
        if isinstance(schema, str) and schema.startswith("assay-report/"):
            raise BaselineError(
                f"{path} has schema {schema!r} but this assay reads {SCHEMA!r}: "
                + _FIX.format(path=path)
            )
        raise BaselineError(
            f"{path} is not an assay report (schema {schema!r}): pass a file written by --assay-report"
        )
    tests = data.get("tests")
    if not isinstance(tests, list) or not all(isinstance(t, dict) and "name" in t for t in tests):
        raise BaselineError(f"{path} has no valid \"tests\" list: " + _FIX.format(path=path))
    return data


def read_report(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and validate a JSON report, raising BaselineError with a one-line fix on any problem."""
    p = Path(path)
    if not p.exists():
        raise BaselineError(f"{p} does not exist: " + _FIX.format(path=p))
    if not p.is_file():
        raise BaselineError(f"{p} is not a file: pass the JSON file written by --assay-report")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{p} cannot be read ({type(exc).__name__}): " + _FIX.format(path=p)) from None
    if not text.strip():
        raise BaselineError(f"{p} is empty: " + _FIX.format(path=p))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(
            f"{p} is not valid JSON (truncated or corrupted: {exc.msg} at line {exc.lineno}): "
            + _FIX.format(path=p)
        ) from None
    return validate_report(data, p)


def load_baseline(path: str | os.PathLike[str]) -> Baseline:
    """Load a baseline report; raises :class:`assay.errors.BaselineError` when it is unusable."""
    return Baseline(read_report(path), path)
