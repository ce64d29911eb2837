"""The pytest items that run one declaration (or one layer / head of a sweep) against one model.

A small hierarchy, as pytest-mypy's ``MypyItem`` / ``MypyFileItem`` / ``MypyStatusItem``:
:class:`AssayItem` holds what every item shares (the declaration, the model's name, fixtures, markers,
the two phases); :class:`BehaviourItem` (MFT / INV / DIR) and :class:`HeadCheckItem` (HEADS) say how
one is evaluated. Setup evaluates (cases, predictions, verdicts: anything that stops this is pytest's
ERROR, "could not judge"); the call judges (the failure rate against the threshold and the baseline:
pytest's FAILED, "judged and failed").
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from assay.declarations import AssayTest, BehaviourTest
from assay.errors import AssayError, AssayFailure
from assay.heads.declarations import HeadCheck
from assay.plugin.state import state


def capability_marker(capability: str) -> str:
    """``"Named entities"`` -> ``named_entities`` (the ``-m`` marker of a capability)."""
    slug = re.sub(r"[^0-9a-zA-Z]+", "_", capability).strip("_").lower()
    return slug if slug and not slug[0].isdigit() else f"cap_{slug}"


class AssayItem(pytest.Item):
    """Runs one declaration (or one layer / head of a sweep) against one model; subclasses say how it
    is evaluated (:meth:`evaluate`)."""

    fixturenames: list[str]  # the fixture closure, set by _fixture_request as pytest does for functions

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
        """The item of ``decl`` on model ``model_name`` (and sweep ``part``), of the class for its kind."""
        if cls is AssayItem:
            kind = HeadCheckItem if isinstance(decl, HeadCheck) else BehaviourItem
            return kind.create(parent, decl, model_name, part)
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
        model = self._request.getfixturevalue("assay_model")
        result, truncated = self.evaluate(model)
        state(self.config).keep_result(self, result, model, truncated)

    def evaluate(self, model: Any) -> tuple[Any, int | None]:
        """The item's verdicts and figures on ``model`` (a :class:`~assay.judge.TestResult`), and how
        many of its inputs were cut to the model's token limit (None where the model does not say)."""
        raise NotImplementedError

    def runtest(self) -> None:
        state(self.config).judge_item(self, self._request.getfixturevalue("assay_model"))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style=None):  # type: ignore[override]
        # Setup errors get the same one line: the plugin's pytest_runtest_makereport sets it.
        if isinstance(excinfo.value, (AssayFailure, AssayError)):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, f"{self.decl.test_type} {self.name}"


class BehaviourItem(AssayItem):
    """An MFT, INV or DIR test: its cases predicted together with every other test's inputs of the model."""

    decl: BehaviourTest

    def evaluate(self, model: Any) -> tuple[Any, int | None]:
        return state(self.config).evaluate_behaviour(self, model)


class HeadCheckItem(AssayItem):
    """A head check, or one layer / head of a sweep: :func:`assay.heads.run.run_head_check` with the
    model and the inputs (the check's own data, or the other tests' inputs of the same model)."""

    decl: HeadCheck

    def evaluate(self, model: Any) -> tuple[Any, int | None]:
        from assay.heads.run import run_head_check

        inputs, gold = self.decl.sample(None if self.decl.data is not None else self.suite_examples())
        result = run_head_check(self.decl, model, inputs, gold, model_name=self.model_name, part=self.part,
                                cache=state(self.config).head_cache)
        return result, None

    def suite_examples(self) -> list:
        """Every distinct input of the other tests (MFT / INV / DIR) of this model, MFT labels kept as gold."""
        seen: dict[Any, Any] = {}
        for other in self.session.items:
            if not isinstance(other, BehaviourItem) or other.model_name != self.model_name:
                continue
            try:
                cases = other.decl.cases()
            except Exception:  # that item reports its own error when it runs
                continue
            for case in cases:
                for j, x in enumerate(case.inputs):
                    labs = case.expected if j == 0 else None
                    if x not in seen or (seen[x] is None and labs):
                        seen[x] = labs
        return sorted(seen.items(), key=lambda kv: str(kv[0]))

    def runs_named_model(self) -> bool:
        """Whether its model is the one ``--assay-model`` names: ``assay_model`` resolves to the
        plugin's own fixture, not to an override in a conftest.py or test module."""
        defs = self._fixtureinfo.name2fixturedefs.get("assay_model") or ()  # type: ignore[attr-defined]  # _fixture_request
        func = getattr(defs[-1], "func", None) if defs else None
        return getattr(func, "__module__", None) == "assay.plugin" and getattr(func, "__name__", None) == "assay_model"


def _fixture_request(item: pytest.Item) -> pytest.FixtureRequest:
    """The one place assay uses pytest's private API. pytest has no public way to give fixtures to
    an item that is not a Python function (pytest-dev/pytest#2471); this is what its own ``Function``
    does: resolve the fixture closure of the item (as for a test function taking ``assay_model``, so
    the closure also says which ``assay_model`` fixture applies) and make a request for it. Tested on
    pytest 8.0 and the newest pytest in CI (.ci/run)."""
    from _pytest.fixtures import TopRequest

    info = item.session._fixturemanager.getfixtureinfo(node=item, func=_takes_the_model, cls=None)
    item._fixtureinfo = info  # type: ignore[attr-defined]  # read by pytest's --fixtures-per-test, setuponly
    item.fixturenames = info.names_closure  # type: ignore[attr-defined]  # a pytest.Item; AssayItem declares it
    return TopRequest(item, _ispytest=True)  # type: ignore[arg-type]


def _takes_the_model(assay_model: Any) -> None:
    """What an assay item's test function would look like: it takes the ``assay_model`` fixture."""


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
