"""Argument checks, in one place for the pytest options, the ``assay`` commands and the declarations.

Each rule is written once and used two ways:

* as an argparse ``type=`` (pytest's option parser is argparse too): it takes the text of the value
  and returns the parsed value, or raises :class:`argparse.ArgumentTypeError`, which the parser turns
  into a usage error naming the option before anything runs (``pytest --assay-alpha=7`` ->
  ``error: argument --assay-alpha: 7 is outside (0, 1)``);
* as ``rule.check(value, "name", SomeError)`` for values given in Python or YAML (a declaration's
  ``max_failure_rate=``, ``load_model(batch_size=)``), raising ``SomeError("name=2 must be ...")``.

Nothing here imports torch or pytest: the plugin and the commands import it at start-up.
"""

from __future__ import annotations

import argparse
import math
import re
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

__all__ = [
    "ALPHA", "BACKEND_CHOICES", "COUNT", "DEVICE_CHOICES", "DROP", "DTYPE_CHOICES", "MAX_REGRESSION", "NEUTRAL_BAND_RULE", "Number", "OPEN_FRACTION",
    "POSITIVE_INT", "PROBABILITY", "RATE", "SEED", "STEP", "backend", "band_problem", "device", "dtype", "folder", "label_map", "neutral_band",
    "output_file",
]


@dataclass(frozen=True)
class Number:
    """A numeric argument: integer or real, with optional bounds (open or closed) and a hint."""

    integer: bool = False
    low: float | None = None
    high: float | None = None
    open_low: bool = False
    open_high: bool = False
    hint: str = ""

    @property
    def rule(self) -> str:
        """What a valid value is, in words: ``a positive integer``, ``a number in (0, 1)``."""
        if self.integer and self.high is None and not self.open_low and self.low in (0, 1):
            return "a positive integer" if self.low == 1 else "a non-negative integer"
        what = "an integer" if self.integer else "a number"
        if self.low is not None and self.high is not None:
            return f"{what} in {self.interval}"
        if self.low is not None:
            return f"{what} {'>' if self.open_low else '>='} {self.low:g}"
        if self.high is not None:
            return f"{what} {'<' if self.open_high else '<='} {self.high:g}"
        return what

    @property
    def interval(self) -> str:
        return f"{'(' if self.open_low else '['}{self.low:g}, {self.high:g}{')' if self.open_high else ']'}"

    def accepts(self, value: Any) -> bool:
        kinds = int if self.integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds) or not math.isfinite(value):
            return False
        if self.low is not None and (value <= self.low if self.open_low else value < self.low):
            return False
        return self.high is None or (value < self.high if self.open_high else value <= self.high)

    def check(self, value: Any, name: str, error: type[Exception]) -> Any:
        """``value`` when valid, else ``error("name=value must be <rule>")``."""
        if not self.accepts(value):
            raise error(f"{name}={value!r} must be {self.rule}{self._hint}")
        return value

    def __call__(self, text: str) -> Any:
        """The argparse ``type=``: parse ``text`` and check it."""
        try:
            value = int(text) if self.integer else float(text)
        except (TypeError, ValueError):
            raise argparse.ArgumentTypeError(f"{text!r} is not {self.rule}{self._hint}") from None
        if not self.accepts(value):
            where = f"outside {self.interval}" if self.low is not None and self.high is not None else f"not {self.rule}"
            raise argparse.ArgumentTypeError(f"{text} is {where}{self._hint}")
        return value

    @property
    def _hint(self) -> str:
        return f" ({self.hint})" if self.hint else ""


POSITIVE_INT = Number(integer=True, low=1)
COUNT = Number(integer=True, low=0)
SEED = Number(integer=True, low=0)  # numpy's generators refuse negative seeds
RATE = Number(low=0, high=1, hint="0.05 means 5%")
MAX_REGRESSION = Number(low=0, high=1, open_high=True, hint="0.02 means 2 points")
ALPHA = Number(low=0, high=1, open_low=True, open_high=True)
OPEN_FRACTION = Number(low=0, high=1, open_low=True, open_high=True)
STEP = Number(low=0, high=1, open_low=True)
PROBABILITY = Number(low=0, high=1)  # a tolerance on a probability
DROP = Number(low=0, high=1, open_high=True)  # a drop a probability can still exceed

