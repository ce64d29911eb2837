"""Model fingerprints: sha256 over the weights, tokenizer files and config, stable across processes.

Each file is hashed in 1 MiB blocks; its hash is remembered per (path, modification time, size) in
memory and, when given a store (the prediction cache), on disk, so that a large checkpoint is read
once per change rather than once per process. Imports nothing heavy.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Protocol, Sequence

_FILE_HASHES: dict[tuple[str, int, int], str] = {}


class HashStore(Protocol):
    def get_file_hash(self, path: str, mtime_ns: int, size: int) -> str | None: ...

    def put_file_hash(self, path: str, mtime_ns: int, size: int, sha256: str) -> None: ...


def file_sha256(path: Path, store: HashStore | None = None) -> str:
    """sha256 of a file, streamed; remembered per (path, mtime, size) in memory and in the cache."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key in _FILE_HASHES:
        return _FILE_HASHES[key]
    known = store.get_file_hash(*key) if store is not None else None
    if known is None:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        known = digest.hexdigest()
        if store is not None:
            store.put_file_hash(*key, known)
    _FILE_HASHES[key] = known
    return known


def fingerprint(files: Sequence[Path], store: HashStore | None = None) -> str:
    """sha256 over the named files' hashes: weights, tokenizer files and config."""
    digest = hashlib.sha256()
    for path in sorted(files, key=lambda p: p.name):
        digest.update(f"{path.name}:{file_sha256(path, store)}\n".encode())
    return digest.hexdigest()



class Checkpoint:
    """What every loaded checkpoint has: its name and source, tokenizer, where and how it runs, its
    cache, and a ``fingerprint`` over its files (hashes kept in the cache)."""

    def __init__(self, *, name: str, source: str, tokenizer: Any, device: Any, dtype: Any, max_length: int,
                 batch_size: int, cache: Any, fingerprint_files: Sequence[Path]) -> None:
        self.name = name
        self.source = source
        self.tokenizer = tokenizer
        self.device = device
        self.dtype = dtype
        self.max_length = int(max_length)
        self.batch_size = int(batch_size)
        self.cache = cache
        self._fingerprint_files = list(fingerprint_files)
        self._fingerprint: str | None = None

    @property
    def fingerprint(self) -> str:
        """sha256 over the weights, tokenizer files and config: stable across processes."""
        if self._fingerprint is None:
            self._fingerprint = fingerprint(self._fingerprint_files, self.cache)
        return self._fingerprint
