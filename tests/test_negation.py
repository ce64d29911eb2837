"""Rule-based negation: the documented table, plus round-trip properties over generated sentences."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import assay.perturb as perturb
from assay.perturb.negation import add_negation, remove_negation
from assay.perturb.verbs import IRREGULAR, base_of_past, base_of_third, past, third_person

DOC = Path(__file__).parents[1] / "docs" / "negation.md"


def table_rows() -> list[tuple[str, str, str]]:
    rows = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].isdigit():
            rows.append((cells[1], cells[2], cells[3]))
    return rows


def test_the_table_has_forty_rows():
    rows = table_rows()
    assert len(rows) == 40 and len({r[0] for r in rows}) == 40


@pytest.mark.parametrize("sentence, added, removed", table_rows())
def test_documented_examples(sentence, added, removed):
    assert add_negation(sentence) == ([] if added == "—" else [added])
    assert remove_negation(sentence) == ([] if removed == "—" else [removed])


# -- generated sentences: subject + verb phrase + object -----------------------------------------
THIRD = ("She", "He", "It", "The museum", "My sister", "Our teacher")
OTHERS = ("I", "We", "They", "You", "The students", "My parents")
VERBS = ("enjoy", "like", "visit", "finish", "watch", "stop", "try", "need", "take", "see", "buy", "forget",
         "bring", "find", "carry", "miss", "plan", "love", "choose", "keep")
OBJECTS = ("the film", "it", "the old bridge", "that song", "the garden", "this place")
ADJECTIVES = ("cold", "ready", "busy", "happy", "open", "late")


@st.composite
def affirmative(draw):
    kind = draw(st.sampled_from(("past", "present", "be", "modal", "perfect")))
    third = draw(st.booleans())
    subject = draw(st.sampled_from(THIRD if third else OTHERS))
    verb = draw(st.sampled_from(VERBS))
    obj = draw(st.sampled_from(OBJECTS))
    end = draw(st.sampled_from((".", "!", "")))
    if kind == "past":
        phrase = f"{past(verb)} {obj}"
    elif kind == "present":
        phrase = f"{third_person(verb) if third else verb} {obj}"
    elif kind == "be":
        be = draw(st.sampled_from(("was", "is") if third else ("were", "are")))
        phrase = f"{be} {draw(st.sampled_from(ADJECTIVES))}"
    elif kind == "modal":
        phrase = f"{draw(st.sampled_from(('can', 'will', 'should', 'could', 'must')))} {verb} {obj}"
    else:
        participle = IRREGULAR[verb][1] if verb in IRREGULAR else past(verb)
        phrase = f"{'has' if third else 'have'} {participle} {obj}"
    return f"{subject} {phrase}{end}"


@settings(max_examples=150, deadline=None)
@given(sentence=affirmative(), contracted=st.booleans())
def test_add_then_remove_gives_back_the_sentence(sentence, contracted):
    (negated,) = add_negation(sentence, contracted=contracted)
    assert (" not " in negated) or ("n't " in negated) or (" cannot " in negated)
    assert len(negated.split()) - len(sentence.split()) in (0, 1, 2)
    assert remove_negation(negated) == [sentence]
    assert add_negation(negated) == []  # already negated at that verb
    assert remove_negation(sentence) == []  # nothing to remove


@settings(max_examples=60, deadline=None)
@given(sentence=affirmative())
def test_questions_are_never_rewritten(sentence):
    question = sentence.rstrip(".!") + "?"
    assert add_negation(question) == [] and remove_negation(question) == []


@settings(max_examples=60, deadline=None)
@given(sentence=affirmative(), tail=st.sampled_from((" Thanks.", " See you soon!", " Who knows?")))
def test_only_the_first_sentence_with_a_verb_changes(sentence, tail):
    text = sentence.rstrip(".!") + "." + tail
    (negated,) = add_negation(text)
    assert negated.endswith(tail) and negated != text


def test_morphology_round_trips_for_every_verb_in_the_tables():
    from assay.perturb.verbs import REGULAR

    for base in sorted(REGULAR | set(IRREGULAR)):
        if base == "be":
            continue
        form = past(base)
        assert base_of_past(form) == base or base_of_past(form) in IRREGULAR or form == base, base
        assert base_of_third(third_person(base)) == base, base


def test_perturbation_objects_wrap_the_functions():
    add, remove = perturb.add_negation(), perturb.remove_negation()
    assert add.name == "add_negation" and remove.name == "remove_negation"
    assert add("I liked the film.") == ["I did not like the film."]
    assert perturb.add_negation(contracted=True)("I liked the film.") == ["I didn't like the film."]
    assert remove("I didn't like the film.") == ["I liked the film."]
    assert add("") == [] and remove("") == []


@pytest.mark.parametrize("text, expected", [
    ("I really enjoyed it.", ["I did not really enjoy it."]),
    ("The staff has been helpful.", ["The staff has not been helpful."]),
    ("We had to wait.", ["We did not have to wait."]),
    ("I've been there.", ["I have not been there."]),
    ("@friend thanks! The band was great.", ["@friend thanks! The band was not great."]),
    ("The tickets cost $20.", []),
    ("It cost me $20.", ["It did not cost me $20."]),
    ("The flight I booked was cancelled.", ["The flight I booked was not cancelled."]),
    ("Love this place!", []),
    ("I'd recommend it.", []),
])
def test_add_negation_edge_cases(text, expected):
    assert add_negation(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("We dont like it", ["We like it"]),
    ("I haven't received any refund.", []),
    ("Never again.", []),
    ("The food wasn't great but the crew was nice.", ["The food was great but the crew was nice."]),
    ("I DIDN'T LIKE IT", ["I LIKED IT"]),
    ("Not that it matters.", []),
])
def test_remove_negation_edge_cases(text, expected):
    assert remove_negation(text) == expected
