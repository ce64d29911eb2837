"""Real pytest sessions (pytester) over example suites, with the JUnit and JSON reports parsed back."""

import json
import xml.etree.ElementTree as ET

import pytest

FAKE_MODEL = '''
import numpy as np, pytest

class KeywordModel:
    """'not' -> positive (a cue-word failure), 'bad' -> negative, '?' -> NaN, otherwise positive."""
    labels = ["negative", "neutral", "positive"]
    def __init__(self):
        self.calls = []
    def predict_proba(self, inputs):
        self.calls.append(list(inputs))
        rows = []
        for x in inputs:
            t = x if isinstance(x, str) else " ".join(x)
            if "?" in t: rows.append([np.nan, 0, 0])
            elif "not" in t: rows.append([0.1, 0.2, 0.7])
            elif "bad" in t: rows.append([0.8, 0.1, 0.1])
            elif "meh" in t: rows.append([0.2, 0.6, 0.2])
            else: rows.append([0.1, 0.1, 0.8])
        return np.array(rows)

MODEL = KeywordModel()

@pytest.fixture(scope="session")
def assay_model():
    return MODEL
'''

SUITE = '''
from assay import MFT, INV, DIR, template, expect

test_positive = MFT(template("The {thing} was {adj}.", thing=["flight", "seat"], adj=["good", "great"]),
                    label="positive", capability="Vocabulary")
test_negated = MFT(template("The {thing} was not {adj}.", thing=["flight", "seat"], adj=["good", "great"]),
                   label="negative", capability="Negation", max_failure_rate=0.05)
test_meh = MFT(["meh flight", "good flight", "bad flight", "meh seat"], label="neutral",
               capability="Vocabulary", max_failure_rate=0.6)
test_shout = INV(["good flight", "bad seat", "meh"], lambda s: [s.upper(), s + " not"], capability="Robustness",
                 max_failure_rate=0.7)
test_dir = DIR(pairs=[("good", "not good"), ("good", "bad")], expect=expect.moves_away_from("positive"),
               capability="Negation", max_failure_rate=0.5)
'''


@pytest.fixture
def suite(pytester):
    pytester.makeconftest(FAKE_MODEL)
    pytester.makepyfile(test_suite=SUITE)
    return pytester


def junit_properties(path):
    root = ET.parse(path).getroot()
    out = {}
    for case in root.iter("testcase"):
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        out[case.get("name")] = (props, [c.tag for c in case])
    return out


def test_failure_rates_in_junit_json_and_terminal(suite):
    result = suite.runpytest("--junitxml=r.xml", "--assay-report=r.json", "-o", "junit_family=xunit2")
    result.assert_outcomes(passed=4, failed=1)
    props = junit_properties(suite.path / "r.xml")
    assert set(props) == {"test_positive[demo]", "test_negated[demo]", "test_meh[demo]", "test_shout[demo]",
                          "test_dir[demo]"}
    for name, (p, _) in props.items():
        assert set(p) == {"test_type", "capability", "failure_rate", "failed", "cases", "ci_low", "ci_high",
                          "max_failure_rate", "seed", "model"}, name
    negated, children = props["test_negated[demo]"]
    assert (negated["test_type"], negated["failed"], negated["cases"], float(negated["failure_rate"])) == \
        ("MFT", "4", "4", 1.0)
    assert "failure" in children
    # 2 of 4 meh inputs are neutral; INV: 'bad seat' -> 'bad seat not' flips, 'meh' -> 'meh not' flips.
    assert float(props["test_meh[demo]"][0]["failure_rate"]) == 0.5
    assert props["test_shout[demo]"][0]["failed"] == "2"
    report = json.loads((suite.path / "r.json").read_text())
    assert report["schema"] == "assay-report/1" and report["summary"]["failed"] == 1
    by_name = {t["name"]: t for t in report["tests"]}
    shout = by_name["test_shout"]
    assert shout["outcomes"] == "PFF" and shout["by_perturbation"]["<lambda>"]["cases"] == 6
    assert [c["inputs"] for c in by_name["test_negated"]["failing_cases"]][0] == ["The flight was not good."]
    assert by_name["test_negated"]["ci_low"] > 0.4
    text = result.stdout.str()
    assert "MFT Negation: 100% failed (4/4), allowed 5%" in text
    assert "'The flight was not good.': expected negative, predicted positive" in text
    assert "assay summary" in text and "Negation" in text
    summary = text[text.index("assay summary"):text.index("assay: wrote")]
    assert all(len(line) <= 100 for line in summary.splitlines())


def test_one_prediction_call_for_all_tests_and_no_duplicates(suite):
    suite.makeconftest(FAKE_MODEL + '''
def pytest_sessionfinish(session):
    calls = MODEL.calls
    flat = [x for c in calls for x in c]
    print(f"\\nCALLS={len(calls)} INPUTS={len(flat)} UNIQUE={len(set(flat))}")
''')
    result = suite.runpytest("-s")
    result.stdout.fnmatch_lines(["*CALLS=1 INPUTS=* UNIQUE=*"])
    line = next(l for l in result.stdout.lines if "CALLS=" in l)
    inputs, unique = (int(part.split("=")[1]) for part in line.split()[1:])
    assert inputs == unique


