"""Statistics for judging: Wilson score interval and the exact McNemar test."""

from __future__ import annotations

import math

Z_95 = 1.959963984540054


def wilson_interval(failed: int, total: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion ``failed / total``.

    Returns ``(0.0, 1.0)`` when ``total`` is 0: nothing is known.
    """
    if total < 0 or failed < 0 or failed > total:
        raise ValueError(f"need 0 <= failed <= total, got failed={failed}, total={total}")
    if total == 0:
        return 0.0, 1.0
    p = failed / total
    z2 = z * z
    denom = 1.0 + z2 / total
    centre = (p + z2 / (2 * total)) / denom
    half = (z / denom) * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total))
    low, high = max(0.0, centre - half), min(1.0, centre + half)
    # Guard against rounding at the edges: the interval always contains the estimate.
    return min(low, p), max(high, p)


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value for discordant pair counts ``b`` and ``c``.

    ``b``: cases that passed before and fail now; ``c``: failed before and pass now.
    Under the null each discordant pair is a fair coin: p = 2 * P(X <= min(b, c)), X ~ Bin(b + c, 1/2).
    """
    if b < 0 or c < 0:
        raise ValueError("discordant counts must be non-negative")
    n = b + c
    if n == 0:
        return 1.0
    k = min(b, c)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2.0**n
    return min(1.0, 2.0 * tail)
