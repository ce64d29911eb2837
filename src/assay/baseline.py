"""Release gating: compare a test's cases with the same test in a baseline report.

A baseline is a JSON report (schema ``assay-report/1``) written by ``--assay-report`` on the
release you compare against. Each current test is matched with its baseline twin by test name and
model name (and by file, where one name is used in several files); its cases are paired by position when both runs generated the same cases (same
``fingerprint``), and the exact McNemar test on the discordant pairs decides whether a change in
failure rate is more than noise. See docs/baseline.md.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Collection, Iterable, Mapping

from .errors import BaselineError
from .report.format import p_value, points
from .report.load import read_report, validate_report
from .report.record import SCHEMA
from .stats import mcnemar_exact

__all__ = [
    "SCHEMA",
    "STATUSES",
    "Baseline",
    "Comparison",
    "compare_reports",
    "compare_test",
    "load_baseline",
    "read_report",
    "validate_report",
]

STATUSES = ("regressed", "improved", "unchanged", "not_comparable", "new")


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
    # Keyword arguments shared by every Comparison below; the values differ in type per field.
    base: dict[str, Any] = {"name": current.get("name"), "model": current.get("model"),
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
        return Comparison("regressed", f"failure rate {points(delta)}, significant (p={p_value(p)})", **base)
    if delta < -max_regression and p < alpha:
        return Comparison("improved", f"failure rate {points(delta)}, significant (p={p_value(p)})", **base)
    if abs(delta) <= max_regression:
        why = f"failure rate {points(delta)}, within the ±{points(max_regression, signed=False)} allowed"
    else:
        why = (f"failure rate {points(delta)}, not significant (p={p_value(p)} >= {alpha:g}, "
               f"{b + c} discordant pair{'s' * (b + c != 1)})")
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
        self._by_key: dict[tuple[Any, Any], list[Mapping[str, Any]]] = {}
        self._by_name: dict[Any, list[Mapping[str, Any]]] = {}
        for test in self.tests:
            self._by_key.setdefault((test.get("name"), test.get("model")), []).append(test)
            self._by_name.setdefault(test.get("name"), []).append(test)

    @property
    def names(self) -> set[str]:
        return {t["name"] for t in self.tests if isinstance(t.get("name"), str)}

    def lookup(
        self, name: str, model: str, *, run_models: Collection[str] | None = None, nodeid: str | None = None
    ) -> dict[str, Any] | None:
        """The baseline entry of test ``name`` on ``model``, or ``None``.

        Exact match on (test name, model name) first. When the baseline ran exactly one model and
        ``model`` is not among the baseline's models, the test name alone decides — provided the
        current run also has one model (``run_models``; ``None`` means a one-model run). So
        ``pytest --assay-model ./candidate`` compares against a baseline made with ``./release``.
        Where several files use the name, the file of ``nodeid`` picks the twin.
        """
        found = _pick(self._by_key.get((name, model)), nodeid)
        if found is not None:
            return dict(found)
        single_run = run_models is None or len(set(run_models)) == 1
        if len(self.models) == 1 and model not in self.models and single_run:
            found = _pick(self._by_name.get(name), nodeid)
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
            compare_test(test, self.lookup(test.get("name"), test.get("model"), run_models=run_models,
                                           nodeid=test.get("nodeid")),
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


def _pick(candidates: list[Mapping[str, Any]] | None, nodeid: str | None) -> Mapping[str, Any] | None:
    """The one candidate, or the one from the file of ``nodeid`` when several files use the name."""
    if not candidates:
        return None
    if len(candidates) == 1:
        return candidates[0]
    same_file = [c for c in candidates if _file_of(c.get("nodeid")) == _file_of(nodeid)]
    return same_file[0] if len(same_file) == 1 else None


def _file_of(nodeid: object) -> str | None:
    return nodeid.split("::", 1)[0] if isinstance(nodeid, str) else None


def _model_names(report: Mapping[str, Any]) -> list[str]:
    models = report.get("models") or []
    names = [m["name"] for m in models if isinstance(m, Mapping) and m.get("name")]
    if not names:
        names = sorted({t.get("model") for t in report.get("tests", []) if t.get("model")})
    return names


def _preview(names: Iterable[str], limit: int = 3) -> str:
    ordered = sorted(names)
    shown = ", ".join(ordered[:limit])
    more = f" and {len(ordered) - limit} more" if len(ordered) > limit else ""
    return f"{shown}{more}"


def load_baseline(path: str | os.PathLike[str]) -> Baseline:
    """Load a baseline report; raises :class:`assay.errors.BaselineError` when it is unusable."""
    return Baseline(read_report(path), path)
