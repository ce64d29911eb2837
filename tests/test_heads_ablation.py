"""Head checks and gradient importance on tiny models where the right answer is known."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from transformers import (
    BertConfig,
    BertForSequenceClassification,
    BertTokenizerFast,
    DistilBertConfig,
    DistilBertForSequenceClassification,
    ElectraConfig,
    ElectraForSequenceClassification,
    RobertaConfig,
    RobertaForSequenceClassification,
)

from assay.errors import DataError
from assay.heads.ablation import harmful_heads, layer_ablation, paired_difference_interval, random_masking, single_head_ablation
from assay.heads.forward import encode, predict, predict_under_masks
from assay.heads.importance import head_importance, pruning_curve
from assay.stats import wilson_interval

WORDS = ("the flight was great awful late on time seat crew food not very really bad good okay delayed lost bag "
         "service friendly rude plane again never ever ok thanks cancelled").split()
SENTENCES = [
    "the flight was great", "the crew was rude", "food was not good", "the seat was very bad",
    "thanks again", "flight delayed again", "lost bag and rude service", "the plane was ok",
    "never again", "crew was really friendly thanks", "the flight was cancelled", "okay food",
    "great service on time", "the seat was not bad", "late again and again", "really awful",
]
PAIRS = [("the flight", "was great"), ("crew was rude", "the food was not good"), ("seat", "okay")]
LABELS = ("negative", "neutral", "positive")


@pytest.fixture(scope="module")
def tokenizer():
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]
    built = BertTokenizerFast(vocab={word: i for i, word in enumerate(words)}, model_max_length=64)
    assert "[UNK]" not in built.convert_ids_to_tokens(built("the crew was rude")["input_ids"])
    return built


def _bert(tokenizer, zero_heads=(), layers=2, heads=4, seed=0):
    """A tiny BERT with strong random weights; heads in ``zero_heads`` have zero output-projection weights."""
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=layers, num_attention_heads=heads,
                        intermediate_size=37, num_labels=3, initializer_range=0.4, id2label=dict(enumerate(LABELS)),
                        label2id={l: i for i, l in enumerate(LABELS)})
    model = BertForSequenceClassification(config).eval()
    head_dim = 32 // heads
    with torch.no_grad():
        for layer, head in zero_heads:
            dense = model.bert.encoder.layer[layer].attention.output.dense
            dense.weight[:, head * head_dim : (head + 1) * head_dim] = 0.0
    return model


@pytest.fixture(scope="module")
def model(tokenizer):
    return _bert(tokenizer)


def _direct(model, tokenizer, text):
    """Class probabilities for one input, without padding, batching or sorting."""
    batch = tokenizer(*([text] if isinstance(text, str) else text), return_tensors="pt")
    with torch.no_grad():
        return torch.softmax(model(**batch).logits, -1)[0].numpy()


def test_encode_pairs_use_segment_b_and_truncate_longest_first(tokenizer):
    encoded = encode(tokenizer, ["the flight was great", ("the flight was great again", "thanks")], max_length=6)
    assert encoded.lengths.tolist() == [6, 6] and encoded.truncated == [False, True]  # the text fits exactly
    arrays = encoded.rows([0, 1])
    row = arrays["input_ids"][1].tolist()
    assert tokenizer.convert_ids_to_tokens(row) == ["[CLS]", "the", "flight", "[SEP]", "thanks", "[SEP]"]
    assert arrays["token_type_ids"][1].tolist() == [0, 0, 0, 0, 1, 1]
    assert arrays["token_type_ids"][0].tolist() == [0] * 6
    short = encode(tokenizer, ["ok", ("seat", "crew")])
    assert short.lengths.tolist() == [3, 5] and short.truncated == [False, False]  # [CLS] seat [SEP] crew [SEP]
    arrays = short.rows([0, 1])
    assert arrays["attention_mask"][0].tolist() == [1, 1, 1, 0, 0]
    assert arrays["token_type_ids"][1].tolist() == [0, 0, 0, 1, 1]


def test_predict_keeps_input_order_and_matches_unpadded_forward(model, tokenizer):
    inputs = SENTENCES[:7] + PAIRS
    probs = predict(model, tokenizer, inputs, batch_size=3)
    expected = np.stack([_direct(model, tokenizer, item) for item in inputs])
    np.testing.assert_allclose(probs, expected, atol=1e-5)


def test_predict_under_masks_equals_one_mask_at_a_time(model, tokenizer):
    generator = torch.Generator().manual_seed(3)
    masks = (torch.rand(5, 2, 4, generator=generator) > 0.4).float()
    masks[0] = 1.0
    masks[1, 1] = 0.5
    inputs = SENTENCES + PAIRS
    together = predict_under_masks(model, tokenizer, inputs, masks, batch_size=7)  # rows straddle masks and inputs
    assert together.shape == (5, len(inputs), 3)
    for index in range(5):
        np.testing.assert_allclose(together[index], predict(model, tokenizer, inputs, mask=masks[index]), atol=1e-5)
    np.testing.assert_allclose(together[0], predict(model, tokenizer, inputs), atol=1e-6)
    assert not np.allclose(together[2], together[0], atol=1e-3)


@pytest.mark.parametrize("kind", ["roberta", "electra"])
def test_shared_prefix_rows_match_full_passes(kind, tokenizer):
    """Masks that start at a later layer reuse the unmasked run's hidden states (ELECTRA: after the projection)."""
    torch.manual_seed(0)
    common = dict(vocab_size=tokenizer.vocab_size, num_hidden_layers=3, num_attention_heads=4, intermediate_size=37,
                  num_labels=3, initializer_range=0.4, max_position_embeddings=40)
    if kind == "roberta":
        model = RobertaForSequenceClassification(RobertaConfig(hidden_size=32, pad_token_id=0, **common)).eval()
        layers = model.roberta.encoder.layer
    else:
        model = ElectraForSequenceClassification(ElectraConfig(embedding_size=16, hidden_size=32, **common)).eval()
        layers = model.electra.encoder.layer
    masks = torch.ones(4, 3, 4)
    masks[1, 2, 1] = 0.0  # last layer only
    masks[2, 1, :] = 0.5  # from layer 1
    masks[3, 0, 3] = 0.0  # from layer 0
    inputs = SENTENCES[:6] + PAIRS
    together = predict_under_masks(model, tokenizer, inputs, masks, batch_size=5)
    for index in range(4):
        np.testing.assert_allclose(together[index], predict(model, tokenizer, inputs, mask=masks[index]), atol=1e-5)
    assert len(layers) == 3  # the full layer list is back


