"""A verdict never depends on which inputs shared a batch: the shipped suite's INV tests, made as strict as
they can be (``tolerance: 0``), judge every case the same way whatever the run predicts alongside them.

Real pytest runs on the shared model: different ``-k`` selections, batch sizes, ``-n 2``, a cold and a
warm prediction cache. Two shipped INV tests, and a third over the same templates whose changes are
case changes (which the uncased model reads as the same input, so they pass only if those inputs get
identical probabilities), on 40 sentences each (skipped where ../shared is absent).
"""

import json
from pathlib import Path

import pytest
import yaml

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SUITES = Path(__file__).resolve().parents[1] / "suites" / "sentiment"
SHIPPED = ["typos_templates", "punctuation_templates"]  # robustness.assay.yaml


def strict_suite(folder: Path) -> None:
    """The chosen shipped INV tests with ``tolerance: 0`` and ``n: 40``, and ``case_templates``."""
    doc = yaml.safe_load((SUITES / "robustness.assay.yaml").read_text(encoding="utf-8"))
    tests = [dict(entry, tolerance=0, n=40, max_failure_rate=1.0) for entry in doc["tests"] if entry["name"] in SHIPPED]
    assert [t["name"] for t in tests] == SHIPPED and all(t["type"] == "INV" for t in tests)
    tests.append(dict(tests[0], name="case_templates", perturb=["lowercase", "uppercase", "titlecase"]))
    doc["tests"] = tests
    (folder / "robustness.assay.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")


def verdicts(pytester, model: Path, cache: Path, *args: str) -> dict[str, tuple]:
    result = pytester.runpytest_subprocess(f"--assay-model={model}", f"--assay-cache-dir={cache}",
                                           "--assay-report=r.json", "-p", "no:cacheprovider", *args)
    assert result.ret == 0, result.stdout.str()[-3000:]
    tests = json.loads((pytester.path / "r.json").read_text())["tests"]
    return {t["name"]: (t["failed"], t["cases"], t["failure_rate"], t["outcomes"]) for t in tests}


def test_strict_inv_verdicts_do_not_depend_on_batch_composition(pytester, shared_model_path, tmp_path):
    strict_suite(pytester.path)
    runs = {
        "all, cold": verdicts(pytester, shared_model_path, tmp_path / "a"),
        "two, cold, batches of 7": verdicts(pytester, shared_model_path, tmp_path / "b", "-k",
                                            "case_templates or punctuation_templates", "--assay-batch-size=7"),
        "all, half warm, -n 2": verdicts(pytester, shared_model_path, tmp_path / "b", "-n", "2"),
        "all, warm": verdicts(pytester, shared_model_path, tmp_path / "a"),
    }
    reference = runs["all, cold"]
    assert set(reference) == {*SHIPPED, "case_templates"}
    assert reference["case_templates"][:2] == (0, 40)  # the same input read three ways: never a change
    assert all(reference[name][0] > 0 for name in SHIPPED)  # tolerance 0 fails real changes
    for label, run in runs.items():
        for name, verdict in run.items():
            assert verdict == reference[name], (label, name, verdict[:3], reference[name][:3])
