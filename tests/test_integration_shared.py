"""The plugin's failure rates on the shared fine-tuned model equal an independent computation.

The independent side calls transformers directly (no assay code) and judges each case in plain
Python; the plugin side is a real pytest run whose JUnit and JSON reports are parsed back.
"""

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

pytestmark = pytest.mark.integration

ORIGINALS = [
    "The flight was great and the crew were friendly.",
    "My bag was lost and nobody helped.",
    "The plane left Boston at 6pm.",
    "Worst customer service I have ever had.",
    "Thanks for the smooth landing!",
    "I am flying to Denver tomorrow.",
    "The seat was dirty and the food was cold.",
    "Lovely staff, easy boarding.",
]
SUITE = '''
from assay import MFT, INV, DIR, template, expect

ORIGINALS = {originals!r}

def add_exclamations(text):
    return [text.rstrip(".!") + "!!!"]

def add_thanks(text):
    return [text + " Thank you so much, you are wonderful!"]

test_mft = MFT(template("The {{thing}} was {{adj}}.", thing=["flight", "crew", "seat", "food"],
                        adj=["excellent", "awful", "fine", "late"], label="positive"), capability="Vocabulary",
               max_failure_rate=1.0)
test_inv = INV(ORIGINALS, add_exclamations, capability="Robustness", max_failure_rate=1.0)
test_dir = DIR(ORIGINALS, add_thanks, expect=expect.confidence_not_lower(label="positive", tolerance=0.0),
               capability="Vocabulary", max_failure_rate=1.0)
'''


def independent_probs(model_path, texts):
    tok = AutoTokenizer.from_pretrained(model_path)
    model = AutoModelForSequenceClassification.from_pretrained(model_path, dtype=torch.float32).eval()
    out = {}
    with torch.no_grad():
        for text in texts:  # one at a time: no batching, no sorting, no padding
            enc = tok(text, return_tensors="pt", truncation=True)
            out[text] = torch.softmax(model(**enc).logits.float(), -1)[0].tolist()
    return out, [model.config.id2label[i] for i in range(model.config.num_labels)]


def argmax(row):
    return max(range(len(row)), key=row.__getitem__)


@pytest.mark.slow  # a real pytest session in a subprocess
def test_failure_rates_equal_an_independent_computation(pytester, shared_model_path):
    pytester.makepyfile(test_suite=SUITE.format(originals=ORIGINALS))
    # A subprocess: torch cannot be imported again after pytester restores sys.modules in-process.
    result = pytester.runpytest_subprocess("--assay-model", str(shared_model_path), "--assay-no-cache",
                                "--junitxml=r.xml", "--assay-report=r.json", "-p", "no:cacheprovider")
    assert result.ret == 0, result.stdout.str()
    report = {t["name"]: t for t in json.loads((pytester.path / "r.json").read_text())["tests"]}
    junit = {c.get("name"): {p.get("name"): p.get("value") for p in c.iter("property")}
             for c in ET.parse(pytester.path / "r.xml").getroot().iter("testcase")}

    mft_texts = [f"The {t} was {a}." for t in ["flight", "crew", "seat", "food"]
                 for a in ["excellent", "awful", "fine", "late"]]
    inv_pairs = [(o, o.rstrip(".!") + "!!!") for o in ORIGINALS]
    dir_pairs = [(o, o + " Thank you so much, you are wonderful!") for o in ORIGINALS]
    texts = mft_texts + [x for pair in inv_pairs + dir_pairs for x in pair]
    probs, labels = independent_probs(shared_model_path, texts)
    pos = labels.index("positive")

    expected = {
        "test_mft": sum(labels[argmax(probs[t])] != "positive" for t in mft_texts) / len(mft_texts),
        "test_inv": sum(argmax(probs[a]) != argmax(probs[b]) for a, b in inv_pairs) / len(inv_pairs),
        "test_dir": sum(probs[b][pos] < probs[a][pos] for a, b in dir_pairs) / len(dir_pairs),
    }
    for name, rate in expected.items():
        assert report[name]["failure_rate"] == pytest.approx(rate), name
        assert float(junit[f"{name}[minilm-airline-sentiment]"]["failure_rate"]) == pytest.approx(rate), name
    # The model is real and imperfect: at least one of the three tests must see failures, or the
    # comparison above would be vacuous.
    assert any(rate > 0 for rate in expected.values())


