"""Head masking through output-projection pre-hooks equals the old ``head_mask`` semantics.

The reference is computed independently: a custom attention function registered with
transformers' AttentionInterface multiplies the attention probabilities of each head by the mask,
which is what ``head_mask`` did before transformers 5 removed it.
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from transformers import (
    AttentionInterface,
    BertConfig,
    BertForSequenceClassification,
    BertModel,
    DistilBertConfig,
    DistilBertForSequenceClassification,
    ElectraConfig,
    ElectraForSequenceClassification,
    GPT2Config,
    GPT2ForSequenceClassification,
    RobertaConfig,
    RobertaForSequenceClassification,
)
from transformers.masking_utils import AttentionMaskInterface, eager_mask

from assay.errors import AssayError, UnsupportedModelError
from assay.heads.masking import HeadMaskError, head_layout, mask_heads

LAYERS, HEADS, VOCAB = 2, 4, 60
REFERENCE = "assay_head_mask_reference"
_reference_state: dict = {"mask": None, "layer_of": {}}


def _reference_attention(module, query, key, value, attention_mask, scaling=None, dropout=0.0, **kwargs):
    """Eager attention whose probabilities are multiplied per head by the active mask (old head_mask)."""
    scaling = query.size(-1) ** -0.5 if scaling is None else scaling
    weights = torch.matmul(query, key.transpose(2, 3)) * scaling
    if attention_mask is not None:
        weights = weights + attention_mask
    weights = torch.softmax(weights, dim=-1)
    mask = _reference_state["mask"]
    if mask is not None:
        layer_mask = mask[..., _reference_state["layer_of"][id(module)], :]  # [H] or [B, H]
        weights = weights * (layer_mask[:, :, None, None] if layer_mask.dim() == 2 else layer_mask[:, None, None])
    return torch.matmul(weights, value).transpose(1, 2).contiguous(), weights


AttentionInterface.register(REFERENCE, _reference_attention)
AttentionMaskInterface.register(REFERENCE, eager_mask)


def _attention_modules(model):
    base = model.base_model
    if model.config.model_type == "distilbert":
        return [layer.attention for layer in base.transformer.layer]
    return [layer.attention.self for layer in base.encoder.layer]


def _reference_logits(model, batch, mask):
    model.set_attn_implementation(REFERENCE)
    _reference_state["layer_of"] = {id(m): i for i, m in enumerate(_attention_modules(model))}
    _reference_state["mask"] = mask
    try:
        return model(**batch).logits
    finally:
        _reference_state["mask"] = None
        model.set_attn_implementation("eager")


def _hook_logits(model, batch, mask):
    with mask_heads(model, mask):
        return model(**batch).logits


def _tiny(kind: str, dtype=torch.float32):
    torch.manual_seed(0)
    common = dict(vocab_size=VOCAB, num_labels=3, attn_implementation="eager", initializer_range=0.3)
    if kind == "bert":
        config = BertConfig(hidden_size=32, num_hidden_layers=LAYERS, num_attention_heads=HEADS, intermediate_size=37, **common)
        model = BertForSequenceClassification(config)
    elif kind == "roberta":
        config = RobertaConfig(hidden_size=32, num_hidden_layers=LAYERS, num_attention_heads=HEADS, intermediate_size=37,
                               pad_token_id=1, max_position_embeddings=40, **common)
        model = RobertaForSequenceClassification(config)
    elif kind == "distilbert":
        config = DistilBertConfig(dim=32, n_layers=LAYERS, n_heads=HEADS, hidden_dim=37, **common)
        model = DistilBertForSequenceClassification(config)
    else:
        raise ValueError(kind)
    return model.to(dtype).eval()


def _batch(kind: str):
    """Three rows of different lengths: padding must not change the equivalence."""
    generator = torch.Generator().manual_seed(1)
    pad = 1 if kind == "roberta" else 0
    ids = torch.randint(3, VOCAB, (3, 9), generator=generator)
    attention = torch.ones(3, 9, dtype=torch.long)
    for row, length in enumerate((9, 6, 3)):
        ids[row, length:] = pad
        attention[row, length:] = 0
    return {"input_ids": ids, "attention_mask": attention}


def _masks(batch_size: int):
    generator = torch.Generator().manual_seed(2)
    fractional = torch.rand(LAYERS, HEADS, generator=generator)
    zeros_and_fractions = fractional.clone()
    zeros_and_fractions[0, 1] = 0.0
    zeros_and_fractions[1, :2] = 0.0
    per_row = torch.rand(batch_size, LAYERS, HEADS, generator=generator)
    per_row[0, 0] = 0.0  # a whole layer off for row 0
    per_row[1] = 1.0  # row 1 unmasked
    per_row[2, 1, 3] = 0.0
    return {"layer_heads": zeros_and_fractions, "all_zero": torch.zeros(LAYERS, HEADS), "per_row": per_row}


@pytest.mark.parametrize("kind", ["bert", "roberta", "distilbert"])
@pytest.mark.parametrize("mask_name", ["layer_heads", "all_zero", "per_row"])
def test_hook_masking_matches_old_head_mask_logits_and_gradients(kind, mask_name):
    model, batch = _tiny(kind), _batch(kind)
    mask = _masks(3)[mask_name]
    weights = torch.tensor([0.3, -1.2, 0.7])

    ref_mask = mask.clone().requires_grad_(True)
    reference = _reference_logits(model, batch, ref_mask)
    (reference * weights).sum().backward()

    hook_mask = mask.clone().requires_grad_(True)
    hooked = _hook_logits(model, batch, hook_mask)
    (hooked * weights).sum().backward()

    torch.testing.assert_close(hooked, reference, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(hook_mask.grad, ref_mask.grad, atol=1e-5, rtol=1e-4)
    # The mask really does something, and gradients are not trivially zero.
    unmasked = model(**batch).logits
    assert not torch.allclose(hooked, unmasked, atol=1e-4)
    assert hook_mask.grad.abs().sum() > 0


@settings(max_examples=15, deadline=None)
@given(values=st.lists(st.sampled_from([0.0, 0.25, 0.5, 1.0, 1.5]), min_size=LAYERS * HEADS, max_size=LAYERS * HEADS))
def test_any_layer_head_mask_matches_reference(values):
    model, batch = _bert_and_batch()
    mask = torch.tensor(values).view(LAYERS, HEADS)
    with torch.no_grad():
        torch.testing.assert_close(_hook_logits(model, batch, mask), _reference_logits(model, batch, mask), atol=1e-5, rtol=1e-5)


_CACHE: dict = {}


def _bert_and_batch():
    if "bert" not in _CACHE:
        _CACHE["bert"] = (_tiny("bert"), _batch("bert"))
    return _CACHE["bert"]


def test_per_row_mask_equals_separate_passes():
    model, batch = _bert_and_batch()
    masks = _masks(3)["per_row"]
    with torch.no_grad():
        together = _hook_logits(model, batch, masks)
        for row in range(3):
            single = {k: v[row : row + 1] for k, v in batch.items()}
            torch.testing.assert_close(together[row : row + 1], _hook_logits(model, single, masks[row]), atol=1e-5, rtol=1e-5)


def test_hooks_are_removed_after_block_and_after_exception():
    model, batch = _bert_and_batch()
    projections = [layer.attention.output.dense for layer in model.bert.encoder.layer]
    with torch.no_grad():
        before = model(**batch).logits
        with mask_heads(model, torch.zeros(LAYERS, HEADS)):
            assert all(len(p._forward_pre_hooks) == 1 for p in projections)
        assert all(len(p._forward_pre_hooks) == 0 for p in projections)
        with pytest.raises(RuntimeError, match="boom"):
            with mask_heads(model, torch.zeros(LAYERS, HEADS)):
                raise RuntimeError("boom")
        assert all(len(p._forward_pre_hooks) == 0 for p in projections)
        # A failing forward pass (wrong per-row batch size) also leaves no hooks behind.
        with pytest.raises(HeadMaskError, match="rows"):
            with mask_heads(model, torch.ones(5, LAYERS, HEADS) * 0.5):
                model(**batch)
        assert all(len(p._forward_pre_hooks) == 0 for p in projections)
        torch.testing.assert_close(model(**batch).logits, before)


def test_all_ones_mask_changes_nothing_and_installs_no_hook():
    model, batch = _bert_and_batch()
    with torch.no_grad():
        plain = model(**batch).logits
        with mask_heads(model, torch.ones(LAYERS, HEADS)):
            assert all(len(l.attention.output.dense._forward_pre_hooks) == 0 for l in model.bert.encoder.layer)
            torch.testing.assert_close(model(**batch).logits, plain)


def test_inference_mode_and_half_precision():
    model, batch = _bert_and_batch()
    mask = _masks(3)["layer_heads"]
    with torch.no_grad():
        expected = _hook_logits(model, batch, mask)
    with torch.inference_mode():
        torch.testing.assert_close(_hook_logits(model, batch, mask), expected)
    for dtype in (torch.bfloat16, torch.float16):
        low = _tiny("bert", dtype=dtype)
        with torch.inference_mode():
            logits = _hook_logits(low, batch, mask)  # float32 mask, half model: cast inside the hook
        assert logits.dtype == dtype
        torch.testing.assert_close(logits.float(), expected, atol=0.05, rtol=0.05)


def test_head_layout_of_supported_models_and_bare_encoders():
    assert head_layout(_tiny("bert")) == (LAYERS, HEADS)
    assert head_layout(_tiny("roberta")) == (LAYERS, HEADS)
    assert head_layout(_tiny("distilbert")) == (LAYERS, HEADS)
    electra = ElectraForSequenceClassification(
        ElectraConfig(vocab_size=VOCAB, embedding_size=16, hidden_size=24, num_hidden_layers=3, num_attention_heads=6, intermediate_size=20)
    )
    assert head_layout(electra) == (3, 6)
    bare = BertModel(BertConfig(vocab_size=VOCAB, hidden_size=20, num_hidden_layers=1, num_attention_heads=5, intermediate_size=8))
    assert head_layout(bare) == (1, 5)
    with torch.no_grad(), mask_heads(bare, torch.zeros(1, 5)):
        out = bare(input_ids=torch.tensor([[2, 3, 4]])).last_hidden_state
    assert out.shape == (1, 3, 20)


def test_unsupported_model_names_type_and_supported_ones():
    gpt2 = GPT2ForSequenceClassification(GPT2Config(vocab_size=VOCAB, n_embd=16, n_layer=1, n_head=2, n_positions=16))
    with pytest.raises(UnsupportedModelError, match=r"'gpt2'.*bert, roberta, electra, distilbert"):
        head_layout(gpt2)
    with pytest.raises(UnsupportedModelError):
        with mask_heads(gpt2, torch.ones(1, 2)):
            pass
    with pytest.raises(AssayError, match="torch model"):
        head_layout(object())


@pytest.mark.parametrize(
    ("mask", "message"),
    [
        (torch.ones(LAYERS, HEADS + 1), "shape"),
        (torch.ones(LAYERS), "shape"),
        (torch.ones(2, 3, LAYERS, HEADS), "shape"),
        (torch.ones(LAYERS, HEADS, dtype=torch.long), "dtype"),
        (torch.full((LAYERS, HEADS), float("nan")), "NaN"),
        (torch.ones(LAYERS, HEADS, device="meta"), "meta"),
        ([[1.0] * HEADS] * LAYERS, "torch.Tensor"),
    ],
)
def test_invalid_masks_are_rejected_with_a_clear_error(mask, message):
    model, _ = _bert_and_batch()
    with pytest.raises(HeadMaskError, match=message):
        with mask_heads(model, mask):
            pass


def test_bool_mask_is_accepted():
    model, batch = _bert_and_batch()
    mask = torch.ones(LAYERS, HEADS, dtype=torch.bool)
    mask[1, 2] = False
    with torch.no_grad():
        torch.testing.assert_close(_hook_logits(model, batch, mask), _hook_logits(model, batch, mask.float()))
