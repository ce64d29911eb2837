"""Layer probes: a property written into the embeddings by construction is read perfectly, random
labels are not; property labels; the ``assay probe`` command on a saved tiny model."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
# The shared tiny model and tokenizer fixtures, and one torch thread for the module.
from test_explain_attributions import WORDS, model, one_thread, tokenizer  # noqa: F401

from assay.explain import layer_probes, property_labels
from assay.cli import main
from assay.explain.probes import format_probes, has_negation, stratified_split

PLAIN = [w for w in WORDS if w not in ("magic", "un", "##believ", "##able")]



def sentences(n: int, seed: int) -> tuple[list[str], np.ndarray]:
    """Random sentences; every other one (seeded) contains "magic"."""
    rng = np.random.default_rng(seed)
    texts, has_magic = [], rng.random(n) < 0.5
    for flag in has_magic:
        words = list(rng.choice(PLAIN, size=rng.integers(3, 9)))
        if flag:
            words.insert(int(rng.integers(0, len(words) + 1)), "magic")
        texts.append(" ".join(words))
    return texts, has_magic.astype(int)


def test_a_linearly_encoded_property_is_read_perfectly_and_random_labels_are_not(model, tokenizer):
    texts, y = sentences(240, seed=1)
    results = layer_probes(model, tokenizer, texts, y, seed=0)
    by = {(r["layer"], r["pooling"]): r for r in results}
    assert sorted(by) == [(layer, p) for layer in range(3) for p in ("cls", "mean")]
    # dimension 0 of the embeddings is non-zero only for "magic": the mean over positions reveals it
    assert by[(0, "mean")]["accuracy"] >= 0.97
    # uniform attention copies the mean into [CLS] from layer 1 on, but not before
    assert by[(2, "cls")]["accuracy"] >= 0.97
    assert by[(0, "cls")]["accuracy"] <= by[(0, "cls")]["majority"] + 0.1
    random_labels = np.random.default_rng(7).integers(0, 2, len(texts))
    for row in layer_probes(model, tokenizer, texts, random_labels, seed=0):
        assert row["accuracy"] <= row["majority"] + 0.2, row
    assert layer_probes(model, tokenizer, texts, y, seed=0) == results
    table = format_probes(results)
    assert table.splitlines()[2].startswith("| emb |") and len(table.splitlines()) == 5


def test_stratified_split_is_seeded_disjoint_and_keeps_every_class():
    y = np.array([0] * 20 + [1] * 10 + [2] * 3)
    train, test = stratified_split(y, 0.3, seed=5)
    assert set(train).isdisjoint(test) and len(train) + len(test) == len(y)
    assert sorted(np.bincount(y[test]).tolist()) == [1, 3, 6]
    again = stratified_split(y, 0.3, seed=5)
    assert all(np.array_equal(a, b) for a, b in zip((train, test), again))


@pytest.mark.parametrize(
    "text, expected",
    [("the flight was not good", True), ("I can't stand it", True), ("never again", True),
     ("Nothing works", True), ("a knot in my note", False), ("notable service", False), ("good", False)],
)
def test_negation_words(text, expected):
    assert has_negation(text) is expected


def test_property_labels(tokenizer):
    y, classes = property_labels("negation", ["not good", "good", ("fine", "no way")])
    assert y.tolist() == [1, 0, 1] and classes == ["no_negation", "negation"]
    texts = ["the"] * 3 + ["the flight was"] * 3 + ["the flight was late and bad"] * 3
    y, classes = property_labels("length", texts, tokenizer=tokenizer)
    assert y.tolist() == [0] * 3 + [1] * 3 + [2] * 3 and classes == ["short", "medium", "long"]
    y, classes = property_labels("sentiment", ["a", "b", "c"], ["positive", "negative", "positive"])
    assert y.tolist() == [1, 0, 1] and classes == ["negative", "positive"]
    with pytest.raises(ValueError, match="label column"):
        property_labels("topic", ["a", "b"], None)


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """``assay probe ARGV`` in this process, through the one entry and its error handler."""
    out, err = io.StringIO(), io.StringIO()
    code = main(["probe", *argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_probe_command_on_a_saved_model(model, tokenizer, tmp_path):
    folder = tmp_path / "magic-bert"
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    texts, y = sentences(90, seed=3)
    rows = ["label\ttext\tmagic"] + [
        f"{'positive' if i % 3 else 'negative'}\t{t}{' not' if i % 2 else ''}\t{'yes' if m else 'no'}"
        for i, (t, m) in enumerate(zip(texts, y))
    ]
    data = tmp_path / "data.tsv"
    data.write_text("\n".join(rows) + "\n")
    out_dir = tmp_path / "probes"
    code, out, err = run_cli([str(folder), "--data", str(data), "--property", "magic", "--out", str(out_dir),
                              "--device", "cpu", "--dtype", "float32"])
    assert code == 0, err
    assert "probe magic" in out and "| 2 |" in out
    assert (out_dir / "probe_magic.png").read_bytes()[:4] == b"\x89PNG"
    csv_rows = (out_dir / "probe_magic.csv").read_text().splitlines()
    assert len(csv_rows) == 1 + 3 * 2 and csv_rows[0].startswith("property,layer,pooling,accuracy")
    code, out, err = run_cli([str(folder), "--data", str(data), "--property", "negation", "--out", str(out_dir),
                              "--n", "60", "--device", "cpu"])
    assert code == 0, err
    counts = re.search(r"60 inputs \(no_negation=(\d+), negation=(\d+)\)", out)
    assert counts and int(counts[1]) + int(counts[2]) == 60 and int(counts[2]) > 0
    code, out, err = run_cli([str(folder), "--data", str(data), "--property", "airline", "--device", "cpu"])
    assert code == 2 and err.startswith("assay probe: ") and err.count("\n") == 1
