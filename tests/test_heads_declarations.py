"""Head checks as a test author declares them (``assay.head_checks``), run as pytest items: the items
a sweep makes, the figures in JUnit and JSON, the same heads and figures as the ``assay.heads``
functions for the same seed, the model's own token limit, and the layout of the model that runs."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from test_engine_fixtures import TEXTS, save_bert

SUITE = '''
from assay import MFT, template
from assay.head_checks import importance, layer_ablation, random_masking, single_head_ablation

WORDS = ["great", "good", "bad", "terrible", "late", "love", "hate", "never again"]
test_words = MFT(template("the flight was {w}", w=WORDS, label="positive"), max_failure_rate=1.0)
test_random = random_masking(fraction=0.25, draws=3, min_agreement=0.0)
test_layers = layer_ablation(min_agreement=0.0)
test_critical = single_head_ablation(max_changed=0.0)
test_labelled = layer_ablation(["the flight was great", "bad food"], min_agreement=0.0)
test_importance = importance(fraction=0.25, min_agreement=0.0)
'''

LONG = [
    "the flight was great but the crew was not very good and the food was bad",
    "i love my seat and the service on time but never again on this airline",
    "bad food , terrible delay ! the plane was late and i hate it",
    "the crew was very good , the seat was great and the plane was on time",
    "never again : late , bad service , terrible food and a very bad seat",
    "good flight", "bad food", "i hate it", "on time", "the crew was great",
]


@pytest.fixture(scope="module", autouse=True)
def modules_loaded(tmp_path_factory):
    """In-process pytester runs drop the modules they imported, and torch cannot import some of its
    modules twice: load and run a model here first, so that the modules stay."""
    from assay.engine import load_model
    from assay.heads import random_masking

    classifier = load_model(str(save_bert(tmp_path_factory.mktemp("warm"))), cache_dir=False)
    random_masking(classifier, classifier.tokenizer, ["the flight"], draws=1)


def _report(pytester) -> dict:
    return json.loads((pytester.path / "r.json").read_text())


def _tests(pytester) -> dict:
    return {(t["name"], t.get("part")): t for t in _report(pytester)["tests"]}


@pytest.fixture
def model_dir(tmp_path):
    folder = save_bert(tmp_path / "tiny", seed=3)
    # Head 2 of layer 1 writes nothing: zero its slice of the output projection's input weights.
    from safetensors.torch import load_file, save_file

    weights = load_file(folder / "model.safetensors")
    key = "bert.encoder.layer.1.attention.output.dense.weight"
    head_dim = weights[key].shape[1] // 4
    weights[key][:, 2 * head_dim:3 * head_dim] = 0.0
    save_file(weights, folder / "model.safetensors", metadata={"format": "pt"})
    return folder


@pytest.mark.slow  # a real pytest session in a subprocess
def test_sweeps_make_one_item_per_layer_and_head(pytester, model_dir):
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest_subprocess(f"--assay-model=tiny={model_dir}", "--assay-no-cache", "--junitxml=r.xml",
                                           "--assay-report=r.json", "-p", "no:cacheprovider")
    cases = {c.get("name"): {p.get("name"): p.get("value") for p in c.iter("property")}
             for c in ET.parse(pytester.path / "r.xml").getroot().iter("testcase")}
    # 1 MFT + 1 random + 2 layers + 8 heads + 2 labelled layers + 1 importance
    assert len(cases) == 15, sorted(cases)
    assert {f"test_critical[tiny-L{l}-H{h}]" for l in range(2) for h in range(4)} <= set(cases)
    head = cases["test_critical[tiny-L1-H2]"]
    assert (head["layer"], head["head"], head["test_type"]) == ("1", "2", "HEADS")
    # A head that writes nothing cannot change any prediction.
    assert float(head["agreement"]) == 1.0 and head["failed"] == "0"
    layer = cases["test_layers[tiny-L0]"]
    assert layer["layer"] == "0" and "head" not in layer
    report = _tests(pytester)
    random_test = report[("test_random", None)]
    assert random_test["cases"] == 3 * 8 and len(random_test["extra"]["agreement_per_draw"]) == 3
    # The suite's MFT labels serve as gold labels, so accuracy figures exist.
    assert "accuracy_drop" in report[("test_layers[L1]", "L1")]["extra"]
    assert report[("test_labelled[L0]", "L0")]["cases"] == 2
    imp = report[("test_importance", None)]["extra"]
    assert len(imp["importance"]) == 2 and len(imp["importance"][0]) == 4
    assert len(imp["pruned"]) == 2  # 25% of 8 heads, the least important ones
    # The silent head has zero importance, so it is among the first pruned.
    assert imp["importance_raw"][1][2] == pytest.approx(0.0, abs=1e-9)
    assert [1, 2] in imp["pruned"]
    assert imp["pruning_curve"][0]["fraction"] == 0 and "harmful_heads" in imp
    # Agreement and failure rate describe the same thing.
    for t in report.values():
        if t["type"] == "HEADS" and t["extra"].get("masks") and len(t["extra"]["masks"]) == 1:
            assert t["failure_rate"] == pytest.approx(1 - t["extra"]["agreement"])
    # test_critical allows no change at all: the heads that change a prediction fail, the silent one passes.
    failing = {t["name"] for t in report.values() if t["outcome"] == "failed"}
    assert "test_critical[L1-H2]" not in failing
    assert failing and all(name.startswith("test_critical[") for name in failing), failing
    assert result.ret == 1


def test_random_masking_masks_the_same_heads_as_the_function_and_the_command(pytester, model_dir):
    """One mask builder (issue 12 item 1): seed 0 draws the same heads, with the same agreement, in a
    suite, through ``assay.heads.random_masking`` and through ``assay heads``."""
    from assay.cli import main
    from assay.engine import load_model
    from assay.heads import random_masking

    texts = LONG + [t for t in TEXTS if t and t not in LONG]
    pytester.makepyfile(test_suite=f'''
from assay.head_checks import random_masking
test_random = random_masking({texts!r}, fraction=0.25, draws=4, min_agreement=0.0)
''')
    result = pytester.runpytest(f"--assay-model=tiny={model_dir}", "--assay-no-cache", "--assay-report=r.json",
                                "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    extra = _report(pytester)["tests"][0]["extra"]
    classifier = load_model(str(model_dir), cache_dir=False)
    direct = random_masking(classifier, classifier.tokenizer, texts, fraction=0.25, draws=4, seed=0)
    assert extra["masked"] == [[list(h) for h in d.masked] for d in direct.draws]
    assert extra["agreement_per_draw"] == [d.agreement for d in direct.draws]
    assert len({tuple(map(tuple, m)) for m in extra["masked"]}) > 1  # the draws differ from each other

    data = pytester.path / "texts.txt"
    data.write_text("\n".join(texts) + "\n")
    import io

    out = io.StringIO()
    assert main(["heads", str(model_dir), "--data", str(data), "--random-fraction", "0.25", "--draws", "4",
                 "--out", str(pytester.path / "heads"), "--device", "cpu"], out=out, err=io.StringIO()) == 0
    assert f"mean agreement {direct.mean_agreement:.3f}, min {direct.min_agreement:.3f}" in out.getvalue()


def test_head_checks_read_inputs_as_the_loaded_model_does(pytester, model_dir):
    """The classifier's own token limit (``load_model(max_length=...)``) holds in head checks as in
    MFT: the unmasked row of a head check is the classifier's prediction."""
    pytester.makeconftest(f'''
import pytest
from assay.engine import load_model

@pytest.fixture(scope="session")
def assay_model():
    return load_model({str(model_dir)!r}, max_length=6, cache_dir=False)
''')
    pytester.makepyfile(test_suite=f'''
from assay import expect
from assay.head_checks import random_masking
# Every case fails (a prediction is always one of the labels), so the report lists every case.
test_random = random_masking({LONG!r}, draws=1, min_agreement=0.5,
                             expect=expect.label_not_in("negative", "neutral", "positive"))
''')
    result = pytester.runpytest("--assay-no-cache", "--assay-report=r.json", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    from assay.engine import load_model

    short = load_model(str(model_dir), max_length=6, cache_dir=False)
    full = load_model(str(model_dir), cache_dir=False)
    cases = _report(pytester)["tests"][0]["failing_cases"]
    assert len(cases) == len(LONG)
    unmasked = np.array([case["probs"][0] for case in cases])
    texts = [case["inputs"][0] for case in cases]
    np.testing.assert_allclose(unmasked, short.predict_proba(texts), atol=2e-6)
    assert not np.allclose(unmasked, full.predict_proba(texts), atol=1e-3)  # the limit matters here


def _override_the_model(pytester, folder) -> None:
    """A conftest whose ``assay_model`` fixture returns the model at ``folder`` (none is named on the
    command line, so collection assumes the 6 x 12 demo)."""
    pytester.makeconftest(f'''
import pytest
from assay.engine import load_model

@pytest.fixture(scope="session")
def assay_model():
    return load_model({str(folder)!r}, cache_dir=False)
''')


def test_a_sweep_is_laid_out_for_the_model_that_runs(pytester, tmp_path):
    """An ``assay_model`` fixture that returns another model than the one named on the command line
    (here: none named, so the 6 x 12 demo) cannot be laid out at collection: one item reports every
    head, judged head by head (issue 11 item 18)."""
    _override_the_model(pytester, save_bert(tmp_path / "tiny", seed=3))
    pytester.makepyfile(test_suite=f'''
from assay.head_checks import layer_ablation, single_head_ablation
test_critical = single_head_ablation({LONG!r}, max_changed=1.0)
test_layers = layer_ablation({LONG!r}, min_agreement=0.0)
''')
    result = pytester.runpytest("--assay-no-cache", "--assay-report=r.json", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    tests = _tests(pytester)
    assert set(tests) == {("test_critical", None), ("test_layers", None)}
    per_mask = tests[("test_critical", None)]["extra"]["per_mask"]
    assert [(m["layer"], m["head"]) for m in per_mask] == [(layer, head) for layer in range(2) for head in range(4)]
    assert [m["layer"] for m in tests[("test_layers", None)]["extra"]["per_mask"]] == [0, 1]


def test_a_sweep_judged_as_one_item_fails_on_its_worst_head(pytester, tmp_path):
    _override_the_model(pytester, save_bert(tmp_path / "tiny", seed=3))
    pytester.makepyfile(test_suite=f'''
from assay.head_checks import single_head_ablation
test_critical = single_head_ablation({LONG!r}, max_changed=0.0)
''')
    result = pytester.runpytest("--assay-no-cache", "--assay-report=r.json", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    (test,) = _report(pytester)["tests"]
    worst = max(test["extra"]["per_mask"], key=lambda m: m["failure_rate"])
    assert worst["failure_rate"] > 0
    result.stdout.fnmatch_lines([f"*L{worst['layer']}-H{worst['head']} changed*"])


def test_head_checks_refuse_models_without_heads(pytester):
    pytester.makeconftest('''
import numpy as np, pytest
class Plain:
    labels = ["negative", "positive"]
    def predict_proba(self, inputs):
        return np.full((len(inputs), 2), 0.5)
@pytest.fixture
def assay_model():
    return Plain()
''')
    pytester.makepyfile(test_suite='''
from assay.head_checks import random_masking
test_random = random_masking(["a", "b"])
''')
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)  # could not be judged: pytest's ERROR
    result.stdout.fnmatch_lines(["*head checks need a Hugging Face model*Plain has none*"])


@pytest.mark.parametrize("kwargs, message", [
    ({"fraction": 1.5}, "fraction=1.5"), ({"draws": 0}, "draws=0"), ({"min_agreement": 2}, "min_agreement=2"),
])
def test_bad_head_check_declarations(kwargs, message):
    from assay.errors import DeclarationError
    from assay.head_checks import random_masking

    with pytest.raises(DeclarationError, match=message):
        random_masking(["a"], **kwargs).validate()


@pytest.mark.slow  # a pytest session in a subprocess, with its own (offline) Hugging Face cache
def test_a_hub_model_is_laid_out_from_its_config(pytester, tmp_path, monkeypatch):
    """A hub id's sweep is laid out from its config in the Hugging Face cache (offline here, so the
    test never reaches the network); a hub id whose config cannot be had gives one item."""
    revision = "0" * 40
    repo = tmp_path / "hub" / "models--assay-test--tiny-bert"
    save_bert(repo / "snapshots" / revision, seed=3)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(revision)
    pytester.makepyfile(test_suite=f'''
from assay.head_checks import single_head_ablation
test_critical = single_head_ablation({LONG!r}, max_changed=1.0)
''')
    for key, value in {"HF_HUB_CACHE": tmp_path / "hub", "HF_HUB_OFFLINE": "1", "HF_HOME": tmp_path / "home"}.items():
        monkeypatch.setenv(key, str(value))
    result = pytester.runpytest_subprocess("--assay-model=tiny=assay-test/tiny-bert",
                                           "--assay-model=gone=assay-test/not-cached", "--assay-no-cache",
                                           "--assay-report=r.json", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=8, errors=1)
    tests = _tests(pytester)
    assert {part for (_, part), t in tests.items() if t["model"] == "tiny"} == {
        f"L{layer}-H{head}" for layer in range(2) for head in range(4)}
    assert [part for (_, part), t in tests.items() if t["model"] == "gone"] == [None]
