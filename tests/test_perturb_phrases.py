"""Intensifiers, reducers, irrelevant negations and appended sentiment phrases."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from assay.perturb import (add_intensifier, add_irrelevant_negation, add_negative_phrase, add_positive_phrase,
                           add_reducer)
from assay.perturb.phrases import (INTENSIFIERS, IRRELEVANT_PREFIXES, IRRELEVANT_SUFFIXES, NEGATIVE_PHRASES,
                                   POSITIVE_PHRASES, REDUCERS, SENTIMENT_ADJECTIVES)

SUBJECTS = st.sampled_from(("The flight", "Our crew", "The seat", "It", "This airline"))
ADJ = st.sampled_from(("good", "excellent", "awful", "terrible", "uncomfortable", "nice"))
texts = st.builds(lambda s, v, a, e: f"{s} {v} {a}{e}", SUBJECTS, st.sampled_from(("was", "is", "was an", "was a")),
                  ADJ, st.sampled_from(("", ".", "!")))
plain = st.lists(st.sampled_from(("flight", "the", "late", "I", "we", "Mary", "ok")), min_size=1, max_size=8).map(" ".join)
SETTINGS = settings(max_examples=40, deadline=None)


def without(out: str, phrase: str) -> str:
    return out.replace(phrase + " ", "", 1)


@SETTINGS
@given(text=texts, seed=st.integers(0, 200))
def test_modifier_is_inserted_right_before_the_adjective(text, seed):
    for p, words in ((add_intensifier(seed=seed), INTENSIFIERS), (add_reducer(seed=seed), REDUCERS)):
        for out in p(text):
            phrase = next(w for w in words if f" {w} " in out)
            restored = without(out, phrase)
            normal = lambda t: t.replace(" an ", " a ")  # noqa: E731 - the article may switch a <-> an
            assert normal(restored) == normal(text)
            after = out.split(phrase + " ", 1)[1]
            assert after.split()[0].strip(".!") in SENTIMENT_ADJECTIVES
            assert " a e" not in out and " an v" not in out and " a a " not in out


def test_modifier_examples():
    assert add_intensifier(words=("very",))("The food was good.") == ["The food was very good."]
    assert add_intensifier(words=("extremely",))("It was a nice flight") == ["It was an extremely nice flight"]
    assert add_reducer(words=("somewhat",))("It was an awful flight") == ["It was a somewhat awful flight"]
    assert add_intensifier()("The food was not good, the crew was very nice.") == []
    assert add_intensifier(words=("really",))("Not good, but the seat was comfortable") == [
        "Not good, but the seat was really comfortable"]
    assert add_intensifier()("We landed at noon") == []


@SETTINGS
@given(text=st.one_of(texts, plain), seed=st.integers(0, 200))
def test_irrelevant_negation_keeps_the_text_and_adds_a_negated_phrase(text, seed):
    (out,) = add_irrelevant_negation(seed=seed)(text)
    prefix = next((p for p in IRRELEVANT_PREFIXES if out.startswith(p + " ")), None)
    if prefix:
        rest = out[len(prefix) + 1:]
        assert rest[1:] == text[1:] and rest[0].lower() == text[0].lower()
    else:
        suffix = next(s for s in IRRELEVANT_SUFFIXES if out.endswith(" " + s))
        assert out[: -len(suffix) - 1].rstrip(".") == text.rstrip(".")
        phrase = suffix
    phrase = prefix or suffix
    assert any(neg in phrase.lower() for neg in ("not", "n't", "never", "nothing"))


@SETTINGS
@given(text=st.one_of(texts, plain), seed=st.integers(0, 200))
def test_sentiment_phrases_are_appended_as_a_new_sentence(text, seed):
    for p, phrases in ((add_positive_phrase(seed=seed), POSITIVE_PHRASES), (add_negative_phrase(seed=seed), NEGATIVE_PHRASES)):
        (out,) = p(text)
        phrase = next(s for s in phrases if out.endswith(" " + s))
        head = out[: -len(phrase) - 1]
        assert head in (text, text + ".")
        assert head[-1] in ".!?"


def test_phrases_examples_and_samples():
    assert add_positive_phrase(phrases=("Thank you.",))("Great flight") == ["Great flight. Thank you."]
    assert add_negative_phrase(phrases=("I hate waiting.",))("Boarding now!") == ["Boarding now! I hate waiting."]
    assert len(add_negative_phrase(samples=3)("Ok")) == 3
    assert add_irrelevant_negation(where="start")("The crew was nice").__len__() == 1
    assert add_irrelevant_negation(where="start")("The crew was nice")[0].endswith(", but the crew was nice")
    assert add_positive_phrase()("   ") == []
