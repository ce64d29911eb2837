"""--assay-baseline in real pytest sessions: regressions fail, equal models pass, bad files are errors."""

import json

import pytest

MODEL = '''
import numpy as np, pytest

class Model:
    labels = ["negative", "positive"]
    def __init__(self, broken_negation):
        self.broken_negation = broken_negation
    def predict_proba(self, inputs):
        rows = []
        for t in inputs:
            negative = ("bad" in t) != (" not " in t and not self.broken_negation)
            rows.append([0.9, 0.1] if negative else [0.1, 0.9])
        return np.array(rows)

@pytest.fixture(scope="session")
def assay_model():
    return Model(broken_negation={broken})
'''
SUITE = '''
from assay import MFT, template
WORDS = ["good", "great", "fine", "nice", "lovely", "superb", "excellent", "pleasant", "perfect", "brilliant"]
test_negation = MFT(template("the {thing} was not {w}", thing=["flight", "crew", "seat"], w=WORDS), "negative",
                    max_failure_rate=1.0)
test_plain = MFT(template("the {thing} was {w}", thing=["flight", "crew", "seat"], w=WORDS), "positive")
'''


@pytest.fixture
def run(pytester):
    pytester.makepyfile(test_suite=SUITE)

    def run(broken, *args):
        pytester.makeconftest(MODEL.format(broken=broken))
        return pytester.runpytest(*args)

    return run


def test_regression_is_caught_and_an_equal_model_passes(run, pytester):
    run(False, "--assay-report=release.json").assert_outcomes(passed=2)
    same = run(False, "--assay-baseline=release.json", "--assay-report=same.json")
    same.assert_outcomes(passed=2)
    statuses = {t["name"]: t["baseline"]["status"] for t in json.loads((pytester.path / "same.json").read_text())["tests"]}
    assert statuses == {"test_negation": "unchanged", "test_plain": "unchanged"}

    worse = run(True, "--assay-baseline=release.json", "--assay-report=worse.json")
    worse.assert_outcomes(passed=1, failed=1)
    worse.stdout.fnmatch_lines(["*regressed against the baseline*"])
    tests = {t["name"]: t for t in json.loads((pytester.path / "worse.json").read_text())["tests"]}
    # The failure rate is within its own threshold (1.0): only the baseline makes it fail.
    assert tests["test_negation"]["failure_rate"] == 1.0 and tests["test_negation"]["outcome"] == "failed"
    assert tests["test_negation"]["baseline"]["status"] == "regressed"
    assert tests["test_negation"]["baseline"]["p_value"] < 1e-6

    better = run(False, "--assay-baseline=worse.json")
    better.assert_outcomes(passed=2)


def test_changed_cases_are_not_comparable(run, pytester):
    run(False, "--assay-report=release.json").assert_outcomes(passed=2)
    pytester.makepyfile(test_suite=SUITE.replace('"brilliant"', '"brilliant", "fab"'))
    run(True, "--assay-baseline=release.json", "--assay-report=new.json")
    tests = {t["name"]: t for t in json.loads((pytester.path / "new.json").read_text())["tests"]}
    assert tests["test_negation"]["baseline"]["status"] == "not_comparable"
    assert "fingerprint" in tests["test_negation"]["baseline"]["reason"]


@pytest.mark.parametrize("content, message", [
    (None, "*does not exist*"),
    ('{"schema": "assay-report/1", "tests": [', "*not valid JSON*"),
    ('{"schema": "assay-report/9", "tests": []}', "*schema*"),
])
def test_unusable_baseline_is_one_clear_error(run, pytester, content, message):
    if content is not None:
        (pytester.path / "base.json").write_text(content)
    result = run(False, "--assay-baseline=base.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: *base.json*"])
    assert "Traceback" not in result.stderr.str()


def test_baseline_from_another_suite_fails_the_run(run, pytester):
    other = {"schema": "assay-report/1", "assay_version": "0.1.0", "created": "x", "seed": 0, "complete": True,
             "models": [],
             "summary": {}, "tests": [{"nodeid": "o.py::x[m]", "name": "test_other", "model": "demo", "type": "MFT",
                                       "capability": "C", "outcome": "passed", "failure_rate": 0.0, "failed": 0,
                                       "cases": 3, "fingerprint": "f", "outcomes": "PPP"}]}
    (pytester.path / "other.json").write_text(json.dumps(other))
    result = run(False, "--assay-baseline=other.json")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*shares no test with this run*"])
