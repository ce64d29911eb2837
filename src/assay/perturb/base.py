"""The Perturbation object: a named, seeded, deterministic ``text -> list[str]`` callable.

The random generator for one call is derived from ``(seed, name, text)`` with hashlib, so a
perturbation gives the same outputs for the same text whatever the call order, process or
xdist worker. Outputs equal to the input and duplicates are dropped; an empty list means
"does not apply to this text".
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping

Apply = Callable[[str, random.Random], "list[str]"]


def rng_for(seed: int, name: str, text: str) -> random.Random:
    """A random.Random seeded from (seed, name, text), stable across processes."""
    digest = hashlib.sha256(f"{seed}\x00{name}\x00{text}".encode("utf-8", "surrogatepass")).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _clean(text: str, outputs: list[str]) -> list[str]:
    seen: set[str] = set()
    result = []
    for out in outputs:
        if isinstance(out, str) and out != text and out not in seen:
            seen.add(out)
            result.append(out)
    return result


@dataclass(frozen=True)
class Perturbation:
    """A named text transformation. ``p(text)`` returns the changed texts (maybe none)."""

    name: str
    apply: Apply = field(repr=False, compare=False)
    seed: int = 0
    params: Mapping[str, Any] = field(default_factory=dict)

    def __call__(self, text: str) -> list[str]:
        if not isinstance(text, str):
            raise TypeError(f"perturbation {self.name!r} takes a string, got {type(text).__name__}")
        return _clean(text, list(self.apply(text, rng_for(self.seed, self.name, text))))

    def attributed(self, text: str) -> list[tuple[str, str]]:
        """Each output with the name of the perturbation that produced it."""
        return [(out, self.name) for out in self(text)]

    def with_seed(self, seed: int) -> Perturbation:
        return replace(self, seed=seed)

    def validate(self) -> None:
        """Raise DeclarationError when the perturbation cannot run here (e.g. it lacks a model)."""
        for part in getattr(self, "parts", ()):
            part.validate()

    def to_spec(self) -> dict[str, Any]:
        """A JSON-able description: name, parameters (tuples as lists) and seed."""
        params = {k: list(v) if isinstance(v, tuple) else v for k, v in self.params.items()}
        return {"name": self.name, "params": params, "seed": self.seed}

    def describe(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{self.name}({args})"


@dataclass(frozen=True)
class Chain(Perturbation):
    """``second`` applied to every output of ``first``."""

    parts: tuple[Perturbation, ...] = ()

    def __call__(self, text: str) -> list[str]:
        current = [text]
        for part in self.parts:
            current = [out for t in current for out in part(t)]
        return _clean(text, current)

    def with_seed(self, seed: int) -> Perturbation:
        return replace(self, seed=seed, parts=tuple(p.with_seed(seed) for p in self.parts))

    def to_spec(self) -> dict[str, Any]:
        return {"name": self.name, "chain": [p.to_spec() for p in self.parts], "seed": self.seed}


@dataclass(frozen=True)
class Union(Perturbation):
    """The outputs of every part, in order, duplicates dropped."""

    parts: tuple[Perturbation, ...] = ()

    def __call__(self, text: str) -> list[str]:
        return [out for out, _ in self.attributed(text)]

    def attributed(self, text: str) -> list[tuple[str, str]]:
        seen = {text}
        result = []
        for part in self.parts:
            for out, name in part.attributed(text):
                if out not in seen:
                    seen.add(out)
                    result.append((out, name))
        return result

    def with_seed(self, seed: int) -> Perturbation:
        return replace(self, seed=seed, parts=tuple(p.with_seed(seed) for p in self.parts))

    def to_spec(self) -> dict[str, Any]:
        return {"name": self.name, "union": [p.to_spec() for p in self.parts], "seed": self.seed}


def _unused(text: str, rng: random.Random) -> list[str]:  # pragma: no cover - Chain/Union override __call__
    return []


def chain(*parts: Perturbation) -> Perturbation:
    """Apply the perturbations one after another: ``chain(p1, p2)(t)`` is p2 on each of p1's outputs."""
    if not parts:
        raise TypeError("chain() needs at least one perturbation")
    return Chain(name="+".join(p.name for p in parts), apply=_unused, seed=parts[0].seed, parts=tuple(parts))


def union(*parts: Perturbation) -> Perturbation:
    """All outputs of all the perturbations (each output attributed to the one that made it)."""
    if not parts:
        raise TypeError("union() needs at least one perturbation")
    return Union(name="|".join(p.name for p in parts), apply=_unused, seed=parts[0].seed, parts=tuple(parts))


def perturbation(name: str, apply: Apply, seed: int = 0, **params: Any) -> Perturbation:
    """Wrap ``apply(text, rng) -> list[str]`` as a Perturbation called ``name``."""
    return Perturbation(name=name, apply=apply, seed=seed, params=params)


def deterministic(name: str, fn: Callable[[str], list[str]], seed: int = 0, **params: Any) -> Perturbation:
    """Wrap a function that needs no randomness."""
    return Perturbation(name=name, apply=_IgnoreRng(fn), seed=seed, params=params)


@dataclass(frozen=True)
class _IgnoreRng:
    fn: Callable[[str], list[str]]

    def __call__(self, text: str, rng: random.Random) -> list[str]:
        return self.fn(text)
