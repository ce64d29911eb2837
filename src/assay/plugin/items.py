"""The pytest item that runs one declaration (or one layer / head of a sweep) against one model."""

from __future__ import annotations

import re
from typing import Any

import pytest
from _pytest.fixtures import TopRequest

from assay.declarations import AssayTest
from assay.errors import AssayError, AssayFailure
from assay.plugin.state import state


def capability_marker(capability: str) -> str:
    """``"Named entities"`` -> ``named_entities`` (the ``-m`` marker of a capability)."""
    slug = re.sub(r"[^0-9a-zA-Z]+", "_", capability).strip("_").lower()
    return slug if slug and not slug[0].isdigit() else f"cap_{slug}"


class AssayItem(pytest.Item):
    """Runs one declaration (or one layer / head of a sweep) against one model."""

    def __init__(self, *, decl: AssayTest, model_name: str, part: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.decl = decl
        self.model_name = model_name
        self.part = part
        self.assay_result: dict[str, Any] | None = None
        # Fixture support (the model comes from the overridable ``assay_model`` fixture).
        self.obj = None
        fm = self.session._fixturemanager
        self._fixtureinfo = fm.getfixtureinfo(node=self, func=None, cls=None)
        self.fixturenames = self._fixtureinfo.names_closure
        self.funcargs: dict[str, Any] = {}
        self._request = TopRequest(self, _ispytest=True)  # type: ignore[arg-type]
        for marker in (decl.test_type.lower(), capability_marker(decl.capability), "assay"):
            _ensure_marker(self.config, marker, decl.capability)
            self.add_marker(marker)

    @classmethod
    def create(cls, parent: pytest.Collector, decl: AssayTest, model_name: str, part: str | None = None) -> "AssayItem":
        suffix = f"{model_name}-{part}" if part else model_name
        name = f"{decl.name}[{suffix}]"
        # An explicit string node id lets pytest parse the ``[...]`` part as parameters, the way it
        # does for parametrized functions, so --lf and node-id selection match these items.
        return cls.from_parent(parent, name=name, nodeid=f"{parent.nodeid}::{name}", decl=decl,
                               model_name=model_name, part=part)

    @property
    def test_name(self) -> str:
        """The name reports and baselines match on: the declaration's, plus the layer / head of a sweep."""
        return f"{self.decl.name}[{self.part}]" if self.part else str(self.decl.name)

    def setup(self) -> None:
        self._request._fillfixtures()
        # Resolve the model here, so that a model that cannot load is a setup error of every item.
        self._request.getfixturevalue("assay_model")

    def runtest(self) -> None:
        state(self.config).run_item(self)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style=None):  # type: ignore[override]
        if isinstance(excinfo.value, (AssayFailure, AssayError)):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def _repr_failure_py(self, excinfo, style=None):  # type: ignore[override]
        # Setup errors (a model that cannot load) are rendered here rather than by repr_failure.
        if isinstance(excinfo.value, AssayError):
            return str(excinfo.value)
        return super()._repr_failure_py(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, f"{self.decl.test_type} {self.name}"


def _ensure_marker(config: pytest.Config, name: str, capability: str) -> None:
    known = config.stash.setdefault(_MARKERS, set())
    if name in known:
        return
    known.add(name)
    existing = {line.split(":")[0].split("(")[0].strip() for line in config.getini("markers")}
    if name not in existing:
        what = "assay tests" if name == "assay" else (
            f"assay {name.upper()} tests" if name in ("mft", "inv", "dir", "heads") else f"assay capability {capability}")
        config.addinivalue_line("markers", f"{name}: {what}")


_MARKERS = pytest.StashKey[set]()
