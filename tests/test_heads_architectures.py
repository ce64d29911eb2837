"""Which models heads can be masked in is decided by their modules, not their name (issue 11, item 22).

XLM-RoBERTa and CamemBERT have RoBERTa's exact layout (and DeBERTa-v2 the same attention output
projection), so they are masked like it. The reference is computed by hand: switching head ``h`` of
layer ``l`` off is the same as zeroing the columns of that layer's attention output projection that
read head ``h``'s context vector.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from test_engine_fixtures import CORPUS, bpe_tokenizer
from torch import nn
from transformers.modeling_outputs import BaseModelOutputWithPastAndCrossAttentions
from transformers import (
    BertConfig,
    BertForSequenceClassification,
    CamembertConfig,
    CamembertForSequenceClassification,
    DebertaV2Config,
    DebertaV2ForSequenceClassification,
    GPT2Config,
    GPT2ForSequenceClassification,
    XLMRobertaConfig,
    XLMRobertaForSequenceClassification,
)

from assay.errors import UnsupportedModelError
from assay.heads.forward import predict, predict_under_masks
from assay.heads.masking import head_layout, mask_heads

LAYERS, HEADS, HIDDEN = 3, 4, 32


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    return bpe_tokenizer(tmp_path_factory.mktemp("bpe"), vocab_size=400)


def _build(kind: str, vocab: int):
    torch.manual_seed(0)
    common = dict(vocab_size=vocab, hidden_size=HIDDEN, num_hidden_layers=LAYERS, num_attention_heads=HEADS,
                  intermediate_size=37, num_labels=3, initializer_range=0.4)
    roberta_like = dict(pad_token_id=1, bos_token_id=0, eos_token_id=2, max_position_embeddings=70, type_vocab_size=1)
    if kind == "xlm-roberta":
        model = XLMRobertaForSequenceClassification(XLMRobertaConfig(**common, **roberta_like))
    elif kind == "camembert":
        model = CamembertForSequenceClassification(CamembertConfig(**common, **roberta_like))
    elif kind == "deberta-v2":
        model = DebertaV2ForSequenceClassification(DebertaV2Config(**common, pad_token_id=1, max_position_embeddings=70,
                                                                   type_vocab_size=0))
    else:
        raise ValueError(kind)
    return model.eval()


def _projection(model, layer):
    return model.base_model.encoder.layer[layer].attention.output.dense


def _by_hand(model, batch, layer, head):
    """Logits with head ``head`` of ``layer`` off, computed without assay: its output columns zeroed."""
    manual = copy.deepcopy(model)
    width = HIDDEN // HEADS
    with torch.no_grad():
        _projection(manual, layer).weight[:, head * width:(head + 1) * width] = 0.0
        return manual(**batch).logits


def _batch(tokenizer):
    encoded = tokenizer(CORPUS[:4], padding=True, return_tensors="pt")
    encoded.pop("token_type_ids", None)
    return dict(encoded)


@pytest.mark.parametrize("kind", ["xlm-roberta", "camembert", "deberta-v2"])
def test_roberta_layout_models_are_masked_like_roberta(kind, tokenizer):
    model = _build(kind, len(tokenizer))
    assert head_layout(model) == (LAYERS, HEADS)
    batch = _batch(tokenizer)
    with torch.no_grad():
        plain = model(**batch).logits
        with mask_heads(model, torch.ones(LAYERS, HEADS)):
            np.testing.assert_allclose(model(**batch).logits, plain, atol=1e-6)  # all ones changes nothing
        for layer, head in [(0, 1), (2, 3)]:
            mask = torch.ones(LAYERS, HEADS)
            mask[layer, head] = 0.0
            with mask_heads(model, mask):
                masked = model(**batch).logits
            np.testing.assert_allclose(masked, _by_hand(model, batch, layer, head), atol=1e-5)
            assert not torch.allclose(masked, plain, atol=1e-4)


@pytest.mark.parametrize("kind", ["xlm-roberta", "camembert", "deberta-v2"])
def test_sweeps_that_skip_unmasked_layers_match_full_passes(kind, tokenizer):
    model = _build(kind, len(tokenizer))
    masks = torch.ones(4, LAYERS, HEADS)
    masks[1, 2] = 0.0  # starts at the last layer
    masks[2, 1, 0] = 0.0
    masks[3, 0, 3] = 0.5
    inputs = CORPUS + [("the flight", "was great")]
    together = predict_under_masks(model, tokenizer, inputs, masks, batch_size=5)
    for index in range(len(masks)):
        np.testing.assert_allclose(together[index], predict(model, tokenizer, inputs, mask=masks[index]), atol=1e-5)


def test_the_name_does_not_decide(tokenizer):
    """A BERT whose config calls it something else is still masked; a name alone admits nothing."""
    model = BertForSequenceClassification(BertConfig(vocab_size=60, hidden_size=16, num_hidden_layers=2,
                                                     num_attention_heads=2, intermediate_size=8)).eval()
    model.config.model_type = "my-in-house-encoder"
    assert head_layout(model) == (2, 2)


class _NamedBert(nn.Module):
    """Says it is a BERT but has no encoder layers."""

    def __init__(self):
        super().__init__()
        self.config = BertConfig(vocab_size=10, hidden_size=8, num_hidden_layers=1, num_attention_heads=2)
        self.linear = nn.Linear(8, 8)


def test_what_does_not_fit_gets_one_clear_line():
    gpt2 = GPT2ForSequenceClassification(GPT2Config(vocab_size=60, n_embd=16, n_layer=1, n_head=2, n_positions=16))
    with pytest.raises(UnsupportedModelError, match=r"'gpt2'.*bert, roberta, electra, distilbert") as raised:
        head_layout(gpt2)
    assert "\n" not in str(raised.value) and "GPT2ForSequenceClassification" in str(raised.value)
    with pytest.raises(UnsupportedModelError, match=r"'bert'.*no encoder layers"):
        head_layout(_NamedBert())
    bert = BertForSequenceClassification(BertConfig(vocab_size=60, hidden_size=16, num_hidden_layers=2,
                                                    num_attention_heads=2, intermediate_size=8))
    bert.bert.encoder.layer[1].attention.output.dense = nn.Identity()
    with pytest.raises(UnsupportedModelError, match=r"layer 1.*attention output projection") as raised:
        head_layout(bert)
    assert "\n" not in str(raised.value)


def test_an_encoder_that_treats_a_layer_by_position_runs_whole_passes(tokenizer):
    """Skipping unmasked layers is checked once per model: an encoder that does something after its first
    layer (as DeBERTa's optional convolution does) must not get the skip, or a masked row would be wrong."""
    from assay.heads import forward

    model = _build("xlm-roberta", len(tokenizer))
    encoder = model.base_model.encoder

    def positional_forward(hidden_states, attention_mask=None, encoder_hidden_states=None, cache=None,
                           use_cache=None, **kwargs):
        for index, layer in enumerate(encoder.layer):
            hidden_states = layer(hidden_states, attention_mask, **kwargs)
            if index == 0:
                hidden_states = hidden_states * 1.5
        return BaseModelOutputWithPastAndCrossAttentions(last_hidden_state=hidden_states)

    encoder.forward = positional_forward
    masks = torch.ones(3, LAYERS, HEADS)
    masks[1, 2, 1] = 0.0
    masks[2, 1, 0] = 0.0
    inputs = CORPUS[:4]
    together = predict_under_masks(model, tokenizer, inputs, masks, batch_size=4)
    for index in range(len(masks)):
        np.testing.assert_allclose(together[index], predict(model, tokenizer, inputs, mask=masks[index]), atol=1e-5)
    assert forward._SKIP_CHECKED[model] is False
    plain = _build("xlm-roberta", len(tokenizer))
    predict_under_masks(plain, tokenizer, inputs, masks, batch_size=4)
    assert forward._SKIP_CHECKED[plain] is True
