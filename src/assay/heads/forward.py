"""Tokenise once, then run batched forward passes under head masks.

``predict_under_masks`` evaluates many head masks in few forward passes: every input is repeated
once per mask, each repeated row carries its own mask (a ``[batch, layers, heads]`` per-row mask),
rows are batched in length order so padding stays small, and the layers before a mask's first
masked layer are computed once per input instead of once per row.
"""

from __future__ import annotations

import contextlib
import inspect
from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np
import torch
from torch import nn

from assay.heads.masking import (
    HeadMaskError,
    capture_layer_inputs,
    check_mask,
    head_layout,
    mask_heads,
    model_device,
    start_at_layer,
    unwrap_model,
)
from assay.inputs import Input, check_input

DEFAULT_BATCH_SIZE = 128


@dataclass(frozen=True)
class Encoded:
    """Inputs tokenised once: padded id tensors on the CPU and the true length of every input."""

    input_ids: torch.Tensor  # [n, T]
    attention_mask: torch.Tensor  # [n, T]
    token_type_ids: torch.Tensor  # [n, T]
    lengths: np.ndarray  # [n]

    def __len__(self) -> int:
        return int(self.input_ids.shape[0])

    def rows(self, index: torch.Tensor) -> dict[str, torch.Tensor]:
        """The rows ``index`` (repeats allowed), cut to the longest of them."""
        width = int(self.lengths[index.numpy()].max()) if len(index) else 0
        return {
            "input_ids": self.input_ids[index, :width],
            "attention_mask": self.attention_mask[index, :width],
            "token_type_ids": self.token_type_ids[index, :width],
        }


def _default_max_length(tokenizer) -> int:
    limit = getattr(tokenizer, "model_max_length", None)
    return int(limit) if isinstance(limit, int) and 0 < limit < 100_000 else 512


def encode(tokenizer, inputs: Sequence[Input], max_length: int | None = None) -> Encoded:
    """Tokenise texts and ``(a, b)`` pairs (segments A and B, truncated longest-first)."""
    items = [check_input(value) for value in inputs]
    max_length = max_length or _default_max_length(tokenizer)
    singles = [i for i, item in enumerate(items) if isinstance(item, str)]
    pairs = [i for i, item in enumerate(items) if not isinstance(item, str)]
    ids: list[list[int]] = [[] for _ in items]
    types: list[list[int]] = [[] for _ in items]
    groups = []
    if singles:
        groups.append((singles, tokenizer([items[i] for i in singles], truncation=True, max_length=max_length)))
    if pairs:
        encoded = tokenizer(
            [items[i][0] for i in pairs], [items[i][1] for i in pairs], truncation="longest_first", max_length=max_length
        )
        groups.append((pairs, encoded))
    for positions, encoded in groups:
        token_types = encoded.get("token_type_ids")
        for row, position in enumerate(positions):
            ids[position] = list(encoded["input_ids"][row])
            types[position] = list(token_types[row]) if token_types is not None else [0] * len(ids[position])
    lengths = np.array([len(row) for row in ids], dtype=np.int64)
    width = int(lengths.max()) if len(items) else 0
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    input_ids = torch.full((len(items), width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(items), width), dtype=torch.long)
    token_type_ids = torch.zeros((len(items), width), dtype=torch.long)
    for row, (row_ids, row_types) in enumerate(zip(ids, types)):
        input_ids[row, : len(row_ids)] = torch.tensor(row_ids, dtype=torch.long)
        attention_mask[row, : len(row_ids)] = 1
        token_type_ids[row, : len(row_types)] = torch.tensor(row_types, dtype=torch.long)
    return Encoded(input_ids, attention_mask, token_type_ids, lengths)


def as_encoded(tokenizer, inputs: Sequence[Input] | Encoded) -> Encoded:
    return inputs if isinstance(inputs, Encoded) else encode(tokenizer, inputs)


def model_inputs(model: nn.Module, batch: dict[str, torch.Tensor], device: torch.device) -> dict[str, torch.Tensor]:
    """The batch tensors the model's forward accepts, on its device (DistilBERT takes no token types)."""
    accepted = inspect.signature(model.forward).parameters
    return {name: tensor.to(device) for name, tensor in batch.items() if name in accepted}


@contextlib.contextmanager
def eval_mode(model: nn.Module) -> Iterator[None]:
    """Dropout off while predicting; the previous mode is restored afterwards."""
    was_training = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(was_training)


def length_order(encoded: Encoded) -> np.ndarray:
    """Input indices, longest first (a stable order: ties keep input order)."""
    return np.argsort(-encoded.lengths, kind="stable")


