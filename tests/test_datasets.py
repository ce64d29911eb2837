"""Datasets: .txt / .csv / .tsv files and lists, labels, pairs, errors, encodings and seeded sampling."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from assay.datasets import Dataset, dataset
from assay.errors import DataError

SHARED = Path(__file__).parents[1].parent / "shared"


def write(path: Path, content: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(content.encode(encoding))
    return path


def test_txt_one_text_per_line_blank_lines_skipped(tmp_path):
    path = write(tmp_path / "r.txt", "first review\n\n  second review  \n\nthird\n")
    data = dataset(path)
    assert list(data) == ["first review", "second review", "third"]
    assert len(data) == 3 and data[1] == "second review"
    assert data.labels is None
    assert data.path == path.resolve() and data.name == "r.txt"


def test_txt_crlf_bom_emoji_and_long_lines(tmp_path):
    long_line = "word " * 20000
    path = write(tmp_path / "r.txt", "\ufeffgreat flight 😀\r\nbad seat ✈️\r\n" + long_line + "\r\n")
    data = dataset(path)
    assert data[0] == "great flight 😀"  # no BOM, no \r
    assert data[1] == "bad seat ✈️"
    assert data[2] == long_line.strip()


def test_csv_autodetects_text_and_label_columns(tmp_path):
    path = write(tmp_path / "d.csv", 'id,Sentence,sentiment\n1,"Hello, world",positive\n2,"He said ""hi""",negative\n')
    data = dataset(path)
    assert list(data) == ["Hello, world", 'He said "hi"']
    assert data.labels == ("positive", "negative")


def test_tsv_with_bom_and_explicit_columns(tmp_path):
    path = write(tmp_path / "d.tsv", "\ufeffy\tbody\n1\tfirst\n0\tsecond\n")
    data = dataset(path, text_column="body", label_column="y")
    assert list(data) == ["first", "second"]
    assert data.labels == ("1", "0")


def test_csv_with_crlf_and_a_very_long_quoted_field(tmp_path):
    long_text = "x" * 300_000  # beyond the csv module's default field limit
    path = write(tmp_path / "d.csv", f'text,label\r\n"{long_text}",neutral\r\n"two\r\nlines 😀",positive\r\n')
    data = dataset(path)
    assert data[0] == long_text and data[1] == "two\r\nlines 😀"
    assert data.labels == ("neutral", "positive")


def test_pairs_from_text_b_column(tmp_path):
    path = write(tmp_path / "p.tsv", "query\ttitle\tlabel\nred shoes\tRed running shoes\trelevant\ncat\tDog food\tirrelevant\n")
    data = dataset(path, text_b_column="title")
    assert list(data) == [("red shoes", "Red running shoes"), ("cat", "Dog food")]
    assert data.labels == ("relevant", "irrelevant")


def test_explicit_delimiter(tmp_path):
    path = write(tmp_path / "d.dat", "text;label\nok then;neutral\n")
    assert list(dataset(path, delimiter=";")) == ["ok then"]


def test_list_of_texts_and_pairs():
    data = dataset(["a", ("q", "t"), ["x", "y"]])
    assert list(data) == ["a", ("q", "t"), ("x", "y")]
    assert data.labels is None and data.path is None and data.name == "list"


def test_seeded_sample_is_order_stable_and_without_replacement(tmp_path):
    path = write(tmp_path / "r.txt", "\n".join(f"text {i}" for i in range(100)))
    a = dataset(path, n=10, seed=3)
    b = dataset(path, n=10, seed=3)
    c = dataset(path, n=10, seed=4)
    assert list(a) == list(b)
    assert list(a) != list(c)
    assert len(set(a)) == 10
    indices = [int(t.split()[1]) for t in a]
    assert indices == sorted(indices)


def test_sample_keeps_labels_aligned(tmp_path):
    rows = "\n".join(f"{i % 3}\ttext {i}" for i in range(60))
    data = dataset(write(tmp_path / "d.tsv", "label\ttext\n" + rows + "\n"))
    small = data.sample(7, seed=1)
    assert len(small) == 7 and small.seed == 1
    for text, label in zip(small, small.labels):
        assert int(text.split()[1]) % 3 == int(label)


