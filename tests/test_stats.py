import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from assay.stats import mcnemar_exact, paired_difference_interval, wilson_interval


@given(st.integers(min_value=1, max_value=5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_contains_estimate_and_stays_in_unit_interval(fn):
    failed, total = fn
    low, high = wilson_interval(failed, total)
    assert 0.0 <= low <= failed / total <= high <= 1.0


@given(st.integers(min_value=1, max_value=2000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_is_symmetric(fn):
    failed, total = fn
    low, high = wilson_interval(failed, total)
    low2, high2 = wilson_interval(total - failed, total)
    assert math.isclose(low, 1 - high2, abs_tol=1e-12) and math.isclose(high, 1 - low2, abs_tol=1e-12)


@given(st.integers(0, 50))
def test_wilson_narrows_with_more_data(k):
    # Same proportion, ten times the cases: a narrower interval.
    low1, high1 = wilson_interval(k, 100)
    low2, high2 = wilson_interval(10 * k, 1000)
    assert high2 - low2 < high1 - low1


def test_wilson_known_value():
    # 62 of 500 (a classic check: p = 0.124), computed by hand from the Wilson formula.
    low, high = wilson_interval(62, 500)
    assert low == pytest.approx(0.0980, abs=5e-4)
    assert high == pytest.approx(0.1557, abs=5e-4)


def test_wilson_empty_and_invalid():
    assert wilson_interval(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError):
        wilson_interval(3, 2)


def test_mcnemar_exact_values():
    assert mcnemar_exact(0, 0) == 1.0
    # 5 discordant pairs all one way: p = 2 * 0.5**5
    assert mcnemar_exact(5, 0) == pytest.approx(0.0625)
    assert mcnemar_exact(3, 2) == pytest.approx(1.0)
    assert mcnemar_exact(30, 5) < 0.001


@given(st.integers(0, 60), st.integers(0, 60))
def test_mcnemar_symmetric_and_a_probability(b, c):
    p = mcnemar_exact(b, c)
    assert 0.0 < p <= 1.0
    assert p == pytest.approx(mcnemar_exact(c, b))


# -- exact McNemar for any number of discordant pairs (issue 11, item 3) ----------------------------


def _tail_bracket(n: int, k: int) -> tuple[Fraction, Fraction]:
    """Exact bounds on sum_{i<=k} C(n, i) for k <= n/2, in integer arithmetic.

    Terms are summed exactly from C(n, k) downwards; once the next term is below 1e-25 of the sum, the
    rest is bounded by a geometric series (the ratios C(n, i-1) / C(n, i) = i / (n-i+1) shrink as i
    falls). Small tails are summed to the end, so the bracket is the exact value there.
    """
    term, total, i = math.comb(n, k), 0, k
    while True:
        total += term
        if i == 0:
            return Fraction(total), Fraction(total)
        nxt = term * i // (n - i + 1)  # C(n, i-1), exact
        if nxt * 10**25 < total:
            ratio = Fraction(i - 1, n - i + 2)
            return Fraction(total + nxt), total + nxt / (1 - ratio)
        term, i = nxt, i - 1


def _reference_bracket(b: int, c: int) -> tuple[Fraction, Fraction]:
    n = b + c
    if n == 0:
        return Fraction(1), Fraction(1)
    low, high = _tail_bracket(n, min(b, c))
    scale = Fraction(1, 2 ** (n - 1))
    return min(Fraction(1), low * scale), min(Fraction(1), high * scale)


def _assert_matches_reference(b: int, c: int) -> None:
    p = mcnemar_exact(b, c)
    assert p == mcnemar_exact(c, b)
    low, high = _reference_bracket(b, c)
    assert 0.0 <= p <= 1.0
    if high < Fraction(2) ** -1000:  # below the normal float range: only "tiny" can be asked for
        assert p <= 2.0**-990
        return
    assert low * Fraction(1 - 1e-11) <= Fraction(p) <= high * Fraction(1 + 1e-11), (b, c, p, float(low))


def test_mcnemar_exact_known_small_tables_are_exact():
    # Every table up to 60 pairs against the exact Fraction sum (1 - 1e-11 relative).
    for b in range(61):
        for c in range(b, 61):
            _assert_matches_reference(b, c)


def test_mcnemar_exact_beyond_1023_pairs():
    # 2.0 ** 1024 overflowed: every comparison with 1,024+ discordant pairs crashed.
    assert mcnemar_exact(512, 512) == 1.0
    assert mcnemar_exact(600, 700) == pytest.approx(0.0060157938610449, rel=1e-12)  # exact sum, by hand
    _assert_matches_reference(600, 700)


@given(st.integers(0, 100_000).flatmap(
    lambda n: st.tuples(st.just(n), st.integers(0, n // 2), st.integers(0, min(n // 2, 20 * math.isqrt(n) + 20)))))
@example((100_000, 0, 0))
@example((100_000, 0, 1_000))
@example((100_000, 0, 5_000))
@example((1_024, 0, 0))
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mcnemar_exact_matches_fraction_reference(case):
    # n pairs split around the middle (where the p-value is not vanishingly small) or anywhere.
    n, anywhere, offset = case
    for k in (n // 2 - offset, anywhere):
        _assert_matches_reference(k, n - k)


def test_mcnemar_exact_very_large_counts_are_fast_and_sane():
    # A billion pairs: well past any float power of two, still a probability, still decided by the split.
    assert mcnemar_exact(10**9, 10**9) == 1.0
    even = mcnemar_exact(500_000_000, 500_010_000)
    assert 0.5 < even < 1.0
    assert mcnemar_exact(500_000_000, 500_200_000) < 1e-9
    assert mcnemar_exact(10**9, 0) == 0.0


def test_counts_are_validated():
    for bad in (-1, 1.5, True, "3", None):
        with pytest.raises(ValueError, match="non-negative integer"):
            mcnemar_exact(bad, 2)
        with pytest.raises(ValueError, match="non-negative integer"):
            wilson_interval(1, bad)
    with pytest.raises(ValueError, match="z must be"):
        wilson_interval(1, 2, z=float("nan"))


def test_numpy_counts_do_not_overflow():
    # Counts from numpy sums are int64: the Newcombe product of four marginals overflowed silently
    # (a zero-width interval) once each count passed ~55,000.
    counts = (60_000, 50_000, 100_000, 90_000)
    expected = paired_difference_interval(*counts)
    assert paired_difference_interval(*map(np.int64, counts)) == expected
    assert expected[0] < -1 / 30 < expected[1]
    assert wilson_interval(np.int64(7), np.int64(5_000_000_000)) == wilson_interval(7, 5_000_000_000)
    assert mcnemar_exact(np.int64(600), np.int64(700)) == mcnemar_exact(600, 700)


@given(st.integers(0, 300), st.integers(0, 300), st.integers(0, 300), st.integers(0, 300))
def test_paired_difference_interval_is_an_interval_around_the_estimate(a_only, b_only, both, neither):
    low, high = paired_difference_interval(a_only, b_only, both, neither)
    n = a_only + b_only + both + neither
    estimate = (b_only - a_only) / n if n else 0.0
    assert -1.0 <= low <= estimate <= high <= 1.0
    swapped = paired_difference_interval(b_only, a_only, both, neither)
    assert swapped == pytest.approx((-high, -low), abs=1e-12)


def test_paired_difference_interval_rejects_negative_counts():
    with pytest.raises(ValueError, match="a_only"):
        paired_difference_interval(-1, 3, 1, 5)
