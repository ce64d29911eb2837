import numpy as np
import pytest

from assay import expect
from assay.cases import Case
from assay.errors import DeclarationError

LABELS = ["negative", "neutral", "positive"]


def P(*rows):
    return np.array(rows, dtype=float)


def test_expected_label_pass_fail_and_not_applicable():
    e = expect.expected_label()
    assert e(Case(("x",), frozenset({"positive"})), P([0.1, 0.1, 0.8]), LABELS).outcome == "pass"
    v = e(Case(("x",), frozenset({"positive", "neutral"})), P([0.7, 0.2, 0.1]), LABELS)
    assert v.outcome == "fail" and v.failing_inputs == (0,) and v.severity == pytest.approx(0.5)
    assert e(Case(("x",)), P([0.1, 0.1, 0.8]), LABELS).outcome == "na"


def test_label_sets():
    case = Case(("x",))
    assert expect.label_in("neutral", "positive")(case, P([0.2, 0.5, 0.3]), LABELS).passed
    assert expect.label_not_in("negative")(case, P([0.6, 0.2, 0.2]), LABELS).failed
    with pytest.raises(DeclarationError, match="not one of the model's labels"):
        expect.label_in("happy")(case, P([0.2, 0.5, 0.3]), LABELS)


def test_invariant_with_and_without_tolerance():
    case = Case(("a", "b", "c"))
    probs = P([0.1, 0.1, 0.8], [0.1, 0.2, 0.7], [0.6, 0.1, 0.3])
    v = expect.invariant()(case, probs, LABELS)
    assert v.failed and v.failing_inputs == (2,)
    assert expect.invariant()(Case(("a", "b")), probs[:2], LABELS).passed
    assert expect.invariant(tolerance=0.05)(Case(("a", "b")), probs[:2], LABELS).failed
    assert expect.invariant()(Case(("a",)), probs[:1], LABELS).outcome == "na"


def test_confidence_directions_and_tolerance():
    pair = Case(("a", "b"))
    up, down = P([0.2, 0.2, 0.6], [0.1, 0.1, 0.8]), P([0.2, 0.2, 0.6], [0.3, 0.15, 0.55])
    assert expect.confidence_not_lower("positive")(pair, up, LABELS).passed
    assert expect.confidence_not_lower("positive")(pair, down, LABELS).failed
    assert expect.confidence_not_lower("positive", tolerance=0.1)(pair, down, LABELS).passed
    assert expect.confidence_not_higher()(pair, up, LABELS).failed  # label=None: original prediction


def test_moves_away_and_flips():
    pair = Case(("good", "not good"))
    away = P([0.1, 0.1, 0.8], [0.5, 0.2, 0.3])
    assert expect.moves_away_from("positive")(pair, away, LABELS).passed
    assert expect.moves_away_from("positive", min_drop=0.6)(pair, away, LABELS).failed
    # An original not predicted positive cannot move away from positive: not applicable.
    assert expect.moves_away_from("positive")(pair, P([0.8, 0.1, 0.1], [0.9, 0, 0.1]), LABELS).outcome == "na"
    assert expect.flips()(pair, away, LABELS).passed


def test_combinators_and_custom_expectations():
    @expect.single
    def confident(row, labels, expected):
        return float(row.max()) >= 0.7

    @expect.pairwise
    def never_neutral(orig, new, labels):
        return None if labels[int(orig.argmax())] == "neutral" else labels[int(new.argmax())] != "neutral"

    case = Case(("a", "b"))
    probs = P([0.1, 0.1, 0.8], [0.1, 0.6, 0.3])
    assert confident(case, probs, LABELS).failed
    assert never_neutral(case, probs, LABELS).failed
    assert (confident | expect.label_not_in("negative"))(case, probs, LABELS).passed
    assert (confident & expect.label_not_in("negative"))(case, probs, LABELS).failed
    assert never_neutral(case, P([0.1, 0.8, 0.1], [0.1, 0.6, 0.3]), LABELS).outcome == "na"


def test_by_name_for_yaml():
    e = expect.by_name("confidence_not_lower", {"label": "positive", "tolerance": 0.1})
    assert e.label_args == ("positive",)
    with pytest.raises(DeclarationError, match="unknown expectation"):
        expect.by_name("confidence_maybe")
