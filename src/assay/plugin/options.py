"""Command-line and ini options of the pytest plugin, and the frozen :class:`AssayOptions` read from them.

Every value is checked when pytest parses the command line (the ``type=`` validators of
:mod:`assay._validate`, shared with the ``assay`` commands), so a bad value is a usage error before
collection, never an error in every test. ``pytest_configure`` then reads the options once into
:class:`AssayOptions` (the model: pytest-mypy's ``MypyConfigStash``); the session, the model registry
and the collectors read that object, not ``config.getoption``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Mapping

import pytest

from assay import _validate as valid
from assay.options import EngineOptions, Flags, add_backend_option, add_comparison_options, add_engine_options
from assay.plugin.models import ModelSpec, parse_specs

PREFIX = "assay-"


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("assay", "behavioral testing of text classifiers (assay)")
    add = group.addoption
    add("--assay-model", action="append", default=[], metavar="[NAME=]PATH_OR_ID",
        help="model to test: a local folder or a Hugging Face hub id; repeat for several models "
             "(default: the assay demo model)")
    add("--assay-report", metavar="PATH", default=None, type=valid.output_file, help="write the JSON report here")
    add("--assay-html", metavar="PATH", default=None, type=valid.output_file,
        help="write the self-contained HTML report here")
    add("--assay-baseline", metavar="PATH", default=None,
        help="JSON report of an earlier run: tests also fail when they regressed significantly")
    add_comparison_options(add, PREFIX)
    add("--assay-examples", type=valid.COUNT, default=5, metavar="N",
        help="failing examples shown per test, a non-negative integer (default 5)")
    add("--assay-explain", type=valid.COUNT, default=0, metavar="N",
        help="explain the N worst cases of each failing test with token attributions (default 0: off)")
    add("--assay-seed", type=valid.SEED, default=0, metavar="SEED",
        help="shift every declaration's seed by SEED, a non-negative integer, to draw other samples (default 0); "
             "reported in the JSON report")
    add_engine_options(add, PREFIX)
    add_backend_option(add, PREFIX)
    add("--assay-labels", default=None, type=valid.label_map, metavar="MAP",
        help="rename the model's labels: 'LABEL_0=negative,LABEL_1=positive' or 'negative,neutral,positive'")
    add("--assay-neutral-band", default=None, type=valid.neutral_band, metavar="LOW,HIGH",
        help=f"let a binary positive/negative model answer 3-way tests: p(positive) in [LOW, HIGH] is neutral "
             f"({valid.NEUTRAL_BAND_RULE})")
    add("--assay-cache-dir", default=None, type=valid.folder, metavar="DIR",
        help="prediction cache folder (default $ASSAY_CACHE_DIR or ~/.cache/assay)")
    add("--assay-mlm", default=None, type=valid.model_source, metavar="PATH_OR_ID",
        help="fill-mask model for {mask} in templates and masked-LM perturbations that name none "
             "(a local folder or Hugging Face hub id, e.g. distilroberta-base)")
    add("--assay-no-cache", action="store_true", help="do not use the persistent prediction cache")
    add("--assay-cache-clear", action="store_true", help="empty the persistent prediction cache first")
    parser.addini("assay_models", "models to test when --assay-model is not given ([NAME=]PATH_OR_ID)", type="linelist")
    parser.addini("assay_mlm", "fill-mask model when --assay-mlm is not given (PATH_OR_ID)", default=None)
    parser.addini("assay_labels", "the suite's label set; declarations using other labels are collection errors",
                  type="args")


@dataclass(frozen=True)
class AssayOptions:
    """The plugin's options, parsed and checked once per process in ``pytest_configure``."""

    models: tuple[ModelSpec, ...]
    report: str | None
    html: str | None
    baseline: str | None
    max_regression: float
    alpha: float
    allow_incomplete: bool
    """``--assay-allow-incomplete``: accept a baseline whose run did not finish."""
    examples: int
    explain: int
    seed: int
    engine: EngineOptions
    backend: str
    """``--assay-backend``: how plain predictions run (auto, torch, onnx)."""
    labels: Mapping[str, str] | tuple[str, ...] | None
    """``--assay-labels``: renames the model's labels."""
    neutral_band: tuple[float, float] | None
    cache_dir: str | None
    """``--assay-cache-dir``; None for the default folder."""
    no_cache: bool
    cache_clear: bool
    suite_labels: tuple[str, ...] | None
    """The ini ``assay_labels``: the suite's label set."""
    progress: bool
    """Show model loading progress (not under ``-q`` nor in an xdist worker)."""
    mlm: str | None = None
    """``--assay-mlm`` or the ini ``assay_mlm``: the fill-mask model for ``{mask}`` and masked-LM perturbations."""

    @classmethod
    def from_config(cls, config: pytest.Config) -> "AssayOptions":
        """Read the options; raises pytest.UsageError for what the parser could not check alone."""
        option: Any = config.option
        return cls(
            models=tuple(parse_specs(list(option.assay_model or config.getini("assay_models") or []))),
            report=option.assay_report,
            html=option.assay_html,
            baseline=option.assay_baseline,
            max_regression=option.assay_max_regression,
            alpha=option.assay_alpha,
            allow_incomplete=option.assay_allow_incomplete,
            examples=option.assay_examples,
            explain=option.assay_explain,
            seed=option.assay_seed,
            engine=EngineOptions.from_namespace(option, PREFIX, model="--assay-model"),
            backend=option.assay_backend,
            labels=option.assay_labels,
            neutral_band=option.assay_neutral_band,
            cache_dir=option.assay_cache_dir,
            no_cache=option.assay_no_cache,
            cache_clear=option.assay_cache_clear,
            suite_labels=tuple(config.getini("assay_labels")) or None,
            progress=option.verbose >= 0 and not os.environ.get("PYTEST_XDIST_WORKER"),
            mlm=option.assay_mlm or (config.getini("assay_mlm") or "").strip() or None,
        )

    @property
    def model_cache(self) -> str | None | bool:
        """``load_model(cache_dir=)``: the folder, None for the default, False to switch it off."""
        return False if self.no_cache else self.cache_dir

    @property
    def mlm_options(self) -> dict[str, Any]:
        """How a fill-mask model is loaded in this run (:class:`assay.mlm.MLMSpec`'s options)."""
        engine = self.engine
        return {"device": engine.device, "dtype": engine.dtype, "allow_pickle": engine.allow_pickle,
                "trust_remote_code": engine.trust_remote_code, "cache_dir": self.model_cache,
                "flags": Flags(PREFIX, model="--assay-mlm")}


OPTIONS = pytest.StashKey[AssayOptions]()


def options(config: pytest.Config) -> AssayOptions:
    """The options of ``config`` (read in ``pytest_configure``)."""
    return config.stash[OPTIONS]
