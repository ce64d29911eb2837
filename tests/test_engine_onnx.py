"""The ONNX Runtime backend: equal to PyTorch eager, exported once, never a wrong prediction."""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import pytest
import torch

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

from assay.engine import load_model  # noqa: E402
from assay.engine import onnx_backend as onnx  # noqa: E402
from assay.heads.masking import mask_heads  # noqa: E402
from test_engine_fixtures import (  # noqa: E402,F401  (fixtures)
    PAIRS, TEXTS, bert_dir, distilbert_dir, reference_probs, roberta_dir,
)

INPUTS = TEXTS + PAIRS
EQUAL = 1e-5  # the promise: within 1e-5 of PyTorch eager float32


def onnx_model(folder, cache, **kwargs):
    return load_model(str(folder), cache_dir=cache, backend="onnx", **kwargs)


@pytest.mark.parametrize("kind", ["bert_dir", "distilbert_dir", "roberta_dir"])
def test_predictions_equal_pytorch_eager(request, tmp_path, kind):
    folder = request.getfixturevalue(kind)
    fast = onnx_model(folder, tmp_path / "cache")
    assert fast.backend_name == "onnx" and fast.describe()["backend"] == "onnx", fast.notes
    assert not [note for note in fast.notes if "ONNX" in note]
    eager = load_model(str(folder), cache_dir=False, backend="torch")
    probs = fast.predict_proba(INPUTS)
    assert np.abs(probs - eager.predict_proba(INPUTS)).max() <= EQUAL
    assert np.abs(probs - reference_probs(folder, INPUTS)).max() <= EQUAL  # one input at a time, no padding
    assert not fast.model.training and not any(m.training for m in fast.model.modules())


@pytest.mark.integration
@pytest.mark.slow
def test_shared_model_equals_pytorch_eager(tmp_path, shared_model_path, shared_tweets_path):
    from assay.datasets import dataset

    texts = list(dataset(str(shared_tweets_path), text_column="text", n=300, seed=0))
    inputs = texts + [(texts[0], texts[1]), ("", texts[2])]
    fast = onnx_model(shared_model_path, tmp_path / "cache")
    assert fast.backend_name == "onnx", fast.notes
    eager = load_model(str(shared_model_path), cache_dir=False, backend="torch")
    assert np.abs(fast.predict_proba(inputs) - eager.predict_proba(inputs)).max() <= EQUAL


def test_head_masks_and_hooks_run_on_pytorch(tmp_path, bert_dir):
    """Masks are hooks on the PyTorch modules: the exported graph would ignore them."""
    fast = onnx_model(bert_dir, tmp_path / "cache")
    eager = load_model(str(bert_dir), cache_dir=False, backend="torch")
    mask = torch.ones(2, 4)
    mask[0, :3] = 0
    mask[1, 1:] = 0
    masked = eager.predict_proba(INPUTS, head_mask=mask)
    assert np.abs(masked - eager.predict_proba(INPUTS)).max() > 1e-3  # the mask matters
    assert np.abs(fast.predict_proba(INPUTS, head_mask=mask) - masked).max() <= 1e-6
    with mask_heads(fast.model, mask):
        assert np.abs(fast.predict_proba(INPUTS) - masked).max() <= 1e-6
    assert np.abs(fast.predict_proba(INPUTS) - eager.predict_proba(INPUTS)).max() <= EQUAL


def test_the_graph_is_exported_once_and_reused(monkeypatch, tmp_path, bert_dir):
    calls = []
    export = onnx.export_graph
    monkeypatch.setattr(onnx, "export_graph", lambda *a: calls.append(1) or export(*a))
    first = onnx_model(bert_dir, tmp_path / "cache")
    second = onnx_model(bert_dir, tmp_path / "cache")
    assert first.backend_name == second.backend_name == "onnx" and len(calls) == 1
    graphs = [p for p in (tmp_path / "cache" / "onnx").iterdir() if p.is_dir()]
    assert len(graphs) == 1 and (graphs[0] / onnx.GRAPH_FILE).is_file()
    assert np.array_equal(first.predict_proba(INPUTS), second.predict_proba(INPUTS))
    # Without a prediction cache the graph is still kept, in the default cache folder.
    monkeypatch.setenv("ASSAY_CACHE_DIR", str(tmp_path / "default"))
    third = onnx_model(bert_dir, False)
    assert third.backend_name == "onnx" and len(calls) == 2
    assert (tmp_path / "default" / "onnx" / graphs[0].name / onnx.GRAPH_FILE).is_file()