def test_selection_k_m_collect_only_x_and_lf(suite):
    result = suite.runpytest("--collect-only", "-q")
    result.stdout.fnmatch_lines(["test_suite.py::test_positive[[]demo[]]", "test_suite.py::test_dir[[]demo[]]"])
    suite.runpytest("-k", "meh").assert_outcomes(passed=1)
    suite.runpytest("-m", "negation").assert_outcomes(passed=1, failed=1)
    suite.runpytest("-m", "inv or dir").assert_outcomes(passed=2)
    suite.runpytest("-m", "mft and not negation").assert_outcomes(passed=2)
    suite.runpytest("-x").assert_outcomes(passed=1, failed=1)
    result = suite.runpytest("--lf")
    result.assert_outcomes(failed=1)
    result = suite.runpytest("--strict-markers", "-m", "vocabulary")
    result.assert_outcomes(passed=2)


def test_several_models_make_one_item_each(pytester):
    pytester.makeconftest(FAKE_MODEL)
    pytester.makepyfile(test_suite="from assay import MFT\ntest_a = MFT(['good'], 'positive')\n")
    result = pytester.runpytest("--collect-only", "-q", "--assay-model", "a=x", "--assay-model", "./ckpt/b")
    result.stdout.fnmatch_lines(["test_suite.py::test_a[[]a[]]", "test_suite.py::test_a[[]b[]]"])


@pytest.mark.parametrize("source, message", [
    ("test_x = MFT(template('{nope}'), 'positive')", "test_x: template slot {nope} has no word list"),
    ("test_x = MFT(template('{w}', w=[]), 'positive')", "test_x: template slot {w} has an empty word list"),
    ("test_x = MFT(['a'], 'positive', max_failure_rate=5)", "test_x: max_failure_rate=5 must be a number in [[]0, 1[]]"),
    ("test_x = MFT(template('{w1} {w2}', w=['a']), 'positive')", "test_x: template * expands to nothing*"),
])
def test_python_declaration_errors_are_one_line_collection_errors(pytester, source, message):
    pytester.makeconftest(FAKE_MODEL)
    path = pytester.makepyfile(test_bad="from assay import MFT, template\n" + source + "\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines([f"{path}::{message}*"])
    assert "Traceback" not in result.stdout.str()


def test_yaml_suite_collects_and_reports_its_errors(pytester):
    pytester.makeconftest(FAKE_MODEL)
    pytester.path.joinpath("ok.assay.yaml").write_text('''
labels: [negative, neutral, positive]
lexicons:
  thing: [flight, seat]
tests:
  - name: yaml_positive
    type: MFT
    capability: Vocabulary
    template: "{a:thing} was {adj}"
    slots: {adj: [good, great]}
    label: positive
  - name: yaml_wrong_label
    type: MFT
    template: "{thing}"
    label: happy
  - name: yaml_dir
    type: DIR
    pairs: [[good, not good]]
    expect: {moves_away_from: {label: positive}}
''')
    pytester.path.joinpath("broken.assay.yaml").write_text("tests: [\n  - name: x\n")
    result = pytester.runpytest("-q")
    out = result.stdout.str()
    assert "ok.assay.yaml::yaml_wrong_label: label 'happy' is not one of the suite's labels" in out
    assert "broken.assay.yaml: YAML does not parse at line" in out
    result = pytester.runpytest("-q", "--continue-on-collection-errors", "-k", "yaml_positive or yaml_dir")
    result.assert_outcomes(passed=2, errors=2)


def test_nan_or_wrong_shape_errors_that_item_only(pytester):
    pytester.makeconftest(FAKE_MODEL)
    pytester.makepyfile(test_suite='''
from assay import MFT
test_ok = MFT(["good"], "positive")
test_nan = MFT(["good?"], "positive")
''')
    result = pytester.runpytest("--assay-report=r.json")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed") == 1 and (outcomes.get("failed", 0) + outcomes.get("errors", 0)) == 1
    result.stdout.fnmatch_lines(["*returned NaN or infinite probabilities for 'good?'*"])
    report = json.loads((pytester.path / "r.json").read_text())
    nan = next(t for t in report["tests"] if t["name"] == "test_nan")
    assert nan["outcome"] == "error" and "NaN" in nan["error"]


def test_wrong_shape_is_a_clear_error(pytester):
    pytester.makeconftest('''
import numpy as np, pytest
class Bad:
    labels = ["negative", "positive"]
    def predict_proba(self, inputs):
        return np.ones((len(inputs), 3)) / 3
@pytest.fixture(scope="session")
def assay_model():
    return Bad()
''')
    pytester.makepyfile(test_suite="from assay import MFT\ntest_a = MFT(['good'], 'positive')\ntest_b = MFT(['bad'], 'negative')\n")
    result = pytester.runpytest()
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*predict_proba returned shape (2, 3), expected (2, 2)*"])
    assert "passed" not in result.stdout.lines[-1]


def test_no_applicable_case_is_an_error_not_a_pass(pytester):
    pytester.makeconftest(FAKE_MODEL)
    pytester.makepyfile(test_suite="from assay import INV\ntest_inv = INV(['good', 'fine'], lambda s: [])\n")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)  # could not be judged: pytest's ERROR
    result.stdout.fnmatch_lines(["*none of its 2 cases is applicable*cannot pass*"])


