"""Reports a gate can trust (issue 11): one vocabulary, every error counted, incomplete runs said so,
reports validated on load, values that cannot be written never lose the report.

Real pytest sessions (pytester) with JUnit, JSON and HTML parsed back.
"""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET

import pytest
from test_plugin import FAKE_MODEL, SUITE

from assay.cli import main

STOP = '''
def test_stop():
    raise KeyboardInterrupt  # what Ctrl-C does in the middle of a run
'''


def compare(*argv) -> tuple[int, str, str]:
    """``assay compare ARGV`` in this process, through the command's entry and error handler."""
    out, err = io.StringIO(), io.StringIO()
    code = main(["compare", *(str(a) for a in argv)], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def junit_counts(path) -> dict[str, int]:
    root = ET.parse(path).getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    return {k: int(suite.get(k)) for k in ("tests", "errors", "failures", "skipped")}


def junit_outcomes(path) -> dict[str, str]:
    out = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        kinds = [c.tag for c in case if c.tag in ("failure", "error", "skipped")]
        out[case.get("name")] = kinds[0] if kinds else "passed"
    return out


def html_cards(path) -> dict[str, int]:
    page = path.read_text(encoding="utf-8")
    return {k: int(v) for v, k in re.findall(r'<div class="card[^"]*"><b>(\d+)</b><span>([a-z ]+)</span>', page)}


# ------------------------------------------------------------------------------ item 11: one vocabulary


MIXED = '''
import pytest
from assay import MFT, INV

test_good = MFT(["good flight"], "positive", capability="Vocabulary")
test_bad = MFT(["not good"], "negative", capability="Negation")            # judged: fails
test_nan = MFT(["good?"], "positive", capability="Vocabulary")             # NaN: cannot be judged
test_empty = INV(["good", "fine"], lambda s: [], capability="Robustness")  # no applicable case
test_label = MFT(["good"], "happy", capability="Vocabulary")               # label the model lacks
'''


def test_could_not_judge_is_error_and_judged_failure_is_failed_everywhere(pytester):
    pytester.makeconftest(FAKE_MODEL)
    pytester.makepyfile(test_mixed=MIXED)
    result = pytester.runpytest("--junitxml=r.xml", "--assay-report=r.json", "--assay-html=r.html")
    result.assert_outcomes(passed=1, failed=1, errors=3)
    text = result.stdout.str()
    for name in ("test_nan", "test_empty", "test_label"):
        assert re.search(rf"ERROR .*{name}\[demo\]", text), name
    assert re.search(r"FAILED .*test_bad\[demo\]", text)
    junit = junit_outcomes(pytester.path / "r.xml")
    assert junit == {"test_good[demo]": "passed", "test_bad[demo]": "failure", "test_nan[demo]": "error",
                     "test_empty[demo]": "error", "test_label[demo]": "error"}
    report = json.loads((pytester.path / "r.json").read_text())
    outcomes = {t["name"]: t["outcome"] for t in report["tests"]}
    assert outcomes == {"test_good": "passed", "test_bad": "failed", "test_nan": "error", "test_empty": "error",
                        "test_label": "error"}
    assert report["summary"] == {"tests": 5, "passed": 1, "failed": 1, "errors": 3, "skipped": 0}
    assert junit_counts(pytester.path / "r.xml") == {"tests": 5, "errors": 3, "failures": 1, "skipped": 0}
    cards = html_cards(pytester.path / "r.html")
    assert (cards["passed"], cards["failed"], cards["errors"]) == (1, 1, 3)
    summary = text[text.index("assay summary"):]
    assert "1 passed, 1 failed, 3 errors" in summary
    # The errors keep their one-line messages, not a traceback.
    assert "Traceback" not in text
    result.stdout.fnmatch_lines(["*none of its 2 cases is applicable*"])


# ------------------------------------------------------------------------------ item 10: collection errors


BAD_YAML = '''
labels: [negative, neutral, positive]
tests:
  - name: yaml_ok
    type: MFT
    inputs: [good flight]
    label: positive
  - name: yaml_wrong_label
    type: MFT
    inputs: [good]
    label: happy
'''


def test_collection_errors_are_counted_in_json_and_html(pytester):
    pytester.makeconftest(FAKE_MODEL)
    pytester.makepyfile(test_suite=SUITE)
    pytester.path.joinpath("bad.assay.yaml").write_text(BAD_YAML)
    pytester.path.joinpath("broken.assay.yaml").write_text("tests: [\n  - name: x\n")
    result = pytester.runpytest("--continue-on-collection-errors", "--assay-report=r.json", "--assay-html=r.html",
                                "--junitxml=r.xml")
    result.assert_outcomes(passed=5, failed=1, errors=2)
    report = json.loads((pytester.path / "r.json").read_text())
    errors = {t["nodeid"]: t for t in report["tests"] if t["outcome"] == "error"}
    assert set(errors) == {"bad.assay.yaml::yaml_wrong_label", "broken.assay.yaml"}
    assert "label 'happy' is not one of the suite's labels" in errors["bad.assay.yaml::yaml_wrong_label"]["error"]
    assert errors["broken.assay.yaml"]["phase"] == "collect"
    assert report["summary"]["errors"] == 2 and report["summary"]["tests"] == 8
    assert report["session"]["collection_errors"] == 2
    assert html_cards(pytester.path / "r.html")["errors"] == 2
    assert "yaml_wrong_label" in (pytester.path / "r.html").read_text(encoding="utf-8")
    assert junit_counts(pytester.path / "r.xml")["errors"] == 2


def test_a_collection_error_that_stops_the_session_is_in_the_report(pytester):
    pytester.makeconftest(FAKE_MODEL)
    pytester.makepyfile(test_suite=SUITE)
    pytester.path.joinpath("bad.assay.yaml").write_text(BAD_YAML)
    result = pytester.runpytest("--assay-report=r.json", "--assay-html=r.html")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    report = json.loads((pytester.path / "r.json").read_text())
    assert [t["name"] for t in report["tests"] if t["outcome"] == "error"] == ["yaml_wrong_label"]
    assert report["summary"]["errors"] == 1 and report["complete"] is False
    assert report["session"]["selected"] == 6 and report["session"]["run"] == 0
    assert "during collection" in report["session"]["reason"]
    assert html_cards(pytester.path / "r.html")["errors"] == 1


# ------------------------------------------------------------------------------ item 5: duplicate names


def test_two_tests_with_one_name_in_one_file_are_a_collection_error(pytester):
    pytester.makeconftest(FAKE_MODEL)
    pytester.makepyfile(test_dup='''
from assay import MFT
test_a = MFT(["good"], "positive", name="test_same")
test_b = MFT(["bad"], "negative", name="test_same")
''')
    pytester.path.joinpath("dup.assay.yaml").write_text('''
tests:
  - {name: twice, type: MFT, inputs: [good], label: positive}
  - {name: twice, type: MFT, inputs: [bad], label: negative}
''')
    result = pytester.runpytest("--assay-report=r.json")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*test_dup.py::test_same: two tests in this file are named 'test_same'*"])
    result.stdout.fnmatch_lines(["*dup.assay.yaml::twice: two tests in this file are named 'twice'*"])
    report = json.loads((pytester.path / "r.json").read_text())
    assert sorted(t["nodeid"] for t in report["tests"]) == ["dup.assay.yaml::twice", "test_dup.py::test_same"]


def test_same_name_in_two_files_keeps_both_and_compares_each_with_its_own(pytester):
    pytester.makeconftest(FAKE_MODEL)
    pytester.makepyfile(test_one='from assay import MFT\ntest_x = MFT(["good", "great"], "positive")\n',
                        test_two='from assay import MFT\ntest_x = MFT(["not good", "bad"], "negative", '
                                 'max_failure_rate=1.0)\n')
    pytester.runpytest("--assay-report=old.json").assert_outcomes(passed=2)
    report = json.loads((pytester.path / "old.json").read_text())
    assert sorted(t["nodeid"] for t in report["tests"]) == ["test_one.py::test_x[demo]", "test_two.py::test_x[demo]"]
    result = pytester.runpytest("--assay-baseline=old.json", "--assay-report=new.json")
    result.assert_outcomes(passed=2)
    statuses = {t["nodeid"]: t["baseline"]["status"] for t in json.loads((pytester.path / "new.json").read_text())["tests"]}
    assert statuses == {"test_one.py::test_x[demo]": "unchanged", "test_two.py::test_x[demo]": "unchanged"}
    code, out, err = compare(pytester.path / "old.json", pytester.path / "new.json")
    assert code == 0 and "2 unchanged" in out, out + err


# ------------------------------------------------------------------------------ item 7: interrupted runs


def test_an_interrupted_run_says_so_and_cannot_gate(pytester):
    pytester.makeconftest(FAKE_MODEL)
    pytester.makepyfile(test_suite=SUITE)
    pytester.runpytest("--assay-report=full.json").assert_outcomes(passed=4, failed=1)
    full = json.loads((pytester.path / "full.json").read_text())
    assert full["complete"] is True and full["session"]["status"] == "finished"
    assert full["session"]["selected"] == full["session"]["run"] == 5

    pytester.makepyfile(test_suite=SUITE.replace("test_meh =", STOP + "\ntest_meh ="))
    result = pytester.runpytest("--assay-report=cut.json", "--assay-html=cut.html", no_reraise_ctrlc=True)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    cut = json.loads((pytester.path / "cut.json").read_text())
    assert cut["complete"] is False and cut["session"]["status"] == "interrupted"
    assert cut["session"]["selected"] == 6 and cut["session"]["run"] == 2  # test_stop never finished
    assert "KeyboardInterrupt" in cut["session"]["reason"]
    page = (pytester.path / "cut.html").read_text(encoding="utf-8")
    banner = page.index('class="incomplete"')
    assert banner < page.index('id="matrix"') and "2 of 6" in page[banner:banner + 400]

    for argv in (("full.json", "cut.json"), ("cut.json", "full.json")):
        code, out, err = compare(*(pytester.path / a for a in argv))
        assert code == 2 and out == "" and "cut.json" in err and "incomplete" in err and "--allow-incomplete" in err
        assert err.count("\n") == 1
    code, out, _ = compare(pytester.path / "full.json", pytester.path / "cut.json", "--allow-incomplete")
    assert code == 0 and "unchanged" in out

    pytester.makepyfile(test_suite=SUITE)
    refused = pytester.runpytest("--assay-baseline=cut.json")
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    refused.stderr.fnmatch_lines(["ERROR: *cut.json*incomplete*--assay-allow-incomplete*"])
    allowed = pytester.runpytest("--assay-baseline=cut.json", "--assay-allow-incomplete")
    allowed.assert_outcomes(passed=4, failed=1)


def test_x_and_maxfail_stop_early_and_the_report_is_incomplete(pytester):
    pytester.makeconftest(FAKE_MODEL)
    pytester.makepyfile(test_suite=SUITE)
    pytester.runpytest("-x", "--assay-report=r.json").assert_outcomes(passed=1, failed=1)
    report = json.loads((pytester.path / "r.json").read_text())
    assert report["complete"] is False and report["session"]["run"] == 2 and report["session"]["selected"] == 5


def test_a_deselected_run_is_complete_for_its_selection(pytester):
    pytester.makeconftest(FAKE_MODEL)
    pytester.makepyfile(test_suite=SUITE)
    pytester.runpytest("-k", "meh", "--assay-report=r.json").assert_outcomes(passed=1)
    report = json.loads((pytester.path / "r.json").read_text())
    assert report["complete"] is True and report["session"]["selected"] == report["session"]["run"] == 1


@pytest.mark.slow
def test_xdist_run_counts_every_item(pytester):
    pytest.importorskip("xdist")
    pytester.makeconftest(FAKE_MODEL)
    pytester.makepyfile(test_suite=SUITE)
    pytester.runpytest("-n", "2", "--assay-report=r.json").assert_outcomes(passed=4, failed=1)
    report = json.loads((pytester.path / "r.json").read_text())
    assert report["complete"] is True and report["session"]["selected"] == report["session"]["run"] == 5


# ------------------------------------------------------------------------------ item 12: validate on load


@pytest.mark.parametrize("field, value, named", [
    ("failure_rate", "abc", "tests[0].failure_rate"),
    ("outcomes", 5, "tests[0].outcomes"),
    ("name", None, "tests[0].name"),
    ("outcomes", "PPX", "tests[0].outcomes"),
    ("failing_cases", 7, "tests[0].failing_cases"),
])
def test_a_report_with_wrong_field_types_is_unusable_not_a_crash(pytester, field, value, named):
    pytester.makeconftest(FAKE_MODEL)
    pytester.makepyfile(test_suite=SUITE)
    pytester.runpytest("--assay-report=good.json")
    report = json.loads((pytester.path / "good.json").read_text())
    report["tests"][0][field] = value
    (pytester.path / "bad.json").write_text(json.dumps(report))
    for argv in (("good.json", "bad.json"), ("bad.json", "good.json")):
        code, out, err = compare(*(pytester.path / a for a in argv))
        assert code == 2 and out == "" and err.count("\n") == 1, err
        assert "bad.json" in err and named in err
    result = pytester.runpytest("--assay-baseline=bad.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: *bad.json*{named.replace('[', '[[]')}*"])
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


