"""assay._validate: one rule per kind of argument, the same for the command line and for Python / YAML values."""

from __future__ import annotations

import argparse
import math

import pytest
from hypothesis import given, strategies as st

from assay import _validate as valid
from assay.errors import DeclarationError

RULES = {
    "POSITIVE_INT": valid.POSITIVE_INT, "COUNT": valid.COUNT, "SEED": valid.SEED, "RATE": valid.RATE,
    "MAX_REGRESSION": valid.MAX_REGRESSION, "ALPHA": valid.ALPHA, "OPEN_FRACTION": valid.OPEN_FRACTION,
    "STEP": valid.STEP,
}


@pytest.mark.parametrize("rule, text, value", [
    (valid.POSITIVE_INT, "1", 1), (valid.COUNT, "0", 0), (valid.SEED, "12", 12), (valid.RATE, "1", 1.0),
    (valid.RATE, "0", 0.0), (valid.MAX_REGRESSION, "0", 0.0), (valid.ALPHA, "0.05", 0.05), (valid.STEP, "1", 1.0),
    (valid.OPEN_FRACTION, "0.5", 0.5),
])
def test_accepted_values_parse(rule, text, value):
    assert rule(text) == value and type(rule(text)) is type(value)


@pytest.mark.parametrize("rule, text, message", [
    (valid.POSITIVE_INT, "0", "0 is not a positive integer"),
    (valid.POSITIVE_INT, "-5", "-5 is not a positive integer"),
    (valid.POSITIVE_INT, "2.5", "'2.5' is not a positive integer"),
    (valid.COUNT, "-1", "-1 is not a non-negative integer"),
    (valid.SEED, "x", "'x' is not a non-negative integer"),
    (valid.ALPHA, "7", "7 is outside (0, 1)"),
    (valid.ALPHA, "0", "0 is outside (0, 1)"),
    (valid.ALPHA, "nan", "nan is outside (0, 1)"),
    (valid.MAX_REGRESSION, "2", "2 is outside [0, 1) (0.02 means 2 points)"),
    (valid.MAX_REGRESSION, "1", "1 is outside [0, 1)"),
    (valid.STEP, "0", "0 is outside (0, 1]"),
    (valid.OPEN_FRACTION, "1", "1 is outside (0, 1)"),
    (valid.RATE, "inf", "inf is outside [0, 1]"),
])
def test_rejected_values_say_the_rule(rule, text, message):
    with pytest.raises(argparse.ArgumentTypeError) as caught:
        rule(text)
    assert message in str(caught.value)


@pytest.mark.parametrize("name", sorted(RULES))
@given(value=st.one_of(st.integers(-5, 5), st.floats(allow_nan=True, allow_infinity=True, width=32)))
def test_the_command_line_and_python_checks_agree(name, value):
    """A value the parser accepts from text is exactly one ``check`` accepts from Python (or YAML)."""
    rule = RULES[name]
    try:
        parsed = rule(str(value))
    except argparse.ArgumentTypeError:
        parsed = None
    try:
        checked = rule.check(value, "x", DeclarationError)
    except DeclarationError as error:
        assert str(error).startswith(f"x={value!r} must be {rule.rule}")
        checked = None
    if rule.integer and isinstance(value, float):
        assert checked is None  # 2.0 is not an integer count in a declaration
        return
    assert (parsed is None) == (checked is None)
    if parsed is not None:
        assert parsed == value and math.isfinite(parsed)


def test_booleans_are_not_numbers():
    with pytest.raises(DeclarationError, match="must be a number in"):
        valid.RATE.check(True, "max_failure_rate", DeclarationError)


@pytest.mark.parametrize("text, expected", [
    ("cpu", "cpu"), (" CUDA:1 ", "cuda:1"), ("cuda:auto", "cuda:auto"), ("mps", "mps"), ("auto", "auto"),
])
def test_devices(text, expected):
    assert valid.device(text) == expected


@pytest.mark.parametrize("text", ["gpu", "cuda:x", "cuda:0:1", "", "tpu"])
def test_unknown_devices(text):
    with pytest.raises(argparse.ArgumentTypeError, match="auto, cpu, cuda, cuda:N, cuda:auto or mps"):
        valid.device(text)


def test_dtypes():
    assert valid.dtype("Float16") == "float16"
    with pytest.raises(argparse.ArgumentTypeError, match="auto, float32, float16 or bfloat16"):
        valid.dtype("int8")


def test_label_maps():
    assert dict(valid.label_map("LABEL_0=negative, LABEL_1=positive")) == {"LABEL_0": "negative", "LABEL_1": "positive"}
    assert valid.label_map("negative,neutral,positive") == ("negative", "neutral", "positive")
    for text, fragment in (("a,,b", "empty label"), ("", "empty label"), ("a=b,c", "not both"), ("a=,b=c", "OLD=NEW"),
                           ("a=x,a=y", "renames a label twice"), ("neg,neg", "names a label twice")):
        with pytest.raises(argparse.ArgumentTypeError, match=fragment):
            valid.label_map(text)


def test_neutral_band_has_the_engine_rule():
    assert valid.neutral_band("0.33,0.67") == (0.33, 0.67)
    for text in ("0.6,0.9", "0.1,0.4", "-0.1,0.6", "0.4,1.2", "0.7,0.3", "nan,0.6"):
        with pytest.raises(argparse.ArgumentTypeError, match="0 <= LOW < 0.5 < HIGH <= 1"):
            valid.neutral_band(text)
    with pytest.raises(argparse.ArgumentTypeError, match="LOW,HIGH"):
        valid.neutral_band("0.3")


def test_paths(tmp_path):
    (tmp_path / "file.txt").write_text("x")
    assert valid.output_file(str(tmp_path / "new" / "report.json"))
    assert valid.folder(str(tmp_path / "new-folder"))
    with pytest.raises(argparse.ArgumentTypeError, match="is a folder"):
        valid.output_file(str(tmp_path))
    with pytest.raises(argparse.ArgumentTypeError, match="is a file, so nothing can be written below it"):
        valid.output_file(str(tmp_path / "file.txt" / "report.json"))
    with pytest.raises(argparse.ArgumentTypeError, match="is a file, not a folder"):
        valid.folder(str(tmp_path / "file.txt"))
    with pytest.raises(argparse.ArgumentTypeError, match="empty path"):
        valid.output_file(" ")
