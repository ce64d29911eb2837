"""Datasets: texts (or text pairs) with optional labels, read from .txt / .csv / .tsv files or lists.

``dataset("reviews.tsv", n=300)`` is cheap to declare: the file is read on first access and
parsed rows are cached per ``(resolved path, mtime, columns)``, so a suite that declares several
datasets collects quickly and a dataset used by several tests is read once.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import os
import random
import re
import stat
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Literal, overload

from .errors import DataError
from .inputs import Input, check_input

TEXT_COLUMNS = ("text", "sentence", "review", "tweet", "query")
LABEL_COLUMNS = ("label", "sentiment")

_CACHE: dict[tuple, tuple[tuple[Input, ...], tuple[str | None, ...] | None]] = {}


@dataclass(frozen=True)
class _FileSource:
    path: Path
    text_column: str | None
    text_b_column: str | None
    label_column: str | None
    delimiter: str | None

    def load(self) -> tuple[tuple[Input, ...], tuple[str | None, ...] | None]:
        mtime = _check_file(self.path).st_mtime_ns
        key = (str(self.path), mtime, self.text_column, self.text_b_column, self.label_column, self.delimiter)
        if key not in _CACHE:
            _CACHE[key] = self._read()
        return _CACHE[key]

    def _read(self) -> tuple[tuple[Input, ...], tuple[str | None, ...] | None]:
        suffix = self.path.suffix.lower()
        if suffix in (".json", ".jsonl", ".ndjson"):
            raise DataError(
                f"dataset {self.path.name!r}: JSON is not a dataset format assay reads; write a .csv / .tsv file "
                "with a header row, or a .txt file with one text per line"
            )
        text = _read_text(self.path)
        if suffix in (".csv", ".tsv") or self.delimiter is not None:
            return _read_table(self, text)
        if self.text_column or self.text_b_column or self.label_column:
            raise DataError(
                f"dataset {self.path.name!r} is a plain text file (one text per line): text_column, "
                "text_b_column and label_column apply to .csv / .tsv files only"
            )
        texts = tuple(line.strip() for line in _LINE_BREAK.split(text) if line.strip())
        if not texts:
            raise DataError(f"dataset {self.path.name!r} is empty (no non-blank line in {self.path})")
        return texts, None


# -- reading a file as text -------------------------------------------------------------------
# Only \r\n, \r and \n end a line: str.splitlines() would also split a text at U+2028, U+0085, \f, ...
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# UTF-32 before UTF-16: the UTF-32-LE byte-order mark starts with the UTF-16-LE one.
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def _check_file(path: Path) -> os.stat_result:
    """The file's status, or DataError when it is missing, unreadable or not a regular file."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise DataError(f"dataset file {path.name!r} not found (looked at {path})") from None
    except OSError as exc:  # a symlink loop, a permission on a parent folder, ...
        raise DataError(f"dataset file {path.name!r} cannot be read: {exc.strerror or exc} ({path})") from None
    if stat.S_ISDIR(info.st_mode):
        raise DataError(f"dataset {path.name!r} is a folder, not a file ({path}); name a .txt, .csv or .tsv file")
    if not stat.S_ISREG(info.st_mode):
        raise DataError(
            f"dataset {path.name!r} is not a regular file (a device, pipe or socket: {path}); save the data to a file"
        )
    return info


def _line_of(prefix: str) -> int:
    return len(_LINE_BREAK.findall(prefix)) + 1


