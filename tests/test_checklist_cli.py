"""``assay checklist import`` and the YAML ``checklist:`` entry, on the released sentiment suite."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import numpy as np
import pytest

from assay.cli import main
from assay.judge import evaluate
from assay.yaml_suite import read_suite

SUITE = Path(__file__).resolve().parents[1] / ".." / "shared" / "checklist" / "sentiment_suite.tar.gz"
pytestmark = pytest.mark.skipif(not SUITE.exists(), reason="../shared/checklist is absent")
LABELS = ["negative", "neutral", "positive"]
PICK = ["single positive words", "typos", "intensifiers", "Q & A: no"]


def fake_probs(text):
    """A deterministic stand-in model: positive when the text has 'good'-like words."""
    pos = any(w in str(text).lower() for w in ("good", "great", "love", "like", "nice", "happy"))
    return np.array([0.1, 0.1, 0.8]) if pos else np.array([0.7, 0.2, 0.1])


def run_cli(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_import_writes_a_suite_that_reads_back_as_the_same_declarations(tmp_path):
    args = ["checklist", "import", str(SUITE), "-o", str(tmp_path / "s"), "--labels", ",".join(LABELS)]
    for name in PICK:
        args += ["--test", name]
    code, out, err = run_cli(*args)
    assert code == 0, err
    assert "wrote" in out and (tmp_path / "s" / "sentiment_suite.assay.yaml").exists()
    lines = (tmp_path / "s" / "sentiment_suite.cases.jsonl").read_text().splitlines()
    assert json.loads(lines[0]) == {"test": "single positive words", "inputs": ["adorable"], "label": 2}
    doc = read_suite(tmp_path / "s" / "sentiment_suite.assay.yaml")
    assert [doc.entry_name(i) for i in range(1, 5)] == PICK
    from assay.checklist import load_suite

    suite = load_suite(SUITE)
    for position, name in enumerate(PICK, start=1):
        written = doc.declaration(position)
        direct = suite[name].declaration(label_names=LABELS)
        written.validate(LABELS)
        assert [c.inputs for c in written.cases()] == [c.inputs for c in direct.cases()]
        assert [c.expected for c in written.cases()] == [c.expected for c in direct.cases()]
        a = evaluate(written, "m", LABELS, fake_probs)
        b = evaluate(direct, "m", LABELS, fake_probs)
        assert a.outcomes == b.outcomes


def test_a_checklist_entry_runs_a_suite_in_place(tmp_path):
    rel = os.path.relpath(SUITE, tmp_path)
    (tmp_path / "cl.assay.yaml").write_text(
        f"labels: [negative, neutral, positive]\n"
        f"tests:\n  - checklist: {{path: {json.dumps(rel)}, tests: [typos, 'Q & A: no'], n: 50}}\n")
    doc = read_suite(tmp_path / "cl.assay.yaml")
    assert [doc.entry_name(1), doc.entry_name(2)] == ["typos", "Q & A: no"]
    decl = doc.declaration(2)
    decl.validate(LABELS)
    assert len(decl.cases()) == 50 and decl.test_type == "MFT"


def test_a_checklist_entry_with_an_unknown_test_or_key_is_one_line(tmp_path):
    from assay.errors import DeclarationError

    (tmp_path / "a.assay.yaml").write_text(f"tests:\n  - checklist: {{path: {json.dumps(str(SUITE))}, tests: [nope]}}\n")
    with pytest.raises(DeclarationError, match="no test named 'nope'"):
        read_suite(tmp_path / "a.assay.yaml")
    (tmp_path / "b.assay.yaml").write_text(f"tests:\n  - checklist: {{path: {json.dumps(str(SUITE))}, sample: 3}}\n")
    with pytest.raises(DeclarationError, match="unknown key.*sample"):
        read_suite(tmp_path / "b.assay.yaml")


def test_import_without_label_names_exits_2_in_one_line(tmp_path):
    code, out, err = run_cli("checklist", "import", str(SUITE), "-o", str(tmp_path / "x"))
    assert code == 2 and err.count("\n") == 1 and "--labels" in err


def test_list_prints_each_test_and_its_expectation():
    code, out, _ = run_cli("checklist", "list", str(SUITE))
    assert code == 0 and len(out.splitlines()) == 38
    assert "inv(tolerance=0.1)" in out
