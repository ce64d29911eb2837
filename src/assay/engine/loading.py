"""Load a Hugging Face sequence classifier safely: safetensors only, no remote code unless asked.

Every failure is a one-line :class:`assay.errors.ModelLoadError` that names the folder or hub id and
says what to do.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, NamedTuple, Sequence

from assay.engine import device as devices
from assay.engine.batching import max_length_for
from assay.engine.cache import PredictionCache
from assay.engine.classifier import HFClassifier
from assay.engine.labels import is_generic, model_labels, neutral_band as make_band, rename_labels
from assay import _validate as valid
from assay.errors import ModelLoadError
from assay.options import PYTHON, Flags

if TYPE_CHECKING:
    import torch

CONFIG_FILES = ("config.json",)
TOKENIZER_FILES = (
    "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
    "vocab.txt", "vocab.json", "merges.txt", "spiece.model", "sentencepiece.bpe.model", "tokenizer.model",
)
VOCAB_FILES = ("tokenizer.json", "vocab.txt", "vocab.json", "spiece.model", "sentencepiece.bpe.model", "tokenizer.model")
HUB_PATTERNS = ["*.json", "*.safetensors", "*.txt", "*.model"]
SENTENCE_TRANSFORMERS_FILES = ("modules.json", "config_sentence_transformers.json")


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _offline() -> bool:
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
        return True
    try:
        from huggingface_hub import constants

        return bool(constants.HF_HUB_OFFLINE)
    except ImportError:  # pragma: no cover - huggingface_hub ships with transformers
        return True


def looks_like_path(source: str) -> bool:
    """A source is a path (not a hub id) when it exists or is spelled like one."""
    return (
        Path(source).expanduser().exists()
        or source.startswith((".", "/", "~", "\\"))
        or "\\" in source
        or source.count("/") > 1
        or (len(source) > 1 and source[1] == ":")
    )


def resolve_source(source: str, allow_pickle: bool, flags: Flags = PYTHON) -> Path:
    """The local folder holding the checkpoint: the folder itself, or the hub snapshot in the HF cache."""
    source = str(source)
    if looks_like_path(source):
        folder = Path(source).expanduser()
        if not folder.exists():
            raise ModelLoadError(f"model folder {source} does not exist; pass an existing folder or a Hugging Face hub id as {flags.model}")
        if not folder.is_dir():
            raise ModelLoadError(f"model path {source} is a file; pass the folder that holds config.json and the weights")
        return folder
    from huggingface_hub import snapshot_download

    patterns = HUB_PATTERNS + (["*.bin"] if allow_pickle else [])
    offline = _offline()
    try:
        return Path(snapshot_download(source, allow_patterns=patterns, local_files_only=offline))
    except Exception as error:  # hub errors come in many types; all mean "could not get it"
        hint = "it is not in the local Hugging Face cache (offline mode)" if offline else f"the hub did not provide it ({_one_line(error)})"
        raise ModelLoadError(
            f"could not load model {source!r}: there is no such local folder, and as a hub id {hint}; "
            f"check the path or id, or download the model and pass its local folder as {flags.model}"
        ) from None


def weight_files(folder: Path, source: str, allow_pickle: bool, flags: Flags = PYTHON) -> list[Path]:
    safetensors = sorted(folder.glob("*.safetensors"))
    if safetensors:
        return safetensors
    pickles = sorted(folder.glob("*.bin"))
    if pickles and not allow_pickle:
        raise ModelLoadError(
            f"model {source} has only pickle weights ({pickles[0].name}), which can run arbitrary code when loaded; "
            f"convert them to model.safetensors or pass {flags.switch('allow_pickle')} if you trust the file"
        )
    if pickles:
        return pickles
    raise ModelLoadError(f"model {source} has no weights (model.safetensors); save the model with model.save_pretrained(folder)")


def check_classifier_config(config, folder: Path, source: str) -> None:
    architectures = list(getattr(config, "architectures", None) or [])
    sentence_transformers = any((folder / name).exists() for name in SENTENCE_TRANSFORMERS_FILES)
    has_head = any(arch.endswith("ForSequenceClassification") for arch in architectures)
    if architectures and not has_head or (sentence_transformers and not has_head):
        kind = "a sentence-transformers embedding model" if sentence_transformers else f"a {', '.join(architectures) or 'bare'} checkpoint"
        raise ModelLoadError(
            f"model {source} is {kind} without a sequence-classification head; fine-tune it with "
            f"AutoModelForSequenceClassification and save that, or pass a fine-tuned classifier"
        )


def check_tokenizer(tokenizer, model, source: str) -> None:
    embeddings = model.get_input_embeddings()
    rows = getattr(embeddings, "num_embeddings", None)
    if rows is not None and len(tokenizer) > rows:
        raise ModelLoadError(
            f"model {source}: the tokenizer produces ids up to {len(tokenizer) - 1} but the model has only {rows} token embeddings; "
            f"the tokenizer does not belong to this model, save the matching tokenizer into the folder"
        )


def custom_code(folder: Path) -> tuple[dict, bool]:
    """``config.json``'s ``auto_map`` (the custom classes a checkpoint ships) and whether its
    ``model_type`` is one transformers knows (then it loads as the stock class without that code)."""
    try:
        data = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}, True
    auto_map = data.get("auto_map") if isinstance(data, dict) else None
    if not isinstance(auto_map, dict) or not auto_map:
        return {}, True
    from transformers import CONFIG_MAPPING

    return auto_map, str(data.get("model_type", "")) in CONFIG_MAPPING


def custom_class(auto_map: dict) -> str:
    """The class an ``auto_map`` names for sequence classification (else its first entry)."""
    value = auto_map.get("AutoModelForSequenceClassification") or next(iter(auto_map.values()))
    return str(value[0] if isinstance(value, (list, tuple)) else value)


def read_config(folder: Path, source: str, trust_remote_code: bool, flags: Flags = PYTHON):
    """The checkpoint's config (one-line ModelLoadError when it is absent or unreadable, or needs code
    it ships while remote code is off)."""
    from transformers import AutoConfig

    if not (folder / "config.json").exists():
        raise ModelLoadError(f"model {source} has no config.json; save the model with model.save_pretrained(folder)")
    auto_map, stock_type = custom_code(folder)
    if auto_map and not stock_type and not trust_remote_code:
        raise ModelLoadError(
            f"model {source} needs the custom code it ships ({custom_class(auto_map)}), which assay does not run by default; "
            f"pass {flags.switch('trust_remote_code')} only if you trust that code"
        )
    try:
        return AutoConfig.from_pretrained(folder, trust_remote_code=trust_remote_code)
    except Exception as error:
        raise ModelLoadError(f"model {source}: config.json cannot be read ({_one_line(error)}); pass {flags.switch('trust_remote_code')} only if it needs custom code you trust") from None


def checkpoint_dtype(config) -> str | None:
    """The dtype the checkpoint was saved in (``float16``, ...), if its config says."""
    return str(getattr(config, "dtype", None) or getattr(config, "torch_dtype", "") or "").replace("torch.", "") or None


def load_tokenizer(folder: Path, source: str, trust_remote_code: bool):
    """The checkpoint's tokenizer (one-line ModelLoadError when its files are missing or broken)."""
    from transformers import AutoTokenizer

    if not any((folder / n).exists() for n in VOCAB_FILES) and not list(folder.glob("*.model")):
        # transformers would quietly build an empty tokenizer that maps every word to [UNK].
        raise ModelLoadError(
            f"model {source} has no tokenizer files (tokenizer.json or vocab.txt); save them with tokenizer.save_pretrained(folder)"
        )
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=trust_remote_code)
    except Exception as error:
        raise ModelLoadError(
            f"model {source}: no usable tokenizer ({_one_line(error)}); save it with tokenizer.save_pretrained(folder) next to the weights"
        ) from None
    if isinstance(tokenizer, bool) or not callable(tokenizer):
        raise ModelLoadError(f"model {source}: no tokenizer files (tokenizer.json or vocab.txt); save them with tokenizer.save_pretrained(folder)")
    return tokenizer


