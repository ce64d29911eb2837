"""HFClassifier: fast, order-preserving batched prediction for a loaded sequence classifier.

``predict_proba`` de-duplicates its inputs, answers what it can from the persistent cache, tokenises
the rest once, sorts them by token length (longest first), runs them in batches padded only to the
longest member under ``torch.inference_mode()``, takes the softmax in float32 and puts the rows back
in the caller's order.
"""

from __future__ import annotations

import hashlib
import inspect
import sys
import time
from typing import Any, Callable, Sequence

import numpy as np
import torch

from assay.engine.cache import PredictionCache, input_key
from assay.engine.fingerprint import Checkpoint
from assay.engine.labels import NeutralBand
from assay.errors import PredictionError
from assay.inputs import Input, check_input

Encoding = dict[str, list[int]]


def predict_in_batches(
    encodings: Sequence[Encoding],
    batch_size: int,
    forward: Callable[[Sequence[Encoding]], np.ndarray],
    advance: Callable[[int], Any] | None = None,
) -> tuple[np.ndarray, int]:
    """Run ``forward`` over consecutive batches; on CUDA out-of-memory halve the batch and retry.

    Returns the stacked outputs and the batch size that ran last (the smallest one that fitted).
    """
    outputs: list[np.ndarray] = []
    size = max(1, int(batch_size))
    start = 0
    while start < len(encodings):
        chunk = encodings[start : start + size]
        try:
            probs = forward(chunk)
        except torch.OutOfMemoryError:
            if size == 1:
                raise PredictionError("the model ran out of GPU memory on a single input; use --assay-device cpu or a smaller --assay-dtype") from None
            size //= 2
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            continue
        outputs.append(probs)
        start += len(chunk)
        if advance is not None:
            advance(len(chunk))
    if not outputs:
        return np.zeros((0, 0), dtype=np.float32), size
    return np.concatenate(outputs, axis=0), size


def mask_bytes(head_mask: torch.Tensor | np.ndarray | None) -> bytes:
    """The head mask as bytes for the cache key (shape included); ``b""`` without a mask."""
    if head_mask is None:
        return b""
    values = head_mask.detach().float().cpu().numpy() if isinstance(head_mask, torch.Tensor) else np.asarray(head_mask)
    values = values.astype("<f4")
    return repr(values.shape).encode() + values.tobytes()


