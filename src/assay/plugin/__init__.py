"""The pytest plugin (entry point ``assay.plugin``): thin hooks that hand over to
:class:`assay.plugin.session.AssaySession`.

The session is built in ``pytest_configure`` and kept in ``config.stash``; on the controller (or the
only process) a :class:`~assay.plugin.reporting.Reporter` is registered that gathers the records and
writes the reports, and both are removed again in ``pytest_unconfigure`` (as pytest's junitxml does).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assay.declarations import AssayTest
from assay.errors import AssayError, ModelUnavailable
from assay.plugin.collect import AssaySuiteFile, items_for
from assay.plugin.items import AssayItem
from assay.plugin.options import OPTIONS, AssayOptions, add_options
from assay.plugin.reporting import Reporter, attach
from assay.plugin.session import AssaySession
from assay.plugin.state import SESSION, state
from assay.yaml_suite import is_suite_file

_REPORTER = "assay-reporter"


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    for name, what in (("assay", "assay behavioral tests"), ("mft", "assay MFT tests"), ("inv", "assay INV tests"),
                       ("dir", "assay DIR tests"), ("heads", "assay attention-head checks")):
        config.addinivalue_line("markers", f"{name}: {what}")
    options = AssayOptions.from_config(config)
    config.stash[OPTIONS] = options
    session = AssaySession(config, options)
    config.stash[SESSION] = session
    if not session.is_worker:
        config.pluginmanager.register(Reporter(config, options), _REPORTER)


def pytest_unconfigure(config: pytest.Config) -> None:
    reporter = config.pluginmanager.get_plugin(_REPORTER)
    if reporter is not None:
        config.pluginmanager.unregister(reporter)
    if SESSION in config.stash:
        del config.stash[SESSION]
    if OPTIONS in config.stash:
        del config.stash[OPTIONS]


def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: Any):
    if isinstance(obj, AssayTest) and name.startswith("test"):
        decl = obj.named(obj.name or name)
        return items_for(collector, decl, state(collector.config).options.suite_labels)
    return None


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if is_suite_file(file_path):
        return AssaySuiteFile.from_parent(parent, path=file_path)
    return None


@pytest.fixture(scope="session")
def assay_models(pytestconfig: pytest.Config):
    """The models named by ``--assay-model`` (or the demo model), each loaded once per process."""
    return state(pytestconfig).registry


@pytest.fixture
def assay_model(request: pytest.FixtureRequest, assay_models):
    """The model an assay item runs against. Override it in a conftest.py to test your own object
    (anything with ``labels`` and ``predict_proba(inputs) -> (n, k) array``)."""
    name = getattr(request.node, "model_name", None)
    if name is None:
        name = next(iter(assay_models.specs))
    try:
        return assay_models.get(name)
    except AssayError as exc:
        raise ModelUnavailable(str(exc)) from None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if isinstance(item, AssayItem):
        attach(item, call, report)
    return report
