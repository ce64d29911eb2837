"""Typos, keyboard and OCR noise (nlpaug): only words change, and only as many as asked."""

from __future__ import annotations

import inspect
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assay.errors import DeclarationError
from assay.perturb import by_name, char_noise, keyboard, ocr, typos
from assay.perturb.noise import KINDS

WORDS = ("flight", "crew", "was", "great", "terrible", "service", "@united", "http://t.co/abc", "seat",
         "the", "I", "loved", "it", "bags", "delayed", "again", "2", "😀")
texts = st.lists(st.sampled_from(WORDS), min_size=1, max_size=10).map(" ".join)
SETTINGS = settings(max_examples=30, deadline=None)


def changed_positions(a: str, b: str) -> list[int]:
    wa, wb = a.split(), b.split()
    assert len(wa) == len(wb), (a, b)
    return [i for i, (x, y) in enumerate(zip(wa, wb)) if x != y]


@SETTINGS
@given(text=texts, seed=st.integers(0, 1000))
def test_typos_swap_two_neighbouring_letters_in_one_word(text, seed):
    for out in typos(n=1, samples=2, seed=seed)(text):
        (i,) = changed_positions(text, out)
        before, after = text.split()[i], out.split()[i]
        assert sorted(before.lower()) == sorted(after.lower()) and len(before) == len(after)
        diff = [k for k in range(len(before)) if before[k].lower() != after[k].lower()]
        assert len(diff) == 2 and diff[1] == diff[0] + 1
        assert not before.startswith(("@", "http"))  # handles and URLs are never edited


@SETTINGS
@given(text=texts, n=st.integers(1, 3), seed=st.integers(0, 1000))
def test_typos_change_at_most_n_words_and_keep_word_count(text, n, seed):
    for out in typos(n=n, seed=seed)(text):
        assert 1 <= len(changed_positions(text, out)) <= n


@SETTINGS
@given(text=texts, seed=st.integers(0, 1000))
def test_keyboard_and_ocr_substitute_one_character_in_one_word(text, seed):
    for p in (keyboard(seed=seed), ocr(seed=seed)):
        for out in p(text):
            (i,) = changed_positions(text, out)
            before, after = text.split()[i], out.split()[i]
            assert len(before) == len(after)
            assert sum(x != y for x, y in zip(before, after)) == 1


def test_noise_applies_to_real_words_and_not_to_short_ones():
    text = "The flight was great"
    for p in (typos(), keyboard(), ocr()):
        (out,) = p(text)
        assert out != text and len(out.split()) == 4
    assert typos()("ok no") == []  # words shorter than min_chars are left alone
    assert typos()("@united http://t.co/x") == []
    assert typos()("") == []


def test_samples_gives_distinct_variants_and_spacing_survives():
    text = "The  flight,\nwas   great and the crew friendly!"
    outs = typos(samples=4)(text)
    assert len(outs) == 4 and len(set(outs)) == 4
    for out in outs:
        assert re.sub(r"\w", "", out) == re.sub(r"\w", "", text)  # spacing and punctuation kept


def test_one_factory_with_a_kind_behind_the_three_names():
    text = "The flight was great and the crew was friendly."
    for kind, named in (("typos", typos), ("keyboard", keyboard), ("ocr", ocr)):
        made = char_noise(kind, n=2, samples=3, seed=4)
        same = named(n=2, samples=3, seed=4)
        assert made.name == same.name == kind
        assert made.to_spec() == same.to_spec() == by_name(kind, n=2, samples=3, seed=4).to_spec()
        assert made(text) == same(text) and made(text)
        assert named.__name__ == kind and named.__doc__ == KINDS[kind]
        assert list(inspect.signature(named).parameters) == ["n", "samples", "min_chars", "seed"]
    with pytest.raises(ValueError, match="unknown kind 'smudge'; kinds: typos, keyboard, ocr"):
        char_noise("smudge")
    with pytest.raises(DeclarationError, match="'ocr': ocr\\(\\): n and samples must be >= 1"):
        by_name("ocr", n=0)
