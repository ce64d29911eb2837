"""Atomic file writes: a reader sees the old file or the complete new one, never half of one.

The text goes to a temporary file in the target's folder, is flushed and fsynced, and then
``os.replace`` swaps it in (atomic on POSIX and Windows within one file system). A process killed
halfway leaves the previous file untouched; at worst a stray ``.<name>.*.tmp`` file remains.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any, BinaryIO, Callable

# Created the way a plain open() creates a file: the kernel applies the process umask to 0o666.
# (Reading the umask would mean setting it, a process-wide change another thread could observe.)
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def write_bytes_atomic(data: bytes, path: str | os.PathLike[str]) -> Path:
    """Write ``data`` to ``path`` atomically; creates missing parent folders."""
    return _write_with(lambda handle: handle.write(data), path)


def write_text_atomic(text: str, path: str | os.PathLike[str]) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return write_bytes_atomic(text.encode("utf-8"), path)


def write_json_atomic(
    obj: Any,
    path: str | os.PathLike[str],
    *,
    indent: int | None = 2,
    default: Callable[[Any], Any] | None = None,
) -> Path:
    """Serialise ``obj`` as JSON (UTF-8, non-ASCII kept) into ``path`` atomically.

    The JSON is streamed into the temporary file, so a failure while encoding (or a kill) leaves
    the previous ``path`` as it was.
    """

    def dump(handle: Any) -> None:
        with open(handle.fileno(), "w", encoding="utf-8", closefd=False) as text:
            json.dump(obj, text, indent=indent, ensure_ascii=False, default=default, allow_nan=False)
            text.write("\n")

    return _write_with(dump, path)


def _create_temporary(target: Path) -> tuple[BinaryIO, Path]:
    while True:
        tmp = target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp"
        try:
            return os.fdopen(os.open(tmp, _CREATE, 0o666), "wb"), tmp
        except FileExistsError:  # pragma: no cover - 48 random bits collided
            continue


def _write_with(write: Callable[[Any], Any], path: str | os.PathLike[str]) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = _create_temporary(target)
    try:
        with handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise
    return target
