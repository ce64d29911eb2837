"""CheckList's released QQP suite, imported as data and run against the duplicate-question model.

Each of the suite's 53 tests becomes an assay declaration over a seeded sample of 100 of its cases
(5,300 cases; about 8 minutes on two CPU cores). ``QQP_N=checklist`` runs the sample CheckList ran on
(up to 500 cases per test, 25,377 in all), ``QQP_N=all`` every case, ``QQP_N=250`` another sample size.
CheckList sets no thresholds, so every test reports its failure rate and passes
(``max_failure_rate=1``); lower a test's threshold to make it a gate. The suite is read from ``../shared/checklist/`` and the module is skipped where absent.
"""

import os
import re
from pathlib import Path

import pytest

from assay.checklist import load_suite
from qqp_model import LABELS

SUITE = Path(__file__).resolve().parents[2].parent / "shared" / "checklist" / "qqp_suite.tar.gz"
if not SUITE.is_file():
    pytest.skip(f"CheckList's QQP suite not found at {SUITE}", allow_module_level=True)


def _sample_size(value: str) -> int | str | None:
    if value == "checklist":
        return None  # the sample CheckList ran on
    return value if value == "all" else int(value)


N = _sample_size(os.environ.get("QQP_N") or "100")


def _variable(name: str) -> str:
    return "test_" + re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower()


for _test in load_suite(SUITE).tests:
    globals()[_variable(_test.name)] = _test.declaration(label_names=LABELS, n=N)
