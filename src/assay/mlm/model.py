"""MaskedLM: ranked whole-word fill-ins for masked positions, from a Hugging Face fill-mask model.

A context is a text in which :data:`MASK` marks each position to fill. One mask is ranked by its
log-probability over the model's vocabulary; several masks in one context are filled jointly, left to
right, by a beam search (as CheckList's ``unmask`` does): the score of a fill-in is the sum over its
masks of ``log p(word_i | context, words before i filled in, masks after i still masked)``.

Results are kept in the persistent cache (:class:`assay.engine.cache.PredictionCache`, table
``fills``), keyed by the model's fingerprint (weights, tokenizer, config), the run dtype and the
context: an answer found there never loads the weights, in this process or any later one.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch

from assay.engine.cache import PredictionCache, input_key
from assay.engine.checkpoint import Checkpoint
from assay.errors import ModelLoadError, PredictionError
from assay.mlm.vocabulary import Vocabulary, position_kind, single_token

MASK = "\ue000"  # a private-use character: it never occurs in real text
VERSION = "1"  # part of every cache key: bump it when the ranking changes


@dataclass(frozen=True)
class Fill:
    """One fill-in: a word per mask, and its log-probability (natural log, summed over the masks)."""

    words: tuple[str, ...]
    score: float

    @property
    def text(self) -> str:
        return " ".join(self.words)


@dataclass
class _Encoded:
    ids: list[int]
    types: list[int] | None
    positions: list[int]
    kinds: list[str]


class MaskedLM(Checkpoint):
    """A fill-mask model, loaded lazily: the tokenizer now, the weights on the first cache miss."""

    def __init__(self, *, name: str, source: str, tokenizer: Any, load_weights: Callable[[], torch.nn.Module],
                 device: torch.device, dtype: torch.dtype, max_length: int, batch_size: int,
                 fingerprint_files: Sequence[Path], cache: PredictionCache | None) -> None:
        super().__init__(name=name, source=source, tokenizer=tokenizer, device=device, dtype=dtype, max_length=max_length,
                         batch_size=batch_size, cache=cache, fingerprint_files=fingerprint_files)
        self.stats: dict[str, Any] = {"forward_rows": 0, "cache_hits": 0, "weights_loaded": False}
        self._load_weights = load_weights
        self._model: torch.nn.Module | None = None
        self._vocab: Vocabulary | None = None

    # -- identity -----------------------------------------------------------------------------
    @property
    def mask_token(self) -> str:
        return str(self.tokenizer.mask_token)

    @property
    def cache_namespace(self) -> str:
        text = f"mlm|{VERSION}|{self.fingerprint}|{str(self.dtype).replace('torch.', '')}|{self.device.type}"
        return hashlib.sha256(text.encode()).hexdigest()

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "source": self.source, "fingerprint": self.fingerprint, "mask_token": self.mask_token,
                "device": str(self.device), "dtype": str(self.dtype).replace("torch.", ""), "stats": dict(self.stats)}

    def __repr__(self) -> str:
        return f"MaskedLM({self.name!r}, mask_token={self.mask_token!r}, device={self.device})"

    # -- public ranking -----------------------------------------------------------------------
    def fill(self, contexts: Sequence[str], beam: int = 50) -> list[list[Fill]]:
        """For each context, its ``beam`` best whole-word fill-ins, best first."""
        tag = f"fill:{int(beam)}".encode()
        stored = self._cached(contexts, tag, lambda missing: [
            [[list(f.words), f.score] for f in found] for found in self._search(missing, int(beam))])
        return [[Fill(tuple(words), float(score)) for words, score in rows] for rows in stored]

    def score(self, contexts: Sequence[str], words: Sequence[str]) -> list[list[float | None]]:
        """log p(word | context) at the one mask of each context; None where the word is not one token."""
        words = [str(w) for w in words]
        tag = ("score:" + json.dumps(words, ensure_ascii=False)).encode()
        return self._cached(contexts, tag, lambda missing: self._score(missing, words))

    def _cached(self, contexts: Sequence[str], tag: bytes, compute: Callable[[list[str]], list]) -> list:
        contexts = list(contexts)
        for context in contexts:
            if not isinstance(context, str) or MASK not in context:
                raise PredictionError(f"{self.name}: a context to fill must be a string with at least one mask, got {context!r}")
        use_cache = self.cache is not None and self.cache.enabled
        keys = [input_key(self.cache_namespace, c, tag) for c in contexts] if use_cache else []
        found = self.cache.get_fills(keys) if use_cache else {}
        self.stats["cache_hits"] += len(found)
        out = [found.get(key) for key in keys] if use_cache else [None] * len(contexts)
        missing = sorted({contexts[i] for i, row in enumerate(out) if row is None})
        if missing:
            computed = dict(zip(missing, compute(missing)))
            if use_cache:
                self.cache.put_fills((input_key(self.cache_namespace, c, tag), v) for c, v in computed.items())
            out = [row if row is not None else computed[c] for row, c in zip(out, contexts)]
        return out

    # -- the model ----------------------------------------------------------------------------
    @property
    def model(self) -> torch.nn.Module:
        if self._model is None:
            self._model = self._load_weights()
            self.stats["weights_loaded"] = True
        return self._model

    @property
    def vocabulary(self) -> Vocabulary:
        if self._vocab is None:
            self._vocab = Vocabulary(self.tokenizer, len(self.tokenizer))
        return self._vocab

    def _encode(self, context: str) -> _Encoded:
        kinds, start = [], 0
        while (index := context.find(MASK, start)) >= 0:
            kinds.append(position_kind(context, index))
            start = index + 1
        text = context.replace(MASK, self.mask_token)
        encoded = self.tokenizer(text, add_special_tokens=True, truncation=False)
        ids = list(encoded["input_ids"])
        positions = [i for i, t in enumerate(ids) if t == self.tokenizer.mask_token_id]
        if len(positions) != len(kinds):
            raise PredictionError(f"{self.name}: the text {text!r} holds the model's own mask token {self.mask_token!r}; "
                                  f"write masks as {{mask}} only")
        if len(ids) > self.max_length:
            raise PredictionError(f"{self.name}: the text {text[:60]!r}... is {len(ids)} tokens, longer than the model's {self.max_length}")
        types = list(encoded["token_type_ids"]) if "token_type_ids" in encoded else None
        return _Encoded(ids, types, positions, kinds)

    def _log_probs(self, rows: list[dict[str, Any]], reduce: Callable[[torch.Tensor, list[dict]], np.ndarray]) -> np.ndarray:
        """``reduce(log-probabilities at each row's position, rows)`` over the engine's length-sorted
        batches (:mod:`assay.engine.batching`), in row order."""
        from assay.engine.batching import Batch, Encoded, model_inputs, pad_id_of, pads_left, predict_in_batches

        model = self.model
        encoded = Encoded([{"input_ids": r["input_ids"], **({"token_type_ids": r["types"]} if r["types"] is not None else {})}
                           for r in rows], [False] * len(rows), self.max_length, pad_id_of(self.tokenizer),
                          pads_left(self.tokenizer))

        def forward(batch: Batch) -> np.ndarray:
            chunk = [rows[i] for i in batch.index]
            arrays = model_inputs(model, batch.arrays(), self.device)
            width = int(arrays["input_ids"].shape[1])
            shift = [width - len(r["input_ids"]) if encoded.left_padding else 0 for r in chunk]
            logits = model(**arrays).logits
            at = logits[torch.arange(len(chunk)), torch.tensor([r["position"] + s for r, s in zip(chunk, shift)])]
            return reduce(torch.log_softmax(at.float(), dim=-1), chunk)

        with torch.inference_mode():
            out, ran = predict_in_batches(encoded, self.batch_size, forward)
        self.batch_size = min(self.batch_size, ran)
        self.stats["forward_rows"] += len(rows)
        return out

    def _allowed(self, kind: str, width: int) -> torch.Tensor:
        allowed = self.vocabulary.allowed[kind]
        full = np.zeros(width, dtype=bool)
        full[: min(width, allowed.size)] = allowed[:width]
        return torch.from_numpy(full).to(self.device)

    def _search(self, contexts: list[str], beam: int) -> list[list[Fill]]:
        encoded = [self._encode(c) for c in contexts]
        beams: list[list[tuple[tuple[int, ...], float]]] = [[((), 0.0)] for _ in contexts]

        def top(logp: torch.Tensor, chunk: list[dict]) -> np.ndarray:
            kinds = [r["kind"] for r in chunk]
            masks = torch.stack([self._allowed(kind, logp.shape[1]) for kind in kinds])
            values, indices = torch.topk(logp.masked_fill(~masks, float("-inf")), min(beam, logp.shape[1]), dim=-1)
            return np.concatenate([values.cpu().numpy().astype(np.float64), indices.cpu().numpy().astype(np.float64)], axis=1)

        for step in range(max(len(e.positions) for e in encoded)):
            rows, owners = [], []
            for c, e in enumerate(encoded):
                if step >= len(e.positions):
                    continue
                for chosen, score in beams[c]:
                    ids = list(e.ids)
                    for position, token in zip(e.positions, chosen):
                        ids[position] = token
                    rows.append({"input_ids": ids, "types": e.types, "position": e.positions[step], "kind": e.kinds[step]})
                    owners.append((c, chosen, score))
            result = self._log_probs(rows, top)
            k = result.shape[1] // 2
            grown: dict[int, list[tuple[tuple[int, ...], float]]] = defaultdict(list)
            for (c, chosen, score), row in zip(owners, result):
                for value, token in zip(row[:k], row[k:]):
                    if np.isfinite(value):
                        grown[c].append((chosen + (int(token),), score + float(value)))
            for c in {c for c, _, _ in owners}:
                beams[c] = sorted(grown[c], key=lambda x: (-x[1], x[0]))[:beam]
        vocab = self.vocabulary
        return [[Fill(tuple(vocab.word(t) for t in chosen), score) for chosen, score in found] for found in beams]

    def _score(self, contexts: list[str], words: list[str]) -> list[list[float | None]]:
        encoded = [self._encode(c) for c in contexts]
        for context, e in zip(contexts, encoded):
            if len(e.positions) != 1:
                raise PredictionError(f"{self.name}: scoring words needs exactly one mask, {context!r} has {len(e.positions)}")
        targets = [[single_token(self.tokenizer, w, e.kinds[0]) for w in words] for e in encoded]
        rows = [{"input_ids": e.ids, "types": e.types, "position": e.positions[0], "targets": t} for e, t in zip(encoded, targets)]

        def gather(logp: torch.Tensor, chunk: list[dict]) -> np.ndarray:
            out = np.full((len(chunk), len(words)), np.nan)
            values = logp.cpu().numpy()
            for j, r in enumerate(chunk):
                for w, token in enumerate(r["targets"]):
                    if token is not None and token < values.shape[1]:
                        out[j, w] = float(values[j, token])
            return out

        if not words:
            return [[] for _ in contexts]
        scores = self._log_probs(rows, gather)
        return [[None if np.isnan(v) else float(v) for v in row] for row in scores]


def check_fill_mask_config(config: Any, source: str) -> None:
    """A one-line ModelLoadError unless the checkpoint's config names a masked-LM head."""
    architectures = list(getattr(config, "architectures", None) or [])
    if architectures and not any(a.endswith(("ForMaskedLM", "ForPreTraining")) for a in architectures):
        raise ModelLoadError(
            f"model {source} is a {', '.join(architectures)} checkpoint, not a fill-mask model; pass a masked language "
            f"model (its config.json lists a ...ForMaskedLM architecture), e.g. distilroberta-base or bert-base-uncased"
        )
