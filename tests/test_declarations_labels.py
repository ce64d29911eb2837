"""MFT labels: one set of acceptable labels for every input (``labels=``) versus one label per input
(``case_labels=``), and templates that keep every text they expand to (issue 11, item 24)."""

import numpy as np
import pytest

from assay import MFT, template
from assay.errors import DeclarationError
from assay.judge import evaluate

LABELS = ["negative", "neutral", "positive"]


def _always(label):
    row = np.array([1.0 if lab == label else 0.0 for lab in LABELS])
    return lambda _text: row


# -- labels= given the way CheckList passes them (one per input) -----------------------------------

def test_labels_as_long_as_the_data_is_an_error_that_points_to_case_labels():
    # CheckList's "used to, but now": one label per input. Taken as a set, every input could take
    # every label and the failure rate fell to 0.
    decl = MFT(["I used to hate it, but now I love it.", "I used to love it, but now I hate it.",
                "It used to be bad, but now it is good."], labels=["positive", "negative", "positive"])
    with pytest.raises(DeclarationError, match=r"case_labels=") as info:
        decl.validate(LABELS)
    assert "\n" not in str(info.value)


def test_labels_with_repeated_values_is_an_error():
    decl = MFT(["a", "b", "c", "d"], labels=["positive", "negative", "positive"])
    with pytest.raises(DeclarationError, match=r"repeats 'positive'.*case_labels="):
        decl.validate(LABELS)


def test_labels_as_a_set_of_acceptable_labels_still_works():
    decl = MFT(["a", "b", "c"], labels=["neutral", "positive"])
    decl.validate(LABELS)
    assert {c.expected for c in decl.cases()} == {frozenset({"neutral", "positive"})}
    # One input, one label: both readings agree.
    MFT(["a"], labels=["positive"]).validate(LABELS)


# -- case_labels=: one label per input, in memory --------------------------------------------------

def test_case_labels_give_each_input_its_own_label():
    decl = MFT(["good", "bad", "fine"], case_labels=["positive", "negative", "neutral"])
    decl.validate(LABELS)
    assert [(c.inputs[0], c.expected) for c in decl.cases()] == [
        ("good", frozenset({"positive"})), ("bad", frozenset({"negative"})), ("fine", frozenset({"neutral"}))]
    # A model that always says "positive" fails two cases of three, as CheckList counts it.
    result = evaluate(decl, "m", LABELS, _always("positive"))
    assert result.failed == 2 and result.outcomes == "PFF"


def test_case_labels_follow_their_inputs_through_sampling_and_pairs():
    texts = [f"text {i}" for i in range(50)]
    labels = ["positive" if i % 2 else "negative" for i in range(50)]
    decl = MFT(texts, case_labels=labels, n=10, seed=3)
    cases = decl.cases()
    assert len(cases) == 10
    assert all(c.expected == {labels[int(c.inputs[0].split()[1])]} for c in cases)
    pairs = MFT([("q1", "q2"), ("q3", "q4")], case_labels=["duplicate", "not_duplicate"])
    assert [c.expected for c in pairs.cases()] == [{"duplicate"}, {"not_duplicate"}]


@pytest.mark.parametrize("kwargs, message", [
    (dict(case_labels=["positive"]), r"case_labels= has 1 label for 2 inputs"),
    (dict(case_labels=["positive", "negative"], label="positive"), r"give one of label=, labels= or case_labels="),
    (dict(case_labels=["positive", None]), r"case_labels=\[1\] is None"),
    (dict(case_labels="positive"), r"case_labels= is a list"),
])
def test_bad_case_labels(kwargs, message):
    with pytest.raises(DeclarationError, match=message):
        MFT(["a", "b"], **kwargs).validate(LABELS)


def test_case_labels_are_checked_against_the_suite_labels_and_shown_in_the_spec():
    with pytest.raises(DeclarationError, match="'happy' is not one of the suite's labels"):
        MFT(["a", "b"], case_labels=["positive", "happy"]).validate(LABELS)
    spec = MFT(["a", "b"], case_labels=["positive", "negative"], name="t").to_spec()
    assert spec["case_labels"] == ["positive", "negative"] and spec["labels"] is None


