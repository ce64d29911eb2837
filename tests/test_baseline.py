"""Baseline comparison: loading, matching, pairing and the McNemar verdict, on real tiny models."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assay.atomic import write_json_atomic
from assay.baseline import Baseline, Comparison, compare_reports, compare_test, load_baseline
from assay.errors import BaselineError
from assay.stats import mcnemar_exact

LABELS = ["negative", "neutral", "positive"]
WORDS = "the flight seat crew food service was is not very really great good fine okay bad awful".split()
TEXTS = [
    f"the {thing} {verb} {adverb} {adjective}."
    for thing, verb, adverb, adjective in itertools.product(
        ["flight", "seat", "crew", "food", "service"], ["was", "is"], ["very", "really", "not"],
        ["great", "good", "fine", "okay", "bad", "awful"],
    )
]


# ---------------------------------------------------------------- real tiny models and reports


class TinyClassifier:
    """A tiny BERT behind the assay model protocol (labels + predict_proba)."""

    def __init__(self, folder: Path):
        import torch
        from transformers import BertForSequenceClassification

        self.labels = LABELS
        self._torch = torch
        self.model = BertForSequenceClassification.from_pretrained(folder).eval()
        self.tokenizer = _tokenizer()

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        with self._torch.no_grad():
            encoded = self.tokenizer(texts, padding=True, return_tensors="pt")
            return self.model(**encoded).logits.softmax(-1).numpy()


def _tokenizer():
    from transformers import BertTokenizerFast

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "."] + WORDS
    return BertTokenizerFast(vocab={word: i for i, word in enumerate(vocab)})


def _save_tiny_bert(folder: Path, negative_bias: float) -> Path:
    """A seeded random tiny BERT whose classifier bias on 'negative' is set to ``negative_bias``."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(WORDS) + 6, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=37, num_labels=3, initializer_range=0.3,
        id2label=dict(enumerate(LABELS)), label2id={label: i for i, label in enumerate(LABELS)},
    )
    model = BertForSequenceClassification(config).eval()
    with torch.no_grad():
        model.classifier.bias[0] = negative_bias
    model.save_pretrained(folder)  # safetensors
    return folder


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """Two saved checkpoints (safetensors + tokenizer): the candidate says 'negative' far more often."""
    root = tmp_path_factory.mktemp("models")
    saved = {"release": _save_tiny_bert(root / "release", negative_bias=-0.5),
             "candidate": _save_tiny_bert(root / "candidate", negative_bias=0.5)}
    for folder in saved.values():
        _tokenizer().save_pretrained(folder)
    return saved


@pytest.fixture(scope="module")
def models(folders):
    """release: rarely says negative; same: the release reloaded; candidate: says negative far more."""
    return {"release": TinyClassifier(folders["release"]), "same": TinyClassifier(folders["release"]),
            "candidate": TinyClassifier(folders["candidate"])}


def fingerprint(cases: list) -> str:
    return hashlib.sha256(json.dumps(cases).encode()).hexdigest()


def entry(name: str, model: str, cases: list[str], outcomes: str, **extra) -> dict:
    applicable = sum(o != "N" for o in outcomes)
    failed = outcomes.count("F")
    return {
        "nodeid": f"suite.py::{name}[{model}]", "name": name, "type": "MFT", "capability": "Vocabulary",
        "description": "", "model": model, "outcome": "passed" if failed == 0 else "failed",
        "passed": failed == 0, "error": None, "failure_rate": failed / applicable if applicable else None,
        "failed": failed, "cases": applicable, "not_applicable": len(outcomes) - applicable,
        "total_cases": len(outcomes), "max_failure_rate": 0.0, "seed": 0,
        "fingerprint": fingerprint(cases), "outcomes": outcomes, "failing_cases": [], **extra,
    }


def report(model: str, tests: list[dict]) -> dict:
    return {
        "schema": "assay-report/1", "assay_version": "0.1.0", "created": "2026-01-01T00:00:00Z", "seed": 0,
        "models": [{"name": model, "source": f"./{model}", "fingerprint": "x", "labels": LABELS, "stats": {}}],
        "summary": {"tests": len(tests), "passed": 0, "failed": 0, "errors": 0}, "tests": tests,
    }


def not_negative_outcomes(model: TinyClassifier, texts: list[str]) -> str:
    """MFT 'never negative' evaluated with plain numpy: P when the argmax is not negative."""
    predicted = model.predict_proba(texts).argmax(axis=1)
    return "".join("F" if LABELS[i] == "negative" else "P" for i in predicted)


# ---------------------------------------------------------------- the regression is caught


