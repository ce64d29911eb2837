"""Hypothesis strategies over perturbations, and the seeded search for a minimal failing text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assay.errors import DeclarationError
from assay.strategies import ci_settings, perturbed, search_failure, typo_edits

TEXT = "The crew was great and the flight was smooth."


@settings(max_examples=50, deadline=None)
@given(out=typo_edits(TEXT, max_edits=2))
def test_typo_edits_keep_the_words_count_and_change_at_most_two_words(out):
    before, after = TEXT.split(), out.split()
    assert len(before) == len(after)
    assert sum(a != b for a, b in zip(before, after)) <= 2


@settings(max_examples=50, deadline=None)
@given(out=perturbed(TEXT))
def test_perturbed_draws_strings_with_the_same_words_up_to_small_edits(out):
    assert isinstance(out, str) and out
    assert abs(len(out) - len(TEXT)) <= 12


@settings(max_examples=5, deadline=None)
@given(out=typo_edits("!!! 123"))
def test_typo_edits_of_a_text_without_words_is_the_text(out):
    assert out == "!!! 123"


def test_search_failure_finds_a_minimal_edit_and_is_reproducible():
    fails = lambda t: "crew" not in t  # noqa: E731 - a "model" that breaks when 'crew' is misspelt
    found = search_failure(TEXT, typo_edits(TEXT), fails)
    assert found is not None and fails(found)
    changed = [(a, b) for a, b in zip(TEXT.split(), found.split()) if a != b]
    assert len(changed) == 1 and changed[0][0] == "crew"  # shrunk to a single edit of that word
    assert search_failure(TEXT, typo_edits(TEXT), fails) == found
    assert fails(search_failure(TEXT, typo_edits(TEXT), fails, seed=7))


def test_search_failure_default_strategy_and_shrinking_toward_simple_kinds():
    found = search_failure(TEXT, None, lambda t: t != TEXT and t.lower() == TEXT.lower())
    assert found is not None and found != TEXT and found.lower() == TEXT.lower()


def test_search_failure_returns_none_when_nothing_fails():
    assert search_failure(TEXT, None, lambda t: False, max_examples=20) is None
    assert search_failure(TEXT, st.just(TEXT), lambda t: True, max_examples=5) is None  # the original never counts


def test_registered_perturbations_as_kinds():
    found = search_failure(TEXT, perturbed(TEXT, kinds=("add_negation",)), lambda t: " not " in t)
    assert found == "The crew was not great and the flight was smooth."
    with pytest.raises(DeclarationError, match="unknown kind"):
        perturbed(TEXT, kinds=("nonsense",))


def test_ci_settings_are_a_value_not_a_registered_profile():
    ci = ci_settings(max_examples=13)
    assert ci.derandomize is True and ci.database is None and ci.deadline is None and ci.max_examples == 13
    assert ci_settings(deadline=500).deadline is not None  # overrides win
