"""The ``assay`` command: one entry, one error handler, one exit-code policy for every command.

0 done, 1 a regression, 2 unusable input: argparse's usage error for a bad value, one line
``assay COMMAND: error: ...`` (no traceback) for a file, model or report that cannot be used.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assay.cli import COMMANDS, main
from test_engine_fixtures import bert_dir, bert_mlm_dir, pickle_only_copy  # noqa: F401  (fixture)

SRC = Path(__file__).parents[1] / "src"
ROWS = ["label\ttext"] + [f"{'positive' if i % 2 else 'negative'}\tthe flight was {w}"
                          for i, w in enumerate(["great", "bad", "late", "good", "terrible", "not very good"])]


def run(argv: list[str]) -> tuple[int, str, str]:
    """``assay ARGV`` in this process: (exit status, stdout, stderr); argparse's own exit included."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exit_:
            code = exit_.code
    return code, out.getvalue(), err.getvalue()


def run_subprocess(argv: list[str]) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "assay.cli", *map(str, argv)], capture_output=True, text=True,
                          env=env)


@pytest.fixture
def files(tmp_path, bert_dir, bert_mlm_dir):
    data = tmp_path / "data.tsv"
    data.write_text("\n".join(ROWS) + "\n")
    report = {"schema": "assay-report/1", "assay_version": "0", "created": "now", "seed": 0, "complete": True,
              "models": [],
              "summary": {}, "tests": [{"nodeid": "t.py::a[m]", "name": "a", "type": "MFT", "capability": "C",
                                        "model": "m", "outcome": "passed", "passed": True, "error": None,
                                        "failure_rate": 0.0, "failed": 0, "cases": 10, "fingerprint": "f",
                                        "outcomes": "P" * 10, "max_failure_rate": 0.0}]}
    old = tmp_path / "old.json"
    old.write_text(json.dumps(report))
    return {"dir": tmp_path, "model": bert_dir, "mlm": bert_mlm_dir, "data": data, "report": old, "out": tmp_path / "out", "missing": tmp_path / "missing.tsv"}


# Per command: arguments with one bad value (argparse's usage error, exit 2 before anything runs), and
# arguments naming a missing file (the command's own one-line error, exit 2). A new command adds its rows.
BAD_VALUE = {
    "heads": (["{model}", "--data", "{data}", "--random-fraction", "1"], "argument --random-fraction: 1 is outside (0, 1)"),
    "probe": (["{model}", "--data", "{data}", "--property", "negation", "--n", "0"], "argument --n: 0 is not a positive integer"),
    "compare": (["{report}", "{report}", "--alpha", "7"], "argument --alpha: 7 is outside (0, 1)"),
    "suggest": (["A {{mask}} flight.", "--mlm", "{mlm}", "--top", "0"], "argument --top: 0 is not a positive integer"),
    "checklist": (["import", "{missing}", "--labels", "a,a"],
                  "argument --labels: 'a,a' is not a comma-separated list of distinct label names"),
}
MISSING_FILE = {
    "heads": ["{model}", "--data", "{missing}", "--out", "{out}"],
    "probe": ["{model}", "--data", "{missing}", "--property", "negation", "--out", "{out}"],
    "compare": ["{report}", "{missing}"],
    "suggest": ["A {{mask}} flight.", "--mlm", "{missing}"],
    "checklist": ["list", "{missing}"],
}


def fill(argv: list[str], files: dict) -> list[str]:
    return [a.format(**files) for a in argv]


def test_every_command_is_one_module_with_the_protocol_and_its_error_cases():
    import importlib

    for name, (module, _) in COMMANDS.items():
        mod = importlib.import_module(module)
        assert callable(mod.add_arguments) and callable(mod.run), name
    assert set(BAD_VALUE) == set(MISSING_FILE) == set(COMMANDS), "give every command its error cases here"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_bad_value_is_a_usage_error(command, files):
    argv, message = BAD_VALUE[command]
    code, out, err = run([command, *fill(argv, files)])
    assert code == 2 and out == ""
    assert f"assay {command}: error: {message}" in err and "Traceback" not in err


