"""Concrete test cases: what a declaration expands to before the model is called."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Sequence

from .inputs import Input, to_json


@dataclass(frozen=True)
class Case:
    """One test case.

    ``inputs[0]`` is the original; for INV / DIR tests ``inputs[1:]`` are its changed versions and
    ``perturbations[i]`` names what made ``inputs[i]`` (``None`` for the original). ``expected`` holds
    the acceptable labels of an MFT case. ``meta`` is whatever the declaration attached to the case
    (CheckList's per-case ``meta``); expectations see it through :class:`assay.expect.CaseView`.
    """

    inputs: tuple[Input, ...]
    expected: frozenset[str] | None = None
    perturbations: tuple[str | None, ...] = ()
    meta: Any = field(default=None, compare=False)

    def perturbation_of(self, index: int) -> str | None:
        return self.perturbations[index] if index < len(self.perturbations) else None

    def to_json(self) -> dict:
        return {
            "inputs": [to_json(i) for i in self.inputs],
            "expected": sorted(self.expected) if self.expected is not None else None,
            "perturbations": [self.perturbation_of(i) for i in range(len(self.inputs))],
        }


def fingerprint(cases: Sequence[Case]) -> str:
    """A sha256 over the ordered case contents: equal fingerprints mean the cases can be paired."""
    digest = hashlib.sha256()
    for case in cases:
        digest.update(json.dumps(case.to_json(), sort_keys=True, ensure_ascii=False).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()