SUITES = Path(__file__).resolve().parents[1] / "suites" / "sentiment"
SHIPPED = {"single_positive_words": "vocabulary", "intensifiers_positive": "vocabulary",
           "punctuation_templates": "robustness"}


def shipped_declaration(name):
    import yaml

    from assay.yaml_suite import build_declaration

    path = SUITES / f"{SHIPPED[name]}.assay.yaml"
    doc = yaml.safe_load(path.read_text())
    entry = next(e for e in doc["tests"] if e["name"] == name)
    return build_declaration(entry, doc.get("lexicons") or {}, path.parent)


@pytest.mark.slow  # a real pytest session in a subprocess
def test_shipped_suite_rates_equal_an_independent_computation(pytester, shared_model_path):
    """Three tests of the shipped suite (one MFT, one DIR, one INV), run by pytest on the shared model."""
    files = sorted({str(SUITES / f"{f}.assay.yaml") for f in SHIPPED.values()})
    result = pytester.runpytest_subprocess(*files, "-k", " or ".join(SHIPPED), f"--assay-model={shared_model_path}",
                                           "--assay-no-cache", "--junitxml=r.xml", "--assay-report=r.json",
                                           "-p", "no:cacheprovider")
    report = {t["name"]: t for t in json.loads((pytester.path / "r.json").read_text())["tests"]}
    assert set(report) == set(SHIPPED), result.stdout.str()[-2000:]
    junit = {c.get("name").split("[")[0]: {p.get("name"): p.get("value") for p in c.iter("property")}
             for c in ET.parse(pytester.path / "r.xml").getroot().iter("testcase")}

    cases = {name: shipped_declaration(name).cases() for name in SHIPPED}
    texts = sorted({x for cs in cases.values() for case in cs for x in case.inputs})
    tok = AutoTokenizer.from_pretrained(shared_model_path)
    model = AutoModelForSequenceClassification.from_pretrained(shared_model_path, dtype=torch.float32).eval()
    probs = {}
    with torch.no_grad():
        for start in range(0, len(texts), 32):  # plain batches in alphabetical order, padded
            chunk = texts[start:start + 32]
            enc = tok(chunk, padding=True, truncation=True, return_tensors="pt")
            for text, row in zip(chunk, torch.softmax(model(**enc).logits.float(), -1).tolist()):
                probs[text] = row
    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    pos = labels.index("positive")

    mft = cases["single_positive_words"]
    failed_mft = sum(argmax(probs[c.inputs[0]]) != pos for c in mft)
    dir_cases = [c for c in cases["intensifiers_positive"] if len(c.inputs) > 1]
    failed_dir = sum(any(probs[x][pos] < probs[c.inputs[0]][pos] - 0.05 for x in c.inputs[1:]) for c in dir_cases)
    inv_cases = [c for c in cases["punctuation_templates"] if len(c.inputs) > 1]
    failed_inv = sum(any(argmax(probs[x]) != argmax(probs[c.inputs[0]]) for x in c.inputs[1:]) for c in inv_cases)
    expected = {"single_positive_words": (failed_mft, len(mft)), "intensifiers_positive": (failed_dir, len(dir_cases)),
                "punctuation_templates": (failed_inv, len(inv_cases))}
    for name, (failed, applicable) in expected.items():
        assert (report[name]["failed"], report[name]["cases"]) == (failed, applicable), name
        assert report[name]["failure_rate"] == pytest.approx(failed / applicable), name
        assert float(junit[name]["failure_rate"]) == pytest.approx(failed / applicable), name
        assert applicable >= 20, name