def test_case_labels_survive_renaming_and_reseeding():
    import dataclasses

    decl = MFT(["a", "b"], case_labels=["positive", "negative"]).named("t")
    decl = dataclasses.replace(decl, seed=5)
    assert [c.expected for c in decl.cases()] == [{"positive"}, {"negative"}]


# -- templates keep what they expand to; contradictions are an error --------------------------------

def test_a_template_keeps_duplicate_texts():
    # 500 CheckList inputs written as one pattern each, 24 of them repeated: 500 cases, not 476.
    texts = [f"sentence {i}" for i in range(476)] + [f"sentence {i}" for i in range(24)]
    t = template(texts, label="positive")
    assert len(t) == 500
    assert len(MFT(t).cases()) == 500
    assert list(template("{w} x", w=["a", "a", "b"])) == ["a x", "a x", "b x"]


def test_joined_templates_keep_duplicates_with_the_same_label():
    both = template(["a", "b"], label="positive") + template(["a"], label="positive")
    assert [c.inputs[0] for c in MFT(both).cases()] == ["a", "b", "a"]


def test_the_same_text_with_two_different_labels_is_an_error():
    both = template(["nice", "bad flight"], label="positive") + template(["bad flight"], label="negative")
    with pytest.raises(DeclarationError, match=r"'bad flight' is expected as \['positive'\] .*\['negative'\]"):
        MFT(both).cases()
    with pytest.raises(DeclarationError, match=r"'x' is expected"):
        MFT(["x", "x"], case_labels=["positive", "negative"]).cases()


def test_a_set_of_labels_may_be_as_long_as_the_data():
    decl = MFT(["a", "b", "c"], labels={"negative", "neutral", "positive"})
    decl.validate(LABELS)
    assert decl.cases()[0].expected == frozenset(LABELS)


CONFTEST = '''
import numpy as np, pytest

class Positive:
    labels = ["negative", "neutral", "positive"]
    def predict_proba(self, inputs):
        return np.array([[0.1, 0.1, 0.8]] * len(inputs))

@pytest.fixture(scope="session")
def assay_model():
    return Positive()
'''


def test_in_a_session_per_input_labels_count_and_contradictions_are_one_line_errors(pytester):
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_suite='''
from assay import MFT, template
test_per_input = MFT(["up", "down", "up again", "down again"],
                     case_labels=["positive", "negative", "positive", "negative"], max_failure_rate=0.4)
test_checklist_way = MFT(["up", "down"], labels=["positive", "negative"])
test_contradiction = MFT(template(["x", "y"], label="positive") + template(["x"], label="negative"))
''')
    result = pytester.runpytest("-p", "no:randomly", "-p", "no:cacheprovider", "--continue-on-collection-errors")
    result.assert_outcomes(failed=1, errors=2)
    result.stdout.fnmatch_lines([
        "*labels= has 2 labels for 2 inputs*case_labels=*",
        "*MFT input 'x' is expected as ?'positive'? in one case and as ?'negative'? in another*",
        "*FAILED test_per_input: 50.0% failed (2/4)*",
    ])


@pytest.mark.integration
def test_checklists_used_to_but_now_declared_by_hand_matches_the_import():
    from pathlib import Path

    path = Path(__file__).resolve().parents[1].parent / "shared" / "checklist" / "sentiment_suite.tar.gz"
    if not path.is_file():
        pytest.skip(f"CheckList's sentiment suite not found at {path}")
    from assay.checklist import load_suite

    test = load_suite(path)["used to, but now"]
    picked = test.sample(None)
    texts = [test.cases[i][0] for i in picked]
    labels = [LABELS[test.label_of(i)] for i in picked]
    # CheckList's way of passing labels, given to labels=: refused, instead of a test that cannot fail.
    with pytest.raises(DeclarationError, match="case_labels="):
        MFT(texts, labels=labels).validate(LABELS)
    by_hand = MFT(texts, case_labels=labels)
    by_hand.validate(LABELS)
    imported = test.declaration(label_names=LABELS)
    assert [(c.inputs, c.expected) for c in by_hand.cases()] == [(c.inputs, c.expected) for c in imported.cases()]
    assert len({c.expected for c in by_hand.cases()}) > 1