class HFClassifier(Checkpoint):
    """A Hugging Face sequence classifier that satisfies :class:`assay.inputs.Model`."""

    def __init__(
        self,
        *,
        name: str,
        source: str,
        labels: list[str],
        model: torch.nn.Module,
        tokenizer: Any,
        device: torch.device,
        dtype: torch.dtype,
        max_length: int,
        batch_size: int,
        fingerprint_files: Sequence[Any] = (),
        cache: PredictionCache | None = None,
        neutral_band: NeutralBand | None = None,
        progress: bool = False,
        notes: Sequence[str] = (),
    ) -> None:
        super().__init__(name=name, source=source, tokenizer=tokenizer, device=device, dtype=dtype, max_length=max_length,
                         batch_size=batch_size, cache=cache, fingerprint_files=fingerprint_files)
        self.labels = list(labels)
        self.model = model
        self.neutral_band = neutral_band
        self.progress = progress
        self.notes = list(notes)
        self.stats: dict[str, Any] = {"predicted": 0, "cache_hits": 0, "truncated": 0, "batch_size_ran": None, "seconds": 0.0}
        accepted = inspect.signature(model.forward).parameters
        self._accepts_token_types = "token_type_ids" in accepted or any(p.kind is p.VAR_KEYWORD for p in accepted.values())
        self._pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        self._left_pad = getattr(tokenizer, "padding_side", "right") == "left"

    # -- identity -----------------------------------------------------------------------------
    @property
    def cache_namespace(self) -> str:
        """What the cached probabilities depend on besides the input: weights, dtype, length limit."""
        text = f"{self.fingerprint}|{str(self.dtype).replace('torch.', '')}|{self.max_length}|{self.device.type}"
        return hashlib.sha256(text.encode()).hexdigest()

    def describe(self) -> dict[str, Any]:
        """A JSON-ready summary for reports."""
        return {
            "name": self.name, "source": self.source, "fingerprint": self.fingerprint, "labels": list(self.labels),
            "device": str(self.device), "dtype": str(self.dtype).replace("torch.", ""), "max_length": self.max_length,
            "batch_size": self.batch_size, "stats": dict(self.stats), "notes": list(self.notes),
        }

    def __repr__(self) -> str:
        return f"HFClassifier({self.name!r}, labels={self.labels}, device={self.device}, dtype={self.dtype})"

    # -- prediction -----------------------------------------------------------------------------
    def predict_proba(self, inputs: Sequence[Input], head_mask: torch.Tensor | None = None) -> np.ndarray:
        """Class probabilities, one float64 row per input (rows sum to 1), in the order given."""
        started = time.perf_counter()
        items = [check_input(item) for item in inputs]
        if head_mask is not None and getattr(head_mask, "dim", lambda: 2)() != 2:
            raise PredictionError(f"{self.name}: predict_proba takes a [layers, heads] head mask, got shape {tuple(head_mask.shape)}")
        if not items:
            return np.zeros((0, len(self.labels)), dtype=np.float64)
        unique: dict[Input, int] = {}
        for item in items:
            unique.setdefault(item, len(unique))
        distinct = list(unique)
        raw: list[np.ndarray | None] = [None] * len(distinct)

        keys: list[bytes] = []
        if self.cache is not None and self.cache.enabled and distinct:
            namespace, mask = self.cache_namespace, mask_bytes(head_mask)
            keys = [input_key(namespace, item, mask) for item in distinct]
            found = self.cache.get_many(keys, self.model.config.num_labels)
            for i, key in enumerate(keys):
                raw[i] = found.get(key)
            self.stats["cache_hits"] += len(found)
        missing = [i for i, row in enumerate(raw) if row is None]
        if missing:
            probs = self._predict_raw([distinct[i] for i in missing], head_mask)
            for i, row in zip(missing, probs):
                raw[i] = row
            if keys:
                self.cache.put_many((keys[i], raw[i]) for i in missing)
            self.stats["predicted"] += len(missing)

        out = self._finish(np.asarray(raw, dtype=np.float64).reshape(len(distinct), -1))
        result = out[[unique[item] for item in items]]
        self.stats["seconds"] += time.perf_counter() - started
        return result

    def _finish(self, probs: np.ndarray) -> np.ndarray:
        if probs.size and not np.isfinite(probs).all():
            raise PredictionError(f"{self.name} produced NaN or infinite probabilities; run it in float32 (--assay-dtype float32)")
        if probs.size:
            probs = probs / probs.sum(axis=1, keepdims=True)
        if self.neutral_band is not None and probs.size:
            probs = self.neutral_band.apply(probs)
        return probs

    def encode(self, items: Sequence[Input]) -> tuple[list[Encoding], int]:
        """Tokenise once (pairs as segments A and B); truncate the over-long, longest side first."""
        from transformers.utils import logging as hf_logging

        encodings: list[Encoding | None] = [None] * len(items)
        singles = [i for i, item in enumerate(items) if isinstance(item, str)]
        pairs = [i for i, item in enumerate(items) if not isinstance(item, str)]
        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()  # silence "sequence longer than the maximum": we count it
        try:
            truncated = 0
            for group, is_pair in ((singles, False), (pairs, True)):
                if not group:
                    continue
                full = self._tokenize([items[i] for i in group], is_pair, truncate=False)
                long = [j for j, enc in enumerate(full) if len(enc["input_ids"]) > self.max_length]
                if long:
                    cut = self._tokenize([items[group[j]] for j in long], is_pair, truncate=True)
                    for j, enc in zip(long, cut):
                        full[j] = enc
                    truncated += len(long)
                for i, enc in zip(group, full):
                    encodings[i] = enc
        finally:
            hf_logging.set_verbosity(verbosity)
        return encodings, truncated  # type: ignore[return-value]

    def _tokenize(self, items: list, is_pair: bool, truncate: bool) -> list[Encoding]:
        kwargs: dict[str, Any] = {"padding": False, "return_attention_mask": False}
        if truncate:
            kwargs.update(truncation="longest_first", max_length=self.max_length)
        else:
            kwargs["truncation"] = False
        if is_pair:
            batch = self.tokenizer([a for a, _ in items], [b for _, b in items], **kwargs)
        else:
            batch = self.tokenizer(list(items), **kwargs)
        names = [k for k in ("input_ids", "token_type_ids") if k in batch and (k != "token_type_ids" or self._accepts_token_types)]
        return [{k: batch[k][j] for k in names} for j in range(len(items))]

    def _collate(self, chunk: Sequence[Encoding]) -> dict[str, torch.Tensor]:
        width = max(len(enc["input_ids"]) for enc in chunk)
        ids = np.full((len(chunk), width), self._pad_id, dtype=np.int64)
        attention = np.zeros((len(chunk), width), dtype=np.int64)
        types = np.zeros((len(chunk), width), dtype=np.int64) if "token_type_ids" in chunk[0] else None
        for row, enc in enumerate(chunk):
            n = len(enc["input_ids"])
            span = slice(width - n, width) if self._left_pad else slice(0, n)
            ids[row, span] = enc["input_ids"]
            attention[row, span] = 1
            if types is not None:
                types[row, span] = enc["token_type_ids"]
        batch = {"input_ids": ids, "attention_mask": attention}
        if types is not None:
            batch["token_type_ids"] = types
        return {k: torch.from_numpy(v).to(self.device, non_blocking=True) for k, v in batch.items()}

    def _forward(self, chunk: Sequence[Encoding]) -> np.ndarray:
        logits = self.model(**self._collate(chunk)).logits
        return torch.softmax(logits.float(), dim=-1).cpu().numpy()

    def _predict_raw(self, items: list[Input], head_mask: torch.Tensor | None) -> np.ndarray:
        encodings, truncated = self.encode(items)
        self.stats["truncated"] += truncated
        order = sorted(range(len(items)), key=lambda i: -len(encodings[i]["input_ids"]))
        ordered = [encodings[i] for i in order]
        from tqdm.auto import tqdm

        bar = tqdm(total=len(items), desc=f"assay: predicting with {self.name}", unit="input", file=sys.stderr,
                   disable=not (self.progress and len(items) > 500), leave=False)
        try:
            with torch.inference_mode(), self._masked(head_mask):
                probs, ran = predict_in_batches(ordered, self.batch_size, self._forward, bar.update)
        finally:
            bar.close()
        if ran < self.batch_size:
            self.batch_size = ran  # remember what fits for the next call
        self.stats["batch_size_ran"] = ran
        restored = np.empty_like(probs)
        restored[order] = probs
        return restored

    def _masked(self, head_mask: torch.Tensor | None):
        if head_mask is None:
            import contextlib

            return contextlib.nullcontext()
        from assay.heads.masking import mask_heads

        return mask_heads(self.model, head_mask.to(self.device) if isinstance(head_mask, torch.Tensor) else head_mask)
