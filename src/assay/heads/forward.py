"""Batched forward passes under head masks, on the encodings and batches of :mod:`assay.engine.batching`.

``predict_under_masks`` evaluates many head masks in few forward passes: every input is repeated
once per mask, each repeated row carries its own mask (a ``[batch, layers, heads]`` per-row mask),
rows are batched in length order so padding stays small, and the layers before a mask's first
masked layer are computed once per input instead of once per row. Inputs are encoded, cut to the
model's limit, padded and batched exactly as the engine's ``predict_proba`` does, so the unmasked row
of a head check is the engine's prediction.
"""

from __future__ import annotations

import contextlib
import weakref
from typing import Any, Iterator, Sequence

import numpy as np
import torch
from torch import nn

from assay.engine.batching import (
    Batch,
    Encoded,
    TorchForward,
    encode_for,
    length_order,
    model_inputs,
    predict_in_batches,
    probabilities,
)
from assay.errors import PredictionError
from assay.heads.labels import label_names
from assay.heads.masking import (
    HeadMaskError,
    capture_layer_inputs,
    check_mask,
    head_layout,
    mask_heads,
    model_device,
    model_lock,
    start_at_layer,
    unwrap_model,
)
from assay.inputs import Input
from assay.probabilities import checked_probabilities

__all__ = ["DEFAULT_BATCH_SIZE", "Encoded", "as_encoded", "check_outputs", "encode", "eval_mode", "first_masked_layer",
           "length_order", "model_inputs", "model_name", "predict", "predict_under_masks"]

DEFAULT_BATCH_SIZE = 128


def encode(tokenizer, inputs: Sequence[Input], max_length: int | None = None, model: Any = None) -> Encoded:
    """Tokenise texts and ``(a, b)`` pairs (segments A and B, cut longest-first) as the engine does.

    The limit is ``max_length``, else ``model``'s (the engine's classifier keeps the one it was loaded
    with; a torch model's comes from its position embeddings and the tokenizer), else the tokenizer's.
    """
    return encode_for(model, tokenizer, inputs, max_length)


def as_encoded(tokenizer, inputs: Sequence[Input] | Encoded, model: Any = None) -> Encoded:
    return inputs if isinstance(inputs, Encoded) else encode(tokenizer, inputs, model=model)


@contextlib.contextmanager
def eval_mode(model: nn.Module) -> Iterator[None]:
    """Dropout off while predicting; the previous mode is restored afterwards."""
    was_training = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(was_training)


def model_name(model: Any) -> str:
    """How errors name ``model``: the engine classifier's name, else the folder or hub id it was loaded
    from (``config.name_or_path``), else its class."""
    if not isinstance(model, nn.Module) and getattr(model, "name", None):
        return str(model.name)
    module = unwrap_model(model)
    config = getattr(module, "config", None)
    return str(getattr(config, "name_or_path", "") or getattr(config, "_name_or_path", "") or type(module).__name__)


def _shown(inputs: Sequence[Input] | Encoded, n: int) -> Sequence[Input]:
    """The inputs an error message can quote: the texts, or their positions when only token ids are left."""
    return [f"input {i + 1} of {n}" for i in range(n)] if isinstance(inputs, Encoded) else list(inputs)


