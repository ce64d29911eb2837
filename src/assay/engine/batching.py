"""Inputs to model batches, one way for everything that runs a model: the engine, head checks, explanations.

- :func:`max_length_for`: the one token limit of a model (position embeddings, less RoBERTa's padding
  offset, and the tokenizer's ``model_max_length``).
- :func:`encode`: texts and ``(a, b)`` pairs (segments A and B) to token ids, cut ``longest_first`` to
  that limit; which inputs were cut is recorded.
- :func:`collate`: encodings padded to the longest of them, on the tokenizer's padding side.
- :func:`predict_in_batches`: the batch loop. Encodings go longest first through any
  ``forward(batch) -> array`` (one row per batch member), the batch is halved on CUDA out-of-memory, and
  the rows come back in the caller's order. :class:`TorchForward` is the forward of a Hugging Face
  model; another backend only has to be a callable from a :class:`Batch` to an array.
"""

from __future__ import annotations

import contextlib
import inspect
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np
import torch

from assay.errors import PredictionError
from assay.inputs import Input, check_input

Encoding = dict[str, list[int]]
"""One encoded input: ``input_ids`` and, where the model takes them, ``token_type_ids``."""

FALLBACK_MAX_LENGTH = 512
_UNSET_LIMIT = 1_000_000  # transformers' "no limit" is a huge number (int(1e30))


def _position_limit(model: Any) -> int | None:
    """Positions the model can embed: ``max_position_embeddings`` less the offset of models whose position
    ids start after the padding id (RoBERTa, XLM-R, CamemBERT: positions begin at ``padding_idx + 1``)."""
    module = getattr(model, "model", model) if not isinstance(model, torch.nn.Module) else model
    config = module if hasattr(module, "max_position_embeddings") else getattr(module, "config", None)
    positions = getattr(config, "max_position_embeddings", None)
    if not isinstance(positions, int) or positions <= 0:
        return None
    embeddings = getattr(getattr(module, "base_model", module), "embeddings", None)
    table = getattr(embeddings, "position_embeddings", None)
    if isinstance(table, torch.nn.Embedding):
        offset = 0 if table.padding_idx is None else int(table.padding_idx) + 1
    else:  # no module to look at: the model type says it
        offset = (int(getattr(config, "pad_token_id", 0) or 0) + 1) if "roberta" in str(getattr(config, "model_type", "")) else 0
    return positions - offset


def max_length_for(model: Any, tokenizer: Any) -> int:
    """The longest input, in tokens, that both ``model`` and ``tokenizer`` accept (512 when neither says).

    ``model`` may be a torch module, an object holding one in ``.model`` (the engine's classifier), a
    model config (before the weights are loaded) or None.
    """
    limits = []
    positions = _position_limit(model) if model is not None else None
    if positions:
        limits.append(positions)
    declared = getattr(tokenizer, "model_max_length", None)
    if isinstance(declared, int) and 0 < declared < _UNSET_LIMIT:
        limits.append(declared)
    return min(limits) if limits else FALLBACK_MAX_LENGTH


def accepts_token_types(model: Any) -> bool:
    """Whether ``model``'s forward takes ``token_type_ids`` (BERT does; DistilBERT and RoBERTa do not)."""
    module = getattr(model, "model", model) if not isinstance(model, torch.nn.Module) else model
    return "token_type_ids" in inspect.signature(module.forward).parameters


@dataclass(frozen=True)
class Encoded:
    """Inputs encoded once: token ids per input, the limit they were cut to and which were cut."""

    encodings: list[Encoding]
    truncated: list[bool]
    max_length: int
    pad_id: int = 0
    left_padding: bool = False
    lengths: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lengths", np.array([len(e["input_ids"]) for e in self.encodings], dtype=np.int64))

    def __len__(self) -> int:
        return len(self.encodings)

    def rows(self, index: Sequence[int] | np.ndarray | torch.Tensor) -> dict[str, np.ndarray]:
        """The rows ``index`` (repeats allowed), padded to the longest of them."""
        rows = np.asarray(index.cpu() if isinstance(index, torch.Tensor) else index, dtype=np.int64).reshape(-1)
        return collate([self.encodings[i] for i in rows], self.pad_id, self.left_padding)


def pad_id_of(tokenizer: Any) -> int:
    return tokenizer.pad_token_id if getattr(tokenizer, "pad_token_id", None) is not None else 0