def test_real_regression_is_caught_and_equal_model_is_unchanged(models):
    old = not_negative_outcomes(models["release"], TEXTS)
    new = not_negative_outcomes(models["candidate"], TEXTS)
    same = not_negative_outcomes(models["same"], TEXTS)
    assert old.count("F") < new.count("F")  # the bias edit really makes the candidate worse

    regression = compare_test(entry("never_negative", "candidate", TEXTS, new),
                              entry("never_negative", "release", TEXTS, old))
    assert regression.status == "regressed", regression
    assert regression.b > regression.c and regression.p_value < 1e-6
    assert regression.delta == pytest.approx((new.count("F") - old.count("F")) / len(TEXTS))
    assert regression.p_value == mcnemar_exact(regression.b, regression.c)

    unchanged = compare_test(entry("never_negative", "same", TEXTS, same),
                             entry("never_negative", "release", TEXTS, old))
    assert (unchanged.status, unchanged.b, unchanged.c, unchanged.p_value) == ("unchanged", 0, 0, 1.0)

    reverse = compare_test(entry("never_negative", "release", TEXTS, old),
                           entry("never_negative", "candidate", TEXTS, new))
    assert reverse.status == "improved" and reverse.p_value == regression.p_value


def test_small_sample_big_delta_is_not_significant(models):
    old = not_negative_outcomes(models["release"], TEXTS)
    new = not_negative_outcomes(models["candidate"], TEXTS)
    flipped = [i for i in range(len(TEXTS)) if old[i] == "P" and new[i] == "F"]
    steady = [i for i in range(len(TEXTS)) if old[i] == "P" and new[i] == "P"]
    assert len(flipped) >= 3 and len(steady) >= 2
    chosen = flipped[:3] + steady[:2]
    texts = [TEXTS[i] for i in chosen]
    small_old = not_negative_outcomes(models["release"], texts)
    small_new = not_negative_outcomes(models["candidate"], texts)

    verdict = compare_test(entry("t", "candidate", texts, small_new), entry("t", "release", texts, small_old))
    assert (verdict.b, verdict.c, verdict.pairs) == (3, 0, 5)
    assert verdict.delta == pytest.approx(0.6)
    assert verdict.p_value == pytest.approx(0.25)
    assert verdict.status == "unchanged" and "not significant" in verdict.reason


def test_changed_cases_are_not_comparable(models):
    old = not_negative_outcomes(models["release"], TEXTS)
    fewer = TEXTS[:-1]
    new = not_negative_outcomes(models["candidate"], fewer)
    verdict = compare_test(entry("t", "candidate", fewer, new), entry("t", "release", TEXTS, old))
    assert verdict.status == "not_comparable"
    assert verdict.reason == "cases changed: fingerprint differs"
    assert verdict.delta is not None and verdict.p_value is None


# ---------------------------------------------------------------- pairing rules


def test_not_applicable_pairs_are_dropped():
    cases = ["a", "b", "c", "d", "e"]
    old = entry("t", "m", cases, "PPNFP")
    new = entry("t", "m", cases, "FNFPP")
    verdict = compare_test(new, old)
    assert (verdict.b, verdict.c, verdict.pairs) == (1, 1, 3)


def test_same_fingerprint_but_different_length_is_not_comparable():
    old = entry("t", "m", ["a"], "PP")
    new = entry("t", "m", ["a"], "PPP")
    verdict = compare_test(new, old)
    assert verdict.status == "not_comparable" and "3 outcomes now, 2 in the baseline" in verdict.reason


def test_new_and_errored_tests():
    one = entry("t", "m", ["a"], "P")
    assert compare_test(one, None).status == "new"
    errored = {**one, "outcome": "error", "error": "PredictionError: NaN in output\ntraceback...",
               "failure_rate": None, "outcomes": ""}
    verdict = compare_test(errored, one)
    assert verdict.status == "not_comparable"
    assert verdict.reason == "errored in this run (PredictionError: NaN in output)"
    assert compare_test(one, errored).reason == "errored in the baseline run"


def test_delta_within_tolerance_is_unchanged_even_when_significant():
    cases = list(range(2000))
    old = "P" * 2000
    new = "F" * 30 + "P" * 1970  # +1.5 percentage points, p tiny
    verdict = compare_test(entry("t", "m", cases, new), entry("t", "m", cases, old))
    assert verdict.p_value < 1e-6 and verdict.status == "unchanged"
    assert compare_test(entry("t", "m", cases, new), entry("t", "m", cases, old),
                        max_regression=0.01).status == "regressed"