@pytest.mark.slow
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_missing_file_is_one_line_and_exit_2(command, files):
    """In a separate process (``python -m assay.cli``): no traceback reaches the user."""
    result = run_subprocess([command, *fill(MISSING_FILE[command], files)])
    assert result.returncode == 2, result.stderr
    assert result.stdout == "" and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"assay {command}: error: ") and "missing.tsv" in result.stderr


def test_no_command_prints_help_and_exits_2():
    code, out, err = run([])
    assert code == 2 and "compare" in err and "exit status" in err


@pytest.mark.slow  # the command in a subprocess
def test_compare_through_the_module_entry(files, tmp_path):
    old = files["report"]
    worse = json.loads(old.read_text())
    worse["tests"][0].update(failure_rate=1.0, failed=10, outcomes="F" * 10, passed=False, outcome="failed")
    new = tmp_path / "new.json"
    new.write_text(json.dumps(worse))
    result = run_subprocess(["compare", old, new])
    assert result.returncode == 1, result.stdout + result.stderr
    assert "regressed" in result.stdout
    assert run_subprocess(["compare", old, old]).returncode == 0


def test_an_error_that_is_not_the_users_is_not_hidden_as_unusable_input(files, monkeypatch):
    """``probe`` used to turn any ValueError (a bug too) into exit 2 and a message; now only AssayError is
    the user's, and a bug keeps its traceback."""
    import assay.datasets

    def broken(*args, **kwargs):
        raise ValueError("a bug in assay")

    monkeypatch.setattr(assay.datasets, "dataset", broken)
    with pytest.raises(ValueError, match="a bug in assay"):
        run(["probe", files["model"], "--data", files["data"], "--property", "negation"])


def test_probe_on_too_few_examples_is_a_data_error(files):
    code, out, err = run(["probe", files["model"], "--data", files["data"], "--property", "negation", "--n", "2",
                          "--device", "cpu", "--out", files["out"]])
    assert code == 2 and out == ""
    assert err.startswith("assay probe: error: 2 examples are too few") and err.count("\n") == 1


@pytest.mark.parametrize("argv, message", [
    (["heads", "{model}", "--data", "{data}", "--seed", "-1"], "argument --seed: -1 is not a non-negative integer"),
    (["heads", "{model}", "--data", "{data}", "--batch-size", "-5"], "argument --batch-size: -5 is not a positive integer"),
    (["heads", "{model}", "--data", "{data}", "--out", "{data}"], "is a file, not a folder"),
    (["heads", "{model}", "--data", "{data}", "--device", "gpu"], "argument --device: unknown device 'gpu'"),
    (["probe", "{model}", "--data", "{data}", "--property", "negation", "--test-fraction", "1"],
     "argument --test-fraction: 1 is outside (0, 1)"),
    (["probe", "{model}", "--data", "{data}", "--property", "negation", "--dtype", "int8"], "unknown dtype 'int8'"),
    (["compare", "{report}", "{report}", "--json", "{dir}"], "is a folder"),
    (["compare", "{report}", "{report}", "--max-regression", "2"], "argument --max-regression: 2 is outside [0, 1)"),
])
def test_arguments_are_checked_when_parsed(argv, message, files):
    code, out, err = run(fill(argv, files))
    assert code == 2 and out == "" and message in err


@pytest.fixture
def pickle_only(tmp_path, bert_dir):
    return pickle_only_copy(bert_dir, tmp_path / "pickled")


@pytest.mark.parametrize("command", [["heads", "--step", "0.5", "--draws", "1"], ["probe", "--property", "negation"]])
def test_commands_take_the_plugins_safety_flags_and_name_their_own(command, pickle_only, files):
    """A pickle-only checkpoint: the error names ``--allow-pickle`` (the command's flag, not the plugin's
    ``--assay-allow-pickle``), and that flag loads it."""
    name, *extra = command
    argv = [name, pickle_only, "--data", files["data"], "--device", "cpu", "--out", files["out"], *extra]
    code, out, err = run(argv)
    assert code == 2 and err.count("\n") == 1
    assert "pass --allow-pickle if you trust the file" in err and "--assay-" not in err
    code, out, err = run([*argv, "--allow-pickle"])
    assert code == 0, err


def test_a_missing_model_names_the_model_argument(files, tmp_path):
    code, _, err = run(["heads", tmp_path / "no-model", "--data", files["data"]])
    assert code == 2 and "as MODEL" in err and "--assay-model" not in err