def pads_left(tokenizer: Any) -> bool:
    return getattr(tokenizer, "padding_side", "right") == "left"


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence transformers' "sequence longer than the maximum" warning: truncations are counted instead."""
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)


def _call(tokenizer: Any, items: Sequence[Input], max_length: int | None, **extra: Any) -> Any:
    """The tokenizer on texts or on pairs (never both): unpadded, cut ``longest_first`` when given a limit."""
    kwargs: dict[str, Any] = {"padding": False, "return_attention_mask": False, **extra}
    if max_length is None:
        kwargs["truncation"] = False
    else:
        kwargs.update(truncation="longest_first", max_length=max_length)
    pairs = [item for item in items if isinstance(item, tuple)]  # all of them, or none (see encode)
    if pairs:
        return tokenizer([a for a, _ in pairs], [b for _, b in pairs], **kwargs)  # lists: an empty side is kept
    return tokenizer(list(items), **kwargs)


def encode(tokenizer: Any, inputs: Sequence[Input], max_length: int, token_types: bool = True) -> Encoded:
    """Tokenise texts and ``(a, b)`` pairs (segments A and B) without padding.

    Inputs longer than ``max_length`` tokens are cut ``longest_first`` (the longer side of a pair loses
    tokens first) and marked in ``truncated``. ``token_types=False`` drops ``token_type_ids`` (for models
    that do not take them).
    """
    items = [check_input(item) for item in inputs]
    encodings: list[Encoding] = [{} for _ in items]
    truncated = [False] * len(items)
    names = ["input_ids", "token_type_ids"] if token_types else ["input_ids"]

    def rows(batch: Any, count: int) -> list[Encoding]:
        return [{name: list(batch[name][j]) for name in names if name in batch} for j in range(count)]

    with _quiet():
        for is_pair in (False, True):
            group = [i for i, item in enumerate(items) if isinstance(item, tuple) is is_pair]
            if not group:
                continue
            full = rows(_call(tokenizer, [items[i] for i in group], None), len(group))
            long = [j for j, enc in enumerate(full) if len(enc["input_ids"]) > max_length]
            if long:
                cut = rows(_call(tokenizer, [items[group[j]] for j in long], max_length), len(long))
                for j, enc in zip(long, cut):
                    full[j] = enc
                    truncated[group[j]] = True
            for i, enc in zip(group, full):
                encodings[i] = enc
    return Encoded(encodings, truncated, int(max_length), pad_id_of(tokenizer), pads_left(tokenizer))


def tokenize_one(tokenizer: Any, item: Input, max_length: int, **extra: Any) -> tuple[Any, bool]:
    """One input tokenised exactly as :func:`encode` tokenises it, as the tokenizer's own batch of one
    (``extra`` asks for more, e.g. ``return_offsets_mapping=True``), and whether it was cut."""
    item = check_input(item)
    with _quiet():
        full = _call(tokenizer, [item], None, **extra)
        if len(full["input_ids"][0]) <= max_length:
            return full, False
        return _call(tokenizer, [item], max_length, **extra), True


def collate(encodings: Sequence[Encoding], pad_id: int = 0, left_padding: bool = False) -> dict[str, np.ndarray]:
    """``input_ids``, ``attention_mask`` (and ``token_type_ids`` when the encodings have them) as int64
    arrays ``[len(encodings), longest]``, padded on the right, or on the left with ``left_padding``."""
    width = max((len(enc["input_ids"]) for enc in encodings), default=0)
    ids = np.full((len(encodings), width), pad_id, dtype=np.int64)
    attention = np.zeros((len(encodings), width), dtype=np.int64)
    with_types = bool(encodings) and "token_type_ids" in encodings[0]
    types = np.zeros((len(encodings), width), dtype=np.int64)
    for row, enc in enumerate(encodings):
        n = len(enc["input_ids"])
        span = slice(width - n, width) if left_padding else slice(0, n)
        ids[row, span] = enc["input_ids"]
        attention[row, span] = 1
        if with_types:
            types[row, span] = enc["token_type_ids"]
    arrays = {"input_ids": ids, "attention_mask": attention}
    if with_types:
        arrays["token_type_ids"] = types
    return arrays


def length_order(encoded: Encoded) -> np.ndarray:
    """Input positions, longest first (stable: ties keep input order)."""
    return np.argsort(-encoded.lengths, kind="stable")


