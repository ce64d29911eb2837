"""The plugin's options: every value is checked when pytest parses it (a usage error before collection, the
same rule and wording as the ``assay`` commands), then read once into a frozen AssayOptions."""

from __future__ import annotations

import io

import pytest
import torch  # noqa: F401  (imported before any pytester run; see test_integration_shared)

from assay.cli import main as assay_main
from test_engine_fixtures import bert_dir, pickle_only_copy  # noqa: F401  (fixture)

SUITE = '''
from assay import MFT
test_words = MFT(["good flight", "great seat"], "positive")
'''

MODEL = '''
import numpy as np, pytest

class Model:
    labels = ["negative", "positive"]
    def predict_proba(self, inputs):
        return np.array([[0.2, 0.8] for _ in inputs])

@pytest.fixture(scope="session")
def assay_model():
    return Model()
'''


@pytest.fixture
def suite(pytester):
    pytester.makeconftest(MODEL)
    pytester.makepyfile(test_suite=SUITE)
    (pytester.path / "a-file").write_text("not a folder")
    return pytester


BAD_VALUES = [
    # (option, value, what the error says): each was accepted before and made every test error, or ran
    # silently with another value (--assay-batch-size -5 became 1, a negative --assay-examples showed none).
    ("--assay-max-regression", "2", "2 is outside [0, 1)"),
    ("--assay-alpha", "7", "7 is outside (0, 1)"),
    ("--assay-alpha", "0", "0 is outside (0, 1)"),
    ("--assay-batch-size", "-5", "-5 is not a positive integer"),
    ("--assay-batch-size", "0", "0 is not a positive integer"),
    ("--assay-examples", "-1", "-1 is not a non-negative integer"),
    ("--assay-explain", "-2", "-2 is not a non-negative integer"),
    ("--assay-seed", "-3", "-3 is not a non-negative integer"),
    ("--assay-device", "gpu", "unknown device 'gpu'"),
    ("--assay-dtype", "int8", "unknown dtype 'int8'"),
    ("--assay-backend", "tpu", "unknown backend 'tpu'; use auto, torch or onnx"),
    ("--assay-labels", "negative,,positive", "has an empty label"),
    ("--assay-labels", "LABEL_0=negative,positive", "not both"),
    ("--assay-neutral-band", "0.6,0.9", "0 <= LOW < 0.5 < HIGH <= 1"),
    ("--assay-neutral-band", "low,high", "is not LOW,HIGH"),
    ("--assay-cache-dir", "a-file", "a-file is a file, not a folder"),
    ("--assay-report", ".", ". is a folder"),
    ("--assay-html", "a-file/report.html", "is a file, so nothing can be written below it"),
]


