"""The persistent prediction cache: hits, misses, invalidation, corruption, several processes."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from assay.engine import PredictionCache, default_cache_dir, load_model
from assay.engine.cache import FILE_NAME, input_key
from test_engine_fixtures import PAIRS, TEXTS, bert_dir, save_bert  # noqa: F401  (fixture)


def test_second_run_is_served_from_the_cache_with_identical_results(tmp_path, bert_dir):
    first = load_model(str(bert_dir), cache_dir=tmp_path)
    expected = first.predict_proba(TEXTS + PAIRS)
    assert first.stats["predicted"] == len(TEXTS + PAIRS) and first.stats["cache_hits"] == 0
    second = load_model(str(bert_dir), cache_dir=tmp_path)
    got = second.predict_proba(list(reversed(TEXTS + PAIRS)))
    assert second.stats["predicted"] == 0 and second.stats["cache_hits"] == len(TEXTS + PAIRS)
    assert np.array_equal(got, expected[::-1])


def test_only_missing_inputs_are_predicted(tmp_path, bert_dir):
    model = load_model(str(bert_dir), cache_dir=tmp_path)
    model.predict_proba(TEXTS[:4])
    model.predict_proba(TEXTS)
    assert model.stats["predicted"] == len(TEXTS) and model.stats["cache_hits"] == 4


def test_changed_weights_invalidate_the_cache(tmp_path, bert_dir):
    folder = tmp_path / "model"
    shutil.copytree(bert_dir, folder)
    before = load_model(str(folder), cache_dir=tmp_path / "cache")
    old = before.predict_proba(TEXTS)
    save_bert(folder, seed=7)  # retrained: same files, new weights
    after = load_model(str(folder), cache_dir=tmp_path / "cache")
    assert after.fingerprint != before.fingerprint
    new = after.predict_proba(TEXTS)
    assert after.stats["cache_hits"] == 0 and after.stats["predicted"] == len(TEXTS)
    assert not np.allclose(old, new, atol=1e-3)


def test_head_masks_and_dtypes_have_their_own_entries(tmp_path, bert_dir):
    mask = torch.ones(2, 4)
    other = mask.clone()
    other[0, 1] = 0
    assert len({input_key("m", "x"), input_key("m", "x", b"1"), input_key("m", "x", b"2"), input_key("n", "x")}) == 4
    assert input_key("m", ("a", "b")) != input_key("m", "a b") != input_key("m", '["a", "b"]')
    model = load_model(str(bert_dir), cache_dir=tmp_path)
    bf16 = load_model(str(bert_dir), cache_dir=tmp_path, dtype="bfloat16")
    assert model.cache_namespace != bf16.cache_namespace and model.fingerprint == bf16.fingerprint


def test_rows_are_float32_bytes_not_pickles(tmp_path, bert_dir):
    model = load_model(str(bert_dir), cache_dir=tmp_path)
    model.predict_proba(["bad food"])
    with sqlite3.connect(tmp_path / FILE_NAME) as db:
        (blob,) = db.execute("SELECT probs FROM predictions").fetchone()
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert len(blob) == 3 * 4
    assert np.allclose(np.frombuffer(blob, "<f4"), model.predict_proba(["bad food"])[0], atol=1e-7)


def test_corrupt_cache_file_warns_once_and_is_rebuilt(tmp_path, bert_dir):
    (tmp_path / FILE_NAME).write_bytes(b"this is not a database" * 100)
    model = load_model(str(bert_dir), cache_dir=tmp_path)
    with pytest.warns(RuntimeWarning, match="unreadable") as caught:
        first = model.predict_proba(TEXTS)
    assert len([w for w in caught if "unreadable" in str(w.message)]) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = load_model(str(bert_dir), cache_dir=tmp_path)
        assert np.array_equal(again.predict_proba(TEXTS), first)
        assert again.stats["cache_hits"] == len(TEXTS)


def test_unusable_cache_folder_disables_the_cache_without_crashing(tmp_path, bert_dir):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    model = load_model(str(bert_dir), cache_dir=blocker / "cache")
    with pytest.warns(RuntimeWarning, match="disabled"):
        probs = model.predict_proba(TEXTS)
    assert probs.shape == (len(TEXTS), 3) and model.cache is not None and not model.cache.enabled


def test_cache_can_be_switched_off_and_defaults_to_assay_cache_dir(tmp_path, bert_dir, monkeypatch):
    monkeypatch.setenv("ASSAY_CACHE_DIR", str(tmp_path / "env-cache"))
    assert default_cache_dir() == tmp_path / "env-cache"
    off = load_model(str(bert_dir), cache_dir=False)
    off.predict_proba(TEXTS)
    assert off.cache is None and not (tmp_path / "env-cache").exists()
    default = load_model(str(bert_dir))
    default.predict_proba(TEXTS)
    assert (tmp_path / "env-cache" / FILE_NAME).exists()
    monkeypatch.delenv("ASSAY_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "assay"


def test_clear_forgets_everything(tmp_path, bert_dir):
    model = load_model(str(bert_dir), cache_dir=tmp_path)
    model.predict_proba(TEXTS)
    assert len(model.cache) == len(TEXTS)
    model.cache.clear()
    assert len(model.cache) == 0
    fresh = load_model(str(bert_dir), cache_dir=tmp_path)
    fresh.predict_proba(TEXTS)
    assert fresh.stats["predicted"] == len(TEXTS) and fresh.stats["cache_hits"] == 0


WRITER = """
import sys, numpy as np
from assay.engine.cache import PredictionCache, input_key
cache = PredictionCache(sys.argv[1])
worker = int(sys.argv[2])
for round in range(20):
    rows = [(input_key("m", f"text {i}"), np.full(3, i, dtype=np.float32)) for i in range(worker, 400, 2)]
    cache.put_many(rows)
    found = cache.get_many([key for key, _ in rows], 3)
    assert len(found) == len(rows), (round, len(found))
