"""What a test case feeds the model: one text, or a pair of texts (segments A and B)."""

from __future__ import annotations

from typing import Protocol, Sequence, Tuple, Union, runtime_checkable

import numpy as np

Input = Union[str, Tuple[str, str]]
"""A single text, or a ``(text_a, text_b)`` pair such as query / title."""


def is_pair(value: object) -> bool:
    return isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, str) for v in value)


def check_input(value: object) -> Input:
    """Normalise a user value to an Input; lists of two strings become pairs."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, str) for v in value):
        return (value[0], value[1])
    raise TypeError(f"an input is a string or a pair of strings, got {value!r}")


def render(value: Input) -> str:
    """A one-line rendering for messages and reports."""
    if isinstance(value, tuple):
        return f"{value[0]} ||| {value[1]}"
    return value


def to_json(value: Input) -> str | list[str]:
    return list(value) if isinstance(value, tuple) else value


def from_json(value: str | list[str]) -> Input:
    return check_input(value)


@runtime_checkable
class Model(Protocol):
    """The model protocol: anything with these two members can be tested by assay."""

    labels: Sequence[str]

    def predict_proba(self, inputs: list[Input]) -> np.ndarray:
        """Return an ``(len(inputs), len(labels))`` array of class probabilities."""
        ...
