"""``assay heads``: importance table, pruning curve, heads.csv and the heatmap, on real tiny checkpoints."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

from assay.cli import main

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
WORDS = "the flight was great awful late seat crew food not very bad good delayed rude friendly thanks again never".split()
ROWS = [
    ("positive", "the flight was great"), ("negative", "the crew was rude"), ("negative", "food was not good"),
    ("negative", "the seat was very bad"), ("positive", "thanks again"), ("negative", "flight delayed again"),
    ("positive", "crew was very friendly"), ("neutral", "the seat"), ("negative", "never again"),
    ("neutral", "the food"), ("positive", "great crew thanks"), ("negative", "awful late flight"),
]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny-bert")
    labels = {0: "negative", 1: "neutral", 2: "positive"}
    vocab = {word: i for i, word in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS])}
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37,
                        num_labels=3, max_position_embeddings=32, initializer_range=0.4, id2label=labels,
                        label2id={v: k for k, v in labels.items()})
    torch.manual_seed(0)
    BertForSequenceClassification(config).save_pretrained(folder)
    BertTokenizer(vocab=vocab, model_max_length=32).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "dev.tsv"
    path.write_text("label\ttext\n" + "".join(f"{label}\t{text}\n" for label, text in ROWS))
    return path


def _run(argv):
    """``assay heads ARGV`` in this process, through the one entry and its error handler."""
    out, err = io.StringIO(), io.StringIO()
    code = main(["heads", *argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_heads_command_writes_table_curve_csv_and_heatmap(model_dir, data_file, tmp_path):
    out_dir = tmp_path / "report"
    code, out, err = _run([str(model_dir), "--data", str(data_file), "--text-column", "text", "--label-column", "label",
                           "--out", str(out_dir), "--device", "cpu", "--step", "0.25", "--draws", "2", "--batch-size", "16"])
    assert code == 0, err
    assert "2 layers x 4 heads" in out and "12 inputs" in out
    assert "loss against gold labels" in out
    assert "pruning curve" in out and "random masking of 20% of heads (2 heads, 2 draws, seed 0)" in out

    with (out_dir / "heads.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [(int(r["layer"]), int(r["head"])) for r in rows] == [(l, h) for l in range(2) for h in range(4)]
    assert sorted(int(r["rank"]) for r in rows) == list(range(1, 9))
    importance = np.array([float(r["importance"]) for r in rows]).reshape(2, 4)
    np.testing.assert_allclose(np.linalg.norm(importance, axis=1), 1.0, atol=1e-5)
    # The table printed is the one written.
    table = out.split("normalised per layer):\n")[1].split("\n\n")[0].splitlines()
    assert table[0].split() == ["layer", "h0", "h1", "h2", "h3"]
    printed = np.array([[float(v) for v in line.split()[1:]] for line in table[1:]])
    np.testing.assert_allclose(printed, importance, atol=0.006)
    most = max(rows, key=lambda r: float(r["importance"]))
    assert most["rank"] == "1"

    with (out_dir / "pruning.csv").open() as handle:
        curve = list(csv.DictReader(handle))
    assert [int(r["n_masked"]) for r in curve] == [0, 2, 4, 6, 8]
    assert float(curve[0]["agreement"]) == 1.0 and curve[0]["accuracy"] != ""
    assert (out_dir / "heads-importance.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_heads_command_plots_the_pruning_curve_and_prints_at_300_dpi(model_dir, data_file, tmp_path):
    """Issue 11, item 23: the pruning curve is a figure too, and both figures are print-ready."""
    from PIL import Image

    code, out, err = _run([str(model_dir), "--data", str(data_file), "--text-column", "text", "--out", str(tmp_path),
                           "--device", "cpu", "--step", "0.5", "--draws", "1"])
    assert code == 0, err
    assert "heads-pruning.png" in out
    for name in ("heads-importance.png", "heads-pruning.png"):
        with Image.open(tmp_path / name) as image:
            assert round(image.info["dpi"][0]) >= 300, name


def test_heads_command_without_labels_reports_agreement_only(model_dir, data_file, tmp_path):
    code, out, err = _run([str(model_dir), "--data", str(data_file), "--text-column", "text", "--n", "5",
                           "--out", str(tmp_path), "--step", "0.5", "--draws", "1"])
    assert code == 0, err
    assert "5 inputs" in out and "the model's own predictions" in out
    curve_lines = out.split("agreement with the unmasked model):\n")[1].split("\n\n")[0].splitlines()
    assert len(curve_lines) == 4 and all(line.split()[-1] == "-" for line in curve_lines[1:])
    with (tmp_path / "pruning.csv").open() as handle:
        assert all(row["accuracy"] == "" for row in csv.DictReader(handle))


def test_heads_command_errors_are_one_line(model_dir, tmp_path):
    code, out, err = _run([str(model_dir), "--data", str(tmp_path / "missing.tsv"), "--out", str(tmp_path)])
    assert code == 2 and out == ""
    assert err.startswith("assay heads: error: ") and "missing.tsv" in err and err.count("\n") == 1
    code, _, err = _run([str(tmp_path / "no-model"), "--data", str(tmp_path / "missing.tsv")])
    assert code == 2 and err.count("\n") == 1
    with pytest.raises(SystemExit):
        _run([str(model_dir), "--data", "x.tsv", "--step", "0"])


@pytest.mark.integration
def test_heads_command_on_the_shared_model(tmp_path):
    model, tweets = SHARED / "models" / "minilm-airline-sentiment", SHARED / "data" / "airline" / "tweets.tsv"
    if not (model.exists() and tweets.exists()):
        pytest.skip("shared model or tweets not present")
    code, out, err = _run([str(model), "--data", str(tweets), "--text-column", "text", "--label-column", "label", "--n", "12",
                           "--out", str(tmp_path), "--device", "cpu", "--step", "0.5", "--draws", "1"])
    assert code == 0, err
    assert "6 layers x 12 heads" in out
    with (tmp_path / "heads.csv").open() as handle:
        assert len(list(csv.DictReader(handle))) == 72


def test_heads_command_with_functions_joins_them_with_importance(model_dir, data_file, tmp_path):
    code, out, err = _run([str(model_dir), "--data", str(data_file), "--text-column", "text", "--n", "6",
                           "--out", str(tmp_path), "--step", "0.5", "--draws", "1", "--functions"])
    assert code == 0, err
    assert "head functions" in out and "previous_token" in out
    assert (tmp_path / "head_functions.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with (tmp_path / "head_functions.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 8 and "importance" in rows[0]
