"""A pytest plugin for benchmarks/suite_backends.py: where a suite run's time goes.

    PYTHONPATH=benchmarks ASSAY_TIMING_OUT=timing.json pytest suites/ -p assay_timing ...

Writes wall and CPU seconds (this process, all threads) of: the whole session, collection, case
generation (templates and perturbations: ``AssayTest.cases``), plain predictions
(``HFClassifier.predict_proba`` without a head mask: what the prediction backend runs) and the
tokenising inside them, predictions under a head mask, and the HEADS items (head checks, always on
PyTorch). The rest of the session (judging, explanations, reports, pytest itself) is what is left.
"""

from __future__ import annotations

import functools
import json
import os
import time

import pytest

TOTALS: dict[str, list[float]] = {}
_ACTIVE: set[str] = set()
_STARTED: dict[str, tuple[float, float]] = {}


def _add(name: str, wall: float, cpu: float) -> None:
    total = TOTALS.setdefault(name, [0.0, 0.0])
    total[0] += wall
    total[1] += cpu


def _timed(name: str, function, when=lambda *a, **k: True):
    """Wrap ``function`` so that its (outermost) calls add to ``TOTALS[name]``."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        if name in _ACTIVE or not when(*args, **kwargs):
            return function(*args, **kwargs)
        _ACTIVE.add(name)
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            _add(name, time.perf_counter() - wall, time.process_time() - cpu)
            _ACTIVE.discard(name)

    return wrapper


def _plain(self, inputs, head_mask=None) -> bool:
    return head_mask is None


def _masked(self, inputs, head_mask=None) -> bool:
    return head_mask is not None


def pytest_configure(config: pytest.Config) -> None:
    from assay.declarations import AssayTest
    from assay.engine.classifier import HFClassifier

    AssayTest.cases = _timed("cases", AssayTest.cases)
    predict = HFClassifier.predict_proba
    HFClassifier.predict_proba = _timed("plain_predictions", _timed("masked_predictions", predict, _masked), _plain)
    HFClassifier.encode = _timed("tokenising", HFClassifier.encode)
    _STARTED["session"] = (time.perf_counter(), time.process_time())


def pytest_collection_finish(session: pytest.Session) -> None:
    wall, cpu = _STARTED["session"]
    _add("collection", time.perf_counter() - wall, time.process_time() - cpu)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):
    decl = getattr(item, "decl", None)
    heads = getattr(decl, "test_type", None) == "HEADS"
    wall, cpu = time.perf_counter(), time.process_time()
    yield
    if heads:
        _add("heads_items", time.perf_counter() - wall, time.process_time() - cpu)


def pytest_unconfigure(config: pytest.Config) -> None:
    target = os.environ.get("ASSAY_TIMING_OUT")
    if not target or "session" not in _STARTED:
        return
    wall, cpu = _STARTED["session"]
    _add("session", time.perf_counter() - wall, time.process_time() - cpu)
    with open(target, "w", encoding="utf-8") as handle:
        json.dump({name: {"wall": w, "cpu": c} for name, (w, c) in TOTALS.items()}, handle, indent=1)
