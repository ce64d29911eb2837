"""Properties every registered perturbation must have, plus composition and the registry."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import assay.perturb as perturb
from assay.errors import DeclarationError
from assay.perturb import REGISTRY, Perturbation, by_name, chain, union
from assay.perturb.synonyms import available as wordnet_available
from test_engine_fixtures import bert_mlm_dir  # noqa: F401  (a pytest fixture)

WORDS = ("The", "flight", "was", "great", "I", "liked", "the", "crew", "Mary", "Boston", "paid", "200",
         "dollars", "is", "not", "good", "we", "can", "board", "@united", "!", ",", "it's", "don't", "very")
sentences = st.lists(st.sampled_from(WORDS), min_size=1, max_size=12).map(" ".join)
any_text = st.one_of(sentences, st.text(max_size=60))
NAMES = list(REGISTRY)


@pytest.fixture(scope="module")
def tiny_mlm(bert_mlm_dir, tmp_path_factory):
    from assay.mlm import load_mlm

    return load_mlm(str(bert_mlm_dir), cache_dir=tmp_path_factory.mktemp("mlm-cache"))


def build(name: str, mlm=None) -> Perturbation:
    if name == "synonyms" and not wordnet_available():
        pytest.skip("WordNet is not installed")
    if name == "contextual_substitution":  # needs a fill-mask model: the tiny one
        return by_name(name, mlm=mlm)
    return by_name(name)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=25, deadline=None)
@given(text=any_text)
def test_every_perturbation_returns_new_distinct_strings_reproducibly(name, text, tiny_mlm):
    p = build(name, tiny_mlm)
    out = p(text)
    assert isinstance(out, list) and all(isinstance(o, str) for o in out)
    assert text not in out
    assert len(out) == len(set(out))
    assert p(text) == out
    assert build(name, tiny_mlm)(text) == out  # a fresh object with the same seed agrees


@pytest.mark.parametrize("name", NAMES)
def test_every_perturbation_has_its_registry_name_and_a_spec(name, tiny_mlm):
    p = build(name, tiny_mlm)
    assert isinstance(p, Perturbation) and p.name == name
    spec = p.to_spec()
    assert json.loads(json.dumps(spec)) == spec and spec["name"] == name
    assert p.with_seed(5).seed == 5 and p.with_seed(5).name == name


def test_random_perturbations_depend_on_seed_not_on_call_order():
    texts = [f"The flight number {i} was really great and the crew was friendly" for i in range(20)]
    p = perturb.typos(seed=1)
    forward = [p(t) for t in texts]
    backward = [p(t) for t in reversed(texts)][::-1]
    assert forward == backward
    other = perturb.typos(seed=2)
    assert [other(t) for t in texts] != forward


def test_global_random_state_is_left_untouched():
    random.seed(123)
    np.random.seed(123)
    expected_py, expected_np = random.random(), np.random.random()
    random.seed(123)
    np.random.seed(123)
    perturb.typos()("The flight was great and the crew was friendly")
    perturb.keyboard()("The flight was great and the crew was friendly")
    assert random.random() == expected_py and np.random.random() == expected_np


@pytest.mark.slow  # a second Python process
def test_results_are_the_same_in_another_process():
    code = (
        "import json; import assay.perturb as perturb\n"
        "t = 'The flight from Boston was great, Mary paid 200 dollars'\n"
        "print(json.dumps([perturb.by_name(n)(t) for n in ('typos', 'keyboard', 'add_url', 'swap_names', 'change_numbers')]))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    t = "The flight from Boston was great, Mary paid 200 dollars"
    here = [by_name(n)(t) for n in ("typos", "keyboard", "add_url", "swap_names", "change_numbers")]
    assert json.loads(result.stdout) == here


def test_chain_applies_the_second_to_the_outputs_of_the_first():
    p = chain(perturb.add_punctuation(), perturb.uppercase())
    assert p.name == "add_punctuation+uppercase"
    assert p("great flight") == ["GREAT FLIGHT."]
    assert p("great flight.") == []  # the first does not apply


def test_union_keeps_order_drops_duplicates_and_attributes_outputs():
    p = union(perturb.lowercase(), perturb.uppercase(), perturb.lowercase())
    assert p("Great Flight") == ["great flight", "GREAT FLIGHT"]
    assert p.attributed("Great Flight") == [("great flight", "lowercase"), ("GREAT FLIGHT", "uppercase")]
    assert p.with_seed(3).parts[1].seed == 3


def test_by_name_errors_are_declaration_errors_with_hints():
    with pytest.raises(DeclarationError, match="did you mean typos"):
        by_name("typo")
    with pytest.raises(DeclarationError, match="no parameter 'm'.*n, samples"):
        by_name("typos", m=2)
    with pytest.raises(DeclarationError, match="typos"):
        by_name("typos", n=0)
    assert by_name("add_punctuation", marks=["!"])("ok") == ["ok!"]  # YAML lists become tuples


def test_yaml_style_parameters_reach_the_factory():
    p = by_name("typos", n=2, samples=3, seed=4)
    assert p.params == {"n": 2, "samples": 3, "min_chars": 3} and p.seed == 4