def from_pretrained(auto_class, folder: Path, source: str, weights: Sequence[Path], *, target, run_dtype,
                    allow_pickle: bool, trust_remote_code: bool, tokenizer, missing_hint: str,
                    attn_implementation: str | None = None):
    """``auto_class.from_pretrained`` quietly (split over GPUs when it does not fit on one), checked
    against ``tokenizer``, in eval mode on ``target``. Weights the checkpoint lacks are a ModelLoadError
    ending with ``missing_hint`` (what head is missing, what to pass instead).
    """
    from transformers.utils import logging as hf_logging

    kwargs: dict = {"dtype": run_dtype, "use_safetensors": not allow_pickle or weights[0].suffix == ".safetensors"}
    if trust_remote_code:
        kwargs["trust_remote_code"] = True
    if attn_implementation:
        kwargs["attn_implementation"] = attn_implementation
    placed = False
    if target.type == "cuda":
        weight_bytes = sum(p.stat().st_size for p in weights)
        if devices.needs_device_map(weight_bytes, devices.free_gpu_bytes(target)):
            if not devices.accelerate_installed():
                raise ModelLoadError(f"model {source} does not fit on {target}; pip install accelerate to split it over the GPUs (device_map='auto')")
            kwargs["device_map"] = "auto"
            placed = True
    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model, info = auto_class.from_pretrained(folder, output_loading_info=True, **kwargs)
    except ModelLoadError:
        raise
    except Exception as error:
        raise ModelLoadError(f"model {source} could not be loaded: {_one_line(error)}") from None
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()
    missing = sorted(info.get("missing_keys") or [])
    if missing:
        more = " ..." if len(missing) > 3 else ""
        raise ModelLoadError(f"model {source} lacks trained weights for {', '.join(missing[:3])}{more} {missing_hint}")
    check_tokenizer(tokenizer, model, source)
    model.eval()
    if not placed:
        model.to(target)
    if target.type == "cpu":
        devices.limit_threads()
    return model