def check_outputs(model: Any, probs: np.ndarray, inputs: Sequence[Input] | Encoded, where: str = "") -> np.ndarray:
    """``probs`` ``[n, k]`` through :func:`assay.probabilities.checked_probabilities` (NaN, infinity, shape,
    rows that are not distributions), the one check every model output passes; PredictionError naming
    the model (and ``where``: which head mask) otherwise."""
    module = unwrap_model(model)
    dtype = next((p.dtype for p in module.parameters()), torch.float32)
    fix = f"the model runs in {str(dtype).replace('torch.', '')}: try float32" if dtype in (torch.float16, torch.bfloat16) else ""
    try:
        return checked_probabilities(probs, model=model_name(model), inputs=_shown(inputs, len(probs)),
                                     labels=label_names(module), fix=fix)
    except PredictionError as exc:
        if not where:
            raise
        raise PredictionError(f"{exc} {where}") from None


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

    Inputs go in length-sorted batches of ``batch_size`` (the engine's batch loop). Each batch runs once
    unmasked, recording the hidden states that enter every layer. A mask that leaves layers ``0..l-1``
    untouched then only needs layers ``l..``: its rows start from the recorded input of layer ``l``.
    Rows are (input, mask) pairs with one mask per row, ``batch_size`` rows per forward pass.
    """
    with model_lock(model):  # the layer list is swapped and hooks are set: one thread at a time per model
        return _predict_under_masks(model, tokenizer, inputs, masks, batch_size)


def _predict_under_masks(model, tokenizer, inputs, masks, batch_size) -> np.ndarray:
    module = unwrap_model(model)
    encoded = as_encoded(tokenizer, inputs, model)
    n_layers, n_heads = head_layout(module)
    if not isinstance(masks, torch.Tensor) or masks.dim() != 3:
        shape = tuple(masks.shape) if isinstance(masks, torch.Tensor) else type(masks).__name__
        raise HeadMaskError(f"predict_under_masks needs masks of shape (M, {n_layers}, {n_heads}), got {shape}")
    device = model_device(module)
    masks = check_mask(module, masks.detach().to(device))
    first = first_masked_layer(masks)
    groups = [(layer, torch.from_numpy(np.flatnonzero(first == layer))) for layer in range(n_layers) if (first == layer).any()]
    unmasked = np.flatnonzero(first == n_layers)
    n_masks = int(masks.shape[0])
    k = int(getattr(getattr(module, "config", None), "num_labels", 0))

    def forward(batch: Batch) -> np.ndarray:  # [len(batch), M, k]
        arrays = model_inputs(module, batch.arrays(), device)
        rows = np.zeros((len(batch), n_masks, k), dtype=np.float32)
        with capture_layer_inputs(module) as states:
            probs = probabilities(module(**arrays).logits)
        rows[:, unmasked] = probs[:, None, :]
        skip = groups and max(layer for layer, _ in groups) > 0 and _skipping_is_exact(module, arrays, states, probs)
        for layer, members in groups:
            start = layer if skip else None
            _run_group(module, arrays, states[layer], start, masks[members.to(device)], rows, members, batch_size)
        return rows

    with eval_mode(module), torch.inference_mode():
        out, _ = predict_in_batches(encoded, batch_size, forward)
    if not len(encoded):
        return np.zeros((n_masks, 0, k), dtype=np.float32)
    out = np.ascontiguousarray(out.transpose(1, 0, 2))
    shown = inputs if isinstance(inputs, Encoded) else list(inputs)
    for m in range(n_masks):  # the first mask whose rows are not probabilities names the error
        plain = bool((masks[m] == 1).all())
        check_outputs(model, out[m], shown, "" if plain else f"(under head mask {m} of {n_masks})")
    return out


_SKIP_CHECKED: "weakref.WeakKeyDictionary[nn.Module, bool]" = weakref.WeakKeyDictionary()


def _skipping_is_exact(module: nn.Module, arrays: dict, states: list, probs: np.ndarray) -> bool:
    """Whether running only the last layer on its recorded input gives the full pass's output.

    Skipping the unmasked layers assumes the encoder simply chains its layers; an encoder that treats a
    layer by its position (DeBERTa's convolution after layer 0, for one) does not. Checked once per model
    on its first batch; where it does not hold, every mask runs the whole model."""
    known = _SKIP_CHECKED.get(module)
    if known is None:
        last = len(states) - 1
        with start_at_layer(module, last, states[last]):
            again = probabilities(module(**arrays).logits)
        known = _SKIP_CHECKED[module] = bool(np.allclose(again, probs, atol=1e-4))
    return known


def _run_group(module, batch, hidden, layer, group_masks, out, members, batch_size) -> None:
    """Rows (input, mask) for masks whose first masked layer is ``layer``, run from that layer on (the
    whole model when ``layer`` is None); ``out[input, mask]`` receives their probabilities."""
    n_inputs, n_masks = int(hidden.shape[0]), int(group_masks.shape[0])
    total = n_inputs * n_masks
    for start in range(0, total, batch_size):
        rows = torch.arange(start, min(start + batch_size, total))
        row_inputs, row_masks = rows // n_masks, rows % n_masks
        index = row_inputs.to(hidden.device)
        sub_batch = {name: tensor[index] for name, tensor in batch.items()}
        skipped = contextlib.nullcontext() if layer is None else start_at_layer(module, layer, hidden[index])
        with mask_heads(module, group_masks[row_masks.to(hidden.device)]), skipped:
            probs = probabilities(module(**sub_batch).logits)
        out[row_inputs.numpy(), members[row_masks].numpy()] = probs


def predict(
    model,
    tokenizer,
    inputs: Sequence[Input] | Encoded,
    mask: torch.Tensor | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> np.ndarray:
    """Class probabilities ``[n, k]``, with all heads on (``mask=None``) or under one ``[L, H]`` mask."""
    module = unwrap_model(model)
    encoded = as_encoded(tokenizer, inputs, model)
    device = model_device(module)
    with model_lock(module):  # the layout is read and the model run while no other thread masks it
        n_layers, n_heads = head_layout(module)
        mask = torch.ones(n_layers, n_heads) if mask is None else mask
        mask = check_mask(module, mask.detach().to(device))
        with eval_mode(module), mask_heads(module, mask):
            out, _ = predict_in_batches(encoded, batch_size, TorchForward(module, device))
    if not len(encoded):
        return np.zeros((0, int(getattr(module.config, "num_labels", 0))), dtype=np.float32)
    plain = bool((mask == 1).all())
    check_outputs(model, out, inputs, "" if plain else "(under the head mask given)")
    return out