def test_n_larger_than_data_takes_all_in_order(tmp_path):
    path = write(tmp_path / "r.txt", "b\na\nc\n")
    assert list(dataset(path, n=50)) == ["b", "a", "c"]
    assert list(dataset(["x", "y"]).sample(5)) == ["x", "y"]


def test_relative_path_resolves_against_base_dir(tmp_path, monkeypatch):
    (tmp_path / "suite").mkdir()
    write(tmp_path / "suite" / "r.txt", "from the suite folder\n")
    monkeypatch.chdir(tmp_path)
    assert list(dataset("r.txt", base_dir=tmp_path / "suite")) == ["from the suite folder"]
    assert list(dataset("suite/r.txt")) == ["from the suite folder"]


def test_missing_file_names_file_and_resolved_path(tmp_path):
    data = dataset("nope.tsv", base_dir=tmp_path)  # declaring is lazy
    with pytest.raises(DataError) as info:
        len(data)
    message = str(info.value)
    assert "nope.tsv" in message and str(tmp_path / "nope.tsv") in message and "\n" not in message


def test_no_text_column_lists_columns_and_fix(tmp_path):
    path = write(tmp_path / "d.csv", "id,body,score\n1,hello,3\n")
    with pytest.raises(DataError) as info:
        list(dataset(path))
    message = str(info.value)
    assert "id, body, score" in message and "text_column=" in message and "\n" not in message


def test_unknown_named_column_suggests_close_names(tmp_path):
    path = write(tmp_path / "d.csv", "tweet_text,label\nhello,positive\n")
    with pytest.raises(DataError, match="tweet_text"):
        list(dataset(path, text_column="tweet_txt"))


@pytest.mark.parametrize("content", ["", "\n\n  \n"])
def test_empty_files_are_errors(tmp_path, content):
    for name in ("e.txt", "e.csv"):
        with pytest.raises(DataError, match="empty"):
            list(dataset(write(tmp_path / name, content)))


def test_header_without_rows_is_an_error(tmp_path):
    with pytest.raises(DataError, match="no rows"):
        list(dataset(write(tmp_path / "h.csv", "text,label\n")))


def test_bad_arguments(tmp_path):
    with pytest.raises(DataError):
        dataset(["a"], n=-1)
    with pytest.raises(DataError):
        dataset([])
    with pytest.raises(DataError):
        dataset([1, 2])
    with pytest.raises(DataError, match="csv"):
        list(dataset(write(tmp_path / "r.txt", "a\n"), text_column="text"))


def test_file_is_read_lazily_and_cached_per_mtime(tmp_path):
    path = write(tmp_path / "r.txt", "one\n")
    data = dataset(path)
    write(path, "two\n")  # not read yet at declaration: the current content counts
    assert list(data) == ["two"]
    again = dataset(path)
    assert list(again) == ["two"]
    write(path, "three\nfour\n")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10_000_000))
    assert list(dataset(path)) == ["three", "four"]


def test_dataset_is_an_immutable_sequence():
    data = dataset(["a", "b", "c"])
    assert isinstance(data, Dataset)
    assert data[-1] == "c" and data[0:2] == ("a", "b") and "b" in data
    with pytest.raises(AttributeError):
        data.foo = 1  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        data[0] = "z"  # type: ignore[index]


def test_to_spec_is_json_able(tmp_path):
    path = write(tmp_path / "d.tsv", "label\ttext\npositive\tfine\n")
    spec = dataset(path, n=5, seed=2).to_spec()
    assert json.loads(json.dumps(spec)) == spec
    assert spec["n"] == 5 and spec["seed"] == 2 and spec["path"] == str(path.resolve())


@pytest.mark.integration
def test_airline_tweets():
    path = SHARED / "data" / "airline" / "tweets.tsv"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    full = dataset(path)
    assert len(full) == 14640
    assert set(full.labels) == {"negative", "neutral", "positive"}
    sample = dataset(path, n=300, seed=0)
    assert len(sample) == 300 and all(isinstance(t, str) and t for t in sample)
    assert list(sample) == list(dataset(path, n=300, seed=0))
