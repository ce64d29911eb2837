import itertools

import pytest
from hypothesis import given, strategies as st

from assay import lexicon
from assay.errors import DeclarationError
from assay.templates import Examples, article, template

words = st.lists(st.text(alphabet="abcdefghij", min_size=1, max_size=6), min_size=1, max_size=6, unique=True)


@given(words, words)
def test_full_product_is_every_combination_once(xs, ys):
    t = template("{x} and {y}", x=xs, y=ys)
    t.validate()
    expected = {f"{x} and {y}" for x, y in itertools.product(xs, ys)}
    got = list(t)
    assert set(got) == expected
    assert len(got) == len(expected)


@given(words, words, st.integers(1, 40), st.integers(0, 10_000))
def test_sampling_is_seeded_distinct_and_a_subset(xs, ys, n, seed):
    full = set(template("{x} {y}.", x=xs, y=ys))
    a = list(template("{x} {y}.", x=xs, y=ys, n=n, seed=seed))
    b = list(template("{x} {y}.", x=xs, y=ys, n=n, seed=seed))
    assert a == b
    assert len(a) == min(n, len(full)) and len(set(a)) == len(a)
    assert set(a) <= full


@given(st.lists(st.sampled_from("abcdefgh"), min_size=2, max_size=6, unique=True))
def test_numbered_slots_take_distinct_values(xs):
    got = list(template("{w1} vs {w2}", w=xs))
    assert got and all(s.split(" vs ")[0] != s.split(" vs ")[1] for s in got)
    assert len(got) == len(xs) * (len(xs) - 1)


def test_articles():
    assert [article(w) for w in ("flight", "aircraft", "hour", "university", "egg")] == ["a", "an", "an", "a", "an"]
    assert list(template("{a:thing} / {A:thing}", thing=["owl"])) == ["an owl / An owl"]


def test_builtin_lexicon_by_slot_name_and_literal_braces():
    t = template("{{raw}} {first_names}")
    assert len(t) == len(lexicon.first_names)
    assert next(iter(t)).startswith("{raw} ")


def test_pairs_share_slots_and_labels_attach():
    t = template(("find {x}", "a {x} for sale"), x=["bike", "car"], label="relevant")
    assert t.examples() == [(("find bike", "a bike for sale"), frozenset({"relevant"})),
                            (("find car", "a car for sale"), frozenset({"relevant"}))]


def test_concatenation_keeps_labels_per_template():
    both = template("good {x}", x=["a"], label="positive") + template("bad {x}", x=["a"], label="negative")
    assert isinstance(both, Examples)
    assert both.examples() == [("good a", frozenset({"positive"})), ("bad a", frozenset({"negative"}))]


@pytest.mark.parametrize("make, message", [
    (lambda: template("{nope}").validate(), "slot {nope} has no word list"),
    (lambda: template("{x}", x=[]).validate(), "empty word list"),
    (lambda: template("{x1} {x2}", x=["only"]).validate(), "expands to nothing"),
    (lambda: template("{x}", x="abc"), "must be a list of words"),
    (lambda: template("{x}", x=["a"], n=0).validate(), "positive integer"),
])
def test_bad_templates_say_what_to_fix(make, message):
    with pytest.raises(DeclarationError, match=message.replace("{", r"\{").replace("}", r"\}")):
        make()


def test_huge_product_samples_without_materialising():
    t = template("{a} {b} {c} {d}", a=[str(i) for i in range(100)], b=[str(i) for i in range(100)],
                 c=[str(i) for i in range(100)], d=[str(i) for i in range(10)], n=50, seed=3)
    assert t.size() == 10_000_000
    assert len(set(t)) == 50


def test_each_pattern_ranges_over_its_own_slots_only():
    t = template(["{a} {b}", "{c}"], a=list("xyz"), b=list("pq"), c=[str(i) for i in range(1000)])
    assert t.size() == 3 * 2 + 1000  # not 2 * (3 * 2 * 1000)
    assert len(list(t)) == 1006
    sample = list(t.sampled(20, seed=1))
    assert len(sample) == 20 and len(set(sample)) == 20
