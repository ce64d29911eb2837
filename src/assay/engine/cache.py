"""A persistent prediction cache shared by processes (pytest-xdist workers) through SQLite.

``predictions`` holds the model's raw class probabilities as little-endian float32 bytes, keyed by
the *encoding* an input tokenises to (sha256 over the model key and the token ids, and the head-mask
bytes when there is a mask): inputs that tokenise alike (``Great`` and ``great`` on an uncased model)
share one row. ``inputs`` maps an input (sha256 over the model key and the text or pair) to its
encoding key and whether it was truncated, so that a known input is answered without tokenising it
again. ``fills`` holds a masked language model's ranked fill-ins as JSON text (:mod:`assay.mlm`).
Nothing is ever pickled. The database runs in WAL mode so several processes can read while one
writes. A corrupt or unreadable file is reported with one warning and rebuilt; if that fails too the
cache switches itself off and predictions go on.

Location: ``cache_dir`` when given, else ``$ASSAY_CACHE_DIR``, else ``$XDG_CACHE_HOME/assay`` or
``~/.cache/assay``. The file is ``predictions.sqlite3`` in that folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import warnings
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np

from assay.inputs import Input

FILE_NAME = "predictions.sqlite3"
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS predictions (key BLOB PRIMARY KEY, probs BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS file_hashes (path TEXT PRIMARY KEY, mtime_ns INTEGER, size INTEGER, sha256 TEXT)",
    "CREATE TABLE IF NOT EXISTS fills (key BLOB PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS inputs (key BLOB PRIMARY KEY, value BLOB NOT NULL)",  # encoding key + truncated byte
)
CHUNK = 500  # keys per SELECT (below SQLite's variable limit)


def default_cache_dir() -> Path:
    if os.environ.get("ASSAY_CACHE_DIR"):
        return Path(os.environ["ASSAY_CACHE_DIR"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "assay"


def _digest(*parts: bytes) -> bytes:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part)
    return digest.digest()


def input_key(model_key: str, item: Input, mask: bytes = b"") -> bytes:
    """The key of one input (a text or a pair) under one model (and head mask)."""
    text = json.dumps(["pair", *item] if isinstance(item, tuple) else ["text", item], ensure_ascii=False)
    return _digest(model_key.encode(), text.encode("utf-8"), mask)


def encoding_key(model_key: str, encoding: Mapping[str, Sequence[int]]) -> bytes:
    """The key of one encoded input: its token ids (and token types) under one model."""
    parts = [model_key.encode()]
    for name in sorted(encoding):
        parts += [name.encode(), np.asarray(encoding[name], dtype="<i8").tobytes()]
    return _digest(*parts)


def prediction_key(encoding: bytes, mask: bytes = b"") -> bytes:
    """The key of a prediction: the encoding's key, combined with the head-mask bytes when masked."""
    return _digest(encoding, mask) if mask else encoding