@pytest.mark.parametrize("option, value, message", BAD_VALUES, ids=[f"{o}={v}" for o, v, _ in BAD_VALUES])
def test_a_bad_value_is_a_usage_error_before_collection(suite, option, value, message):
    result = suite.runpytest(option, value, "--assay-report=r.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()
    error = next(line for line in result.stderr.lines if "error: argument" in line)
    assert error.split("error: ", 1)[1].startswith(f"argument {option}: ") and message in error
    assert "Traceback" not in result.stderr.str() + result.stdout.str()
    assert not (suite.path / "r.json").exists()


@pytest.mark.parametrize("option", ["--assay-alpha=7", "--assay-max-regression=2"])
def test_bad_baseline_thresholds_stop_the_run_instead_of_erroring_every_test(suite, option):
    suite.runpytest("--assay-report=base.json").assert_outcomes(passed=1)
    result = suite.runpytest("--assay-baseline=base.json", option)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "errors" not in result.stdout.str() and option.split("=")[0] in result.stderr.str()


def test_an_empty_model_is_a_usage_error(suite):
    result = suite.runpytest("--assay-model=")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--assay-model '': give a model folder or hub id" in result.stderr.str()


@pytest.mark.parametrize("cli, plugin, value", [
    (["compare", "old.json", "new.json"], "--assay-alpha", "7"),
    (["compare", "old.json", "new.json"], "--assay-max-regression", "2"),
    (["heads", "model", "--data", "d.tsv"], "--assay-batch-size", "-5"),
    (["probe", "model", "--data", "d.tsv", "--property", "negation"], "--assay-device", "gpu"),
])
def test_the_plugin_and_the_commands_share_one_rule(suite, capsys, cli, plugin, value):
    """``pytest --assay-X=V`` and ``assay CMD --X V`` give the same message: one validator behind both."""
    flag = "--" + plugin[len("--assay-"):]
    with pytest.raises(SystemExit) as info:
        assay_main([*cli, flag, value], out=io.StringIO(), err=io.StringIO())
    assert info.value.code == 2
    cli_message = capsys.readouterr().err.strip().splitlines()[-1].split(f"argument {flag}: ", 1)[1]
    result = suite.runpytest(plugin, value)
    assert f"error: argument {plugin}: {cli_message}" in result.stderr.str()


def test_options_are_read_once_into_a_frozen_object(pytester):
    pytester.makeconftest('''
import dataclasses, pytest
from assay.plugin.options import options

def pytest_configure(config):
    pass

@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session):
    opts = options(session.config)
    print("OPTIONS", opts.max_regression, opts.alpha, opts.examples, opts.seed, opts.engine.device,
          opts.engine.dtype, opts.engine.batch_size, opts.engine.allow_pickle, opts.engine.flags.switch("allow_pickle"),
          dict(opts.labels), opts.neutral_band, opts.model_cache, opts.suite_labels, [m.name for m in opts.models])
    try:
        opts.alpha = 0.5
    except dataclasses.FrozenInstanceError:
        print("FROZEN")
''')
    pytester.makeini("[pytest]\nassay_labels = negative positive\n")
    result = pytester.runpytest(
        "-s", "--co", "--assay-max-regression=0.1", "--assay-alpha=0.01", "--assay-examples=0", "--assay-seed=4",
        "--assay-device=CPU", "--assay-dtype=float32", "--assay-batch-size=8", "--assay-allow-pickle",
        "--assay-labels=LABEL_0=negative,LABEL_1=positive", "--assay-neutral-band=0.4,0.6", "--assay-no-cache",
        "--assay-model=mine=./ckpt")
    result.stdout.fnmatch_lines([
        "OPTIONS 0.1 0.01 0 4 cpu float32 8 True --assay-allow-pickle {'LABEL_0': 'negative', 'LABEL_1': 'positive'} "
        "(0.4, 0.6) False ('negative', 'positive') ['mine']",
        "FROZEN",
    ])


def test_the_session_reads_the_parsed_values(pytester):
    """--assay-examples reaches the failure message through the frozen object."""
    pytester.makeconftest(MODEL)
    pytester.makepyfile(test_suite='''
from assay import MFT
test_words = MFT(["bad flight", "awful seat", "late crew"], "negative")
''')
    result = pytester.runpytest("--assay-examples=1")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*worst 1 of 3 failing cases:*"])
    result = pytester.runpytest("--assay-examples=2")
    result.stdout.fnmatch_lines(["*worst 2 of 3 failing cases:*"])


def test_a_load_error_under_pytest_names_the_plugins_flag(pytester, tmp_path, bert_dir):
    folder = pickle_only_copy(bert_dir, tmp_path / "pickled")
    pytester.makepyfile(test_suite='from assay import MFT\ntest_any = MFT(["good flight"], "positive", max_failure_rate=1.0)\n')
    result = pytester.runpytest(f"--assay-model={folder}", "--assay-no-cache", "--assay-device=cpu")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*has only pickle weights*pass --assay-allow-pickle if you trust the file*"])
    result = pytester.runpytest(f"--assay-model={folder}", "--assay-no-cache", "--assay-device=cpu", "--assay-allow-pickle")
    result.assert_outcomes(passed=1)
