"""Every model output is checked once, the same way, before anything is judged on it."""

from __future__ import annotations

import numpy as np
import pytest

from assay.errors import PredictionError
from assay.probabilities import checked_probabilities

LABELS = ["negative", "positive"]


def test_a_good_array_comes_back_as_float64():
    probs = checked_probabilities(np.array([[0.25, 0.75]], dtype=np.float32), model="m", inputs=["x"], labels=LABELS)
    assert probs.dtype == np.float64 and probs.tolist() == [[0.25, 0.75]]


@pytest.mark.parametrize("raw, fragment", [
    ([[0.5, 0.5, 0.0]], "shape (1, 3), expected (1, 2)"),
    ([[np.nan, 0.5]], "NaN or infinite probabilities for 'x'"),
    ([[np.inf, 0.0]], "NaN or infinite probabilities for 'x'"),
    ([[2.3, -1.1]], "not a probability distribution"),
    ([[0.9, 0.9]], "sums to 1.8"),
    ("text", "not an array of numbers"),
])
def test_unusable_output_is_one_line_naming_the_model(raw, fragment):
    with pytest.raises(PredictionError) as info:
        checked_probabilities(raw, model="m", inputs=["x"], labels=LABELS)
    message = str(info.value)
    assert fragment in message and "'m'" in message and "\n" not in message


def test_values_false_checks_the_shape_only():
    assert np.isnan(checked_probabilities([[np.nan, 1.0]], model="m", inputs=["x"], labels=LABELS, values=False)).any()


def test_a_model_returning_logits_errors_instead_of_being_judged(pytester):
    """Logits used to be judged as if they were probabilities (argmax and tolerances on raw scores)."""
    pytester.makeconftest('''
import numpy as np, pytest
class Logits:
    labels = ["negative", "positive"]
    def predict_proba(self, inputs):
        return np.array([[-2.0, 3.5] for _ in inputs])
@pytest.fixture(scope="session")
def assay_model():
    return Logits()
''')
    pytester.makepyfile(test_suite="from assay import MFT\ntest_a = MFT(['good'], 'positive')\n")
    result = pytester.runpytest()
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*not a probability distribution*return softmax probabilities, not logits*"])