def test_concurrent_exports_write_one_graph(tmp_path):
    store = onnx.GraphStore(tmp_path / "onnx")
    calls, paths = [], []

    def export(target):
        calls.append(1)
        time.sleep(0.3)
        target.write_bytes(b"graph")

    threads = [threading.Thread(target=lambda: paths.append(store.get("k" * 64, export))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and len(set(paths)) == 1 and paths[0].read_bytes() == b"graph"
    assert sorted(p.name for p in (tmp_path / "onnx").iterdir()) == ["k" * 64, "k" * 64 + ".lock"]  # no scraps


def test_an_exporter_failure_falls_back_to_pytorch_with_one_note(monkeypatch, tmp_path, bert_dir):
    def unsupported(*args, **kwargs):
        raise RuntimeError("Exporting the operator 'aten::fancy' to ONNX opset version 17 is not supported.\nmore")

    monkeypatch.setattr(torch.onnx, "export", unsupported)
    slow = onnx_model(bert_dir, tmp_path / "cache")
    assert slow.backend_name == "torch"
    note = ("plain predictions run on PyTorch, not ONNX Runtime: the ONNX export failed (RuntimeError: Exporting the "
            "operator 'aten::fancy' to ONNX opset version 17 is not supported.)")
    assert [n for n in slow.notes if "ONNX" in n] == [note] and note in slow.describe()["notes"]
    eager = load_model(str(bert_dir), cache_dir=False, backend="torch")
    assert np.array_equal(slow.predict_proba(INPUTS), eager.predict_proba(INPUTS))
    # The failure is remembered: the next process does not try again.
    monkeypatch.setattr(torch.onnx, "export", lambda *a, **k: pytest.fail("exported again"))
    again = onnx_model(bert_dir, tmp_path / "cache")
    assert again.backend_name == "torch" and [n for n in again.notes if "ONNX" in n] == [note]


def test_a_graph_that_disagrees_with_pytorch_is_not_used(monkeypatch, tmp_path, bert_dir):
    run = onnx.OnnxForward.run
    monkeypatch.setattr(onnx.OnnxForward, "run", lambda self, arrays: run(self, arrays) + np.float32(1e-3))
    slow = onnx_model(bert_dir, tmp_path / "cache")
    assert slow.backend_name == "torch"
    assert [n for n in slow.notes if "ONNX" in n] == [
        "plain predictions run on PyTorch, not ONNX Runtime: the exported graph differs from the PyTorch model "
        "by 1.0e-03 (more than 1e-05) on probe inputs"]


def test_an_unwritable_cache_folder_falls_back(tmp_path, bert_dir):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    slow = onnx_model(bert_dir, blocker)
    assert slow.backend_name == "torch"
    assert any(n.startswith(f"plain predictions run on PyTorch, not ONNX Runtime: cannot write exported graphs to {blocker}")
               for n in slow.notes), slow.notes


def test_the_graph_key_covers_everything_the_graph_depends_on(monkeypatch):
    base = dict(fingerprint="f" * 64, dtype=torch.float32, input_names=["input_ids", "attention_mask"],
                model_class="BertForSequenceClassification",
                tool_versions={"onnxruntime": "1.32.0", "torch": "2.13.0", "transformers": "5.24.0"})
    keys = {onnx.graph_key(**base)}
    variants = [dict(fingerprint="e" * 64), dict(dtype=torch.float16), dict(input_names=["input_ids", "attention_mask", "token_type_ids"]),
                dict(model_class="RobertaForSequenceClassification")]
    variants += [dict(tool_versions={**base["tool_versions"], tool: "0"}) for tool in base["tool_versions"]]
    for change in variants:
        keys.add(onnx.graph_key(**{**base, **change}))
    for constant, value in (("OPSET", 18), ("OPTIMIZATION", "ORT_ENABLE_BASIC"), ("EXPORT_FORMAT", 2)):
        with monkeypatch.context() as patch:
            patch.setattr(onnx, constant, value)
            keys.add(onnx.graph_key(**base))
    assert len(keys) == 1 + len(variants) + 3
    assert onnx.graph_key(**base) == onnx.graph_key(**base)  # stable


def test_the_backend_follows_the_torch_thread_count(tmp_path, bert_dir):
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        fast = onnx_model(bert_dir, tmp_path / "cache")
        assert fast.backend.threads == 1
    finally:
        torch.set_num_threads(before)


SUITE = '''
from assay import MFT, INV, template
test_words = MFT(template("the flight was {w}", w=["great", "good", "bad", "late"]), "positive", max_failure_rate=1.0)
test_shout = INV(["the flight was great", "bad food"], lambda s: [s + "!", s.upper()], tolerance=0, max_failure_rate=1.0)
'''


@pytest.mark.slow
def test_the_plugin_option_runs_the_suite_on_onnx_with_the_same_verdicts(pytester, tmp_path, bert_dir):
    pytester.makepyfile(test_suite=SUITE)
    reports = {}
    for backend in ("torch", "onnx"):
        result = pytester.runpytest_subprocess(f"--assay-model={bert_dir}", f"--assay-backend={backend}", "--assay-no-cache",
                                               f"--assay-cache-dir={tmp_path / 'cache'}", f"--assay-report={backend}.json")
        result.assert_outcomes(passed=2)
        reports[backend] = json.loads((pytester.path / f"{backend}.json").read_text())
    assert [m["backend"] for m in reports["onnx"]["models"]] == ["onnx"]
    assert [m["backend"] for m in reports["torch"]["models"]] == ["torch"]
    fields = ("nodeid", "outcome", "failure_rate", "failed", "cases")
    assert [[t[f] for f in fields] for t in reports["onnx"]["tests"]] == [[t[f] for f in fields] for t in reports["torch"]["tests"]]
    assert [p.name for p in (tmp_path / "cache").iterdir()] == ["onnx"]  # --assay-no-cache: no predictions stored
