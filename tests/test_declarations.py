import pytest

from assay import DIR, INV, MFT, expect, template
from assay.cases import fingerprint
from assay.errors import DeclarationError


def test_mft_labels_from_argument_or_template():
    t = template("{x} is fine", x=["a", "b"])
    assert {c.expected for c in MFT(t, "neutral").cases()} == {frozenset({"neutral"})}
    mixed = template("good {x}", x=["a"], label="positive") + template("bad {x}", x=["a"], label="negative")
    assert [sorted(c.expected) for c in MFT(mixed).cases()] == [["positive"], ["negative"]]
    assert MFT(["q"], labels=["neutral", "positive"]).cases()[0].expected == frozenset({"neutral", "positive"})


def test_mft_sampling_is_seeded():
    t = template("{x} {y}", x=list("abcdefgh"), y=list("abcdefgh"))
    a = MFT(t, "positive", n=10, seed=1).cases()
    assert a == MFT(t, "positive", n=10, seed=1).cases() and len(a) == 10
    assert a != MFT(t, "positive", n=10, seed=2).cases()


@pytest.mark.parametrize("decl, message", [
    (MFT(["x"], "positive", max_failure_rate=1.5), r"max_failure_rate=1.5 must be a number in \[0, 1\]"),
    (MFT(["x"]), "without an expected label"),
    (MFT([], "positive"), "data is empty"),
    (MFT(template("{x}", x=["a"]), "happy"), "not one of the suite's labels"),
    (INV(["x"]), "no perturbation"),
    (INV(["x"], lambda s: [s], side="c"), "side='c'"),
    (DIR(pairs=[("a", "b")]), "DIR needs expect="),
    # The argument rules shared with the command-line options (assay._validate):
    (MFT(["x"], "positive", max_failure_rate="0.05"), r"max_failure_rate='0.05' must be a number in \[0, 1\]"),
    (MFT(["x"], "positive", seed=-1), "seed=-1 must be a non-negative integer"),
    (MFT(["x"], "positive", n=0), "n=0 must be a positive integer"),
])
def test_bad_declarations(decl, message):
    with pytest.raises(DeclarationError, match=message):
        decl.validate(["negative", "neutral", "positive"])


def test_inv_drops_unchanged_outputs_and_records_perturbations():
    def shout(text):
        return [text.upper(), text]  # the unchanged copy is not a case

    def nothing(text):
        return []

    inv = INV(["hi there", "OK"], [shout, nothing])
    cases = inv.cases()
    assert cases[0].inputs == ("hi there", "HI THERE") and cases[0].perturbations == (None, "shout")
    assert cases[1].inputs == ("OK",)  # not applicable: nothing changed


def test_pairs_perturb_the_chosen_side():
    def star(text):
        return [text + "*"]

    pair = [("q", "t")]
    assert INV(pair, star, side="a").cases()[0].inputs[1] == ("q*", "t")
    assert INV(pair, star, side="b").cases()[0].inputs[1] == ("q", "t*")
    assert INV(pair, star, side="both").cases()[0].inputs[1] == ("q*", "t*")


def test_dir_pairs_and_fingerprint_tracks_content():
    d1 = DIR(pairs=[("good", "very good")], expect=expect.confidence_not_lower())
    d2 = DIR(pairs=[("good", "really good")], expect=expect.confidence_not_lower())
    assert fingerprint(d1.cases()) == fingerprint(d1.cases())
    assert fingerprint(d1.cases()) != fingerprint(d2.cases())


def test_declarations_are_inspectable_data():
    spec = MFT(template("{x}", x=["a"]), "positive", capability="Vocabulary", name="t").to_spec()
    assert spec["type"] == "MFT" and spec["data"]["template"] == ["{x}"] and spec["expect"] == "expected_label()"


@pytest.mark.parametrize("make, message", [
    (lambda: expect.invariant("0.1"), r"tolerance='0.1' must be a number in \[0, 1\]"),
    (lambda: expect.invariant(2), r"tolerance=2 must be a number in \[0, 1\]"),
    (lambda: expect.confidence_not_lower(tolerance=-0.1), r"tolerance=-0.1 must be a number in \[0, 1\]"),
    (lambda: expect.moves_away_from(min_drop=1.0), r"min_drop=1.0 must be a number in \[0, 1\)"),
    (lambda: expect.moves_away_from(min_drop="x"), r"min_drop='x' must be a number in \[0, 1\)"),
])
def test_bad_expectation_arguments_are_declaration_errors(make, message):
    """A YAML string or an out-of-range value used to raise a TypeError, or to be accepted."""
    with pytest.raises(DeclarationError, match=message):
        make()