def _read_text(path: Path) -> str:
    """The whole file as text: UTF-8 (with or without a byte-order mark), or UTF-16 / UTF-32 with one.

    Bytes that do not decode, and NUL characters (binary data, or UTF-16 without a byte-order mark),
    are a DataError naming the file, the byte offset and the line.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"dataset file {path.name!r} cannot be read: {exc.strerror or exc} ({path})") from None
    start, codec = 0, "utf-8"
    for bom, name in _BOMS:
        if data.startswith(bom):
            start, codec = len(bom), name
            break
    encoding = codec.upper().replace("-LE", "").replace("-BE", "")
    try:
        text, bad = data[start:].decode(codec), None
    except UnicodeDecodeError as exc:  # report whichever comes first: this byte or a NUL before it
        text, bad = data[start:start + exc.start].decode(codec), exc
    nul = text.find("\0")
    if nul >= 0:
        offset = start + len(text[:nul].encode(codec))
        raise DataError(
            f"dataset {path.name!r} has a NUL byte at byte offset {offset} (line {_line_of(text[:nul])}): binary "
            "data, or UTF-16 without a byte-order mark; save it as UTF-8 text"
        )
    if bad is not None:
        offset = start + bad.start
        raise DataError(
            f"dataset {path.name!r} is not {encoding} text: byte {data[offset]:#04x} at byte offset {offset} "
            f"(line {_line_of(text)}) cannot be decoded ({bad.reason}); if it is text, save it as UTF-8 "
            "(binary data cannot be a dataset)"
        )
    return text


def _raise_field_limit() -> int:
    """Allow very long fields (reviews of any length); returns the previous limit to restore."""
    limit = sys.maxsize
    while True:
        try:
            return csv.field_size_limit(limit)
        except OverflowError:
            limit //= 10


@overload
def _pick(columns: list[str], wanted: str | None, candidates: tuple[str, ...], what: str, src: _FileSource,
          fix: str, required: Literal[True]) -> int: ...
@overload
def _pick(columns: list[str], wanted: str | None, candidates: tuple[str, ...], what: str, src: _FileSource,
          fix: str, required: bool) -> int | None: ...
def _pick(columns: list[str], wanted: str | None, candidates: tuple[str, ...], what: str, src: _FileSource,
          fix: str, required: bool) -> int | None:
    """The index of the ``what`` column: ``wanted`` by name, else the first of ``candidates``; with
    ``required``, a missing column raises instead of returning None."""
    lowered = [c.strip().lower() for c in columns]
    if wanted is not None:
        if wanted in columns:
            return columns.index(wanted)
        if wanted.lower() in lowered:
            return lowered.index(wanted.lower())
        close = difflib.get_close_matches(wanted, columns, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise DataError(
            f"dataset {src.path.name!r} has no {what} column {wanted!r}{hint}; columns found: {', '.join(columns)}"
        )
    for name in candidates:
        if name in lowered:
            return lowered.index(name)
    if required:
        raise DataError(
            f"dataset {src.path.name!r} has no text column (looked for {', '.join(candidates)}); columns found: "
            f"{', '.join(columns) or '(none)'}; pass {fix}=\"<column>\""
        )
    return None


def _read_table(src: _FileSource, text: str) -> tuple[tuple[Input, ...], tuple[str | None, ...] | None]:
    delimiter = src.delimiter or ("\t" if src.path.suffix.lower() == ".tsv" else ",")
    previous_limit = _raise_field_limit()
    try:
        return _parse_table(src, text, delimiter)
    finally:
        csv.field_size_limit(previous_limit)


def _csv_rows(src: _FileSource, text: str, delimiter: str) -> Iterator[list[str]]:
    """The rows of ``text``. A quote that never closes makes the csv module read every following line
    into one field, silently (that row is always the last): DataError naming the line it starts on."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, starts = [], []
    while True:
        starts.append(reader.line_num)
        row = next(reader, None)
        if row is None:
            break
        rows.append(row)
    if rows and reader.line_num - starts[-2] > 1:
        rest = "".join(io.StringIO(text, newline="").readlines()[starts[-2]:])
        try:
            for _ in csv.reader(io.StringIO(rest, newline=""), delimiter=delimiter, strict=True):
                pass
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                raise DataError(
                    f"dataset {src.path.name!r}: the quoted field that starts on line {starts[-2] + 1} is never "
                    "closed, so every line after it would be read as one text; close the quote or double it (\"\")"
                ) from None
    return iter(rows)


def _parse_table(src: _FileSource, text: str, delimiter: str) -> tuple[tuple[Input, ...], tuple[str | None, ...] | None]:
    reader = _csv_rows(src, text, delimiter)
    header = next(reader, None)
    while header is not None and not any(cell.strip() for cell in header):
        header = next(reader, None)
    if header is None:
        raise DataError(f"dataset {src.path.name!r} is empty (no header row in {src.path})")
    columns = [c.strip() for c in header]
    ti = _pick(columns, src.text_column, TEXT_COLUMNS, "text", src, "text_column", True)
    bi = None
    if src.text_b_column is not None:
        bi = _pick(columns, src.text_b_column, (), "text_b", src, "text_b_column", True)
    li = _pick(columns, src.label_column, LABEL_COLUMNS, "label", src, "label_column", False)
    inputs: list[Input] = []
    labels: list[str | None] = []
    for row in reader:
        if not row or not any(cell.strip() for cell in row):
            continue
        first = row[ti].strip() if ti < len(row) else ""
        if not first:
            continue
        if bi is not None:
            inputs.append((first, row[bi].strip() if bi < len(row) else ""))
        else:
            inputs.append(first)
        if li is not None:
            value = row[li].strip() if li < len(row) else ""
            labels.append(value or None)
    if not inputs:
        raise DataError(f"dataset {src.path.name!r} has a header but no rows with text in column {columns[ti]!r}")
    return tuple(inputs), (tuple(labels) if li is not None else None)


