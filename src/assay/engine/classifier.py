"""HFClassifier: order-preserving batched prediction whose answers never depend on the batch.

``predict_proba`` takes each distinct input and answers it from, in turn, the persistent cache (an
input it has seen maps to its encoding), the in-memory record of what this object already predicted,
and the model. Inputs are encoded once (:mod:`assay.engine.batching`); inputs that encode alike
(``Great`` and ``great`` on an uncased model) are one row, predicted once, so a comparison of their
probabilities never depends on which other inputs shared a batch. What is left runs longest first in
batches padded only to their longest member, and each finished batch goes to the cache at once, so a
run killed halfway resumes where it stopped. Rows come back in the caller's order.

The forward pass of plain predictions is a replaceable backend (:meth:`HFClassifier.set_backend`): any
callable from a :class:`~assay.engine.batching.Batch` to float32 probabilities; its name keys the cache.
Predictions under a head mask, or with hooks on the model, always run the PyTorch model
(:attr:`HFClassifier.torch_forward`): masks and hooks act on its modules, which another backend does not run.
"""

from __future__ import annotations

import contextlib
import hashlib
import sys
import time
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import torch

from assay.engine.batching import Batch, Encoded, Forward, TorchForward, accepts_token_types, encode, predict_in_batches
from assay.engine.cache import PredictionCache, encoding_key, input_key, prediction_key
from assay.engine.checkpoint import Checkpoint
from assay.engine.labels import NeutralBand
from assay.errors import ModelLoadError, PredictionError
from assay.inputs import Input, check_input
from assay.options import PYTHON, Flags
from assay.probabilities import checked_probabilities

if TYPE_CHECKING:
    from transformers import PreTrainedModel

__all__ = ["HFClassifier", "has_forward_hooks", "mask_bytes", "predict_in_batches"]


def mask_bytes(head_mask: torch.Tensor | np.ndarray | None) -> bytes:
    """The head mask as bytes for the cache key (shape included); ``b""`` without a mask."""
    if head_mask is None:
        return b""
    values = head_mask.detach().float().cpu().numpy() if isinstance(head_mask, torch.Tensor) else np.asarray(head_mask)
    values = values.astype("<f4")
    return repr(values.shape).encode() + values.tobytes()


def has_forward_hooks(module: torch.nn.Module) -> bool:
    """True when a forward (pre-)hook is registered on ``module``, any of its submodules, or globally.

    A hook can change what the model computes (``assay.heads.mask_heads`` masks heads with one), so a
    prediction made under it must neither come from nor go to the cache.
    """
    from torch.nn.modules import module as torch_module

    if getattr(torch_module, "_global_forward_pre_hooks", None) or getattr(torch_module, "_global_forward_hooks", None):
        return True
    return any(sub._forward_pre_hooks or sub._forward_hooks for sub in module.modules())


