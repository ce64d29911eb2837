"""The pytest item that runs one declaration (or one layer / head of a sweep) against one model.

Its setup evaluates (generates the cases, predicts, applies the expectation: anything that stops
this is pytest's ERROR, "could not judge"); its call judges (the failure rate against the threshold
and the baseline: pytest's FAILED, "judged and failed").
"""

from __future__ import annotations

import re
from typing import Any

import pytest

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
        self.assay_result: dict[str, Any] | None = None  # the JSON record, made in setup
        self.assay_evaluation: Any = None  # the TestResult it was made from
        # Fixture support (the model comes from the overridable ``assay_model`` fixture).
        self.obj = None
        self.funcargs: dict[str, Any] = {}
        self._request = _fixture_request(self)
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
        for name in self.fixturenames:
            self.funcargs[name] = self._request.getfixturevalue(name)
        # The model is resolved here, so a model that cannot load is a setup error of every item;
        # so is anything else that stops the item from being judged.
        state(self.config).evaluate_item(self, self._request.getfixturevalue("assay_model"))

    def runtest(self) -> None:
        state(self.config).judge_item(self, self._request.getfixturevalue("assay_model"))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style=None):  # type: ignore[override]
        # Setup errors get the same one line: the plugin's pytest_runtest_makereport sets it.
        if isinstance(excinfo.value, (AssayFailure, AssayError)):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, f"{self.decl.test_type} {self.name}"


def _fixture_request(item: pytest.Item) -> pytest.FixtureRequest:
    """The one place assay uses pytest's private API. pytest has no public way to give fixtures to
    an item that is not a Python function (pytest-dev/pytest#2471); this is what its own ``Function``
    does: resolve the fixture closure of the item and make a request for it. Tested on pytest 8.0
    and the newest pytest in CI (.ci/run)."""
    from _pytest.fixtures import TopRequest

    info = item.session._fixturemanager.getfixtureinfo(node=item, func=None, cls=None)
    item._fixtureinfo = info  # type: ignore[attr-defined]  # read by pytest's --fixtures-per-test, setuponly
    item.fixturenames = info.names_closure  # type: ignore[attr-defined]
    return TopRequest(item, _ispytest=True)  # type: ignore[arg-type]


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
