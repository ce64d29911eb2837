"""`assay compare OLD NEW`: table, exit codes, JSON output and one-line errors."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assay.cli import main
from assay.atomic import write_json_atomic
from assay.stats import mcnemar_exact

SRC = Path(__file__).parents[1] / "src"


def entry(name: str, model: str, outcomes: str, cases: object = None, **extra) -> dict:
    applicable = sum(o != "N" for o in outcomes)
    failed = outcomes.count("F")
    fingerprint = hashlib.sha256(json.dumps(cases if cases is not None else name).encode()).hexdigest()
    return {"nodeid": f"suite::{name}[{model}]", "name": name, "type": "MFT", "capability": "Negation",
            "model": model, "outcome": "failed" if failed else "passed", "passed": not failed, "error": None,
            "failure_rate": failed / applicable if applicable else None, "failed": failed, "cases": applicable,
            "fingerprint": fingerprint, "outcomes": outcomes, "failing_cases": [], **extra}


def report(model: str, tests: list[dict]) -> dict:
    return {"schema": "assay-report/1", "assay_version": "0.1.0", "created": "2026-01-01T00:00:00Z", "seed": 0,
            "complete": True, "models": [{"name": model, "source": model, "fingerprint": "f", "labels": ["neg", "pos"], "stats": {}}],
            "summary": {"tests": len(tests)}, "tests": tests}


@pytest.fixture
def reports(tmp_path):
    old = report("release", [
        entry("negation", "release", "P" * 100),
        entry("typos", "release", "F" * 10 + "P" * 90),
        entry("names", "release", "P" * 50),
        entry("dropped", "release", "P"),
    ])
    new = report("candidate", [
        entry("negation", "candidate", "F" * 20 + "P" * 80),          # +20 points, p tiny
        entry("typos", "candidate", "P" * 100),                        # -10 points, p = 0.002
        entry("names", "candidate", "P" * 50, cases="other cases"),   # fingerprint differs
        entry("fresh", "candidate", "PF"),
    ])
    paths = tmp_path / "old.json", tmp_path / "new.json"
    write_json_atomic(old, paths[0])
    write_json_atomic(new, paths[1])
    return paths


def invoke(*argv: str) -> tuple[int, str, str]:
    """``assay compare ARGV`` in this process, through the one entry and its error handler."""
    out, err = io.StringIO(), io.StringIO()
    code = main(["compare", *(str(a) for a in argv)], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_regression_exits_1_with_a_table(reports, tmp_path):
    old, new = reports
    code, out, err = invoke(old, new, "--json", tmp_path / "cmp.json")
    assert code == 1 and err == ""
    rows = {line.split()[0]: line for line in out.splitlines()[2:] if line.strip()}
    assert "regressed" in rows["negation"] and "↑ +20.0 pp" in rows["negation"]
    assert "0.0%" in rows["negation"] and "20.0%" in rows["negation"]
    assert "improved" in rows["typos"] and "↓ -10.0 pp" in rows["typos"]
    assert f"{mcnemar_exact(0, 10):.2g}" in rows["typos"]
    assert "not_comparable: cases changed: fingerprint differs" in rows["names"]
    assert rows["fresh"].rstrip().endswith("new")
    assert "1 regressed, 1 improved, 0 unchanged, 1 not comparable, 1 new" in out
    assert "not in" in out and "dropped" in out

    saved = json.loads((tmp_path / "cmp.json").read_text())
    assert saved["schema"] == "assay-compare/1" and saved["counts"]["regressed"] == 1
    assert [c["status"] for c in saved["comparisons"]] == ["regressed", "improved", "not_comparable", "new"]


def test_thresholds_change_the_verdict(reports):
    old, new = reports
    assert invoke(old, new, "--max-regression", "0.25")[0] == 0  # +20 points tolerated
    code, out, _ = invoke(old, new, "--alpha", "1e-9")
    assert code == 0 and "not significant" in out


def test_identical_reports_exit_0(reports):
    old, _ = reports
    code, out, _ = invoke(old, old)
    assert code == 0 and "0 regressed" in out and "4 unchanged" in out


@pytest.mark.parametrize("content, fragment", [
    (None, "does not exist"),
    ('{"schema": "assay-report/1", "tests": [', "not valid JSON"),
    ('{"schema": "assay-report/9", "tests": []}', "assay-report/9"),
    ('{"testsuite": {}}', "not an assay report"),
])
def test_unusable_input_exits_2_with_one_line(reports, tmp_path, content, fragment):
    old, new = reports
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_text(content)
    for argv in ((bad, new), (old, bad)):
        code, out, err = invoke(*argv)
        assert code == 2 and out == ""
        assert err.count("\n") == 1 and fragment in err and str(bad) in err


def test_report_of_another_suite_exits_2(tmp_path):
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    write_json_atomic(report("m", [entry("ner", "m", "P")]), old)
    write_json_atomic(report("m", [entry("negation", "m", "P")]), new)
    code, _, err = invoke(old, new)
    assert code == 2 and "another suite" in err


def test_bad_thresholds_are_usage_errors(reports, capsys):
    old, new = reports
    for flag, value in (("--alpha", "0"), ("--alpha", "x"), ("--max-regression", "1.5")):
        with pytest.raises(SystemExit) as info:
            invoke(old, new, flag, value)
        assert info.value.code == 2
    assert "outside" in capsys.readouterr().err


def test_ascii_terminal_gets_ascii_arrows(reports):
    old, new = reports
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="ascii")
    assert main(["compare", str(old), str(new)], out=out, err=io.StringIO()) == 1
    out.flush()
    text = raw.getvalue().decode("ascii")
    assert "^ +20.0 pp" in text and "v -10.0 pp" in text


@pytest.mark.slow  # the installed command in subprocesses
def test_assay_compare_command(reports):
    """Through the `assay` command line (``python -m assay.cli``), in a separate process."""
    old, new = reports
    env = {**os.environ, "PYTHONPATH": str(SRC), "PYTHONIOENCODING": "utf-8"}
    command = [sys.executable, "-m", "assay.cli"]
    result = subprocess.run([*command, "compare", str(old), str(new)], env=env, capture_output=True, text=True)
    assert result.returncode == 1 and "regressed" in result.stdout
    missing = subprocess.run([*command, "compare", str(old) + ".nope", str(new)], env=env,
                             capture_output=True, text=True)
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1
    if shutil.which("assay"):
        assert subprocess.run(["assay", "compare", str(old), str(old)], env=env,
                              capture_output=True).returncode == 0
