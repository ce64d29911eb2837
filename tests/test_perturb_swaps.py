"""Name, place and number swaps change only the entity tokens."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from assay.perturb import change_numbers, swap_locations, swap_names
from assay.perturb.swaps import CITIES, COUNTRIES, FEMALE_NAMES, LAST_NAMES, MALE_NAMES

FILLER = ("the", "flight", "was", "great", "and", "with", "to", "from", "Grace", "Will", "grace", "paid", "@Mary",
          "Maryland", "Parisian", "for", "hours", "A320", "10:30", "3.5")
names = st.sampled_from(("Mary", "James", "Priya", "Carlos", "Smith", "Mary's", "Garcia"))
places = st.sampled_from(("Boston", "New York", "Paris", "Japan", "United States", "Lagos"))
numbers = st.integers(0, 5000).map(str)
SETTINGS = settings(max_examples=40, deadline=None)


def sentence(*entities):
    return st.lists(st.one_of(st.sampled_from(FILLER), *entities), min_size=1, max_size=12).map(" ".join)


@SETTINGS
@given(text=sentence(names), seed=st.integers(0, 100))
def test_swap_names_changes_only_name_tokens(text, seed):
    all_names = set(MALE_NAMES) | set(FEMALE_NAMES) | set(LAST_NAMES)
    outs = swap_names(n=2, seed=seed)(text)
    has_name = any(w.split("'")[0] in all_names for w in text.split() if not w.startswith("@") and w != "Grace")
    assert bool(outs) == has_name
    for out in outs:
        before, after = text.split(), out.split()
        assert len(before) == len(after)
        for a, b in zip(before, after):
            if a != b:
                a_name, b_name = a.split("'")[0], b.split("'")[0]
                assert a_name in all_names and b_name in all_names and a[len(a_name):] == b[len(b_name):]
                assert (a_name in MALE_NAMES) == (b_name in MALE_NAMES)  # first names keep their gender list


def test_swap_names_is_consistent_and_skips_ambiguous_words():
    (out,) = swap_names(n=1)("Mary met Mary's brother. Grace period applies.")
    new = out.split()[0]
    assert out == f"{new} met {new}'s brother. Grace period applies." and new != "Mary"
    assert swap_names()("Maryland and @Mary") == []


@SETTINGS
@given(text=sentence(places), seed=st.integers(0, 100))
def test_swap_locations_changes_only_places(text, seed):
    pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, CITIES + COUNTRIES), key=len, reverse=True)) + r")\b")
    outs = swap_locations(n=2, seed=seed)(text)
    assert bool(outs) == bool(pattern.search(text))
    for out in outs:
        assert pattern.sub("<PLACE>", out) == pattern.sub("<PLACE>", text)
        for old, new in zip(pattern.findall(text), pattern.findall(out)):
            assert (old in CITIES) == (new in CITIES)


@SETTINGS
@given(text=sentence(numbers), seed=st.integers(0, 100))
def test_change_numbers_changes_only_whole_numbers(text, seed):
    outs = change_numbers(n=2, seed=seed)(text)
    for out in outs:
        assert re.sub(r"\d+", "#", out) == re.sub(r"\d+", "#", text)
        assert "A320" in out or "A320" not in text
        assert "10:30" in out or "10:30" not in text
        assert "3.5" in out or "3.5" not in text
        for a, b in zip(re.findall(r"(?<![\w.:])\d+(?![\w:.])", text), re.findall(r"(?<![\w.:])\d+(?![\w:.])", out)):
            assert abs(int(a) - int(b)) <= max(2, 0.2 * int(a) + 1)


def test_change_numbers_examples():
    outs = change_numbers(n=3)("I waited 45 minutes for 2 bags")
    assert outs and all(re.fullmatch(r"I waited \d+ minutes for \d+ bags", o) for o in outs)
    assert change_numbers()("flight A320 at 10:30") == []
    assert change_numbers()("1 bag") == []  # singular stays singular
    assert all(" 1 " not in o for o in change_numbers(n=20)("We had 2 bags"))
