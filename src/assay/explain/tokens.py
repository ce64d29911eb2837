"""Encoding for explanations: word pieces grouped into words, perturbed copies, batched forward passes.

Explanations are reported over words, not word pieces: ``un ##believ ##able`` is one feature. For a
sentence pair the ``[SEP]`` between the segments stays in the word list as a boundary marker; it is
not a feature (never removed by perturbations). Token ids, the length limit, padding and the batch
loop are the engine's (:mod:`assay.engine.batching`): an explanation's prediction of an input is the
engine's prediction of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from assay.engine import batching
from assay.errors import UnsupportedModelError
from assay.inputs import Input, check_input

PERTURBATION_MODES = ("mask", "pad", "remove")
BOUNDARY = "[SEP]"


@dataclass(frozen=True)
class Encoded:
    """One input, tokenized, with its word grouping."""

    input: Input
    input_ids: list[int]
    token_type_ids: list[int] | None
    pieces: list[str]
    words: list[str]  # word labels, with the [SEP] boundary for pairs
    groups: list[list[int]]  # piece positions of each word
    boundary: list[bool]  # True for the [SEP] boundary entry (not a feature)

    @property
    def features(self) -> list[int]:
        """Indices into ``words`` of the perturbable words (everything but the boundary)."""
        return [i for i, b in enumerate(self.boundary) if not b]

    def word_scores(self, piece_scores: np.ndarray) -> np.ndarray:
        """Sum per-piece scores into per-word scores (in ``words`` order)."""
        piece_scores = np.asarray(piece_scores, dtype=np.float64)
        return np.array([piece_scores[g].sum() for g in self.groups])


def device_of(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


def encode(tokenizer, value: Input, max_length: int | None = None) -> Encoded:
    """Tokenize one input as the engine does (cut to ``max_length``, by default the tokenizer's limit)
    and group its pieces into words (merging ``##`` continuation pieces)."""
    value = check_input(value)
    if not getattr(tokenizer, "is_fast", True):
        raise UnsupportedModelError(
            f"{type(tokenizer).__name__}: explanations need a fast tokenizer (word ids); "
            "load it with AutoTokenizer.from_pretrained(..., use_fast=True)"
        )
    limit = max_length or batching.max_length_for(None, tokenizer)
    args = value if isinstance(value, tuple) else (value,)
    enc, _ = batching.tokenize_one(tokenizer, value, limit, return_offsets_mapping=True)
    ids = list(enc["input_ids"][0])
    types = list(enc["token_type_ids"][0]) if "token_type_ids" in enc else None
    pieces = tokenizer.convert_ids_to_tokens(ids)
    word_ids = enc.word_ids(0)
    seq_ids = enc.sequence_ids(0)
    offsets = enc["offset_mapping"][0]
    words: list[str] = []
    groups: list[list[int]] = []
    boundary: list[bool] = []
    index: dict[tuple[int, int], int] = {}
    first_sep_seen = False
    for pos, (wid, sid) in enumerate(zip(word_ids, seq_ids)):
        if wid is None:
            # special token: keep only the [SEP] that separates the two segments of a pair
            is_middle_sep = (
                isinstance(value, tuple)
                and not first_sep_seen
                and pos > 0
                and pos + 1 < len(ids)
                and seq_ids[pos - 1] == 0
            )
            if is_middle_sep:
                first_sep_seen = True
                words.append(BOUNDARY)
                groups.append([pos])
                boundary.append(True)
            continue
        key = (sid, wid)
        if key not in index:
            index[key] = len(words)
            words.append("")
            groups.append([])
            boundary.append(False)
        groups[index[key]].append(pos)
    text_of = args
    for w, group in enumerate(groups):
        if boundary[w]:
            continue
        sid = seq_ids[group[0]]
        start, end = offsets[group[0]][0], offsets[group[-1]][1]
        text = text_of[sid][start:end]
        words[w] = text if text else "".join(p.removeprefix("##") for p in (pieces[i] for i in group))
    return Encoded(value, ids, types, pieces, words, groups, boundary)


def model_max_length(model, tokenizer) -> int:
    """The engine's token limit of ``model`` (:func:`assay.engine.batching.max_length_for`)."""
    return int(getattr(model, "max_length", None) or batching.max_length_for(model, tokenizer))


def encode_all(model, tokenizer, inputs) -> list[Encoded]:
    """Encode every input, truncated to what ``model`` accepts."""
    limit = model_max_length(model, tokenizer)
    return [encode(tokenizer, value, limit) for value in inputs]


def replacement_id(tokenizer, mode: str) -> int | None:
    """The token id that stands in for a removed word (None for ``remove``)."""
    if mode not in PERTURBATION_MODES:
        raise ValueError(f"perturbation mode {mode!r} is not one of {', '.join(PERTURBATION_MODES)}")
    if mode == "remove":
        return None
    token_id = tokenizer.mask_token_id if mode == "mask" else tokenizer.pad_token_id
    if token_id is None:
        raise UnsupportedModelError(
            f"{type(tokenizer).__name__} has no {mode} token; use mode='remove' or 'pad'/'mask' instead"
        )
    return int(token_id)


def perturb(enc: Encoded, keep: np.ndarray, tokenizer, mode: str = "mask") -> list[tuple[list[int], list[int] | None]]:
    """Copies of ``enc`` with the features where ``keep`` is False removed.

    ``keep`` is ``[n, len(enc.features)]`` (bool / 0-1). Returns ``n`` pairs (input_ids, token_type_ids).
    """
    keep = np.atleast_2d(np.asarray(keep)).astype(bool)
    features = enc.features
    if keep.shape[1] != len(features):
        raise ValueError(f"keep has {keep.shape[1]} columns, the input has {len(features)} words")
    stand_in = replacement_id(tokenizer, mode)
    out = []
    for row in keep:
        drop = np.zeros(len(enc.input_ids), dtype=bool)
        for f, kept in zip(features, row):
            if not kept:
                drop[enc.groups[f]] = True
        if stand_in is None:
            ids = [t for t, d in zip(enc.input_ids, drop) if not d]
            types = [t for t, d in zip(enc.token_type_ids, drop) if not d] if enc.token_type_ids else None
        else:
            ids = [stand_in if d else t for t, d in zip(enc.input_ids, drop)]
            types = enc.token_type_ids
        out.append((ids, types))
    return out


def _encoded(rows: Sequence[tuple[list[int], list[int] | None]], tokenizer) -> batching.Encoded:
    encodings = [{"input_ids": list(ids), **({"token_type_ids": list(types)} if types is not None else {})}
                 for ids, types in rows]
    width = max((len(ids) for ids, _ in rows), default=0)
    return batching.Encoded(encodings, [False] * len(rows), width, batching.pad_id_of(tokenizer), batching.pads_left(tokenizer))


def collate(rows: Sequence[tuple[list[int], list[int] | None]], tokenizer, device) -> dict[str, torch.Tensor]:
    """Pad (input_ids, token_type_ids) rows into model keyword arguments (the engine's padding)."""
    arrays = _encoded(rows, tokenizer).rows(range(len(rows)))
    return {name: torch.from_numpy(value).to(device) for name, value in arrays.items()}


def predict_rows(model, tokenizer, rows, batch_size: int = 64) -> np.ndarray:
    """Class probabilities ``(len(rows), k)`` for pre-tokenized rows, through the engine's batch loop."""
    if not len(rows):
        return np.zeros((0, model.config.num_labels), dtype=np.float32)
    probs, _ = batching.predict_in_batches(_encoded(rows, tokenizer), batch_size, batching.TorchForward(model, device_of(model)))
    return probs


def predict_encoded(model, tokenizer, encs: Sequence[Encoded], batch_size: int = 64) -> np.ndarray:
    return predict_rows(model, tokenizer, [(e.input_ids, e.token_type_ids) for e in encs], batch_size)