class HFClassifier(Checkpoint):
    """A Hugging Face sequence classifier that satisfies :class:`assay.inputs.Model`."""

    def __init__(
        self,
        *,
        name: str,
        source: str,
        labels: list[str],
        model: PreTrainedModel,
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
        warnings: Sequence[str] = (),
        flags: Flags = PYTHON,
    ) -> None:
        super().__init__(name=name, source=source, tokenizer=tokenizer, device=device, dtype=dtype, max_length=max_length,
                         batch_size=batch_size, cache=cache, fingerprint_files=fingerprint_files)
        self.labels = list(labels)
        self.model = model
        self.neutral_band = neutral_band
        self.progress = progress
        self.warnings = list(warnings)
        self.notes = [*notes, *self.warnings]
        self.flags = flags
        self.flush_seconds = 0.5  # how often finished batches are written to the cache while predicting
        self.truncated_inputs: set[Input] = set()
        self.stats: dict[str, Any] = {"predicted": 0, "cache_hits": 0, "truncated": 0, "cache_bypassed": 0,
                                      "batch_size_ran": None, "seconds": 0.0}
        self._token_types = accepts_token_types(model)
        num_labels = model.config.num_labels  # None only when the config has no id2label
        if num_labels is None:
            raise ModelLoadError(f"model {source}: its config has no id2label, so its classes are unknown; "
                                 "save it from a fine-tuned sequence classifier")
        self._raw_labels = [str(i) for i in range(num_labels)]
        self._memo: dict[bytes, np.ndarray] = {}
        self.torch_forward = TorchForward(model, device)
        self.backend: Forward = self.torch_forward
        self.backend_name = TorchForward.name

    # -- identity -----------------------------------------------------------------------------
    @property
    def cache_namespace(self) -> str:
        """What the cached probabilities depend on besides the input: weights, dtype, length limit, backend."""
        return self.namespace(self.backend_name)

    def namespace(self, backend: str) -> str:
        """The cache namespace of predictions made by ``backend``."""
        text = f"{self.fingerprint}|{str(self.dtype).replace('torch.', '')}|{self.max_length}|{self.device.type}|{backend}"
        return hashlib.sha256(text.encode()).hexdigest()

    def forward_for(self, head_mask: torch.Tensor | None, hooked: bool) -> tuple[Forward, str]:
        """The forward pass (and its name) for one call: the backend for plain predictions; PyTorch
        under a head mask or foreign hooks, since both act on the PyTorch modules."""
        if head_mask is None and not hooked:
            return self.backend, self.backend_name
        return self.torch_forward, TorchForward.name

    def set_backend(self, forward: Forward, name: str) -> None:
        """Run forward passes through ``forward(batch) -> float32 probabilities [len(batch), labels]``.

        ``name`` keys the cache: predictions of different backends are never mixed."""
        self.backend, self.backend_name = forward, str(name)
        self._memo.clear()

    def describe(self) -> dict[str, Any]:
        """A JSON-ready summary for reports."""
        return {
            "name": self.name, "source": self.source, "fingerprint": self.fingerprint, "labels": list(self.labels),
            "device": str(self.device), "dtype": str(self.dtype).replace("torch.", ""), "max_length": self.max_length,
            "batch_size": self.batch_size, "backend": self.backend_name, "stats": dict(self.stats),
            "notes": list(self.notes), "warnings": list(self.warnings),
        }

    def __repr__(self) -> str:
        return f"HFClassifier({self.name!r}, labels={self.labels}, device={self.device}, dtype={self.dtype})"

    # -- prediction -----------------------------------------------------------------------------
    def encode(self, inputs: Sequence[Input]) -> Encoded:
        """Token ids of ``inputs`` as this model reads them (cut to ``max_length``, longest side first)."""
        return encode(self.tokenizer, inputs, self.max_length, self._token_types)

    def predict_proba(self, inputs: Sequence[Input], head_mask: torch.Tensor | None = None) -> np.ndarray:
        """Class probabilities, one float64 row per input (rows sum to 1), in the order given."""
        started = time.perf_counter()
        items = [check_input(item) for item in inputs]
        if head_mask is not None and getattr(head_mask, "dim", lambda: 2)() != 2:
            raise PredictionError(f"{self.name}: predict_proba takes a [layers, heads] head mask, got shape {tuple(head_mask.shape)}")
        if not items:
            return np.zeros((0, len(self.labels)), dtype=np.float64)
        distinct = list(dict.fromkeys(items))
        raw, truncated = self._raw(distinct, head_mask)
        self.truncated_inputs.update(item for item, cut in zip(distinct, truncated) if cut)
        self.stats["truncated"] = len(self.truncated_inputs)
        fix = "" if np.isfinite(raw).all() else self._nan_fix()
        probs = checked_probabilities(raw, model=self.name, inputs=distinct, labels=self._raw_labels, fix=fix)
        if self.neutral_band is not None:
            probs = self.neutral_band.apply(probs)
        position = {item: i for i, item in enumerate(distinct)}
        result = probs[[position[item] for item in items]]
        self.stats["seconds"] += time.perf_counter() - started
        return result

    def _raw(self, distinct: list[Input], head_mask: torch.Tensor | None) -> tuple[np.ndarray, list[bool]]:
        """Raw probabilities ``[len(distinct), k]`` and which inputs were truncated."""
        hooked = has_forward_hooks(self.model)
        if hooked:  # someone else's hook is on the model: this forward pass is not the one the cache describes
            self.stats["cache_bypassed"] += len(distinct)
        cache = self.cache if (not hooked and self.cache is not None and self.cache.enabled) else None
        forward, backend = self.forward_for(head_mask, hooked)
        namespace = self.namespace(backend) if cache is not None else f"local:{backend}"
        mask = mask_bytes(head_mask)
        n = len(distinct)
        keys: list[bytes | None] = [None] * n  # encoding keys
        truncated = [False] * n
        rows: list[np.ndarray | None] = [None] * n
        text_keys: list[bytes] = []
        if cache is not None:
            text_keys = [input_key(namespace, item) for item in distinct]
            known = cache.get_encodings(text_keys)
            for i, key in enumerate(text_keys):
                if key in known:
                    keys[i], truncated[i] = known[key]
            self._recall([i for i in range(n) if keys[i] is not None], keys, mask, rows, cache)
        todo = [i for i in range(n) if rows[i] is None]
        encoded = self.encode([distinct[i] for i in todo])
        mappings: list[tuple[bytes, bytes, bool]] = []
        todo_keys: list[bytes] = []  # the encoding key of each input of ``todo``
        for j, i in enumerate(todo):
            key = encoding_key(namespace, encoded.encodings[j])
            todo_keys.append(key)
            truncated[i] = encoded.truncated[j]
            if cache is not None and keys[i] != key:
                mappings.append((text_keys[i], key, truncated[i]))
            keys[i] = key
        if not hooked:
            self._recall(todo, keys, mask, rows, cache)
        missing = [j for j, i in enumerate(todo) if rows[i] is None]
        if missing or mappings:
            wanted = [prediction_key(todo_keys[j], mask) for j in missing]
            predicted = self._run(encoded, missing, wanted, head_mask, cache, mappings, memo=not hooked, forward=forward)
            for j, key in zip(missing, wanted):
                rows[todo[j]] = predicted[key]
        return np.asarray(rows, dtype=np.float64).reshape(n, -1), truncated

    def _recall(self, indices: list[int], keys: list, mask: bytes, rows: list, cache: PredictionCache | None) -> None:
        """Fill ``rows[i]`` from this object's memory, then from the persistent cache."""
        wanted: dict[bytes, list[int]] = {}  # prediction key -> the rows that need it
        for i in indices:
            if rows[i] is None:
                key = prediction_key(keys[i], mask)
                remembered = self._memo.get(key)
                if remembered is not None:
                    rows[i] = remembered
                    self.stats["cache_hits"] += 1
                else:
                    wanted.setdefault(key, []).append(i)
        if cache is None or not wanted:
            return
        for key, row in cache.get_many(list(wanted), len(self._raw_labels)).items():
            self._memo[key] = row
            for i in wanted[key]:
                rows[i] = row
            self.stats["cache_hits"] += len(wanted[key])

    def _run(self, encoded: Encoded, members: list[int], keys: list[bytes], head_mask: torch.Tensor | None,
             cache: PredictionCache | None, mappings: list[tuple[bytes, bytes, bool]], memo: bool, forward: Forward) -> dict[bytes, np.ndarray]:
        """Predict ``encoded``'s rows ``members`` once per distinct key; each batch is stored as it finishes
        (with the input-to-encoding ``mappings``). Returns the rows by key."""
        first: dict[bytes, int] = {}
        for j, key in zip(members, keys):
            first.setdefault(key, j)
        unique = list(first)
        todo = Encoded([encoded.encodings[first[key]] for key in unique], [False] * len(unique), encoded.max_length,
                       encoded.pad_id, encoded.left_padding)
        predicted: dict[bytes, np.ndarray] = {}
        pending: list[tuple[bytes, np.ndarray]] = []
        pending_mappings = list(mappings)
        flushed_at = time.monotonic()

        def flush() -> None:
            nonlocal pending_mappings, flushed_at
            if cache is not None and (pending or pending_mappings):
                cache.put_many(list(pending), pending_mappings)
            pending.clear()
            pending_mappings = []
            flushed_at = time.monotonic()

        from tqdm.auto import tqdm

        bar = tqdm(total=len(unique), desc=f"assay: predicting with {self.name}", unit="input", file=sys.stderr,
                   disable=not (self.progress and len(unique) > 500), leave=False)

        def finished(batch: Batch, probs: np.ndarray) -> None:
            bar.update(len(batch))
            for position, row in zip(batch.index, probs):
                key = unique[position]
                predicted[key] = row
                if np.isfinite(row).all():
                    if memo:
                        self._memo[key] = row
                    pending.append((key, row))
            if time.monotonic() - flushed_at >= self.flush_seconds:
                flush()

        oom_fix = f"use {self.flags.setting('device', 'cpu')} or a smaller {self.flags.name('dtype')}"
        try:
            with self._masked(head_mask):
                _, ran = predict_in_batches(todo, self.batch_size, forward, finished, oom_fix=oom_fix)
        finally:
            flush()  # what finished is kept, also when the run is interrupted
            bar.close()
        if unique:
            if ran < self.batch_size:
                self.batch_size = ran  # remember what fits for the next call
            self.stats["batch_size_ran"] = ran
            self.stats["predicted"] += len(unique)
        return predicted

    def _nan_fix(self) -> str:
        """What to do about NaN or infinite outputs, given how this model runs: half precision overflows
        easily; in float32 the weights themselves, or the activations, are out of range."""
        if self.dtype != torch.float32:
            return f"run it in float32 ({self.flags.setting('dtype', 'float32')})"
        broken = next((name for name, p in self.model.named_parameters() if not bool(torch.isfinite(p).all())), None)
        if broken is not None:
            return (f"it already runs in float32 and its weight {broken} holds NaN or infinite values: "
                    "the checkpoint is damaged, save it again from a good copy")
        return ("it already runs in float32 with finite weights, so its activations overflow on this input: "
                "check how the checkpoint was trained or exported")

    def _masked(self, head_mask: torch.Tensor | None) -> contextlib.AbstractContextManager:
        if head_mask is None:
            return contextlib.nullcontext()
        from assay.heads.masking import mask_heads

        return mask_heads(self.model, head_mask.to(self.device) if isinstance(head_mask, torch.Tensor) else head_mask)

