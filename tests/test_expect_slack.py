"""Float noise never decides a verdict: every tolerance carries expect.NUMERICAL_SLACK."""

from __future__ import annotations

import numpy as np
import pytest

from assay import expect
from assay.cases import Case

LABELS = ["negative", "positive"]
NOISE = 3e-8  # what batch composition does to the same input's probabilities


def _judge(expectation, orig, new):
    case = Case(("a", "b"), None, (None, "change"))
    return expectation(case, np.array([orig, new]), LABELS).outcome


@pytest.mark.parametrize("expectation", [
    expect.invariant(0.0),
    expect.confidence_not_lower(),
    expect.confidence_not_lower(label="positive"),
])
def test_noise_below_the_slack_does_not_fail_a_zero_tolerance(expectation):
    p = 0.7
    assert _judge(expectation, [1 - p, p], [1 - p + NOISE, p - NOISE]) == expect.PASS


def test_noise_in_the_other_direction_does_not_fail_confidence_not_higher():
    p = 0.7
    assert _judge(expect.confidence_not_higher(), [1 - p, p], [1 - p - NOISE, p + NOISE]) == expect.PASS


def test_noise_does_not_count_as_moving_away():
    p = 0.7
    assert _judge(expect.moves_away_from(), [1 - p, p], [1 - p + NOISE, p - NOISE]) == expect.FAIL


def test_a_real_change_still_fails():
    p = 0.7
    assert _judge(expect.invariant(0.0), [1 - p, p], [1 - p + 1e-4, p - 1e-4]) == expect.FAIL
    assert _judge(expect.confidence_not_lower(), [1 - p, p], [1 - p + 1e-4, p - 1e-4]) == expect.FAIL
