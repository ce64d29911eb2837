"""Contextual word substitution: one word masked at a time, the masked LM's fill-ins kept when the
caller's filter accepts them. The tiny fill-mask models rank FAVOURITES (great, airline, good, seat)
first at every mask, so the substitutes are known."""

from __future__ import annotations

import pytest
from test_engine_fixtures import bert_mlm_dir, roberta_mlm_dir  # noqa: F401  (fixtures)

from assay import INV
from assay.errors import DeclarationError
from assay.mlm import bind, load_mlm
from assay.perturb import by_name, contextual_substitution

SENTIMENT = ["positive_adjectives", "negative_adjectives"]


@pytest.fixture(scope="module")
def mlm(bert_mlm_dir, tmp_path_factory):
    return load_mlm(str(bert_mlm_dir), cache_dir=tmp_path_factory.mktemp("cache"))


def test_only_the_allowed_word_is_masked_and_only_accepted_fill_ins_go_in(mlm):
    p = contextual_substitution(mlm, words=["flight"], exclude=["positive_adjectives"], top_k=4)
    # flight's fill-ins are great, airline, good, seat: the positive adjectives are left out.
    assert p("the flight was late") == ["the airline was late", "the seat was late"]
    keep = contextual_substitution(mlm, words=["flight"], exclude=["positive_adjectives"], top_k=4,
                                   keep=lambda word: word != "seat")
    assert keep("the flight was late") == ["the airline was late"]


def test_every_word_is_masked_in_turn_except_lexicon_words(mlm):
    p = contextual_substitution(mlm, exclude=SENTIMENT, top_k=2, n=10)
    # top 2 everywhere: great (a positive adjective: never put in) and airline.
    assert p("The flight was late") == ["Airline flight was late", "The airline was late",
                                        "The flight airline late", "The flight was airline"]
    assert p("the flight was great") == ["airline flight was great", "the airline was great", "the flight airline great"]
    assert contextual_substitution(mlm, exclude_words=["great", "airline", "good", "seat"], top_k=4)("a great seat") == []


def test_roberta_style_mask_token_works_the_same(roberta_mlm_dir):
    mlm = load_mlm(str(roberta_mlm_dir), cache_dir=False)
    p = contextual_substitution(mlm, words=["crew"], exclude=SENTIMENT, top_k=4)
    assert p("the crew was late") == ["the airline was late", "the seat was late"]


def test_a_seeded_sample_when_there_are_more_variants_than_n(mlm):
    text = "the crew said the food and the service were late"
    every = contextual_substitution(mlm, exclude=SENTIMENT, top_k=4, n=100)(text)
    assert len(every) == 2 * 10  # airline and seat at each of its 10 words
    p = contextual_substitution(mlm, exclude=SENTIMENT, top_k=4, n=3, seed=1)
    assert p(text) == p(text) == contextual_substitution(mlm, exclude=SENTIMENT, top_k=4, n=3, seed=1)(text)
    assert set(p(text)) <= set(every) and len(p(text)) == 3
    draws = {tuple(p.with_seed(seed)(text)) for seed in range(6)}
    assert len(draws) > 1


def test_yaml_style_arguments_build_the_same_perturbation(mlm):
    from_yaml = by_name("contextual_substitution", words=["flight"], exclude=["positive_adjectives"], top_k=4)
    bound = bind(from_yaml, mlm)
    assert bound("the flight was late") == ["the airline was late", "the seat was late"]
    assert bound.to_spec()["mlm"] == mlm.source and bound.to_spec()["params"]["words"] == ["flight"]


def test_no_model_or_bad_arguments_are_one_line_errors(mlm):
    unbound = contextual_substitution(words=["flight"])
    with pytest.raises(DeclarationError) as error:
        INV(["the flight was late"], unbound).validate()
    assert "--assay-mlm" in str(error.value) and "\n" not in str(error.value)
    INV(["the flight was late"], bind(unbound, mlm)).validate()
    with pytest.raises(DeclarationError) as error:
        by_name("contextual_substitution", exclude=["sentiment_words"])
    assert "no lexicon named 'sentiment_words'" in str(error.value)
    with pytest.raises(DeclarationError) as error:
        by_name("contextual_substitution", keep="not_positive")
    assert "keep=" in str(error.value) and "exclude" in str(error.value)
    with pytest.raises(DeclarationError):
        by_name("contextual_substitution", top_k=0)


def test_binding_fills_only_what_names_no_model(mlm, bert_mlm_dir):
    from assay import template
    from assay.mlm import MLMSpec

    named = contextual_substitution(str(bert_mlm_dir))
    unnamed = contextual_substitution()
    decl = INV(template("the {thing} was late", thing=["flight"]), [named, unnamed])
    bound = bind(decl, "default-model", {"device": "cpu", "cache_dir": False})
    first, second = bound.perturbation
    assert first.mlm == MLMSpec(str(bert_mlm_dir), device="cpu", cache_dir=False)  # the run's loading options
    assert second.mlm == MLMSpec("default-model", device="cpu", cache_dir=False)
    assert bind(bound, "another") is bound  # nothing left unnamed: unchanged
    loaded = contextual_substitution(mlm)
    assert bind(loaded, "default-model", {}) is loaded