def test_parameters_are_checked():
    one = entry("t", "m", ["a"], "P")
    with pytest.raises(ValueError):
        compare_test(one, one, alpha=0)
    with pytest.raises(ValueError):
        compare_test(one, one, max_regression=1.5)


outcome_strings = st.integers(1, 60).flatmap(
    lambda n: st.tuples(st.text("PFN", min_size=n, max_size=n), st.text("PFN", min_size=n, max_size=n))
)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(outcome_strings, st.floats(0, 0.3), st.floats(0.001, 0.2))
def test_swapping_runs_mirrors_the_verdict(pair, max_regression, alpha):
    old, new = pair
    cases = list(range(len(old)))
    forward = compare_test(entry("t", "m", cases, new), entry("t", "m", cases, old),
                           max_regression=max_regression, alpha=alpha)
    backward = compare_test(entry("t", "m", cases, old), entry("t", "m", cases, new),
                            max_regression=max_regression, alpha=alpha)
    assert (forward.b, forward.c) == (backward.c, backward.b)
    assert forward.p_value == backward.p_value
    mirror = {"regressed": "improved", "improved": "regressed", "unchanged": "unchanged"}
    assert backward.status == mirror[forward.status]
    if forward.status == "regressed":
        assert forward.delta > max_regression and forward.p_value < alpha
    assert Comparison.from_dict(json.loads(json.dumps(forward.to_dict()))) == forward


# ---------------------------------------------------------------- loading and matching


def test_load_errors_name_the_file_and_the_fix(tmp_path):
    cases = {
        "missing.json": None,
        "truncated.json": json.dumps(report("m", [entry("t", "m", ["a"], "P")]))[:-40],
        "empty.json": "",
        "list.json": "[1, 2]",
        "junit.json": json.dumps({"testsuites": []}),
        "future.json": json.dumps({"schema": "assay-report/2", "tests": []}),
        "no_tests.json": json.dumps({"schema": "assay-report/1"}),
    }
    for name, text in cases.items():
        path = tmp_path / name
        if text is not None:
            path.write_text(text)
        with pytest.raises(BaselineError) as info:
            load_baseline(path)
        message = str(info.value)
        assert str(path) in message and "\n" not in message, message
        assert any(fix in message for fix in ("--assay-report", "regenerate")), message
    assert "does not exist" in _message(load_baseline, tmp_path / "missing.json")
    assert "not valid JSON" in _message(load_baseline, tmp_path / "truncated.json")
    assert "'assay-report/2'" in _message(load_baseline, tmp_path / "future.json")
    assert "not an assay report" in _message(load_baseline, tmp_path / "junit.json")


def _message(fn, *args) -> str:
    with pytest.raises(BaselineError) as info:
        fn(*args)
    return str(info.value)


def test_lookup_by_name_and_model_with_single_model_fallback(tmp_path):
    path = tmp_path / "base.json"
    write_json_atomic(report("release", [entry("t1", "release", ["a"], "P"),
                                         entry("t2", "release", ["a"], "F")]), path)
    baseline = load_baseline(path)
    assert baseline.lookup("t1", "release")["outcomes"] == "P"
    assert baseline.lookup("t2", "candidate")["outcomes"] == "F"  # one model each side: by name
    assert baseline.lookup("t2", "candidate", run_models=["candidate"])["outcomes"] == "F"
    assert baseline.lookup("t2", "candidate", run_models=["candidate", "other"]) is None
    assert baseline.lookup("t3", "release") is None

    two = report("a", [entry("t1", "a", ["x"], "P"), entry("t1", "b", ["x"], "F")])
    two["models"].append({"name": "b"})
    pair = Baseline(two)
    assert pair.lookup("t1", "b")["outcomes"] == "F"
    assert pair.lookup("t1", "c") is None  # several baseline models: no guessing


def test_suite_mismatch_loads_but_everything_is_new(tmp_path):
    path = tmp_path / "other_suite.json"
    write_json_atomic(report("m", [entry("ner_names", "m", ["a"], "P")]), path)
    baseline = load_baseline(path)
    current = report("m", [entry("negation", "m", ["a"], "F"), entry("typos", "m", ["a"], "P")])
    assert [c.status for c in baseline.compare(current)] == ["new", "new"]
    message = baseline.suite_mismatch(t["name"] for t in current["tests"])
    assert message and str(path) in message and "\n" not in message and "another suite" in message
    assert baseline.suite_mismatch(["ner_names", "x"]) is None