def test_unknown_model_label_at_run_time(pytester):
    pytester.makeconftest(FAKE_MODEL)
    pytester.makepyfile(test_suite="from assay import MFT\ntest_a = MFT(['good'], 'happy')\n")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*label 'happy' is not one of the model's labels*"])


@pytest.mark.slow  # pytest-xdist workers
def test_xdist_report_covers_every_item(suite):
    pytest.importorskip("xdist")
    result = suite.runpytest("-n", "2", "--assay-report=r.json", "--junitxml=r.xml")
    result.assert_outcomes(passed=4, failed=1)
    report = json.loads((suite.path / "r.json").read_text())
    assert len(report["tests"]) == 5
    assert {t["name"] for t in report["tests"]} == {"test_positive", "test_negated", "test_meh", "test_shout", "test_dir"}
    assert "assay summary" in result.stdout.str()
    assert len(junit_properties(suite.path / "r.xml")) == 5


def test_session_seed_shifts_sampling_and_is_reported(pytester):
    pytester.makeconftest(FAKE_MODEL)
    pytester.makepyfile(test_suite='''
from assay import MFT, template
test_s = MFT(template("{x} {y}", x=list("abcdefgh"), y=list("abcdefgh")), "positive", n=5)
''')
    reports = []
    for seed in ("0", "7"):
        pytester.runpytest("--assay-seed", seed, f"--assay-report=r{seed}.json").assert_outcomes(passed=1)
        reports.append(json.loads((pytester.path / f"r{seed}.json").read_text()))
    assert [r["seed"] for r in reports] == [0, 7]
    assert reports[1]["tests"][0]["seed"] == 7
    assert reports[0]["tests"][0]["fingerprint"] != reports[1]["tests"][0]["fingerprint"]


def test_several_models_side_by_side(pytester):
    pytester.makeconftest(FAKE_MODEL + '''
class Pessimist(KeywordModel):
    def predict_proba(self, inputs):
        return np.tile([0.8, 0.1, 0.1], (len(inputs), 1))

@pytest.fixture(scope="session")
def models():
    return {"keyword": KeywordModel(), "pessimist": Pessimist()}

@pytest.fixture
def assay_model(request, models):
    return models[request.node.model_name]
''')
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest("--assay-model=keyword=a", "--assay-model=pessimist=b", "--assay-report=r.json")
    result.assert_outcomes(passed=6, failed=3, errors=1)  # the pessimist's DIR has no applicable case
    text = result.stdout.str()
    block = text[text.index("models side by side"):].splitlines()
    assert "keyword" in block[1] and "pessimist" in block[1]
    negation = next(line for line in block if line.startswith("Negation MFT"))
    assert "100.0% 1/1" in negation and "0.0% 0/1" in negation
    report = json.loads((pytester.path / "r.json").read_text())
    assert sorted({t["model"] for t in report["tests"]}) == ["keyword", "pessimist"]
    assert sorted(m["name"] for m in report["models"]) == ["keyword", "pessimist"]


def test_hypothesis_search_reports_a_minimal_failing_perturbation(pytester):
    pytester.makeconftest(FAKE_MODEL)
    pytester.makepyfile(test_suite='''
from assay import INV
test_case = INV(["the seat was bad", "fine"], lambda s: [s + "."], search=2, search_kinds=["case"],
                max_failure_rate=0.0)
''')
    runs = []
    for _ in range(2):
        result = pytester.runpytest("--assay-report=r.json")
        result.assert_outcomes(passed=1)  # the fixed sample passes: only the search finds a failure
        runs.append(json.loads((pytester.path / "r.json").read_text())["tests"][0]["extra"]["search"])
    assert runs[0] == runs[1]  # deterministic
    (found,) = runs[0]  # "fine" has no failing case edit for this model
    assert found["original"] == "the seat was bad" and found["original_label"] == "negative"
    assert found["found_label"] == "positive"
    # Only the case changed, and the cue word lost its lower-case form.
    assert found["found"].lower() == "the seat was bad" and "bad" not in found["found"]


def test_html_report_is_written_by_the_plugin(suite):
    result = suite.runpytest("--assay-html=out/report.html")
    result.assert_outcomes(passed=4, failed=1)
    page = (suite.path / "out" / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") or page.lstrip().lower().startswith("<!doctype html>")
    for name in ("test_negated", "test_shout", "test_dir"):
        assert name in page
    assert "The flight was not good." in page  # a failing example
    result.stdout.fnmatch_lines(["*wrote HTML report out/report.html*"])