def first_masked_layer(masks: torch.Tensor) -> np.ndarray:
    """For each mask ``[M, L, H]``: the first layer with a head not at 1 (``L`` for an all-ones mask)."""
    changed = (masks != 1).any(dim=-1).cpu().numpy()  # [M, L]
    n_layers = changed.shape[1]
    return np.where(changed.any(axis=1), changed.argmax(axis=1), n_layers)


def predict_under_masks(
    model,
    tokenizer,
    inputs: Sequence[Input] | Encoded,
    masks: torch.Tensor,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> np.ndarray:
    """Class probabilities ``[M, n, k]`` of every input under each of the ``M`` masks ``[M, L, H]``.

    Inputs go in length-sorted chunks of ``batch_size``. Each chunk runs once unmasked, recording the
    hidden states that enter every layer. A mask that leaves layers ``0..l-1`` untouched then only
    needs layers ``l..`` : its rows start from the recorded input of layer ``l``. Rows are (input,
    mask) pairs with one mask per row, ``batch_size`` rows per forward pass.
    """
    module = unwrap_model(model)
    encoded = as_encoded(tokenizer, inputs)
    n_layers, n_heads = head_layout(module)
    if not isinstance(masks, torch.Tensor) or masks.dim() != 3:
        shape = tuple(masks.shape) if isinstance(masks, torch.Tensor) else type(masks).__name__
        raise HeadMaskError(f"predict_under_masks needs masks of shape (M, {n_layers}, {n_heads}), got {shape}")
    device = model_device(module)
    masks = check_mask(module, masks.detach().to(device))
    first = first_masked_layer(masks)
    groups = [(layer, torch.from_numpy(np.flatnonzero(first == layer))) for layer in range(n_layers) if (first == layer).any()]
    unmasked = torch.from_numpy(np.flatnonzero(first == n_layers))
    order = torch.from_numpy(length_order(encoded))
    k = int(getattr(getattr(module, "config", None), "num_labels", 0))
    out = np.zeros((int(masks.shape[0]), len(encoded), k), dtype=np.float32)
    with eval_mode(module), torch.inference_mode():
        for start in range(0, len(encoded), batch_size):
            chunk = order[start : start + batch_size]
            batch = model_inputs(module, encoded.rows(chunk), device)
            with capture_layer_inputs(module) as states:
                probs = _probs(module(**batch).logits)
            out[np.ix_(unmasked.numpy(), chunk.numpy())] = probs
            for layer, members in groups:
                _run_group(module, batch, states[layer], layer, masks[members.to(device)], out, members, chunk, batch_size)
    return out


def _probs(logits: torch.Tensor) -> np.ndarray:
    return torch.softmax(logits.float(), dim=-1).cpu().numpy()


def _run_group(module, batch, hidden, layer, group_masks, out, members, chunk, batch_size) -> None:
    """Rows (input, mask) for masks whose first masked layer is ``layer``, run from that layer on."""
    n_inputs, n_masks = len(chunk), int(group_masks.shape[0])
    total = n_inputs * n_masks
    for start in range(0, total, batch_size):
        rows = torch.arange(start, min(start + batch_size, total))
        row_inputs, row_masks = rows // n_masks, rows % n_masks
        index = row_inputs.to(hidden.device)
        sub_batch = {name: tensor[index] for name, tensor in batch.items()}
        with mask_heads(module, group_masks[row_masks.to(hidden.device)]), start_at_layer(module, layer, hidden[index]):
            probs = _probs(module(**sub_batch).logits)
        out[members[row_masks].numpy(), chunk[row_inputs].numpy()] = probs


def predict(
    model,
    tokenizer,
    inputs: Sequence[Input] | Encoded,
    mask: torch.Tensor | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> np.ndarray:
    """Class probabilities ``[n, k]``, with all heads on (``mask=None``) or under one ``[L, H]`` mask."""
    module = unwrap_model(model)
    encoded = as_encoded(tokenizer, inputs)
    device = model_device(module)
    n_layers, n_heads = head_layout(module)
    mask = torch.ones(n_layers, n_heads) if mask is None else mask
    mask = check_mask(module, mask.detach().to(device))
    order = torch.from_numpy(length_order(encoded))
    out: np.ndarray | None = None
    with eval_mode(module), torch.inference_mode(), mask_heads(module, mask):
        for start in range(0, len(encoded), batch_size):
            index = order[start : start + batch_size]
            logits = module(**model_inputs(module, encoded.rows(index), device)).logits
            probs = torch.softmax(logits.float(), dim=-1).cpu().numpy()
            if out is None:
                out = np.zeros((len(encoded), probs.shape[-1]), dtype=np.float32)
            out[index.numpy()] = probs
    if out is None:
        out = np.zeros((0, int(getattr(module.config, "num_labels", 0))), dtype=np.float32)
    return out