def checkpoint_files(folder: Path, weights: Sequence[Path]) -> list[Path]:
    """What a model's fingerprint covers: weights, tokenizer files and config."""
    return [*weights, *(folder / n for n in TOKENIZER_FILES if (folder / n).exists()), folder / "config.json"]


def open_cache(cache_dir: str | os.PathLike | None | bool) -> PredictionCache | None:
    """The persistent cache: ``None`` -> the default folder, ``False`` -> no cache."""
    if cache_dir is False:
        return None
    if cache_dir is None or cache_dir is True:
        return PredictionCache(None)
    return PredictionCache(cache_dir)


class Located(NamedTuple):
    """A checkpoint found and checked, before any weights are read."""

    target: torch.device  # where it will run
    folder: Path
    weights: list[Path]
    config: Any
    run_dtype: Any
    tokenizer: Any


def locate_checkpoint(source: str, *, device: str, dtype: str, batch_size: int | None, allow_pickle: bool,
                      trust_remote_code: bool, flags: Flags, check_config: Callable[[Any, Path], None]) -> Located:
    """The steps every loader takes before it builds a model, in one order: the batch size, the
    device, the folder (a hub id downloaded), the weight files (safetensors unless pickles are
    allowed), the config (``check_config`` says whether it is a model of the kind wanted), the dtype
    to run in and the tokenizer. Each refusal is a one-line ModelLoadError naming the fix ``flags``'s way."""
    if batch_size is not None:
        valid.POSITIVE_INT.check(batch_size, flags.name("batch_size"), ModelLoadError)
    target = devices.resolve_device(device, flags)
    folder = resolve_source(source, allow_pickle, flags)
    weights = weight_files(folder, source, allow_pickle, flags)
    config = read_config(folder, source, trust_remote_code, flags)
    check_config(config, folder)
    run_dtype = devices.resolve_dtype(dtype, target, checkpoint_dtype(config))
    tokenizer = load_tokenizer(folder, source, trust_remote_code)
    return Located(target, folder, weights, config, run_dtype, tokenizer)


