"""Which models a run tests, and loading each of them once per process."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from assay.errors import AssayError, ModelLoadError

if TYPE_CHECKING:
    from assay.plugin.options import AssayOptions

DEMO = "demo"
DEMO_LAYOUT = (6, 12)  # the demo model is fine-tuned MiniLM-L6: 6 layers x 12 heads


@dataclass(frozen=True)
class ModelSpec:
    """A model under test: the name used in item ids (``test[name]``) and where it comes from."""

    name: str
    source: str

    @property
    def is_demo(self) -> bool:
        return self.source == DEMO


def parse_specs(values: list[str]) -> list[ModelSpec]:
    """``["./ckpt", "base=org/model"]`` -> specs named ``ckpt`` and ``base``; the demo when empty."""
    if not values:
        return [ModelSpec(DEMO, DEMO)]
    specs: list[ModelSpec] = []
    for value in values:
        name, sep, source = value.partition("=")
        if not sep or "/" in name or not name:
            name, source = "", value
        if not source.strip():
            raise pytest.UsageError(f"--assay-model {value!r}: give a model folder or hub id, optionally as NAME=PATH")
        name = name or Path(source.rstrip("/\\")).name or source
        name = re.sub(r"[^A-Za-z0-9_.-]+", "-", name)
        if any(s.name == name for s in specs):
            raise pytest.UsageError(f"--assay-model: two models are named {name!r}; name them with NAME=PATH")
        specs.append(ModelSpec(name, source))
    return specs


def layout(spec: ModelSpec) -> tuple[int, int] | None:
    """(layers, heads) of a model before it loads, from its config: a folder's ``config.json``, or a hub
    id's, through the Hugging Face cache (fetched once if it is not there yet, never in offline mode).
    None where the config cannot be had or does not say."""
    if spec.is_demo:
        return DEMO_LAYOUT
    local = Path(spec.source).expanduser() / "config.json"
    config = local if local.is_file() else _hub_config(spec.source)
    if config is None:
        return None
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    layers = data.get("num_hidden_layers", data.get("n_layers"))
    heads = data.get("num_attention_heads", data.get("n_heads"))
    return (int(layers), int(heads)) if isinstance(layers, int) and isinstance(heads, int) and layers > 0 and heads > 0 else None


def _hub_config(source: str) -> Path | None:
    """The cached ``config.json`` of hub id ``source`` (as the engine's loader resolves it), or None."""
    from assay.engine.loading import looks_like_path

    if looks_like_path(source):
        return None
    try:
        from huggingface_hub import hf_hub_download

        return Path(hf_hub_download(source, "config.json"))  # honours HF_HUB_OFFLINE: cache only
    except Exception:  # no network, no such repo, no config: the sweep becomes one item
        return None


class ModelRegistry:
    """Loads each model at most once per process; a failed load is remembered and re-raised."""

    def __init__(self, options: "AssayOptions"):
        self.options = options
        self.specs = {s.name: s for s in options.models}
        self._models: dict[str, Any] = {}
        self._errors: dict[str, AssayError] = {}

    def get(self, name: str) -> Any:
        if name in self._models:
            return self._models[name]
        if name in self._errors:
            raise self._errors[name]
        spec = self.specs.get(name)
        if spec is None:
            raise ModelLoadError(f"no model named {name!r} in this run; pass --assay-model {name}=PATH")
        try:
            model = self._load(spec)
        except AssayError as exc:
            self._errors[name] = exc
            raise
        self._models[name] = model
        return model

    def _load(self, spec: ModelSpec) -> Any:
        from assay.engine import load_model

        opts = self.options
        source = spec.source
        if spec.is_demo:
            from assay.demo import demo_model_path

            source = str(demo_model_path(progress=True))
        return load_model(source, name=spec.name, labels=opts.labels, neutral_band=opts.neutral_band,
                          cache_dir=opts.model_cache, progress=opts.progress, backend=opts.backend,
                          export_dir=Path(opts.cache_dir) / "onnx" if opts.cache_dir else None,
                          **opts.engine.load_kwargs())

    def loaded(self) -> dict[str, Any]:
        return dict(self._models)
