"""The plugin with real Hugging Face checkpoints: load errors, the prediction cache across runs."""

import json

import pytest
import torch  # noqa: F401  (imported before any pytester run; see test_integration_shared)
from test_engine_fixtures import save_bert

SUITE = '''
from assay import MFT, INV, template
test_words = MFT(template("the flight was {w}", w=["great", "good", "bad", "late"]), "positive", max_failure_rate=1.0)
test_shout = INV(["the flight was great", "bad food"], lambda s: [s + "!"], max_failure_rate=1.0)
'''


@pytest.mark.slow  # a real pytest session in a subprocess
def test_missing_model_is_one_error_on_every_item(pytester, tmp_path):
    pytester.makepyfile(test_suite=SUITE)
    missing = tmp_path / "no-such-checkpoint"
    result = pytester.runpytest_subprocess(f"--assay-model={missing}", "--assay-report=r.json")
    assert result.ret != 0
    result.assert_outcomes(errors=2)
    # The same one-line message, once per item, in the errors section.
    assert sum(line.startswith(f"model folder {missing} does not exist") for line in result.stdout.lines) == 2
    assert "Traceback" not in result.stdout.str()
    report = json.loads((pytester.path / "r.json").read_text())
    assert [t["outcome"] for t in report["tests"]] == ["error", "error"]
    assert all(str(missing) in t["error"] for t in report["tests"])


@pytest.mark.slow  # real pytest sessions in subprocesses
def test_second_run_is_served_from_the_cache_and_clear_empties_it(pytester, tmp_path):
    model = save_bert(tmp_path / "tiny", seed=5)
    pytester.makepyfile(test_suite=SUITE)
    cache = tmp_path / "cache"
    stats = []
    for extra in ([], [], ["--assay-cache-clear"]):
        result = pytester.runpytest_subprocess(f"--assay-model={model}", f"--assay-cache-dir={cache}",
                                               "--assay-report=r.json", *extra)
        result.assert_outcomes(passed=2)
        stats.append(json.loads((pytester.path / "r.json").read_text())["models"][0]["stats"])
    unique_inputs = 4 + 3  # 'the flight was great' is shared by both tests: predicted once
    assert stats[0]["predicted"] == unique_inputs and stats[0]["cache_hits"] == 0
    assert stats[1]["predicted"] == 0 and stats[1]["cache_hits"] == unique_inputs
    assert stats[2]["predicted"] == unique_inputs and stats[2]["cache_hits"] == 0
    # Editing one test: only its new inputs are predicted.
    pytester.makepyfile(test_suite=SUITE.replace('"late"]', '"late", "superb"]'))
    result = pytester.runpytest_subprocess(f"--assay-model={model}", f"--assay-cache-dir={cache}",
                                           "--assay-report=r.json")
    result.assert_outcomes(passed=2)
    edited = json.loads((pytester.path / "r.json").read_text())["models"][0]["stats"]
    assert edited["predicted"] == 1 and edited["cache_hits"] == unique_inputs


@pytest.mark.slow  # a real pytest session in a subprocess
def test_explain_adds_top_tokens_to_the_message_and_report(pytester, tmp_path):
    model = save_bert(tmp_path / "tiny", seed=5)
    pytester.makepyfile(test_suite='''
from assay import MFT, template
test_never = MFT(template("the {w} was {v}", w=["flight", "crew", "seat"], v=["great", "bad", "late"]),
                 "positive", max_failure_rate=0.0)
test_never_neutral = MFT(template("the {w} was {v}", w=["flight", "crew", "seat"], v=["great", "bad", "late"]),
                         "neutral", max_failure_rate=0.0)
''')
    result = pytester.runpytest_subprocess(f"--assay-model={model}", "--assay-no-cache", "--assay-explain=2",
                                           "--assay-report=r.json")
    report = json.loads((pytester.path / "r.json").read_text())
    failing = [t for t in report["tests"] if t["outcome"] == "failed"]
    assert failing, "a tiny random model fails at least one of these label tests"
    for test in failing:
        explained = [c for c in test["failing_cases"] if "explanations" in c]
        assert len(explained) == min(2, test["failed"])
        for case in explained:
            assert set(case["explanations"]) == {"integrated_gradients", "lime", "rollout"}
            words = {w for w, _ in case["explanations"]["lime"]}
            assert words & set(case["inputs"][0].split())
    assert "explanations (top tokens of the predicted label):" in result.stdout.str()
    assert "integrated_gradients:" in result.stdout.str()
