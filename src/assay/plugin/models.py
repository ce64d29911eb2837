"""Which models a run tests, and loading each of them once per process."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from assay.errors import AssayError, ModelLoadError

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
        name = name or Path(source.rstrip("/\\")).name or source
        name = re.sub(r"[^A-Za-z0-9_.-]+", "-", name)
        if any(s.name == name for s in specs):
            raise pytest.UsageError(f"--assay-model: two models are named {name!r}; name them with NAME=PATH")
        specs.append(ModelSpec(name, source))
    return specs


def layout(spec: ModelSpec) -> tuple[int, int] | None:
    """(layers, heads) read cheaply from a local config.json, without loading weights."""
    if spec.is_demo:
        return DEMO_LAYOUT
    config = Path(spec.source) / "config.json"
    if not config.is_file():
        return None
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    layers = data.get("num_hidden_layers", data.get("n_layers"))
    heads = data.get("num_attention_heads", data.get("n_heads"))
    return (int(layers), int(heads)) if layers and heads else None


def _labels_option(value: str | None) -> Any:
    if not value:
        return None
    parts = [p.strip() for p in value.split(",") if p.strip()]
    if all("=" in p for p in parts):
        return dict(p.split("=", 1) for p in parts)
    if any("=" in p for p in parts):
        raise pytest.UsageError("--assay-labels: give either OLD=NEW pairs or a list of names in id order")
    return parts


def _band_option(value: str | None) -> tuple[float, float] | None:
    if not value:
        return None
    try:
        low, high = (float(x) for x in value.split(","))
    except ValueError:
        raise pytest.UsageError(f"--assay-neutral-band {value!r}: expected LOW,HIGH such as 0.33,0.67") from None
    if not 0 <= low < high <= 1:
        raise pytest.UsageError(f"--assay-neutral-band {value!r}: need 0 <= LOW < HIGH <= 1")
    return low, high


class ModelRegistry:
    """Loads each model at most once per process; a failed load is remembered and re-raised."""

    def __init__(self, config: pytest.Config, specs: list[ModelSpec]):
        self.config = config
        self.specs = {s.name: s for s in specs}
        self._models: dict[str, Any] = {}
        self._errors: dict[str, AssayError] = {}
        opt = config.getoption
        self.labels = _labels_option(opt("assay_labels"))
        self.neutral_band = _band_option(opt("assay_neutral_band"))

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

        opt = self.config.getoption
        source = spec.source
        if spec.is_demo:
            from assay.demo import demo_model_path

            source = str(demo_model_path(progress=True))
        cache_dir: Any = None if not opt("assay_no_cache") else False
        if opt("assay_cache_dir") and not opt("assay_no_cache"):
            cache_dir = opt("assay_cache_dir")
        return load_model(
            source, name=spec.name, device=opt("assay_device"), dtype=opt("assay_dtype"),
            batch_size=opt("assay_batch_size"), allow_pickle=opt("assay_allow_pickle"),
            trust_remote_code=opt("assay_trust_remote_code"), labels=self.labels,
            neutral_band=self.neutral_band, cache_dir=cache_dir, progress=_progress_wanted(self.config),
        )

    def loaded(self) -> dict[str, Any]:
        return dict(self._models)


def _progress_wanted(config: pytest.Config) -> bool:
    return config.getoption("verbose") >= 0 and not os.environ.get("PYTEST_XDIST_WORKER")
