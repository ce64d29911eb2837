"""Punctuation, contractions, case, URLs and handles: the words survive, only the surface changes."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from assay.perturb import (add_handle, add_punctuation, add_url, contractions, expand_contractions, lowercase,
                           strip_punctuation, titlecase, uppercase)

WORDS = ("The", "flight", "was", "great", "I", "am", "not", "happy", "it", "is", "do", "we", "are", "they",
         "have", "been", "waiting", "did", "cannot", "will", "should", "check-in", "3.5", "@united", "👍")
texts = st.lists(st.sampled_from(WORDS), min_size=1, max_size=10).map(" ".join)
ends = st.sampled_from(("", ".", "!", "?!", "...", " ", ","))
SETTINGS = settings(max_examples=40, deadline=None)


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text)


@SETTINGS
@given(text=texts, end=ends)
def test_add_punctuation_only_adds_a_closing_mark(text, end):
    out = add_punctuation(marks=(".", "!"))(text + end)
    if text[-1].isalnum() and end.strip() == "":
        (changed,) = out
        assert changed.rstrip()[:-1] == text and changed.rstrip()[-1] in ".!"
    else:
        assert out == []


@SETTINGS
@given(text=texts, end=ends)
def test_strip_punctuation_keeps_every_word(text, end):
    for everywhere in (False, True):
        for out in strip_punctuation(everywhere=everywhere)(text + end):
            assert words(out) == words(text)
    trailing = strip_punctuation()(text + end)
    if end.strip():
        assert trailing and not trailing[0].endswith(tuple(".!?,"))


def test_strip_punctuation_everywhere_keeps_inner_marks_urls_and_handles():
    text = 'Well, "great" check-in... 3.5 hours! @united http://t.co/x today?'
    assert strip_punctuation(everywhere=True)(text) == ["Well great check-in 3.5 hours @united http://t.co/x today"]


CONTRACTABLE = st.sampled_from(("it is not", "I am", "we are", "they have been", "do not", "did not",
                                "will not", "cannot", "should not", "I will"))
FILLER = st.sampled_from(("the flight", "late", "sure", "happy", "going home"))


@SETTINGS
@given(parts=st.lists(st.tuples(CONTRACTABLE, FILLER), min_size=1, max_size=3))
def test_contract_then_expand_gives_back_the_text(parts):
    text = " and ".join(f"{a} {b}" for a, b in parts)
    (contracted,) = contractions()(text)
    assert "'" in contracted and len(contracted) < len(text)
    assert expand_contractions()(contracted) == [text]


def test_contractions_examples():
    assert contractions()("It is not what I am used to.") == ["It's not what I'm used to."]
    assert contractions()("I know what it is.") == []  # no "what it's."
    assert contractions()("I have a bag.") == []  # "have" as a main verb is not contracted
    assert expand_contractions()("It's been bad, don't you think?") == ["It has been bad, don't you think?"]
    assert expand_contractions()("We can't go, I'm tired") == ["We cannot go, I am tired"]
    assert expand_contractions()("no apostrophes here") == []


@SETTINGS
@given(text=texts)
def test_case_changes_keep_the_letters(text):
    for p in (lowercase(), uppercase(), titlecase()):
        for out in p(text):
            assert out.lower() == text.lower()
    assert lowercase()(text) in ([text.lower()], [])
    assert uppercase()(text) in ([text.upper()], [])


def test_titlecase_does_not_capitalise_after_apostrophes():
    assert titlecase()("don't stop me now") == ["Don't Stop Me Now"]


@SETTINGS
@given(text=texts, seed=st.integers(0, 500), where=st.sampled_from(("start", "end", "either")))
def test_url_and_handle_are_added_whole_and_the_text_kept(text, seed, where):
    for p, pattern in ((add_url(where=where, seed=seed), r"https://\S+/\w+"), (add_handle(where=where, seed=seed), r"@\w+")):
        (out,) = p(text)
        if out.startswith(text):
            added = out[len(text):].strip()
        else:
            assert out.endswith(text)
            added = out[: -len(text)].strip()
        assert re.fullmatch(pattern, added)
        assert p(text) == [out]