def test_distilbert_without_token_types(tokenizer):
    torch.manual_seed(0)
    config = DistilBertConfig(vocab_size=tokenizer.vocab_size, dim=32, n_layers=2, n_heads=4, hidden_dim=37, num_labels=3,
                              initializer_range=0.4)
    distil = DistilBertForSequenceClassification(config).eval()
    inputs = SENTENCES[:5] + PAIRS
    masks = torch.ones(2, 2, 4)
    masks[1, 0, :2] = 0.0
    probs = predict_under_masks(distil, tokenizer, inputs, masks)
    np.testing.assert_allclose(probs[0], predict(distil, tokenizer, inputs), atol=1e-5)
    result = single_head_ablation(distil, tokenizer, inputs)
    assert result.agreement.shape == (2, 4)


def test_head_with_zero_output_weights_is_inert_and_has_zero_importance(tokenizer):
    zeroed = _bert(tokenizer, zero_heads=[(0, 1), (1, 3)])
    inputs = SENTENCES + PAIRS
    ablation = single_head_ablation(zeroed, tokenizer, inputs)
    assert ablation.agreement[0, 1] == 1.0 and ablation.agreement[1, 3] == 1.0
    assert ablation.changed[0, 1] == 0.0
    probs = predict_under_masks(zeroed, tokenizer, inputs, torch.tensor([[[1.0, 0, 1, 1], [1, 1, 1, 0]]]))
    np.testing.assert_allclose(probs[0], predict(zeroed, tokenizer, inputs), atol=1e-6)
    importance = head_importance(zeroed, tokenizer, inputs, normalize=False)
    assert importance.raw[0, 1] == 0.0 and importance.raw[1, 3] == 0.0
    assert (np.delete(importance.raw.ravel(), [1, 7]) > 0).all()
    # The inert heads are pruned first.
    assert set(importance.ranking()[:2]) == {(0, 1), (1, 3)}