# ------------------------------------------------------------------------------ item 19: narrow terminals


def _record(name, type_, capability, outcomes, outcome=None, model="demo"):
    failed, cases = outcomes.count("F"), len(outcomes)
    return {"nodeid": f"t.py::{name}[{model}]", "name": name, "type": type_, "capability": capability,
            "model": model, "outcome": outcome or ("failed" if failed else "passed"), "failed": failed,
            "cases": cases, "failure_rate": failed / cases, "max_failure_rate": 0.0, "error": None}


def test_terminal_summary_wraps_instead_of_cutting_figures_at_80_columns():
    from assay.report.terminal import summary_lines

    records = [_record(f"t{i}", kind, cap, "F" + "P" * 39)
               for i, (kind, cap) in enumerate([(k, c) for k in ("MFT", "INV", "DIR", "HEADS")
                                                for c in ("Negation", "A capability with a rather long name")])]
    records += [_record(f"u{i}", "HEADS", "Negation", "P" * 40) for i in range(4)]
    lines = summary_lines(records, width=80)
    assert all(len(line) <= 80 for line in lines), "\n".join(lines)
    text = "\n".join(lines)
    # Every pooled cell appears whole: "<rate>% <failed tests>/<tests>", one per capability and type.
    cells = re.findall(r"(\d+\.\d%) +(\d+)/(\d+)", text)
    assert len(cells) == 8 and sum(int(n) for _, _, n in cells) == len(records)
    assert "A capability with a rather long name" in text
    assert ("0.5% 1/5" in text) and text.count("2.5% 1/1") == 7


def test_plugin_summary_fits_an_80_column_terminal(pytester, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    pytester.makeconftest(FAKE_MODEL)
    pytester.makepyfile(test_suite=SUITE.replace('capability="Vocabulary")', 'capability="Vocabulary and a long name")'))
    text = pytester.runpytest().stdout.str()
    # The assay section only: it ends where pytest's next section (short test summary) begins, whose
    # failure messages pytest prints whole, not cut to the terminal width, when it runs under CI.
    section = text[text.index("assay summary"):].splitlines()[1:]
    summary = section[:next((i for i, line in enumerate(section) if line.startswith("=")), len(section))]
    assert any("passed," in line for line in summary), "\n".join(section)
    assert all(len(line) <= 80 for line in summary), "\n".join(summary)


def test_the_reporter_and_the_session_leave_with_pytest_unconfigure(pytester):
    from assay.plugin.state import SESSION

    pytester.makeconftest(FAKE_MODEL)
    pytester.makepyfile(test_suite=SUITE)
    recorder = pytester.inline_run()
    (call,) = recorder.getcalls("pytest_unconfigure")
    assert call.config.pluginmanager.get_plugin("assay-reporter") is None
    assert SESSION not in call.config.stash
