"""Collection: declarations (Python module attributes and YAML suite entries) become pytest items.

A declaration that fails validation becomes a collector whose collection raises a one-line error; a
YAML entry whose optional data is absent becomes a skipped item.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Iterator, Sequence

import pytest

from assay.declarations import AssayTest
from assay.errors import AssayError, DeclarationError, OptionalDataMissing
from assay.plugin.items import AssayItem, HeadCheckItem
from assay.plugin.models import layout
from assay.plugin.state import state
from assay.yaml_suite import read_suite


def items_for(parent: pytest.Collector, decl: AssayTest, known_labels: Sequence[str] | None) -> list[pytest.Item | pytest.Collector]:
    """Validate ``decl`` and return its items (one per model, or per layer / head for sweeps)."""
    from assay.mlm.binding import bind

    st = state(parent.config)
    try:
        decl = bind(decl, st.mlm, st.mlm_options)  # {mask} templates and masked-LM perturbations
        decl.validate(known_labels)
        _claim_name(parent, str(decl.name))
    except AssayError as exc:
        return [InvalidDeclaration.from_parent(parent, name=decl.name or "?", error=exc)]
    if st.seed:
        decl = dataclasses.replace(decl, seed=decl.seed + st.seed)
    out: list[pytest.Item | pytest.Collector] = []
    for spec in st.specs:
        item = AssayItem.create(parent, decl, spec.name)
        if isinstance(item, HeadCheckItem):
            # A sweep makes an item per layer / head of the model that runs, where that is known now: the
            # model --assay-model names (not an assay_model override), with a config that gives its layout.
            parts = item.decl.parts(layout(spec) if item.runs_named_model() else None)
            if parts != [None]:
                out.extend(AssayItem.create(parent, decl, spec.name, part) for part in parts)
                continue
        out.append(item)
    return out


_NAMES = pytest.StashKey[set]()


def _claim_name(parent: pytest.Collector, name: str) -> None:
    """Names key the reports and the baseline: one file may not use a name twice."""
    file = parent.getparent(pytest.File)  # type: ignore[type-abstract]  # getparent takes any node class; pytest's stub wants a concrete one
    module = file if file is not None else parent
    names = module.stash.setdefault(_NAMES, set())
    if name in names:
        raise DeclarationError(f"two tests in this file are named {name!r}: rename one (the reports and the "
                               "baseline match tests by name)")
    names.add(name)


class AssaySuiteFile(pytest.File):
    """A YAML suite: each entry under ``tests:`` becomes items like a Python declaration."""

    def collect(self) -> Iterator[pytest.Item | pytest.Collector]:
        document = read_suite(self.path)
        if document is None:
            return
        labels = document.labels or state(self.config).options.suite_labels
        for position in range(1, len(document.entries) + 1):
            name = document.entry_name(position)
            try:
                decl = document.declaration(position)
            except OptionalDataMissing as exc:
                yield SkippedDeclaration.from_parent(self, name=name, reason=str(exc))
                continue
            except AssayError as exc:
                yield InvalidDeclaration.from_parent(self, name=name, error=exc)
                continue
            yield from items_for(self, decl, labels)

    def repr_failure(self, excinfo, style=None):  # type: ignore[override]
        if isinstance(excinfo.value, AssayError):
            return f"{self.path}: {excinfo.value}"
        return super().repr_failure(excinfo)


class InvalidDeclaration(pytest.Collector):
    """Stands for a declaration that failed validation: collecting it is a one-line error."""

    def __init__(self, *, error: AssayError, **kwargs: Any):
        super().__init__(**kwargs)
        self.error = error

    def collect(self) -> Iterator[pytest.Item]:
        raise self.error

    def repr_failure(self, excinfo, style=None):  # type: ignore[override]
        if isinstance(excinfo.value, AssayError):
            return f"{self.path}::{self.name}: {excinfo.value}"
        return super().repr_failure(excinfo)


class SkippedDeclaration(pytest.Item):
    """A declaration whose optional data is absent on this machine: reported as skipped."""

    def __init__(self, *, reason: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.reason = reason

    def runtest(self) -> None:
        pytest.skip(self.reason)

    def reportinfo(self):
        return self.path, None, self.name

