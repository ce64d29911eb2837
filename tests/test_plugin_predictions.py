"""What the plugin learns from the engine, in real pytest sessions (pytester): truncated inputs per test,
warnings about the model, fixes worded as plugin options, and one shared prediction pass even when the
``assay_model`` fixture is overridden per test."""

import json

import pytest
import torch  # noqa: F401  (imported before any pytester run; see test_integration_shared)
import transformers.models.bert.modeling_bert  # noqa: F401  (likewise: pytester drops modules first imported in a test)
from test_engine_fixtures import save_bert

LONG = " ".join(["the flight was great but the food was bad"] * 12)  # ~110 tokens: the tiny BERT takes 64

TRUNCATING_SUITE = f'''
from assay import MFT
LONG = {LONG!r}
test_long = MFT([LONG, LONG + " late", "bad food", ("bad food", LONG)], "positive", max_failure_rate=1.0)
test_short = MFT(["bad food", "late"], "positive", max_failure_rate=1.0)
'''


def report(pytester):
    return json.loads((pytester.path / "r.json").read_text())


@pytest.mark.slow  # a real pytest session in a subprocess
def test_truncated_inputs_are_counted_per_test_cold_and_warm(pytester, tmp_path):
    model = save_bert(tmp_path / "tiny", seed=5)
    pytester.makepyfile(test_suite=TRUNCATING_SUITE)
    for run in ("cold", "warm"):
        result = pytester.runpytest_subprocess(f"--assay-model={model}", f"--assay-cache-dir={tmp_path / 'cache'}",
                                               "--assay-report=r.json")
        result.assert_outcomes(passed=2)
        tests = {t["name"]: t for t in report(pytester)["tests"]}
        assert (tests["test_long"]["truncated"], tests["test_short"]["truncated"]) == (3, 0), run
        result.stdout.fnmatch_lines(["assay: model tiny: 3 inputs truncated to 64 tokens (in test_long 3)"])


@pytest.mark.slow  # a real pytest session in a subprocess
def test_a_model_that_does_not_report_truncation_has_no_count(pytester):
    pytester.makeconftest('''
import numpy as np, pytest

class Plain:
    labels = ["negative", "positive"]
    def predict_proba(self, inputs):
        return np.tile([0.4, 0.6], (len(inputs), 1))

@pytest.fixture(scope="session")
def assay_model():
    return Plain()
''')
    pytester.makepyfile(test_suite=TRUNCATING_SUITE)
    result = pytester.runpytest_subprocess("--assay-report=r.json", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    assert [t["truncated"] for t in report(pytester)["tests"]] == [None, None]
    assert "truncated" not in result.stdout.str()


def _config(folder, **changes):
    path = folder / "config.json"
    config = json.loads(path.read_text())
    config.update(changes)
    path.write_text(json.dumps(config))


@pytest.mark.slow  # a real pytest session in a subprocess
def test_custom_code_run_as_the_stock_class_is_said_once(pytester, tmp_path):
    model = save_bert(tmp_path / "custom", seed=5)
    _config(model, auto_map={"AutoModelForSequenceClassification": "modeling_custom.CustomBert"})
    pytester.makepyfile(test_suite=TRUNCATING_SUITE)
    result = pytester.runpytest_subprocess(f"--assay-model={model}", "--assay-no-cache", "--assay-report=r.json")
    result.assert_outcomes(passed=2)
    lines = [line for line in result.stdout.lines if "modeling_custom.CustomBert" in line]
    assert len(lines) == 1 and lines[0].startswith("assay: WARNING model custom:"), result.stdout.str()
    assert "BertForSequenceClassification" in lines[0] and "--assay-trust-remote-code" in lines[0]
    notes = report(pytester)["models"][0]["notes"]
    assert any("modeling_custom.CustomBert" in note for note in notes)


@pytest.mark.slow  # a real pytest session in a subprocess
def test_custom_model_type_error_names_the_plugin_option(pytester, tmp_path):
    model = save_bert(tmp_path / "custom", seed=5)
    _config(model, model_type="my-own-bert",
            auto_map={"AutoConfig": "configuration_mine.MyConfig", "AutoModelForSequenceClassification": "modeling_mine.MyBert"})
    pytester.makepyfile(test_suite=TRUNCATING_SUITE)
    result = pytester.runpytest_subprocess(f"--assay-model={model}", "--assay-no-cache")
    result.assert_outcomes(errors=2)
    output = result.stdout.str()
    assert "--assay-trust-remote-code" in output and "modeling_mine.MyBert" in output
    assert "trust_remote_code=True" not in output and "Traceback" not in output


COUNTING_MODEL = '''
import numpy as np, pytest

class Counting:
    labels = ["negative", "positive"]
    def __eq__(self, other):
        return EQUAL and type(other) is type(self)
    __hash__ = object.__hash__
    def predict_proba(self, inputs):
        with open("predicted.txt", "a") as out:
            out.write(f"{len(inputs)}\\n")
        return np.tile([0.4, 0.6], (len(inputs), 1))

@pytest.fixture  # function scope: a new object for every test
def assay_model():
    return Counting()
'''

FOUR_TESTS = "\n".join(
    f"test_{k} = MFT([f'review {k} number {{i}}' for i in range(25)], 'positive', max_failure_rate=1.0)" for k in range(4)
)


@pytest.mark.slow  # real pytest sessions in subprocesses
@pytest.mark.parametrize("equal", [True, False])
def test_a_function_scoped_model_fixture_never_predicts_the_suite_per_test(pytester, equal):
    pytester.makeconftest(f"EQUAL = {equal}\n" + COUNTING_MODEL)
    pytester.makepyfile(test_suite="from assay import MFT\n" + FOUR_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)
    predicted = [int(n) for n in (pytester.path / "predicted.txt").read_text().split()]
    if equal:  # objects that compare equal share one pass over the suite
        assert predicted == [100]
    else:  # a new, different object per test: each predicts its own inputs, with one warning
        assert predicted == [100, 25, 25, 25]
        assert result.stdout.str().count("give the fixture scope='session'") == 1


def test_the_engines_classifier_loaded_twice_is_the_same_model(tmp_path):
    from assay.engine import load_model
    from assay.plugin.predictions import same_model

    one, two = save_bert(tmp_path / "one", seed=5), save_bert(tmp_path / "two", seed=6)
    first, again, other = (load_model(str(folder), cache_dir=False) for folder in (one, one, two))
    assert same_model(first, again) and not same_model(first, other)
    assert not same_model(first, load_model(str(one), cache_dir=False, dtype="bfloat16"))
