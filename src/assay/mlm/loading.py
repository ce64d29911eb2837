"""Load a fill-mask model safely (safetensors only, no remote code unless asked), through the same
checks as the classifier loader (:mod:`assay.engine.loading`).

A model can be named three ways wherever assay takes ``mlm=``: a local folder or hub id (loaded with
safe defaults, or with the pytest run's options: see :func:`bind`), an :class:`MLMSpec` (a name with
loading options, hashable, loaded once per process), or a :class:`~assay.mlm.model.MaskedLM`.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay.errors import DeclarationError, ModelLoadError
from assay.options import PYTHON, Flags


@dataclass(frozen=True)
class MLMSpec:
    """A fill-mask model to load: where from, and how."""

    source: str
    device: str = "auto"
    dtype: str = "auto"
    allow_pickle: bool = False
    trust_remote_code: bool = False
    cache_dir: str | None | bool = None
    flags: Flags = PYTHON

    def load(self):
        return _load_once(self)

    def __str__(self) -> str:
        return self.source


def load_mlm(source: str, *, name: str | None = None, device: str = "auto", dtype: str = "auto",
             batch_size: int | None = None, allow_pickle: bool = False, trust_remote_code: bool = False,
             cache_dir: str | os.PathLike | None | bool = None, flags: Flags = PYTHON):
    """A :class:`~assay.mlm.model.MaskedLM` for a local folder or hub id.

    The config and tokenizer are checked now (a one-line ModelLoadError names the problem and the fix);
    the weights load on the first fill-in that is not in the cache. ``cache_dir``: the persistent cache
    folder (``None``: ``$ASSAY_CACHE_DIR`` or ``~/.cache/assay``; ``False``: no cache). ``flags``: how the
    caller spells these settings, so that errors name the fix its way (:class:`assay.options.Flags`).
    """
    from assay.engine import device as devices
    from assay.engine.batching import max_length_for
    from assay.engine.loading import checkpoint_files, locate_checkpoint, open_cache
    from assay.mlm.model import MaskedLM, check_fill_mask_config

    source = str(source)
    target, folder, weights, config, run_dtype, tokenizer = locate_checkpoint(
        source, device=device, dtype=dtype, batch_size=batch_size, allow_pickle=allow_pickle,
        trust_remote_code=trust_remote_code, flags=flags,
        check_config=lambda config, folder: check_fill_mask_config(config, source))
    if getattr(tokenizer, "mask_token", None) is None or tokenizer.mask_token_id is None:
        raise ModelLoadError(f"model {source}: its tokenizer has no mask token, so it cannot fill {{mask}}; pass a masked language model")

    def load_weights():
        return _weights(folder, source, weights, target, run_dtype, allow_pickle, trust_remote_code, tokenizer)

    return MaskedLM(
        name=name or Path(source.rstrip("/\\")).name or source, source=source, tokenizer=tokenizer,
        load_weights=load_weights, device=target, dtype=run_dtype, max_length=max_length_for(config, tokenizer),
        batch_size=batch_size or devices.default_batch_size(target), fingerprint_files=checkpoint_files(folder, weights),
        cache=open_cache(cache_dir),
    )


def _weights(folder: Path, source: str, weights: list[Path], target, run_dtype, allow_pickle: bool,
             trust_remote_code: bool, tokenizer: Any):
    from transformers import AutoModelForMaskedLM

    from assay.engine.loading import from_pretrained

    return from_pretrained(AutoModelForMaskedLM, folder, source, weights, target=target, run_dtype=run_dtype,
                           allow_pickle=allow_pickle, trust_remote_code=trust_remote_code, tokenizer=tokenizer,
                           missing_hint="(no masked-LM head?); pass a masked language model such as distilroberta-base")


@functools.lru_cache(maxsize=8)
def _load_once(spec: MLMSpec):
    return load_mlm(spec.source, device=spec.device, dtype=spec.dtype, allow_pickle=spec.allow_pickle,
                    trust_remote_code=spec.trust_remote_code, cache_dir=spec.cache_dir, flags=spec.flags)


def as_mlm(ref: Any):
    """The MaskedLM that ``ref`` names (None stays None)."""
    from assay.mlm.model import MaskedLM

    if ref is None or isinstance(ref, MaskedLM):
        return ref
    if isinstance(ref, str):
        return MLMSpec(ref).load()
    if isinstance(ref, MLMSpec):
        return ref.load()
    raise DeclarationError(f"mlm={ref!r} is not a fill-mask model: pass a folder or hub id, or assay.mlm.load_mlm(...)")


def name_of(ref: Any) -> str | None:
    """How reports name the model ``ref`` refers to."""
    if ref is None:
        return None
    return str(getattr(ref, "source", ref))
