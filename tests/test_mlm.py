"""Masked-LM suggestions: the loader, the ranking, {mask} templates, the cache and bad input.

The tiny fill-mask models (test_engine_fixtures.save_mlm) put FAVOURITES first at every mask, so the
right answers are known; their random weights still make every score depend on the context, which the
exactness tests compare with plain transformers.
"""

from __future__ import annotations

import functools

import pytest
import torch
from safetensors.torch import load_file
from test_engine_fixtures import (FAVOURITES, bert_dir, bert_mlm_dir, roberta_mlm_dir,  # noqa: F401  (fixtures)
                                  save_mlm)

from assay import template
from assay.errors import DeclarationError, ModelLoadError
from assay.mlm import MLMSpec, load_mlm, suggest
from assay.mlm.model import MASK

BEST = list(FAVOURITES)


@pytest.fixture(params=["bert", "roberta"])
def style(request):
    return request.param


@pytest.fixture
def mlm(style, bert_mlm_dir, roberta_mlm_dir, tmp_path):
    folder = bert_mlm_dir if style == "bert" else roberta_mlm_dir
    return load_mlm(str(folder), cache_dir=tmp_path / "cache")


@functools.lru_cache(maxsize=4)
def plain_transformers(folder):
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    return AutoTokenizer.from_pretrained(folder), AutoModelForMaskedLM.from_pretrained(folder).eval()


def reference_log_probs(folder, text: str | list[str], position_of_mask: int = 0) -> torch.Tensor:
    """Plain transformers: log-softmax over the vocabulary at the mask (one row per text for a list;
    the texts of a list must tokenize to the same length)."""
    tokenizer, model = plain_transformers(folder)
    texts = [text] if isinstance(text, str) else text
    encoded = tokenizer([t.replace(MASK, tokenizer.mask_token) for t in texts], return_tensors="pt")
    where = (encoded["input_ids"][0] == tokenizer.mask_token_id).nonzero()[position_of_mask].item()
    with torch.no_grad():
        rows = torch.log_softmax(model(**encoded).logits[:, where].float(), -1)
    return rows[0] if isinstance(text, str) else rows


def test_both_mask_token_styles_rank_the_known_words_first(mlm, style):
    assert mlm.mask_token == ("[MASK]" if style == "bert" else "<mask>")
    found = suggest("the flight was {mask}.", mlm, top=4)
    assert [s.words for s in found] == [(w,) for w in BEST]
    assert [s.example for s in found] == [f"the flight was {w}." for w in BEST]
    assert all(a.score > b.score for a, b in zip(found, found[1:]))


def test_a_score_is_the_log_probability_plain_transformers_gives(mlm, style, bert_mlm_dir, roberta_mlm_dir):
    folder = bert_mlm_dir if style == "bert" else roberta_mlm_dir
    context = f"the crew was {MASK} and late"
    reference = reference_log_probs(folder, context)
    ids = mlm.tokenizer.convert_tokens_to_ids([("Ġ" if style == "roberta" else "") + w for w in BEST])
    fills = mlm.fill([context], beam=4)[0]
    assert [f.words[0] for f in fills] == BEST
    for fill, token in zip(fills, ids):
        assert fill.score == pytest.approx(reference[token].item(), abs=1e-4)


def test_two_masks_are_ranked_jointly_left_to_right_as_an_exhaustive_search_would(bert_mlm_dir, tmp_path):
    from transformers import AutoTokenizer

    mlm = load_mlm(str(bert_mlm_dir), cache_dir=False)
    tokenizer = AutoTokenizer.from_pretrained(bert_mlm_dir)
    words = [t for t in tokenizer.get_vocab() if t.isalnum() and t not in tokenizer.all_special_tokens]
    context = f"the {MASK} was {MASK} ."
    first = reference_log_probs(bert_mlm_dir, context, 0)
    ids = torch.tensor(tokenizer.convert_tokens_to_ids(words))
    seconds = reference_log_probs(bert_mlm_dir, [context.replace(MASK, w1, 1) for w1 in words], 0)
    exhaustive = []
    for w1, id1, second in zip(words, ids, seconds):
        scores = (first[id1] + second[ids]).tolist()
        exhaustive.extend((score, (w1, w2)) for score, w2 in zip(scores, words))
    exhaustive.sort(key=lambda x: -x[0])
    found = mlm.fill([context], beam=len(words))[0][:10]
    assert [f.words for f in found] == [w for _, w in exhaustive[:10]]
    assert [f.score for f in found] == pytest.approx([s for s, _ in exhaustive[:10]], abs=1e-4)
    assert found[0].words == ("great", "great")


