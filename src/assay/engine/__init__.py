"""The model engine: load a Hugging Face sequence classifier safely and predict fast.

>>> from assay.engine import load_model
>>> model = load_model("./my-bert-checkpoint", device="auto")        # doctest: +SKIP
>>> model.predict_proba(["great flight", ("query", "title")])       # doctest: +SKIP

Names are imported on first use, so ``assay.engine.cache`` can be used without importing torch.
"""

from __future__ import annotations

from assay._lazy import lazy_exports

_EXPORTS = {
    "HFClassifier": "classifier", "predict_in_batches": "batching", "max_length_for": "batching",
    "Batch": "batching", "Encoded": "batching", "TorchForward": "batching",
    "PredictionCache": "cache", "default_cache_dir": "cache",
    "resolve_device": "device", "resolve_dtype": "device", "worker_gpu": "device",
    "NeutralBand": "labels",
    "fingerprint": "checkpoint", "load_model": "loading",
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