DEVICE_CHOICES = "auto, cpu, cuda, cuda:N, cuda:auto or mps"
DEVICE_PATTERN = re.compile(r"auto|cpu|mps|cuda(?::(\d+|auto))?")
DTYPE_CHOICES = ("auto", "float32", "float16", "bfloat16")


def model_source(text: str) -> str:
    """A model folder or hub id: anything but an empty string (whether it loads is checked when it loads)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty model; give a folder or a Hugging Face hub id")
    return text.strip()


def device(text: str) -> str:
    """A device name (whether that hardware is present is checked when the model loads)."""
    name = text.strip().lower()
    if not DEVICE_PATTERN.fullmatch(name):
        raise argparse.ArgumentTypeError(f"unknown device {text!r}; use {DEVICE_CHOICES}")
    return name


def dtype(text: str) -> str:
    name = text.strip().lower()
    if name not in DTYPE_CHOICES:
        raise argparse.ArgumentTypeError(f"unknown dtype {text!r}; use {', '.join(DTYPE_CHOICES[:-1])} or {DTYPE_CHOICES[-1]}")
    return name


BACKEND_CHOICES = ("auto", "torch", "onnx")


def backend(text: str) -> str:
    """How plain predictions run: ``torch``, ``onnx`` (ONNX Runtime on the CPU) or ``auto``."""
    name = text.strip().lower()
    if name not in BACKEND_CHOICES:
        raise argparse.ArgumentTypeError(f"unknown backend {text!r}; use {', '.join(BACKEND_CHOICES[:-1])} or {BACKEND_CHOICES[-1]}")
    return name


def label_map(text: str) -> Mapping[str, str] | tuple[str, ...]:
    """``LABEL_0=negative,LABEL_1=positive`` -> a mapping; ``negative,positive`` -> names in id order."""
    parts = [part.strip() for part in text.split(",")]
    if not text.strip() or any(not part for part in parts):
        raise argparse.ArgumentTypeError(f"{text!r} has an empty label; give OLD=NEW pairs or names in id order, "
                                         "separated by commas")
    if all("=" in part for part in parts):
        pairs = [(old.strip(), new.strip()) for old, _, new in (part.partition("=") for part in parts)]
        if any(not old or not new for old, new in pairs):
            raise argparse.ArgumentTypeError(f"{text!r}: every pair needs OLD=NEW, such as LABEL_0=negative")
        olds = [old for old, _ in pairs]
        if len(set(olds)) != len(olds):
            raise argparse.ArgumentTypeError(f"{text!r} renames a label twice")
        return MappingProxyType(dict(pairs))
    if any("=" in part for part in parts):
        raise argparse.ArgumentTypeError(f"{text!r}: give either OLD=NEW pairs or a list of names in id order, not both")
    if len(set(parts)) != len(parts):
        raise argparse.ArgumentTypeError(f"{text!r} names a label twice; label names must be distinct")
    return tuple(parts)


NEUTRAL_BAND_RULE = "0 <= LOW < 0.5 < HIGH <= 1"


def band_problem(low: float, high: float) -> str | None:
    """Why ``(low, high)`` cannot be a neutral band on p(positive), or None when it can."""
    if not (math.isfinite(low) and math.isfinite(high) and 0.0 <= low < 0.5 < high <= 1.0):
        return f"a neutral band needs {NEUTRAL_BAND_RULE} (for example LOW=0.33, HIGH=0.67)"
    return None


def neutral_band(text: str) -> tuple[float, float]:
    """``LOW,HIGH`` -> ``(low, high)`` with :data:`NEUTRAL_BAND_RULE`."""
    try:
        low, high = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not LOW,HIGH such as 0.33,0.67") from None
    problem = band_problem(low, high)
    if problem:
        raise argparse.ArgumentTypeError(f"{text}: {problem}")
    return low, high


def output_file(text: str) -> str:
    """A file to write: not empty, not an existing folder, and not inside a file."""
    path = Path(text).expanduser()
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path; give the file to write")
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder; give the file to write, such as {path / 'report.json'}")
    _no_file_above(path, text)
    return text


def folder(text: str) -> str:
    """A folder to use or create: not empty, not an existing file."""
    path = Path(text).expanduser()
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path; give a folder")
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a file, not a folder; give a folder")
    _no_file_above(path, text)
    return text


def _no_file_above(path: Path, text: str) -> None:
    for parent in path.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise argparse.ArgumentTypeError(f"{text}: {parent} is a file, so nothing can be written below it")
            return