def test_mask_templates_expand_with_the_other_slots_and_keep_their_labels(bert_mlm_dir, tmp_path):
    mlm = load_mlm(str(bert_mlm_dir), cache_dir=tmp_path)
    t = template("the {thing} was {mask}.", thing=["seat", "crew"], mlm=mlm, mask_top=2, label="positive")
    t.validate()
    assert t.examples() == [(f"the {thing} was {w}.", frozenset({"positive"})) for w in BEST[:2] for thing in ("seat", "crew")]
    assert t.to_spec()["mlm"] == str(bert_mlm_dir) and t.to_spec()["mask_top"] == 2
    sampled = t.sampled(3, seed=7)
    assert len(sampled.examples()) == 3 and sampled.examples() == t.sampled(3, seed=7).examples()


def test_an_article_before_a_mask_fits_each_fill_in(bert_mlm_dir):
    mlm = load_mlm(str(bert_mlm_dir), cache_dir=False)
    t = template("This is {a:mask} flight.", mlm=mlm, mask_top=2)
    assert list(t) == ["This is a great flight.", "This is an airline flight."]
    capital = template("{A:mask} flight.", mlm=mlm, mask_top=1)
    assert list(capital) == ["A great flight."]


def test_a_pair_pattern_takes_the_same_fill_in_on_both_sides(roberta_mlm_dir):
    mlm = load_mlm(str(roberta_mlm_dir), cache_dir=False)
    t = template(("was the flight {mask}?", "the crew was {mask} ."), mlm=mlm, mask_top=2)
    assert list(t) == [("was the flight great?", "the crew was great ."), ("was the flight airline?", "the crew was airline .")]


def test_literal_braces_survive_and_fill_ins_are_not_read_as_slots(bert_mlm_dir):
    mlm = load_mlm(str(bert_mlm_dir), cache_dir=False)
    t = template("{{mask}} the flight was {mask}", mlm=mlm, mask_top=1)
    assert list(t) == ["{mask} the flight was great"]


def test_same_seed_same_contexts_and_another_seed_draws_others(bert_mlm_dir, tmp_path):
    mlm = load_mlm(str(bert_mlm_dir), cache_dir=tmp_path)
    things = ["seat", "crew", "food", "plane", "service", "delay"]

    def run(seed):
        return suggest("the {thing} was {mask}", mlm, top=3, contexts=2, seed=seed, thing=things)

    assert run(3) == run(3)
    assert len({run(seed)[0].example for seed in range(6)}) > 1  # the sampled contexts depend on the seed
    assert [s.words for s in run(0)] == [(w,) for w in BEST[:3]]


def test_a_second_call_reads_the_cache_and_never_loads_the_weights(bert_mlm_dir, tmp_path):
    first = load_mlm(str(bert_mlm_dir), cache_dir=tmp_path)
    expected = suggest("the {thing} was {mask}", first, thing=["seat", "crew"])
    assert first.stats["weights_loaded"] and first.stats["forward_rows"] == 2
    again = load_mlm(str(bert_mlm_dir), cache_dir=tmp_path)  # a fresh process would do the same
    assert suggest("the {thing} was {mask}", again, thing=["seat", "crew"]) == expected
    assert again.stats == {"forward_rows": 0, "cache_hits": 2, "weights_loaded": False}
    other = save_mlm(tmp_path / "other", "bert", seed=9)  # other weights: another fingerprint, no stale answers
    changed = load_mlm(str(other), cache_dir=tmp_path)
    suggest("the {thing} was {mask}", changed, thing=["seat", "crew"])
    assert changed.stats["forward_rows"] == 2 and changed.stats["cache_hits"] == 0