class Dataset(Sequence):
    """An immutable, lazily loaded sequence of Inputs with optional labels.

    ``indices`` selects rows of the full source (a seeded sample keeps source order).
    """

    __slots__ = ("_source", "_items", "_labels", "_n", "_seed", "_indices", "name", "_spec")

    def __init__(self, source: Any, *, name: str, n: int | None = None, seed: int = 0,
                 spec: dict[str, Any] | None = None):
        self._source = source
        self._items: tuple[Input, ...] | None = None
        self._labels: tuple[str | None, ...] | None = None
        self._n = n
        self._seed = seed
        self.name = name
        self._spec = dict(spec or {})

    # -- loading ---------------------------------------------------------------------------
    def _load(self) -> tuple[Input, ...]:
        if self._items is None:
            if isinstance(self._source, _FileSource):
                items, labels = self._source.load()
            else:
                items, labels = self._source
            if self._n is not None and self._n < len(items):
                chosen = sorted(random.Random(self._seed).sample(range(len(items)), self._n))
                items = tuple(items[i] for i in chosen)
                labels = tuple(labels[i] for i in chosen) if labels is not None else None
            self._labels = labels
            self._items = items
        return self._items

    # -- Sequence --------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._load())

    @overload
    def __getitem__(self, index: int) -> Input: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Input, ...]: ...
    def __getitem__(self, index):
        return self._load()[index]

    def __iter__(self) -> Iterator[Input]:
        return iter(self._load())

    def __repr__(self) -> str:
        size = f"n={self._n}, " if self._n is not None else ""
        return f"Dataset({self.name!r}, {size}seed={self._seed})"

    # -- public attributes -----------------------------------------------------------------
    @property
    def labels(self) -> tuple[str | None, ...] | None:
        self._load()
        return self._labels

    @property
    def path(self) -> Path | None:
        return self._source.path if isinstance(self._source, _FileSource) else None

    @property
    def seed(self) -> int:
        return self._seed

    @property
    def n(self) -> int | None:
        return self._n

    def sample(self, n: int, seed: int = 0) -> Dataset:
        """A seeded sample of ``n`` rows without replacement, in the original order (all rows if fewer)."""
        if n < 0:
            raise DataError(f"dataset {self.name!r}: sample size must be >= 0, got {n}")
        items = self._load()
        labels = self._labels
        spec = {**self._spec, "n": n, "seed": seed, "parent_n": self._n, "parent_seed": self._seed}
        return Dataset((items, labels), name=self.name, n=n, seed=seed, spec=spec)

    def to_spec(self) -> dict[str, Any]:
        """A JSON-able description (source, columns, sample size, seed) for reports."""
        return {"name": self.name, **self._spec, "n": self._n, "seed": self._seed}


def _resolve(path: str | os.PathLike, base_dir: str | os.PathLike | None) -> Path:
    p = Path(path).expanduser()
    if not p.is_absolute():
        p = Path(base_dir or Path.cwd()) / p
    try:
        return p.resolve()
    except (OSError, RuntimeError):  # a symlink loop: reading the file says so, with its name
        return Path(os.path.abspath(p))


def dataset(source: str | os.PathLike | Iterable[Any], *, text_column: str | None = None,
            text_b_column: str | None = None, label_column: str | None = None, n: int | None = None,
            seed: int = 0, delimiter: str | None = None, base_dir: str | os.PathLike | None = None,
            name: str | None = None) -> Dataset:
    """A Dataset from a .txt / .csv / .tsv path or a list of texts / (a, b) pairs.

    ``n`` takes a seeded sample without replacement in file order (all rows when the data is
    smaller). Relative paths resolve against ``base_dir`` (a YAML suite's folder), else the
    current directory. Files are read on first use.
    """
    if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 0):
        raise DataError(f"dataset n must be a non-negative integer, got {n!r}")
    if isinstance(source, (str, os.PathLike)):
        path = _resolve(source, base_dir)
        src = _FileSource(path, text_column, text_b_column, label_column, delimiter)
        spec = {"source": str(source), "path": str(path), "text_column": text_column,
                "text_b_column": text_b_column, "label_column": label_column}
        return Dataset(src, name=name or path.name, n=n, seed=seed, spec=spec)
    if text_column or text_b_column or label_column:
        raise DataError("dataset from a Python list: text_column, text_b_column and label_column apply to files only")
    try:
        items = tuple(check_input(v) for v in source)
    except TypeError as exc:
        raise DataError(f"dataset from a list: {exc}") from None
    if not items:
        raise DataError("dataset from a list: the list is empty")
    return Dataset((items, None), name=name or "list", n=n, seed=seed, spec={"source": "list", "size": len(items)})
