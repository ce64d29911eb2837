"""Command-line and ini options of the pytest plugin."""

from __future__ import annotations

import pytest


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("assay", "behavioral testing of text classifiers (assay)")
    add = group.addoption
    add("--assay-model", action="append", default=[], metavar="[NAME=]PATH_OR_ID",
        help="model to test: a local folder or a Hugging Face hub id; repeat for several models "
             "(default: the assay demo model)")
    add("--assay-report", metavar="PATH", default=None, help="write the JSON report here")
    add("--assay-html", metavar="PATH", default=None, help="write the self-contained HTML report here")
    add("--assay-baseline", metavar="PATH", default=None,
        help="JSON report of an earlier run: tests also fail when they regressed significantly")
    add("--assay-max-regression", type=float, default=0.02, metavar="RATE",
        help="largest allowed rise of a failure rate over the baseline (absolute, default 0.02)")
    add("--assay-alpha", type=float, default=0.05, metavar="P",
        help="significance level of the McNemar test against the baseline (default 0.05)")
    add("--assay-examples", type=int, default=5, metavar="N", help="failing examples shown per test (default 5)")
    add("--assay-explain", type=int, default=0, metavar="N",
        help="explain the N worst cases of each failing test with token attributions (default 0: off)")
    add("--assay-seed", type=int, default=None, metavar="SEED",
        help="shift every declaration's seed by SEED to draw other samples (default 0); reported in the JSON report")
    add("--assay-device", default="auto", metavar="DEVICE", help="auto, cpu, cuda, cuda:N, cuda:auto or mps")
    add("--assay-dtype", default="auto", metavar="DTYPE", help="auto, float32, float16 or bfloat16")
    add("--assay-batch-size", type=int, default=None, metavar="N", help="batch size (default: chosen by device)")
    add("--assay-labels", default=None, metavar="MAP",
        help="rename the model's labels: 'LABEL_0=negative,LABEL_1=positive' or 'negative,neutral,positive'")
    add("--assay-neutral-band", default=None, metavar="LOW,HIGH",
        help="let a binary positive/negative model answer 3-way tests: p(positive) in [LOW, HIGH] is neutral")
    add("--assay-allow-pickle", action="store_true", help="allow loading pickle (.bin) checkpoints")
    add("--assay-trust-remote-code", action="store_true", help="allow model code shipped with a checkpoint")
    add("--assay-cache-dir", default=None, metavar="DIR", help="prediction cache folder (default ~/.cache/assay)")
    add("--assay-no-cache", action="store_true", help="do not use the persistent prediction cache")
    add("--assay-cache-clear", action="store_true", help="empty the persistent prediction cache first")
    parser.addini("assay_models", "models to test when --assay-model is not given ([NAME=]PATH_OR_ID)", type="linelist")
    parser.addini("assay_labels", "the suite's label set; declarations using other labels are collection errors",
                  type="args")