def test_a_model_named_by_a_string_is_loaded_once_per_process(bert_mlm_dir, tmp_path):
    spec = MLMSpec(str(bert_mlm_dir), cache_dir=str(tmp_path))
    assert spec.load() is spec.load()
    t = template("the flight was {mask}", mlm=spec, mask_top=1)
    assert list(t) == ["the flight was great"]


def one_line(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def test_bad_input_is_a_one_line_error(bert_mlm_dir, bert_dir, tmp_path):
    mlm = load_mlm(str(bert_mlm_dir), cache_dir=False)
    with pytest.raises(DeclarationError) as error:
        suggest("the flight was late", mlm)
    assert "no {mask}" in one_line(error)
    with pytest.raises(DeclarationError) as error:
        template("the flight was {mask}").validate()
    assert "--assay-mlm" in one_line(error) and "mlm=" in one_line(error)
    with pytest.raises(DeclarationError) as error:
        template("the flight was {mask}", mlm=mlm, mask=["good"]).validate()
    assert "'mask' is kept" in one_line(error)
    with pytest.raises(DeclarationError) as error:
        template("the flight was {mask}", mlm=mlm, mask_top=0).validate()
    assert "mask_top=0" in one_line(error)
    with pytest.raises(ModelLoadError) as error:
        load_mlm(str(bert_dir))
    assert str(bert_dir) in one_line(error) and "not a fill-mask model" in one_line(error)
    pickled = tmp_path / "pickled"
    pickled.mkdir()
    for item in bert_mlm_dir.iterdir():
        if item.suffix != ".safetensors":
            (pickled / item.name).write_bytes(item.read_bytes())
    torch.save(load_file(bert_mlm_dir / "model.safetensors"), pickled / "pytorch_model.bin")
    with pytest.raises(ModelLoadError) as error:
        load_mlm(str(pickled))
    assert "pytorch_model.bin" in one_line(error) and "allow_pickle=True" in one_line(error)
    trusted = load_mlm(str(pickled), allow_pickle=True, cache_dir=False)
    assert [f.words for f in trusted.fill([f"the flight was {MASK}"], beam=2)[0]] == [("great",), ("airline",)]
    with pytest.raises(DeclarationError) as error:
        template("the flight was {mask}", mlm=42).validate()
    assert "not a fill-mask model" in one_line(error)


def test_a_text_holding_the_models_own_mask_token_is_refused(bert_mlm_dir):
    from assay.errors import PredictionError

    mlm = load_mlm(str(bert_mlm_dir), cache_dir=False)
    with pytest.raises(PredictionError) as error:
        mlm.fill([f"the [MASK] was {MASK}"])
    assert "{mask}" in one_line(error)


def test_scores_of_given_words_in_context(bert_mlm_dir):
    mlm = load_mlm(str(bert_mlm_dir), cache_dir=False)
    reference = reference_log_probs(bert_mlm_dir, f"the flight was {MASK}")
    scores = mlm.score([f"the flight was {MASK}"], ["great", "seat", "aircraft"])[0]
    vocab = mlm.tokenizer.get_vocab()
    assert scores[:2] == pytest.approx([reference[vocab["great"]].item(), reference[vocab["seat"]].item()], abs=1e-4)
    assert scores[2] is None  # not one token of this vocabulary: cannot be scored


def test_suggest_is_the_function_even_after_its_module_was_imported(monkeypatch):
    """Importing a submodule binds it on the package: a module named like the function it exports
    (``assay/mlm/suggest.py``) hid the function, so ``from assay.mlm import suggest`` gave a module."""
    import importlib
    import sys

    import assay.mlm as package

    module = f"assay.mlm.{package._EXPORTS['suggest']}"
    monkeypatch.delitem(sys.modules, module, raising=False)
    monkeypatch.delattr(package, "suggest", raising=False)
    importlib.import_module(module)  # a fresh import, as in a process that imports the module first
    from assay.mlm import suggest as found

    assert callable(found) and found.__name__ == "suggest"
