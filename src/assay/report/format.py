"""One formatter set for every report (terminal, HTML, ``assay compare``, failure messages).

Each takes whatever a record holds: a value of the wrong type or a non-finite number is shown as
``missing`` rather than raising.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

DASH = "–"
ARROWS = ("↑", "↓")


def number(value: Any) -> float | None:
    """``value`` as a finite float, or ``None`` (booleans are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def count(value: Any) -> int:
    """``value`` as a non-negative count (0 for anything that is not one)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def truncation(inputs: int, limit: Any) -> str:
    """``3, 512`` -> ``3 inputs truncated to 512 tokens`` (the model's limit where it is not known)."""
    where = f"{limit} tokens" if count(limit) else "the model's token limit"
    return f"{inputs} input{'' if inputs == 1 else 's'} truncated to {where}"


def percent(rate: Any, *, trim: bool = False, missing: str = DASH) -> str:
    """``0.124`` -> ``12.4%``; ``trim`` drops a trailing ``.0`` (``5%``, ``100%``)."""
    value = number(rate)
    if value is None:
        return missing
    text = f"{value * 100:.1f}"
    if trim and text.endswith(".0"):
        text = text[:-2]
    return text + "%"


def points(delta: Any, *, signed: bool = True, missing: str = DASH) -> str:
    """A difference of rates in percentage points: ``+4.0 pp`` (``4.0 pp`` unsigned)."""
    value = number(delta)
    if value is None:
        return missing
    return f"{value * 100:+.1f} pp" if signed else f"{value * 100:.1f} pp"


def direction(delta: Any) -> str | None:
    """``"up"``, ``"down"``, or ``None`` for no change (under 0.05 points) or no value."""
    value = number(delta)
    if value is None or abs(value * 100) < 0.05:
        return None
    return "up" if value > 0 else "down"


def delta(value: Any, arrows: tuple[str, str] = ARROWS, *, missing: str = DASH) -> str:
    """``↑ +4.0 pp`` / ``↓ -3.0 pp`` / ``= 0.0 pp``: the change of a failure rate."""
    if number(value) is None:
        return missing
    way = direction(value)
    if way is None:
        return "= 0.0 pp"
    return f"{arrows[0] if way == 'up' else arrows[1]} {points(value)}"


def p_value(p: Any, *, missing: str = DASH) -> str:
    value = number(p)
    if value is None:
        return missing
    return f"{value:.2g}" if value >= 0.001 else f"{value:.1e}"


def rate_colour(rate: float | None) -> str:
    """Green at 0, through amber, to red from 50% on; the square root stretches small rates."""
    value = number(rate)
    if value is None:
        return "#f3f4f6"
    hue = 130 * (1 - min(1.0, math.sqrt(max(value, 0.0) / 0.5)))
    return f"hsl({hue:.0f},62%,{80 if value > 0 else 88}%)"


def text(value: Any) -> str:
    """A record value as display text (``""`` for ``None``)."""
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Pooled:
    """The cases of several tests pooled (a capability x type cell): failed cases over applicable
    cases of the judged tests, how many tests failed, and how many could not be judged."""

    tests: int
    failed_tests: int
    errors: int
    failed_cases: int
    cases: int

    @property
    def rate(self) -> float | None:
        return self.failed_cases / self.cases if self.cases else None

    def cell(self) -> str:
        """``12.4% 1/3`` = 12.4% of cases failed, 1 of 3 tests failed; ``!`` marks errors."""
        return f"{percent(self.rate, missing='n/a')} {self.failed_tests}/{self.tests}{'!' if self.errors else ''}"


def pool(records: Iterable[Mapping[str, Any]]) -> Pooled:
    records = list(records)
    judged = [r for r in records if r.get("outcome") in ("passed", "failed")]
    return Pooled(
        tests=len(records),
        failed_tests=sum(r.get("outcome") == "failed" for r in judged),
        errors=sum(r.get("outcome") not in ("passed", "failed", "skipped") for r in records),
        failed_cases=sum(count(r.get("failed")) for r in judged),
        cases=sum(count(r.get("cases")) for r in judged),
    )