class PredictionCache:
    """Probabilities per (model, encoding, mask) on disk. All methods are safe to call on a broken file."""

    def __init__(self, folder: str | os.PathLike | None = None) -> None:
        self.folder = Path(folder).expanduser() if folder else default_cache_dir()
        self.path = self.folder / FILE_NAME
        self.enabled = True
        self._warned = False
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    # -- connection ---------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        self.folder.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=60.0, check_same_thread=False, isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout=60000")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            for statement in SCHEMA:
                conn.execute(statement)
            conn.execute("SELECT count(*) FROM predictions WHERE key = x'00'").fetchone()
        except BaseException:
            conn.close()
            raise
        return conn

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = self._connect()
        return self._conn

    def _warn(self, message: str) -> None:
        if not self._warned:
            warnings.warn(message, RuntimeWarning, stacklevel=4)
            self._warned = True

    def _disable(self, error: Exception) -> None:
        self._warn(f"assay prediction cache {self.path} disabled ({error}); set ASSAY_CACHE_DIR to a writable folder")
        self.close()
        self.enabled = False

    def _broken(self, error: Exception) -> None:
        """Warn once, delete the damaged file and start afresh; switch off if even that fails."""
        self._warn(f"assay prediction cache {self.path} is unreadable ({error}); rebuilding it")
        self.close()
        try:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            self._conn = self._connect()
        except (sqlite3.Error, OSError) as again:
            self._warned = False
            self._disable(again)

    def _run(self, action, default):
        if not self.enabled:
            return default
        with self._lock:
            for _attempt in range(2):
                try:
                    return action(self._db())
                except sqlite3.OperationalError as error:
                    text = str(error)
                    if "locked" in text or "busy" in text:
                        self._warn(f"assay prediction cache {self.path} is busy; predicting without it for now")
                        return default
                    if "unable to open" in text or "readonly" in text:
                        self._disable(error)
                    else:
                        self._broken(error)
                except sqlite3.DatabaseError as error:
                    self._broken(error)
                except OSError as error:
                    self._disable(error)
                if not self.enabled:
                    return default
            return default

    # -- predictions --------------------------------------------------------------------------
    def get_many(self, keys: Sequence[bytes], num_labels: int) -> dict[bytes, np.ndarray]:
        """Stored probabilities for the keys that are present (rows of the wrong width are ignored)."""

        def convert(blob: bytes) -> np.ndarray | None:
            row = np.frombuffer(blob, dtype="<f4")
            return row if row.shape == (num_labels,) and np.isfinite(row).all() else None

        return self._select("SELECT key, probs FROM predictions", keys, convert)

    def _select(self, query: str, keys: Sequence[bytes], convert) -> dict:
        """``convert(value)`` for each stored key (a None from ``convert`` drops the row)."""

        def action(db: sqlite3.Connection) -> dict:
            found = {}
            for start in range(0, len(keys), CHUNK):
                chunk = list(keys[start : start + CHUNK])
                marks = ",".join("?" * len(chunk))
                for key, value in db.execute(f"{query} WHERE key IN ({marks})", chunk):
                    converted = convert(value)
                    if converted is not None:
                        found[bytes(key)] = converted
            return found

        return self._run(action, {})

    def get_encodings(self, keys: Sequence[bytes]) -> dict[bytes, tuple[bytes, bool]]:
        """For the input keys that are present: their encoding key and whether the input was truncated."""
        return self._select("SELECT key, value FROM inputs", keys, lambda value: (bytes(value[:-1]), bool(value[-1])))

    def put_many(self, items: Iterable[tuple[bytes, np.ndarray]],
                 inputs: Iterable[tuple[bytes, bytes, bool]] = ()) -> None:
        """Store predictions ``(key, probs)`` and input mappings ``(input key, encoding key, truncated)``
        in one transaction."""
        self._insert({
            "predictions": [(key, np.asarray(probs, dtype="<f4").tobytes()) for key, probs in items],
            "inputs": [(key, bytes(encoding) + bytes([bool(truncated)])) for key, encoding, truncated in inputs],
        })

    def _insert(self, tables: dict[str, list[tuple[bytes, object]]]) -> None:
        """``(key, value)`` rows into each table, in one transaction."""
        if not any(tables.values()):
            return

        def action(db: sqlite3.Connection) -> None:
            db.execute("BEGIN IMMEDIATE")
            try:
                for table, rows in tables.items():
                    db.executemany(f"INSERT OR REPLACE INTO {table} VALUES (?, ?)", rows)
                db.execute("COMMIT")
            except BaseException:
                try:
                    db.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
                raise

        self._run(action, None)

    # -- masked-LM fill-ins (JSON: lists of words and scores) ------------------------------------
    def get_fills(self, keys: Sequence[bytes]) -> dict[bytes, object]:
        """Stored fill-ins for the keys that are present (rows that are not valid JSON are ignored)."""

        def convert(text: str) -> object:
            try:
                return json.loads(text)
            except ValueError:
                return None

        return self._select("SELECT key, value FROM fills", keys, convert)

    def put_fills(self, items: Iterable[tuple[bytes, object]]) -> None:
        self._insert({"fills": [(key, json.dumps(value, ensure_ascii=False)) for key, value in items]})

    def __len__(self) -> int:
        return self._run(lambda db: db.execute("SELECT count(*) FROM predictions").fetchone()[0], 0)

    def clear(self) -> None:
        """Forget every stored prediction, input, fill-in and file hash."""

        def action(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM predictions")
            db.execute("DELETE FROM inputs")
            db.execute("DELETE FROM fills")
            db.execute("DELETE FROM file_hashes")

        self._run(action, None)

    # -- file hashes (so large weight files are hashed once per change, across processes) ------
    def get_file_hash(self, path: str, mtime_ns: int, size: int) -> str | None:
        def action(db: sqlite3.Connection) -> str | None:
            row = db.execute("SELECT sha256 FROM file_hashes WHERE path=? AND mtime_ns=? AND size=?", (path, mtime_ns, size)).fetchone()
            return row[0] if row else None

        return self._run(action, None)

    def put_file_hash(self, path: str, mtime_ns: int, size: int, sha256: str) -> None:
        self._run(
            lambda db: db.execute("INSERT OR REPLACE INTO file_hashes VALUES (?, ?, ?, ?)", (path, mtime_ns, size, sha256)),
            None,
        )

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except sqlite3.Error:
                pass
            self._conn = None

    def __repr__(self) -> str:
        return f"PredictionCache({str(self.path)!r}, enabled={self.enabled})"
