"""Head checks as pytest items: one per layer / head, with the figures in JUnit and JSON."""

import json
import xml.etree.ElementTree as ET

import pytest
import torch
from test_engine_fixtures import save_bert

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
    report = {(t["name"], t.get("part")): t for t in json.loads((pytester.path / "r.json").read_text())["tests"]}
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
    assert result.ret in (0, 1)


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