def test_importance_is_the_mean_absolute_per_example_gradient(model, tokenizer):
    inputs = SENTENCES[:6] + PAIRS[:2]
    labels = ["negative", "positive", "neutral", "negative", "positive", "neutral", "negative", "positive"]
    result = head_importance(model, tokenizer, inputs, labels, normalize=False, batch_size=3)
    expected = torch.zeros(2, 4)
    for item, label in zip(inputs, labels):
        xi = torch.ones(2, 4, requires_grad=True)
        batch = tokenizer(*([item] if isinstance(item, str) else item), return_tensors="pt")
        from assay.heads.masking import mask_heads

        with mask_heads(model, xi):
            loss = torch.nn.functional.cross_entropy(model(**batch).logits, torch.tensor([LABELS.index(label)]))
        loss.backward()
        expected += xi.grad.abs()
    np.testing.assert_allclose(result.raw, (expected / len(inputs)).numpy(), rtol=1e-4, atol=1e-7)
    assert result.target == "labels"
    normalized = head_importance(model, tokenizer, inputs, labels)
    np.testing.assert_allclose(np.linalg.norm(normalized.importance, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(normalized.raw, result.raw, rtol=1e-6)
    own = head_importance(model, tokenizer, inputs)
    assert own.target == "predictions"
    json.dumps(own.to_dict())


def test_pruning_curve_is_cumulative_least_important_first(model, tokenizer):
    inputs = SENTENCES + PAIRS
    importance = head_importance(model, tokenizer, inputs)
    curve = pruning_curve(model, tokenizer, inputs, step=0.25, importance=importance)
    assert [s.n_masked for s in curve.steps] == [0, 2, 4, 6, 8]
    assert curve.steps[0].agreement == 1.0 and curve.steps[0].accuracy is None
    ranking = importance.ranking()
    for step in curve.steps:
        assert step.masked == ranking[: step.n_masked]
        mask = torch.ones(2, 4)
        for layer, head in step.masked:
            mask[layer, head] = 0.0
        expected = (predict(model, tokenizer, inputs, mask=mask).argmax(-1) == predict(model, tokenizer, inputs).argmax(-1)).mean()
        assert step.agreement == pytest.approx(expected)
    labels = [LABELS[i] for i in predict(model, tokenizer, inputs).argmax(-1)]
    with_labels = pruning_curve(model, tokenizer, inputs, labels, step=0.5)
    assert [s.n_masked for s in with_labels.steps] == [0, 4, 8]
    assert all(s.accuracy == pytest.approx(s.agreement) for s in with_labels.steps)  # labels = own predictions
    json.dumps(with_labels.to_dict())


def test_random_masking_is_seeded_and_counts_heads(model, tokenizer):
    inputs = SENTENCES + PAIRS
    result = random_masking(model, tokenizer, inputs, fraction=0.25, draws=4, seed=7)
    assert [len(d.masked) for d in result.draws] == [2, 2, 2, 2]
    again = random_masking(model, tokenizer, inputs, fraction=0.25, draws=4, seed=7)
    assert [d.masked for d in again.draws] == [d.masked for d in result.draws]
    other = random_masking(model, tokenizer, inputs, fraction=0.25, draws=4, seed=8)
    assert [d.masked for d in other.draws] != [d.masked for d in result.draws]
    for draw in result.draws:
        mask = torch.ones(2, 4)
        for layer, head in draw.masked:
            mask[layer, head] = 0
        expected = (predict(model, tokenizer, inputs, mask=mask).argmax(-1) == predict(model, tokenizer, inputs).argmax(-1)).mean()
        assert draw.agreement == pytest.approx(expected)
    assert result.min_agreement <= result.mean_agreement <= 1.0
    # The one rule of the declarations and ``assay heads``: a fraction in (0, 1), at least one head.
    for fraction in (0.0, 1.0):
        with pytest.raises(ValueError, match=f"fraction={fraction} must be a number in \\(0, 1\\)"):
            random_masking(model, tokenizer, inputs, fraction=fraction, draws=2)
    assert [len(d.masked) for d in random_masking(model, tokenizer, inputs, fraction=0.01, draws=2).draws] == [1, 1]
    assert json.loads(json.dumps(result.to_dict()))["draws"][0]["masked"] == [list(h) for h in result.draws[0].masked]


def test_layer_ablation_of_a_layer_without_attention_output_changes_nothing(tokenizer):
    inert = _bert(tokenizer, zero_heads=[(1, h) for h in range(4)])
    inputs = SENTENCES + PAIRS
    labels = ["negative"] * 10 + ["positive"] * 9
    result = layer_ablation(inert, tokenizer, inputs, labels)
    assert result.agreement[1] == 1.0 and result.accuracy_drop[1] == 0.0
    base = predict(inert, tokenizer, inputs).argmax(-1)
    masked = predict(inert, tokenizer, inputs, mask=torch.tensor([[0.0] * 4, [1.0] * 4])).argmax(-1)
    assert result.agreement[0] == pytest.approx((masked == base).mean())
    gold = np.array([LABELS.index(l) for l in labels])
    assert result.accuracy[0] == pytest.approx((masked == gold).mean())
    assert result.accuracy_drop[0] == pytest.approx((base == gold).mean() - (masked == gold).mean())
    json.dumps(result.to_dict())


def test_single_head_ablation_matches_separate_passes(model, tokenizer):
    inputs = SENTENCES + PAIRS
    labels = [LABELS[i % 3] for i in range(len(inputs))]
    result = single_head_ablation(model, tokenizer, inputs, labels, batch_size=16)
    base = predict(model, tokenizer, inputs).argmax(-1)
    gold = np.array([LABELS.index(l) for l in labels])
    for layer, head in [(0, 0), (0, 3), (1, 2)]:
        mask = torch.ones(2, 4)
        mask[layer, head] = 0.0
        masked = predict(model, tokenizer, inputs, mask=mask).argmax(-1)
        assert result.agreement[layer, head] == pytest.approx((masked == base).mean())
        assert result.accuracy[layer, head] == pytest.approx((masked == gold).mean())
        assert result.accuracy_drop[layer, head] == pytest.approx((base == gold).mean() - (masked == gold).mean())
    assert result.agreement.min() < 1.0  # the tiny model's heads matter
    json.dumps(result.to_dict())


def test_harmful_head_is_found_when_labels_favour_the_masked_model(model, tokenizer):
    inputs = SENTENCES + PAIRS
    ablation = single_head_ablation(model, tokenizer, inputs)
    layer, head = np.unravel_index(np.argmin(ablation.agreement), ablation.agreement.shape)
    assert ablation.agreement[layer, head] < 1.0
    mask = torch.ones(2, 4)
    mask[layer, head] = 0.0
    labels = [LABELS[i] for i in predict(model, tokenizer, inputs, mask=mask).argmax(-1)]  # gold = masked model
    result = harmful_heads(model, tokenizer, inputs, labels, ablation=ablation)
    best = result.heads[0]
    assert (best.layer, best.head) == (layer, head)
    assert best.accuracy_gain == pytest.approx(1.0 - ablation.agreement[layer, head])
    assert best.broken == 0 and best.fixed > 0
    assert best.ci_low <= best.accuracy_gain <= best.ci_high <= 1.0
    assert all(h.accuracy_gain > 0 for h in result.heads)
    assert result.unmasked_accuracy == pytest.approx(ablation.agreement[layer, head])
    again = harmful_heads(model, tokenizer, inputs, labels)  # runs the sweep itself
    assert again.to_dict() == result.to_dict()
    # With the unmasked predictions as gold labels nothing can improve.
    own = [LABELS[i] for i in predict(model, tokenizer, inputs).argmax(-1)]
    none = harmful_heads(model, tokenizer, inputs, own, ablation=ablation)
    assert none.heads == [] and none.accuracy_all_masked == 1.0
    json.dumps(result.to_dict())


def test_labels_must_be_known_and_one_per_input(model, tokenizer):
    with pytest.raises(DataError, match="'great'.*negative"):
        layer_ablation(model, tokenizer, ["the flight"], ["great"])
    with pytest.raises(DataError, match="2 labels for 1 inputs"):
        layer_ablation(model, tokenizer, ["the flight"], ["negative", "positive"])
    assert layer_ablation(model, tokenizer, ["the flight", "ok"], [0, "POSITIVE"]).accuracy is not None


counts = st.integers(min_value=0, max_value=60)


@settings(max_examples=200, deadline=None)
@given(a_only=counts, b_only=counts, both=counts, neither=counts)
def test_paired_interval_contains_the_difference_and_is_antisymmetric(a_only, b_only, both, neither):
    n = a_only + b_only + both + neither
    low, high = paired_difference_interval(a_only, b_only, both, neither)
    difference = (b_only - a_only) / n if n else 0.0
    assert -1.0 <= low <= difference + 1e-12 and difference - 1e-12 <= high <= 1.0
    swapped = paired_difference_interval(b_only, a_only, both, neither)
    assert swapped == pytest.approx((-high, -low), abs=1e-12)


def _unpaired_newcombe(a_only, b_only, both, neither):
    n = a_only + b_only + both + neither
    p_b, p_a = (both + b_only) / n, (both + a_only) / n
    low_b, high_b = wilson_interval(both + b_only, n)
    low_a, high_a = wilson_interval(both + a_only, n)
    return p_b - p_a - math.hypot(p_b - low_b, high_a - p_a), p_b - p_a + math.hypot(high_b - p_b, p_a - low_a)


def test_paired_interval_reduces_to_newcombe_hybrid_score_without_correlation():
    # both * neither == a_only * b_only -> phi = 0: the unpaired Newcombe (Wilson) interval.
    assert paired_difference_interval(3, 8, 6, 4) == pytest.approx(_unpaired_newcombe(3, 8, 6, 4))
    # Positively correlated paired outcomes (many concordant cases) narrow the interval.
    paired = paired_difference_interval(1, 6, 60, 30)
    unpaired = _unpaired_newcombe(1, 6, 60, 30)
    assert paired[1] - paired[0] < 0.8 * (unpaired[1] - unpaired[0])