print("ok")
"""


@pytest.mark.slow  # writer processes
def test_several_processes_share_one_cache(tmp_path):
    src = str(Path(__file__).resolve().parents[1] / "src")
    import os

    env = {**os.environ, "PYTHONPATH": src}
    workers = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), str(w)], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for w in (0, 1)]
    for process in workers:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0 and out.strip() == "ok", err
    cache = PredictionCache(tmp_path)
    keys = [input_key("m", f"text {i}") for i in range(400)]
    found = cache.get_many(keys, 3)
    assert len(found) == 400 and all(found[key][0] == i for i, key in enumerate(keys))


def test_hooks_installed_from_outside_neither_read_nor_write_the_cache(tmp_path, bert_dir):
    from assay.heads import mask_heads
    from assay.heads.forward import predict

    off = torch.zeros(2, 4)
    model = load_model(str(bert_dir), cache_dir=tmp_path / "plain-first")
    plain = model.predict_proba(TEXTS)
    with mask_heads(model, off):
        masked = model.predict_proba(TEXTS)
    np.testing.assert_allclose(masked, predict(model.model, model.tokenizer, TEXTS, mask=off), atol=1e-6)
    assert not np.allclose(masked, plain, atol=1e-3)
    assert model.stats["cache_bypassed"] == len(TEXTS)

    first = load_model(str(bert_dir), cache_dir=tmp_path / "masked-first")
    with mask_heads(first, off):
        first.predict_proba(TEXTS)
    np.testing.assert_array_equal(first.predict_proba(TEXTS), plain)  # nothing remembered from the masked pass
    later = load_model(str(bert_dir), cache_dir=tmp_path / "masked-first")
    np.testing.assert_array_equal(later.predict_proba(TEXTS), plain)  # nor stored


KILLED_RUN = """
import functools, sys, time
from assay.engine import load_model

model = load_model(sys.argv[1], cache_dir=sys.argv[2], batch_size=4)
inner = model.model.forward


@functools.wraps(inner)
def slow(*args, **kwargs):  # a slow model; not a hook, which would keep the cache out
    time.sleep(0.02)
    return inner(*args, **kwargs)


model.model.forward = slow
texts = sys.argv[3].split("|")
print("predicting", flush=True)
model.predict_proba(texts)
print("finished", flush=True)
"""


@pytest.mark.slow
def test_a_run_killed_while_predicting_keeps_its_finished_batches(tmp_path, bert_dir):
    import os
    import signal
    import time

    import assay
    from test_engine_fixtures import WORDS

    texts = [f"the {a} {b}" for a in WORDS for b in WORDS][:600]
    src = str(Path(assay.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": src}
    cache_dir = tmp_path / "cache"
    child = subprocess.Popen([sys.executable, "-c", KILLED_RUN, str(bert_dir), str(cache_dir), "|".join(texts)],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "predicting", child.stderr.read()
        cache = PredictionCache(cache_dir)
        deadline = time.monotonic() + 120
        while child.poll() is None and len(cache) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        finished_before_kill = child.poll() is not None
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    assert not finished_before_kill, "no prediction reached the cache before the run ended"
    stored = len(cache)
    cache.close()
    assert 0 < stored < len(texts)
    rerun = load_model(str(bert_dir), cache_dir=cache_dir)
    probs = rerun.predict_proba(texts)
    assert rerun.stats["cache_hits"] == stored and rerun.stats["predicted"] == len(texts) - stored
    fresh = load_model(str(bert_dir), cache_dir=False, batch_size=4).predict_proba(texts)
    np.testing.assert_allclose(probs, fresh, atol=1e-6)
