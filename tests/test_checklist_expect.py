"""CheckList's semantics in assay.expect, judged on hand-made probabilities (labels neg/neu/pos)."""

from __future__ import annotations

import numpy as np
import pytest

from assay import expect as E
from assay.cases import Case
from assay.declarations import INV
from assay.errors import DeclarationError
from assay.judge import evaluate

L = ["negative", "neutral", "positive"]


def P(*rows):
    return np.array(rows, dtype=float)


def pair(orig, new):
    return Case(("a", "b"), None, (None, "x")), P(orig, new)


def outcome(exp, case, probs):
    return exp(case, probs, L).outcome


def test_label_kept_or_close_passes_a_flip_that_barely_moves_where_invariant_fails():
    case, probs = pair([0.1, 0.44, 0.46], [0.1, 0.46, 0.44])  # label flips, p(positive) moved 0.02
    assert outcome(E.label_kept_or_close(0.1), case, probs) == E.PASS
    assert outcome(E.invariant(0.1), case, probs) == E.FAIL
    case, probs = pair([0.1, 0.1, 0.8], [0.1, 0.6, 0.3])
    assert outcome(E.label_kept_or_close(0.1), case, probs) == E.FAIL
    case, probs = pair([0.0, 0.1, 0.9], [0.0, 0.4, 0.6])  # label kept, moved 0.3: Expect.inv passes
    assert outcome(E.label_kept_or_close(0.1), case, probs) == E.PASS


def test_monotonic_confidence_and_the_case_that_cannot_fail():
    up = E.monotonic_confidence(None, increasing=True, tolerance=0.1)
    assert outcome(up, *pair([0.1, 0.1, 0.8], [0.1, 0.15, 0.75])) == E.PASS   # fell 0.05 <= 0.1
    assert outcome(up, *pair([0.1, 0.1, 0.8], [0.3, 0.1, 0.6])) == E.FAIL     # fell 0.2
    down = E.monotonic_confidence("positive", increasing=False, tolerance=0.1)
    assert outcome(down, *pair([0.0, 0.05, 0.95], [0.0, 0.0, 1.0])) == E.NA    # 0.95 >= 1 - 0.1: cannot fail
    assert outcome(down, *pair([0.2, 0.2, 0.6], [0.1, 0.1, 0.8])) == E.FAIL
    rise = E.monotonic_confidence(2, increasing=True, tolerance=0.1)           # CheckList's class index
    assert outcome(rise, *pair([0.85, 0.1, 0.05], [0.9, 0.1, 0.0])) == E.NA    # 0.05 <= tolerance


def test_when_original_slices_on_the_original_prediction():
    inner = E.monotonic_confidence(None, increasing=True, tolerance=0.0)
    sliced = E.when_original(inner, not_predicted="neutral")
    assert outcome(sliced, *pair([0.2, 0.6, 0.2], [0.9, 0.05, 0.05])) == E.NA
    assert outcome(sliced, *pair([0.1, 0.1, 0.8], [0.1, 0.3, 0.6])) == E.FAIL
    only_dup = E.when_original(E.predicted_label(0, skip_first=True), predicted=1)
    case = Case((("q", "r"), ("q", "s")), None, (None, "x"))
    assert only_dup(case, P([0.2, 0.8, 0], [0.9, 0.1, 0]), L).outcome == E.PASS
    assert only_dup(case, P([0.9, 0.1, 0], [0.2, 0.8, 0]), L).outcome == E.NA
    with pytest.raises(DeclarationError):
        E.when_original(inner)


def test_predicted_label_with_per_case_labels_and_aggregation():
    exp = E.predicted_label()
    assert exp(Case(("x",), frozenset({"positive"})), P([0, 0.2, 0.8]), L).outcome == E.PASS
    assert exp(Case(("x",), frozenset({"neutral", "positive"})), P([0, 0.6, 0.4]), L).outcome == E.PASS
    assert exp(Case(("x",), frozenset({"negative"})), P([0, 0.6, 0.4]), L).outcome == E.FAIL
    group = Case(("a", "b", "c"), None, (None, "x", "x"))
    probs = P([0.9, 0, 0.1], [0.1, 0, 0.9], [0.9, 0, 0.1])
    assert E.predicted_label("negative")(group, probs, L).outcome == E.FAIL          # all: one fails
    assert E.predicted_label("negative", agg="any")(group, probs, L).outcome == E.PASS
    assert E.predicted_label("positive", skip_first=True, agg="any")(group, probs, L).outcome == E.PASS
    with pytest.raises(DeclarationError, match="agg"):
        E.predicted_label(agg="most")


