"""What a hostile-but-honest user feeds the dataset reader, and the honest answer to each.

Binary or undecodable data, NUL bytes, UTF-16, odd line breaks, a never-closed CSV quote, a folder,
a device, a symlink loop, a JSON file: each is read correctly or is a one-line DataError naming the
file (and, for bad bytes, the byte offset and the line).
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from assay.datasets import dataset
from assay.errors import DataError


def load(path: Path, **kwargs):
    data = dataset(path, **kwargs)
    return list(data), data.labels


def one_line_error(path: Path, **kwargs) -> str:
    with pytest.raises(DataError) as info:
        load(path, **kwargs)
    message = str(info.value)
    assert "\n" not in message and path.name in message
    return message


# -- bytes that are not text -------------------------------------------------------------------

RANDOM_BYTES = random.Random(0).randbytes(4096)


@pytest.mark.parametrize("suffix", [".txt", ".csv", ".tsv"])
def test_random_binary_bytes_are_refused_with_the_byte_offset(tmp_path, suffix):
    path = tmp_path / f"noise{suffix}"
    header = b"text\tlabel\n" if suffix == ".tsv" else b"text,label\n" if suffix == ".csv" else b""
    path.write_bytes(header + RANDOM_BYTES)
    try:
        (header + RANDOM_BYTES).decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start
    message = one_line_error(path)
    assert f"is not UTF-8 text: byte {path.read_bytes()[offset]:#04x} at byte offset {offset} " in message
    assert "save it as UTF-8" in message


def test_undecodable_byte_gives_exact_offset_and_line(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("first review\r\nthe café was cold\n".encode("latin-1"))
    message = one_line_error(path)
    assert "byte 0xe9 at byte offset 21 (line 2)" in message


def test_nul_in_the_middle_of_utf8_text(tmp_path):
    path = tmp_path / "nul.csv"
    path.write_bytes(b"text,label\ngood,positive\nba\x00d,negative\n")
    message = one_line_error(path)
    assert "NUL byte at byte offset 27 (line 3)" in message


@pytest.mark.parametrize("encoding, offset", [("utf-16-le", 1), ("utf-16-be", 0)])
def test_utf16_without_a_bom_is_refused_not_read_as_garbage(tmp_path, encoding, offset):
    path = tmp_path / "u16.txt"
    path.write_bytes("hello café\n".encode(encoding))  # the NUL comes before the undecodable é
    assert f"NUL byte at byte offset {offset} (line 1): binary data, or UTF-16 without" in one_line_error(path)


# -- text in other encodings and layouts -------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-8-sig"])
def test_files_with_a_byte_order_mark_are_read(tmp_path, encoding):
    def encode(text: str) -> bytes:  # "utf-16-be" writes no byte-order mark of its own
        return (b"\xfe\xff" if encoding == "utf-16-be" else b"") + text.encode(encoding)

    (tmp_path / "d.tsv").write_bytes(encode("label\ttext\npositive\tgreat café ✈️\nnegative\tdelayed again\n"))
    assert load(tmp_path / "d.tsv") == (["great café ✈️", "delayed again"], ("positive", "negative"))
    (tmp_path / "d.txt").write_bytes(encode("great café\r\ndelayed\r\n"))
    assert load(tmp_path / "d.txt") == (["great café", "delayed"], None)


def test_undecodable_utf16_names_its_encoding(tmp_path):
    path = tmp_path / "odd.txt"
    path.write_bytes("hi\n".encode("utf-16") + b"\x00")  # an odd number of bytes after the BOM
    assert "is not UTF-16 text" in one_line_error(path)


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_every_line_ending_and_only_line_endings_split_texts(tmp_path, newline):
    # U+2028, U+0085 and form feeds are characters inside a text, not line breaks.
    lines = ["one\u2028still one", "two\x85still two", "three\x0cstill three"]
    path = tmp_path / "d.txt"
    path.write_bytes(newline.join(lines + [""]).encode("utf-8"))
    assert load(path)[0] == lines
    table = tmp_path / "d.csv"
    table.write_bytes(newline.join(["text"] + lines + [""]).encode("utf-8"))
    assert load(table)[0] == lines


@pytest.mark.parametrize("content", ["\n\n\n", "\r\n \t \r\n", "\ufeff", "\ufeff\n\n"])
def test_blank_lines_only_are_empty(tmp_path, content):
    for name in ("blank.txt", "blank.csv"):
        path = tmp_path / name
        path.write_bytes(content.encode("utf-8"))
        assert "empty" in one_line_error(path)


def test_a_huge_line_is_one_text(tmp_path):
    huge = "word " * 1_000_000  # 5 MB on one line: one (long) text, truncated by the model later
    path = tmp_path / "huge.txt"
    path.write_text("short\n" + huge + "\nlast\n", encoding="utf-8")
    texts, _ = load(path)
    assert texts == ["short", huge.strip(), "last"]
    table = tmp_path / "huge.tsv"
    table.write_text("text\n" + huge + "\n", encoding="utf-8")
    assert load(table)[0] == [huge.strip()]


def test_a_quote_never_closed_does_not_swallow_the_file(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text('text,label\nfine,positive\n"he said hi,positive\nsecond,negative\nthird,positive\n')
    message = one_line_error(path)
    assert "quoted field that starts on line 3 is never closed" in message
    ok = tmp_path / "ok.csv"  # a closed multi-line quote at the end, and a stray quote mid-field, are fine
    ok.write_text('text,label\n12" pizza,positive\n"two\nlines",negative\n')
    assert load(ok) == (['12" pizza', "two\nlines"], ("positive", "negative"))


# -- things that are not a readable file -------------------------------------------------------

def test_a_folder(tmp_path):
    folder = tmp_path / "reviews.txt"
    folder.mkdir()
    assert "is a folder, not a file" in one_line_error(folder)


@pytest.mark.skipif(not Path("/dev/null").exists() or os.name == "nt", reason="needs /dev/null")
def test_a_device_is_not_read():
    assert "is not a regular file" in one_line_error(Path("/dev/null"))


@pytest.mark.skipif(os.name == "nt", reason="needs os.mkfifo")
def test_a_named_pipe_is_refused_instead_of_blocking(tmp_path):
    pipe = tmp_path / "pipe.txt"
    os.mkfifo(pipe)  # reading it would wait for a writer forever
    assert "is not a regular file" in one_line_error(pipe)


@pytest.mark.skipif(os.name == "nt", reason="symlinks need privileges on Windows")
def test_a_symlink_loop(tmp_path):
    (tmp_path / "a.txt").symlink_to(tmp_path / "b.txt")
    (tmp_path / "b.txt").symlink_to(tmp_path / "a.txt")
    data = dataset(tmp_path / "a.txt")  # declaring is fine: the file is read on first use
    with pytest.raises(DataError, match=r"'a.txt' cannot be read: Too many levels of symbolic links"):
        list(data)


@pytest.mark.skipif(os.name == "nt", reason="symlinks need privileges on Windows")
def test_a_symlink_to_a_file_is_followed(tmp_path):
    (tmp_path / "real.txt").write_text("hello\n")
    (tmp_path / "link.txt").symlink_to(tmp_path / "real.txt")
    assert load(tmp_path / "link.txt") == (["hello"], None)


@pytest.mark.parametrize("suffix", [".json", ".jsonl", ".ndjson"])
def test_json_is_refused_not_read_as_one_text_per_line(tmp_path, suffix):
    path = tmp_path / f"d{suffix}"
    path.write_text('{"text": "great", "label": "positive"}\n')
    assert "JSON is not a dataset format" in one_line_error(path)


# -- through pytest ------------------------------------------------------------------------------

def test_binary_dataset_is_an_error_in_a_run_not_a_pass(pytester):
    # On the old reader every line of random bytes became a "text" and the test passed.
    pytester.makeconftest('''
import numpy as np, pytest
class Positive:
    labels = ["negative", "positive"]
    def predict_proba(self, inputs):
        return np.tile([0.1, 0.9], (len(inputs), 1))
@pytest.fixture(scope="session")
def assay_model():
    return Positive()
''')
    pytester.path.joinpath("reviews.txt").write_bytes(RANDOM_BYTES)
    pytester.makepyfile(test_suite="from assay import MFT, dataset\ntest_reviews = MFT(dataset('reviews.txt'), 'positive')\n")
    result = pytester.runpytest("-q")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*'reviews.txt' is not UTF-8 text: byte 0x* at byte offset *"])
    assert "passed" not in result.stdout.lines[-1] and "Traceback" not in result.stdout.str()
