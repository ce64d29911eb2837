"""Report writing never fails on the values it reports (issue 11, item 9): NaN and infinities become
``null`` with their test in error, and the JSON, HTML and terminal writers take whatever a record holds."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_engine_fixtures import save_bert

from assay.report import build_report, write_report
from assay.report.load import read_report
from assay.report.html import render_html, write_html
from assay.report.terminal import summary_lines


@pytest.fixture
def nan_model_dir(tmp_path):
    """A tiny BERT whose classifier bias is NaN: every output is NaN."""
    from safetensors.torch import load_file, save_file

    folder = save_bert(tmp_path / "nan", seed=3)
    weights = load_file(folder / "model.safetensors")
    weights["classifier.bias"][:] = float("nan")
    save_file(weights, folder / "model.safetensors", metadata={"format": "pt"})
    return folder


@pytest.mark.slow
def test_nan_head_importance_keeps_every_report(pytester, nan_model_dir):
    pytester.makepyfile(test_suite='''
from assay.head_checks import importance
test_importance = importance(["the flight was great", "bad food", "late again"], fraction=0.25, min_agreement=0.0)
''')
    result = pytester.runpytest_subprocess(f"--assay-model=nan={nan_model_dir}", "--assay-no-cache",
                                           "--assay-report=r.json", "--assay-html=r.html", "--junitxml=r.xml",
                                           "-p", "no:cacheprovider")
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    result.assert_outcomes(errors=1)
    report = json.loads((pytester.path / "r.json").read_text())  # strict JSON: no NaN token
    (test,) = report["tests"]
    assert test["outcome"] == "error" and ("NaN" in test["error"] or "not finite" in test["error"]), test["error"]
    print(test["error"])
    assert report["summary"]["errors"] == 1 and report["complete"] is True
    assert "test_importance" in (pytester.path / "r.html").read_text(encoding="utf-8")


def record(**values) -> dict:
    base = {"nodeid": "t.py::x[m]", "name": "x", "type": "HEADS", "capability": "Heads", "model": "m",
            "outcome": "passed", "passed": True, "error": None, "failure_rate": 0.1, "failed": 1, "cases": 10,
            "max_failure_rate": 0.5, "ci_low": 0.0, "ci_high": 0.4, "seed": 0, "outcomes": "F" + "P" * 9,
            "failing_cases": [], "by_perturbation": {}, "extra": {}}
    return {**base, **values}


def test_non_finite_values_become_null_and_put_their_test_in_error(tmp_path):
    tests = [record(extra={"importance": [[0.1, math.nan], [math.inf, 0.2]]}),
             record(nodeid="t.py::y[m]", name="y", failure_rate=-math.inf, ci_high=math.nan),
             record(nodeid="t.py::z[m]", name="z")]
    report = build_report(tests, seed=0)
    path = tmp_path / "r.json"
    write_report(report, path)
    data = json.loads(path.read_text(), parse_constant=lambda c: pytest.fail(f"{c} written to the JSON"))
    by_name = {t["name"]: t for t in data["tests"]}
    assert by_name["x"]["extra"]["importance"] == [[0.1, None], [None, 0.2]]
    assert by_name["x"]["outcome"] == "error" and "extra.importance[0][1]" in by_name["x"]["error"]
    assert by_name["y"]["failure_rate"] is None and by_name["y"]["outcome"] == "error"
    assert "failure_rate" in by_name["y"]["error"] and "ci_high" in by_name["y"]["error"]
    assert by_name["z"]["outcome"] == "passed"
    assert data["summary"]["errors"] == 2 and data["summary"]["passed"] == 1
    write_html(data, tmp_path / "r.html")
    assert summary_lines(data["tests"], width=80)


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
FIELDS = ("name", "type", "capability", "model", "outcome", "error", "failure_rate", "failed", "cases", "ci_low",
          "ci_high", "max_failure_rate", "seed", "outcomes", "failing_cases", "by_perturbation", "extra",
          "description", "part", "baseline", "labels", "not_applicable", "total_cases", "passed")


@settings(max_examples=150, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from(FIELDS), JSONISH, max_size=8), min_size=1, max_size=3))
def test_writers_take_whatever_a_record_holds(tmp_path_factory, overrides):
    folder = tmp_path_factory.mktemp("w")
    tests = [{**record(nodeid=f"t.py::x{i}[m]", name=f"x{i}"), **o} for i, o in enumerate(overrides)]
    report = build_report(tests, seed=0)
    write_report(report, folder / "r.json")
    json.loads((folder / "r.json").read_text(), parse_constant=lambda c: pytest.fail(f"{c} in the JSON"))
    read_report(folder / "r.json")  # what assay writes, assay reads back: it fits the record type
    page = render_html(report)
    assert page.startswith("<!DOCTYPE html>")
    summary_lines(report["tests"], width=80)