@dataclass(frozen=True)
class Batch:
    """One batch of the loop: the positions of its members in the caller's list, and their encodings."""

    index: np.ndarray
    encoded: Encoded

    def __len__(self) -> int:
        return len(self.index)

    @property
    def encodings(self) -> list[Encoding]:
        return [self.encoded.encodings[i] for i in self.index]

    def arrays(self) -> dict[str, np.ndarray]:
        """The batch padded (see :func:`collate`)."""
        return self.encoded.rows(self.index)


Forward = Callable[[Batch], np.ndarray]


def predict_in_batches(
    encoded: Encoded,
    batch_size: int,
    forward: Forward,
    on_batch: Callable[[Batch, np.ndarray], Any] | None = None,
    *,
    oom_fix: str = "run it on the CPU or in a smaller dtype",
) -> tuple[np.ndarray, int]:
    """Run ``forward`` over batches of ``encoded``, longest inputs first; rows come back in input order.

    ``forward(batch)`` returns an array whose first axis follows the batch. ``on_batch(batch, rows)`` is
    called as each batch finishes (progress, incremental caching). On CUDA out-of-memory the batch is
    halved and retried down to one input (``oom_fix`` is the advice when even that fails). Returns the
    outputs and the batch size that ran last (the largest that fitted).
    """
    order = length_order(encoded)
    size = max(1, int(batch_size))
    out: np.ndarray | None = None
    start = 0
    while start < len(order):
        batch = Batch(order[start : start + size], encoded)
        try:
            rows = np.asarray(forward(batch))
        except torch.OutOfMemoryError:
            if size == 1:
                raise PredictionError(f"the model ran out of GPU memory on a single input; {oom_fix}") from None
            size //= 2
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            continue
        if out is None:
            out = np.zeros((len(order), *rows.shape[1:]), dtype=rows.dtype)
        out[batch.index] = rows
        start += len(batch)
        if on_batch is not None:
            on_batch(batch, rows)
    if out is None:
        return np.zeros((0, 0), dtype=np.float32), size
    return out, size


def model_inputs(model: torch.nn.Module, arrays: Mapping[str, np.ndarray | torch.Tensor], device: torch.device | str) -> dict[str, torch.Tensor]:
    """The arrays the model's forward names as parameters, as tensors on ``device``."""
    accepted = inspect.signature(model.forward).parameters
    return {
        name: (torch.from_numpy(value) if isinstance(value, np.ndarray) else value).to(device, non_blocking=True)
        for name, value in arrays.items()
        if name in accepted
    }


def probabilities(logits: torch.Tensor) -> np.ndarray:
    """Softmax in float32 whatever the model's dtype, as a numpy array."""
    return torch.softmax(logits.float(), dim=-1).detach().cpu().numpy()


_LOCKS: "weakref.WeakKeyDictionary[torch.nn.Module, threading.RLock]" = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()


def model_lock(module: torch.nn.Module) -> threading.RLock:
    """The one re-entrant lock of a torch model, shared by the model and its encoder (``base_model``).

    Head masking (:func:`assay.heads.masking.mask_heads`) changes the model object itself (hooks, a
    shortened layer list), so every forward pass assay runs holds this lock: threads sharing a model
    take turns instead of seeing another thread's mask."""
    base = getattr(module, "base_model", module)
    key = base if isinstance(base, torch.nn.Module) else module
    with _LOCKS_GUARD:
        lock = _LOCKS.get(key)
        if lock is None:
            lock = _LOCKS[key] = threading.RLock()
        return lock


class TorchForward:
    """``forward(batch) -> probabilities`` for a Hugging Face sequence classifier (no gradients kept)."""

    name = "torch"

    def __init__(self, model: torch.nn.Module, device: torch.device | str | None = None) -> None:
        self.model = model
        self.device = device if device is not None else next(iter(model.parameters()), torch.empty(0)).device

    def __call__(self, batch: Batch) -> np.ndarray:
        # Another thread's head mask (hooks, a shortened layer list) must not leak into this pass: wait for it.
        with model_lock(self.model), torch.inference_mode():
            return probabilities(self.model(**model_inputs(self.model, batch.arrays(), self.device)).logits)


def encode_for(model: Any, tokenizer: Any, inputs: Sequence[Input], max_length: int | None = None) -> Encoded:
    """:func:`encode` at ``max_length`` or, by default, the model's own limit: the engine's classifier
    (anything with ``max_length`` and ``.model``) keeps the limit it was loaded with."""
    limit = max_length or getattr(model, "max_length", None) or max_length_for(model, tokenizer)
    return encode(tokenizer, inputs, int(limit), token_types=accepts_token_types(model) if model is not None else True)
