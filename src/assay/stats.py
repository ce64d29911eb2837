"""Statistics for judging: Wilson score interval, Newcombe paired difference and the exact McNemar test.

Both work for any count a run can produce. The McNemar p-value is the exact binomial tail, computed
in floating point without overflow or underflow of intermediate values: the largest term of the tail
comes from Loader's saddle-point form of the binomial probability (the one R's ``dbinom`` uses,
accurate to a few units in the last place for any n), and the other terms follow from it by their
exact ratios, summed until they no longer change the total.
"""

from __future__ import annotations

import math
import operator

Z_95 = 1.959963984540054


def _count(name: str, value: int) -> int:
    """``value`` as a Python int (numpy integers too: no fixed-width overflow later), or ValueError."""
    try:
        count = operator.index(value)
    except TypeError:
        count = -1
    if isinstance(value, bool) or count < 0:
        raise ValueError(f"{name} must be a non-negative integer count, got {value!r}")
    return count


def wilson_interval(failed: int, total: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion ``failed / total``.

    Returns ``(0.0, 1.0)`` when ``total`` is 0: nothing is known.
    """
    failed, total = _count("failed", failed), _count("total", total)
    if failed > total:
        raise ValueError(f"need 0 <= failed <= total, got failed={failed}, total={total}")
    if not (math.isfinite(z) and z > 0):
        raise ValueError(f"z must be a positive finite number, got {z!r}")
    if total == 0:
        return 0.0, 1.0
    n = float(total)
    p = failed / total
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = (z / denom) * math.sqrt(p * (1 - p) / n + z2 / (4 * n) / n)
    low, high = max(0.0, centre - half), min(1.0, centre + half)
    # Guard against rounding at the edges: the interval always contains the estimate.
    return min(low, p), max(high, p)


def paired_difference_interval(a_only: int, b_only: int, both: int, neither: int) -> tuple[float, float]:
    """95% Newcombe interval (method 10, Wilson-based) for ``p(B correct) - p(A correct)`` on paired cases.

    ``a_only``: cases only A gets right; ``b_only``: only B; ``both`` / ``neither``: concordant cases.
    Counts may be numpy integers; they are taken as Python ints, so products never overflow.
    """
    a_only, b_only = _count("a_only", a_only), _count("b_only", b_only)
    both, neither = _count("both", both), _count("neither", neither)
    n = a_only + b_only + both + neither
    if n == 0:
        return -1.0, 1.0
    p_b, p_a = (both + b_only) / n, (both + a_only) / n
    low_b, high_b = wilson_interval(both + b_only, n)
    low_a, high_a = wilson_interval(both + a_only, n)
    denominator = (both + a_only) * (neither + b_only) * (both + b_only) * (neither + a_only)
    phi = (both * neither - a_only * b_only) / math.sqrt(denominator) if denominator > 0 else 0.0
    difference = p_b - p_a
    lower = math.sqrt(max(0.0, (p_b - low_b) ** 2 - 2 * phi * (p_b - low_b) * (high_a - p_a) + (high_a - p_a) ** 2))
    upper = math.sqrt(max(0.0, (high_b - p_b) ** 2 - 2 * phi * (high_b - p_b) * (p_a - low_a) + (p_a - low_a) ** 2))
    return max(-1.0, difference - lower), min(1.0, difference + upper)


# Stirling-series coefficients of stirlerr(n) = log(n!) - log(sqrt(2 pi n) (n/e)^n).
_S0, _S1, _S2, _S3, _S4 = 1 / 12, 1 / 360, 1 / 1260, 1 / 1680, 1 / 1188
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _stirlerr(n: int) -> float:
    if n <= 15:
        return math.lgamma(n + 1) - (n + 0.5) * math.log(n) + n - _LOG_SQRT_2PI if n else 0.0
    nn = float(n) * n
    if n > 500:
        return (_S0 - _S1 / nn) / n
    if n > 80:
        return (_S0 - (_S1 - _S2 / nn) / nn) / n
    if n > 35:
        return (_S0 - (_S1 - (_S2 - _S3 / nn) / nn) / nn) / n
    return (_S0 - (_S1 - (_S2 - (_S3 - _S4 / nn) / nn) / nn) / nn) / n


def _bd0(x: float, mean: float) -> float:
    """``x log(x / mean) + mean - x``, without cancellation when ``x`` is close to ``mean``."""
    if abs(x - mean) < 0.1 * (x + mean):
        v = (x - mean) / (x + mean)
        s = (x - mean) * v
        term = 2 * x * v
        v *= v
        j = 1
        while True:
            term *= v
            nxt = s + term / (2 * j + 1)
            if nxt == s:
                return nxt
            s, j = nxt, j + 1
    return x * math.log(x / mean) + mean - x


def _half_binomial_pmf(k: int, n: int) -> float:
    """P(X = k) for X ~ Bin(n, 1/2), accurate for any n (Loader 2000)."""
    if k == 0 or k == n:
        return math.ldexp(1.0, -n)
    half = n / 2
    exponent = _stirlerr(n) - _stirlerr(k) - _stirlerr(n - k) - _bd0(k, half) - _bd0(n - k, half)
    return math.exp(exponent) * math.sqrt(n / (2 * math.pi * k * (n - k)))


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value for discordant pair counts ``b`` and ``c``.

    ``b``: cases that passed before and fail now; ``c``: failed before and pass now.
    Under the null each discordant pair is a fair coin: p = 2 * P(X <= min(b, c)), X ~ Bin(b + c, 1/2).
    Exact for any number of pairs; 0.0 only where the p-value is below the smallest float.
    """
    b, c = _count("b", b), _count("c", c)
    n = b + c
    if n == 0:
        return 1.0
    k = min(b, c)
    # P(X <= k) = P(X = k) * (1 + r_k + r_k r_{k-1} + ...), r_i = P(X = i-1) / P(X = i) = i / (n - i + 1).
    # For k <= n/2 every ratio is at most 1 and they shrink as i falls: stop once a term is lost in the sum.
    term = total = 1.0
    for i in range(k, 0, -1):
        term *= i / (n - i + 1)
        total += term
        if term < total * 1e-17:
            break
    return min(1.0, 2.0 * _half_binomial_pmf(k, n) * total)
