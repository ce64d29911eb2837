"""Word attributions and attention rollout on tiny BERT models whose answer is known by construction."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

from assay.errors import UnsupportedModelError
from assay.explain import explain_cases, format_top_tokens, rollout_matrix
from assay.explain.attributions import explain_encoded
from assay.explain.rollout import attention_maps, eager_attention
from assay.explain.tokens import encode, perturb, predict_encoded

WORDS = ["the", "flight", "was", "good", "bad", "not", "seat", "crew", "late", "fine", "and", "?", "magic",
         "un", "##believ", "##able", "is", "a"]
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def tiny_tokenizer() -> BertTokenizer:
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + WORDS
    return BertTokenizer(vocab={w: i for i, w in enumerate(vocab)})


def magic_model(tokenizer, magic: str = "magic", hidden: int = 32, layers: int = 2) -> BertForSequenceClassification:
    """A BERT whose class-1 probability depends on whether one word is present, and on nothing else.

    Only ``magic``'s embedding has a component in dimension 0; attention is uniform (query and key
    weights zero) with identity value / output projections, so [CLS] receives the mean of all
    positions; the FFN adds nothing; the pooler and classifier read dimension 0 only.
    """
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(tokenizer), hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=4,
        intermediate_size=37, num_labels=2, max_position_embeddings=64, hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )
    model = BertForSequenceClassification(config).eval()
    with torch.no_grad():
        embeddings = model.bert.embeddings
        for table in (embeddings.word_embeddings, embeddings.position_embeddings, embeddings.token_type_embeddings):
            table.weight[:, 0] = 0.0
        embeddings.word_embeddings.weight[tokenizer.convert_tokens_to_ids(magic), 0] = 3.0
        for layer in model.bert.encoder.layer:
            attention = layer.attention
            for linear in (attention.self.query, attention.self.key):
                linear.weight.zero_()
                linear.bias.zero_()
            for linear in (attention.self.value, attention.output.dense):
                linear.weight.copy_(torch.eye(hidden))
                linear.bias.zero_()
            layer.output.dense.weight.zero_()
            layer.output.dense.bias.zero_()
        pooler = model.bert.pooler.dense
        pooler.weight.zero_()
        pooler.bias.zero_()
        pooler.weight[0, 0] = 1.0
        pooler.bias[0] = -0.45
        model.classifier.weight.zero_()
        model.classifier.bias.zero_()
        model.classifier.weight[1, 0] = 4.0
        model.classifier.weight[0, 0] = -4.0
    return model


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny models gain nothing from intra-op threads, and lose a lot on a busy machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def tokenizer():
    return tiny_tokenizer()


@pytest.fixture(scope="module")
def model(tokenizer):
    return magic_model(tokenizer)


def test_words_merge_word_pieces_and_keep_original_spelling(tokenizer):
    enc = encode(tokenizer, "The flight was UNBELIEVABLE ?")
    assert enc.words == ["The", "flight", "was", "UNBELIEVABLE", "?"]
    assert [len(g) for g in enc.groups] == [1, 1, 1, 3, 1]
    assert enc.pieces[enc.groups[3][0]] == "un" and enc.features == [0, 1, 2, 3, 4]


def test_pairs_keep_the_separator_as_a_boundary_that_is_not_a_feature(tokenizer):
    enc = encode(tokenizer, ("the seat", "crew was late"))
    assert enc.words == ["the", "seat", "[SEP]", "crew", "was", "late"]
    assert enc.boundary == [False, False, True, False, False, False]
    assert enc.features == [0, 1, 3, 4, 5]
    assert enc.token_type_ids[enc.groups[3][0]] == 1


def test_perturbations_mask_pad_or_remove_every_piece_of_a_word(tokenizer):
    enc = encode(tokenizer, "the unbelievable crew")
    keep = np.array([[True, False, True]])
    (masked, _), = perturb(enc, keep, tokenizer, "mask")
    (padded, _), = perturb(enc, keep, tokenizer, "pad")
    (removed, types), = perturb(enc, keep, tokenizer, "remove")
    assert masked.count(tokenizer.mask_token_id) == 3 and len(masked) == len(enc.input_ids)
    assert padded.count(tokenizer.pad_token_id) == 3
    assert tokenizer.convert_ids_to_tokens(removed) == ["[CLS]", "the", "crew", "[SEP]"] and len(types) == 4
    with pytest.raises(ValueError, match="perturbation mode"):
        perturb(enc, keep, tokenizer, "drop")


CASES = [
    "the flight was magic and good",
    "not fine seat magic",
    "magic crew was late and the seat was bad",
    "the unbelievable crew was magic ?",
    ("the seat was fine", "magic crew"),
]


@pytest.mark.parametrize("method", ["integrated_gradients", "lime"])
def test_attributions_put_the_only_decisive_word_first(model, tokenizer, method):
    explanations = explain_cases(model, tokenizer, CASES, [1] * len(CASES), methods=(method,), lime_samples=150, ig_steps=24)
    for case, expl in zip(CASES, explanations):
        ranked = sorted((p for p in expl[method] if p[0] != "[SEP]"), key=lambda p: -p[1])
        assert ranked[0][0] == "magic", (case, ranked)
        assert ranked[0][1] > 5 * abs(ranked[1][1]), (case, ranked)


def test_attributions_towards_the_other_class_flip_sign(model, tokenizer):
    (expl,) = explain_cases(model, tokenizer, ["the crew was magic"], [0], methods=("integrated_gradients", "lime"))
    for method in ("integrated_gradients", "lime"):
        scores = dict((w, s) for w, s in expl[method])
        assert min(scores, key=scores.get) == "magic" and scores["magic"] < 0


def test_integrated_gradients_add_up_to_the_probability_change_from_the_baseline(model, tokenizer):
    text = "the flight was magic and good"
    (scores,) = explain_encoded(model, tokenizer, [encode(tokenizer, text)], [1], methods=("integrated_gradients",), ig_steps=64)
    p_input = predict_encoded(model, tokenizer, [encode(tokenizer, text)])[0, 1]
    p_baseline = predict_encoded(model, tokenizer, [encode(tokenizer, "[PAD] [PAD] [PAD] [PAD] [PAD] [PAD]")])[0, 1]
    assert scores["integrated_gradients"].sum() == pytest.approx(p_input - p_baseline, abs=0.02)


def test_explanations_are_seeded_and_lime_depends_on_the_seed(model, tokenizer):
    first = explain_cases(model, tokenizer, CASES[:2], [1, 1], seed=3, lime_samples=60, ig_steps=8)
    again = explain_cases(model, tokenizer, CASES[:2], [1, 1], seed=3, lime_samples=60, ig_steps=8)
    other = explain_cases(model, tokenizer, CASES[:2], [1, 1], seed=4, lime_samples=60, ig_steps=8)
    assert first == again
    assert [e["lime"] for e in first] != [e["lime"] for e in other]
    assert [e["integrated_gradients"] for e in first] == [e["integrated_gradients"] for e in other]


def test_format_top_tokens_gives_one_line_per_method(model, tokenizer):
    (expl,) = explain_cases(model, tokenizer, ["the crew was magic and late"], [1], lime_samples=60, ig_steps=8)
    lines = format_top_tokens(expl, k=2).splitlines()
    assert [line.split(":")[0] for line in lines] == ["integrated_gradients", "lime", "rollout"]
    assert lines[0].split(": ")[1].startswith("magic(+")
    assert all(len(line.split(") ")) == 2 for line in lines)


def test_rollout_of_uniform_attention_matches_the_closed_form(model, tokenizer):
    text = "the flight was late and the crew was bad"
    enc = encode(tokenizer, text)
    (maps,) = attention_maps(model, tokenizer, [enc])
    size, layers = len(enc.input_ids), maps.shape[0]
    np.testing.assert_allclose(maps, 1.0 / size, atol=1e-6)
    # each layer mixes 0.5 * uniform + 0.5 * identity; uniform is idempotent, so the product is closed-form
    keep = 0.5**layers
    expected = (1 - keep) * np.full((size, size), 1.0 / size) + keep * np.eye(size)
    np.testing.assert_allclose(rollout_matrix(maps), expected, atol=1e-6)
    (expl,) = explain_cases(model, tokenizer, [text], [1], methods=("rollout",))
    np.testing.assert_allclose([s for _, s in expl["rollout"]], (1 - keep) / size, atol=1e-5)


def test_rollout_of_identity_attention_is_the_identity():
    attentions = np.tile(np.eye(5), (3, 2, 1, 1))
    np.testing.assert_allclose(rollout_matrix(attentions), np.eye(5))


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 4), st.integers(1, 3), st.integers(2, 7), st.integers(0, 2**32 - 1))
def test_rollout_rows_are_distributions(layers, heads, size, seed):
    rng = np.random.default_rng(seed)
    raw = rng.random((layers, heads, size, size)) + 1e-3
    attentions = raw / raw.sum(-1, keepdims=True)
    joint = rollout_matrix(attentions)
    assert np.all(joint >= 0)
    np.testing.assert_allclose(joint.sum(-1), 1.0, atol=1e-9)


def test_rollout_switches_an_sdpa_model_to_eager_and_back(tokenizer):
    model = magic_model(tokenizer, layers=1)
    model.set_attn_implementation("sdpa")
    (expl,) = explain_cases(model, tokenizer, ["the magic crew"], [1], methods=("rollout",))
    assert [w for w, _ in expl["rollout"]] == ["the", "magic", "crew"]
    assert model.config._attn_implementation == "sdpa"


def test_rollout_names_the_fix_when_eager_attention_is_unavailable(tokenizer, monkeypatch):
    model = magic_model(tokenizer, layers=1)
    model.set_attn_implementation("sdpa")

    def refuse(_name):
        raise ValueError("not supported")

    monkeypatch.setattr(model, "set_attn_implementation", refuse)
    with pytest.raises(UnsupportedModelError, match="attn_implementation='eager'") as info:
        with eager_attention(model):
            pass
    assert "\n" not in str(info.value)


def test_bad_method_and_target_are_refused(model, tokenizer):
    with pytest.raises(ValueError, match="unknown explanation method"):
        explain_cases(model, tokenizer, ["the crew"], [1], methods=("shap",))
    with pytest.raises(ValueError, match="not a class index"):
        explain_cases(model, tokenizer, ["the crew"], [2], methods=("lime",))


@pytest.mark.integration
def test_real_model_explains_a_negated_tweet_and_a_pair():
    path = SHARED / "models" / "minilm-airline-sentiment"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    real = AutoModelForSequenceClassification.from_pretrained(path, dtype=torch.float32)
    real_tokenizer = AutoTokenizer.from_pretrained(path)
    inputs = ["@united the flight was not good", ("was the crew nice?", "the crew was rude")]
    explanations = explain_cases(real, real_tokenizer, inputs, [0, 0], lime_samples=60, ig_steps=8)
    assert [w for w, _ in explanations[1]["lime"]][4:7] == ["?", "[SEP]", "the"]
    assert all(len(e["rollout"]) == len(e["lime"]) for e in explanations)
    assert real.config._attn_implementation == "sdpa"
