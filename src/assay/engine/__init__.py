"""The model engine: load a Hugging Face sequence classifier safely and predict fast.

>>> from assay.engine import load_model
>>> model = load_model("./my-bert-checkpoint", device="auto")        # doctest: +SKIP
>>> model.predict_proba(["great flight", ("query", "title")])       # doctest: +SKIP
"""

from assay.engine.cache import PredictionCache, default_cache_dir
from assay.engine.classifier import HFClassifier, predict_in_batches
from assay.engine.device import resolve_device, resolve_dtype, worker_gpu
from assay.engine.labels import NeutralBand
from assay.engine.loading import fingerprint, load_model

__all__ = [
    "HFClassifier", "NeutralBand", "PredictionCache", "default_cache_dir", "fingerprint", "load_model",
    "predict_in_batches", "resolve_device", "resolve_dtype", "worker_gpu",
]