def test_a_case_fails_when_any_of_its_changed_inputs_fails_and_any_aggregates():
    case = Case(("o", "a", "b"), None, (None, "x", "y"))
    probs = P([0.1, 0.1, 0.8], [0.1, 0.1, 0.8], [0.1, 0.8, 0.1])
    assert E.label_kept_or_close(0.1)(case, probs, L).failing_inputs == (2,)
    assert E.label_kept_or_close(0.1, agg="any")(case, probs, L).outcome == E.PASS


def test_margin_expectations_are_the_notebooks_diff_up_and_diff_down():
    up = E.margin_not_lower(2, 0, tolerance=0.1)
    assert outcome(up, *pair([0.2, 0.3, 0.5], [0.25, 0.3, 0.45])) == E.PASS    # change -0.1
    assert outcome(up, *pair([0.2, 0.3, 0.5], [0.3, 0.3, 0.4])) == E.FAIL      # change -0.2
    down = E.margin_not_higher("positive", "negative", tolerance=0.1)
    assert outcome(down, *pair([0.2, 0.3, 0.5], [0.1, 0.3, 0.6])) == E.FAIL    # change +0.2


def test_transitive_judges_three_pairs_as_one_case():
    labels = ["not_duplicate", "duplicate"]
    exp = E.transitive("duplicate")
    case = Case((("a", "b"), ("a", "c"), ("b", "c")), None, (None, "given", "given"))
    dup, no = [0.1, 0.9], [0.9, 0.1]
    assert exp(case, P(dup, dup, dup), labels).outcome == E.PASS
    assert exp(case, P(dup, dup, no), labels).outcome == E.FAIL
    assert exp(case, P(dup, no, dup), labels).outcome == E.FAIL
    assert exp(case, P(no, no, dup), labels).outcome == E.NA


def test_a_custom_case_expectation_sees_inputs_and_meta():
    seen = []

    @E.case
    def shorter_is_not_more_positive(view: E.CaseView):
        seen.append((view.inputs, view.meta, view.predicted))
        if view.meta == "skip":
            return None
        return view.p("positive", 1) <= view.p("positive", 0) + 0.05

    ok = Case(("a long one", "short"), None, (None, "cut"), meta={"source": "t"})
    assert shorter_is_not_more_positive(ok, P([0, 0.5, 0.5], [0, 0.4, 0.6]), L).outcome == E.FAIL
    assert seen[0] == (("a long one", "short"), {"source": "t"}, ["neutral", "positive"])
    skip = Case(("a",), None, (), meta="skip")
    assert shorter_is_not_more_positive(skip, P([0, 1, 0]), L).outcome == E.NA


def test_a_whole_test_expectation_judges_all_cases_at_once_through_evaluate():
    calls = []

    @E.whole_test
    def at_most_one_flip(views):
        calls.append(len(views))
        flips = [v.predicted[0] != v.predicted[1] for v in views]
        return [not f or sum(flips) <= 1 for f in flips]

    decl = INV(groups=[["a", "a2"], ["b", "b2"], ["c", "c2"]], expect=at_most_one_flip, name="t")
    probs = {"a": [0.9, 0, 0.1], "a2": [0.1, 0, 0.9], "b": [0.9, 0, 0.1], "b2": [0.1, 0, 0.9],
             "c": [0.9, 0, 0.1], "c2": [0.9, 0, 0.1]}
    result = evaluate(decl, "m", L, lambda x: np.array(probs[x]))
    assert calls == [3] and result.outcomes == "FFP"


def test_custom_answers_must_be_verdict_like():
    bad = E.case(lambda view: "yes", name="bad")
    with pytest.raises(DeclarationError, match="bad returned 'yes'"):
        bad(Case(("a",)), P([1, 0, 0]), L)


def test_yaml_names_build_the_checklist_expectations():
    exp = E.from_spec({"when_original": {"expect": {"monotonic_confidence": {"increasing": False, "tolerance": 0.1}},
                                         "not_predicted": 1}})
    assert exp.name.startswith("when_original(monotonic_confidence(label=None, decreasing")
    assert E.from_spec({"label_not_in": [0]}).label_args == ()


def test_an_imported_mft_can_be_renamed_and_reseeded_like_any_declaration():
    """--assay-seed and named() rebuild a declaration with dataclasses.replace(), which passed the
    imported MFT's data a second time (TypeError: multiple values for 'data')."""
    import dataclasses

    from assay.checklist.declare import CheckListMFT

    stored = [(("The flight was good.",), frozenset({"positive"})), (("The seat was bad.",), frozenset({"negative"}))]
    test = CheckListMFT(stored, name="imported", capability="Vocabulary")
    renamed = test.named("imported again")
    reseeded = dataclasses.replace(test, seed=7)
    assert renamed.name == "imported again" and reseeded.seed == 7
    assert [c.inputs for c in reseeded.cases()] == [c.inputs for c in test.cases()] == [("The flight was good.",), ("The seat was bad.",)]
