"""Attention rollout (Abnar & Zuidema, 2020) and access to attention weights.

Rollout averages each layer's heads, adds the identity for the residual connection, renormalises the
rows, and multiplies the layers together; the ``[CLS]`` row of the product says how much each input
position flowed into the representation the classifier reads.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Sequence

import numpy as np
import torch

from assay.errors import UnsupportedModelError
from assay.explain.tokens import Encoded, collate, device_of


def _model_name(model) -> str:
    return str(getattr(model.config, "name_or_path", "") or type(model).__name__)


@contextmanager
def eager_attention(model) -> Iterator[None]:
    """Run the block with eager attention (the only kind that returns attention weights).

    A model loaded with ``sdpa`` (the transformers default) is switched to eager with
    ``model.set_attn_implementation("eager")`` and switched back afterwards.
    """
    current = getattr(model.config, "_attn_implementation", "eager")
    if current in (None, "eager"):
        yield
        return
    try:
        model.set_attn_implementation("eager")
    except Exception as exc:  # transformers raises ValueError / ImportError / AttributeError
        raise UnsupportedModelError(
            f"{_model_name(model)}: attention weights need eager attention, the model uses {current!r} "
            f"and cannot switch ({exc}); load it with attn_implementation='eager'"
        ) from None
    try:
        yield
    finally:
        model.set_attn_implementation(current)


@torch.no_grad()
def attention_maps(model, tokenizer, encs: Sequence[Encoded], batch_size: int = 32) -> list[np.ndarray]:
    """Per input, the attention weights ``[layers, heads, T, T]`` (T = its own length, no padding)."""
    device = device_of(model)
    maps: list[np.ndarray] = []
    with eager_attention(model):
        for start in range(0, len(encs), batch_size):
            chunk = encs[start : start + batch_size]
            batch = collate([(e.input_ids, e.token_type_ids) for e in chunk], tokenizer, device)
            out = model(**batch, output_attentions=True)
            if not out.attentions or out.attentions[0] is None:
                raise UnsupportedModelError(
                    f"{_model_name(model)}: the model returned no attention weights with "
                    "output_attentions=True; load it with attn_implementation='eager'"
                )
            stacked = torch.stack([a.float() for a in out.attentions], dim=1).cpu().numpy()  # [B, L, H, T, T]
            for row in range(len(chunk)):
                real = batch["attention_mask"][row].bool().cpu().numpy()  # the input's own tokens, on either padding side
                maps.append(stacked[row][:, :, real][:, :, :, real])
    return maps


def rollout_matrix(attentions: np.ndarray) -> np.ndarray:
    """Rollout ``[T, T]`` from attention weights ``[layers, heads, T, T]``."""
    attentions = np.asarray(attentions, dtype=np.float64)
    size = attentions.shape[-1]
    joint = np.eye(size)
    for layer in attentions:
        mixed = layer.mean(axis=0) + np.eye(size)
        mixed /= mixed.sum(axis=-1, keepdims=True)
        joint = mixed @ joint
    return joint


def rollout_scores(model, tokenizer, encs: Sequence[Encoded]) -> list[np.ndarray]:
    """Per input, the word-level rollout scores read from the ``[CLS]`` (first) row."""
    return [enc.word_scores(rollout_matrix(maps)[0]) for enc, maps in zip(encs, attention_maps(model, tokenizer, encs))]
