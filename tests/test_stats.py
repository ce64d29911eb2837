import math

import pytest
from hypothesis import given, strategies as st

from assay.stats import mcnemar_exact, wilson_interval


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