def load_model(
    source: str,
    *,
    name: str | None = None,
    device: str = "auto",
    dtype: str = "auto",
    batch_size: int | None = None,
    allow_pickle: bool = False,
    trust_remote_code: bool = False,
    labels: Mapping[str, str] | Sequence[str] | None = None,
    neutral_band: tuple[float, float] | None = None,
    attn_implementation: str | None = None,
    cache_dir: str | os.PathLike | None | bool = None,
    progress: bool = False,
    max_length: int | None = None,
    backend: str = "auto",
    export_dir: str | os.PathLike | None = None,
    flags: Flags = PYTHON,
) -> HFClassifier:
    """Load a sequence classifier from a local folder or a hub id, ready to predict.

    ``cache_dir``: folder of the persistent prediction cache; ``None`` for the default
    (``$ASSAY_CACHE_DIR`` or ``~/.cache/assay``), ``False`` to switch it off.
    ``backend``: how plain predictions run: ``torch``, ``onnx`` (ONNX Runtime, CPU and float32, graph
    exported once into ``export_dir``, default ``onnx/`` in the cache folder, also when ``cache_dir=False``)
    or ``auto`` (:func:`assay.engine.device.resolve_backend`).
    ``flags``: how the caller spells these settings; every error names the fix that way
    (:class:`assay.options.Flags`: ``allow_pickle=True`` by default, ``--assay-allow-pickle`` under pytest).
    """
    from transformers import AutoModelForSequenceClassification

    source = str(source)
    where = f"model {source}"
    target, folder, weights, config, run_dtype, tokenizer = locate_checkpoint(
        source, device=device, dtype=dtype, batch_size=batch_size, allow_pickle=allow_pickle,
        trust_remote_code=trust_remote_code, flags=flags,
        check_config=lambda config, folder: check_classifier_config(config, folder, source))
    run_backend = devices.resolve_backend(backend, target, run_dtype, flags)
    model = from_pretrained(
        AutoModelForSequenceClassification, folder, source, weights, target=target, run_dtype=run_dtype,
        allow_pickle=allow_pickle, trust_remote_code=trust_remote_code, tokenizer=tokenizer,
        missing_hint="(no classification head?); pass a fine-tuned sequence classifier",
        attn_implementation=attn_implementation,
    )
    cautions = []
    auto_map, _ = custom_code(folder)
    if auto_map and not trust_remote_code:
        cautions.append(
            f"config.json names custom code ({custom_class(auto_map)}) but the model ran as the stock "
            f"{type(model).__name__}, since custom code is off: the model tested may not be the one shipped; "
            f"pass {flags.switch('trust_remote_code')} to run its own code if you trust it"
        )

    names = model_labels(config.id2label, int(config.num_labels))
    generic = is_generic(names) and labels is None
    names = rename_labels(names, labels, where)
    notes: list[str] = []
    band = None
    if neutral_band is not None:
        band = make_band(neutral_band, names, where, generic)
        out_labels = ["negative", "neutral", "positive"] if generic else band.labels(names)
        notes.append(f"neutral band {tuple(neutral_band)} on p({out_labels[2]}) gives three labels {out_labels}")
        if generic:
            notes.append(f"generic labels {names} read as (negative, positive) in id order for the neutral band")
    else:
        out_labels = names
        if generic:
            notes.append(f"the model's labels are generic {names}; rename them with labels=[...] (in id order) to test by name")

    classifier = HFClassifier(
        name=name or Path(source.rstrip("/\\")).name or source,
        source=source,
        labels=out_labels,
        model=model,
        tokenizer=tokenizer,
        device=target,
        dtype=run_dtype,
        max_length=max_length or max_length_for(model, tokenizer),
        batch_size=batch_size or devices.default_batch_size(target),
        fingerprint_files=checkpoint_files(folder, weights),
        cache=open_cache(cache_dir),
        neutral_band=band,
        progress=progress,
        notes=notes,
        warnings=cautions,
        flags=flags,
    )
    if run_backend == "onnx":
        from assay.engine.onnx_backend import graph_folder, use_onnx

        use_onnx(classifier, graph_folder(cache_dir, export_dir))
    return classifier