def test_compare_reports_follows_report_order():
    cases = ["a", "b"]
    old = report("m", [entry("t1", "m", cases, "PP"), entry("t2", "m", cases, "PF")])
    new = report("m", [entry("t2", "m", cases, "PP"), entry("t3", "m", cases, "FF")])
    verdicts = compare_reports(old, new)
    assert [(v.name, v.status) for v in verdicts] == [("t2", "unchanged"), ("t3", "new")]
    assert Baseline(old).missing_from(new) == ["t1"]


# ---------------------------------------------------------------- atomic JSON writes


@pytest.mark.slow  # a writer process, killed
def test_killed_writer_leaves_previous_report_intact(tmp_path):
    path = tmp_path / "r.json"
    write_json_atomic({"schema": "assay-report/1", "tests": [], "version": "previous"}, path)
    before = path.read_bytes()
    script = textwrap.dedent(
        f"""
        import os, signal
        from assay.atomic import write_json_atomic
        class Bomb:
            pass
        def die(obj):
            os.kill(os.getpid(), signal.SIGKILL)  # killed halfway through the encoding
        big = {{"schema": "assay-report/1", "tests": [{{"name": "t%d" % i, "outcomes": "P" * 500}} for i in range(2000)]}}
        big["tests"].append({{"name": "last", "obj": Bomb()}})
        write_json_atomic(big, {str(path)!r}, default=die)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True)
    assert result.returncode == -9, result.stderr
    assert path.read_bytes() == before
    leftovers = [p for p in tmp_path.iterdir() if p.name != "r.json"]
    assert leftovers and leftovers[0].stat().st_size > 0  # the half-written temp file, never the report


def test_failed_write_keeps_previous_file_and_cleans_up(tmp_path):
    path = tmp_path / "r.json"
    write_json_atomic({"ok": 1}, path)
    with pytest.raises(ValueError):
        write_json_atomic({"ok": 2, "bad": float("nan")}, path)
    assert json.loads(path.read_text()) == {"ok": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]
    write_json_atomic({"ok": 3, "text": "café"}, path)
    assert json.loads(path.read_text(encoding="utf-8")) == {"ok": 3, "text": "café"}
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # as open() would create it, not mkstemp's 0600


# ---------------------------------------------------------------- end to end through the plugin

E2E_SUITE = '''
import itertools
from assay import MFT

TEXTS = [f"the {t} {v} {a} {j}." for t, v, a, j in itertools.product(
    ["flight", "seat", "crew", "food", "service"], ["was", "is"], ["very", "really", "not"],
    ["great", "good", "fine", "okay", "bad", "awful"])]

# Loose threshold on purpose: only the comparison with the baseline can fail this test.
test_never_negative = MFT(TEXTS, labels={"neutral", "positive"}, capability="Vocabulary", max_failure_rate=0.95)
'''


def test_plugin_catches_the_regression_against_a_baseline(pytester, folders, models):
    release, candidate = folders["release"], folders["candidate"]
    pytester.makepyfile(test_suite=E2E_SUITE)
    common = ["-p", "no:cacheprovider", "--assay-no-cache"]

    first = pytester.runpytest(f"--assay-model=release={release}", "--assay-report=base.json", *common)
    first.assert_outcomes(passed=1)
    base = json.loads((pytester.path / "base.json").read_text())
    texts = [case["inputs"][0] for case in base["tests"][0]["failing_cases"]]
    assert base["tests"][0]["failed"] > 0 and texts
    assert not_negative_outcomes(models["release"], texts) == "F" * len(texts)  # the plugin agrees with numpy

    same = pytester.runpytest(f"--assay-model=release={release}", "--assay-baseline=base.json",
                              "--assay-report=same.json", *common)
    same.assert_outcomes(passed=1)
    assert json.loads((pytester.path / "same.json").read_text())["tests"][0]["baseline"]["status"] == "unchanged"

    worse = pytester.runpytest(f"--assay-model=candidate={candidate}", "--assay-baseline=base.json",
                               "--assay-report=worse.json", *common)
    worse.assert_outcomes(failed=1)
    worse.stdout.fnmatch_lines(["*regressed against the baseline*"])
    verdict = json.loads((pytester.path / "worse.json").read_text())["tests"][0]["baseline"]
    assert verdict["status"] == "regressed" and verdict["p_value"] < 1e-6 and verdict["b"] > 0

    other = pytester.makepyfile(other_suite=E2E_SUITE.replace("test_never_negative", "test_other"))
    mismatch = pytester.runpytest(str(other), f"--assay-model=release={release}", "--assay-baseline=base.json",
                                  *common)
    assert mismatch.ret != 0
    mismatch.stdout.fnmatch_lines(["*base.json shares no test with this run*"])
