"""WordNet synonyms: one word replaced by a synonym, or a clear install message."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assay.errors import DataError
from assay.perturb.synonyms import INSTALL_HINT, available



@pytest.fixture(scope="module")
def wordnet_installed():
    if not available():
        pytest.skip(f"WordNet is not installed ({INSTALL_HINT})")


def test_install_hint_is_the_documented_command(monkeypatch):
    import importlib

    module = importlib.import_module("assay.perturb.synonyms")

    module.wordnet.cache_clear()
    monkeypatch.setitem(__import__("sys").modules, "nltk", None)  # as if nltk were not installed
    try:
        with pytest.raises(DataError) as info:
            module.synonyms()
        assert "pip install nltk && python -m nltk.downloader wordnet" in str(info.value)
    finally:
        module.wordnet.cache_clear()


@settings(max_examples=25, deadline=None)
@given(words=st.lists(st.sampled_from(("The", "food", "was", "awful", "and", "the", "crew", "rude", "seat",
                                       "comfortable", "quickly", "very", "Terrible", "flight")), min_size=1, max_size=8),
       seed=st.integers(0, 100))
def test_synonyms_replace_exactly_one_word(wordnet_installed, words, seed):
    from assay.perturb import synonyms

    text = " ".join(words)
    for out in synonyms(n=3, seed=seed)(text):
        after = out.split()
        assert len(after) == len(words)
        changed = [(a, b) for a, b in zip(words, after) if a != b]
        assert len(changed) == 1
        before, new = changed[0]
        assert new.isalpha() and new.lower() != before.lower()
        assert before[0].isupper() == new[0].isupper()


def test_synonyms_examples(wordnet_installed):
    from assay.perturb import synonyms

    outs = synonyms(n=10)("The food was awful.")
    assert outs and all(o.startswith("The food was ") and o != "The food was awful." for o in outs)
    assert synonyms()("the and of") == []
