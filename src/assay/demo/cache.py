"""Where the demo model lives on disk, and how it gets there safely.

A build writes into a private temporary folder next to the final one and renames it into place only
when complete, so a killed build never leaves a half-written model. A lock file per recipe keeps two
processes (for example pytest-xdist workers) from training the same model at the same time: the
second one waits and then finds the finished folder. The lock is ``filelock``'s on every platform
(flock on POSIX, a polled msvcrt lock on Windows): a waiting process sleeps, and the operating
system releases the lock when its holder dies.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

from filelock import FileLock

COMPLETE_MARKER = "assay-demo.json"


def cache_root() -> Path:
    """``$ASSAY_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/assay``, else ``~/.cache/assay``."""
    explicit = os.environ.get("ASSAY_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "assay"


def is_complete(folder: Path) -> bool:
    return (folder / COMPLETE_MARKER).is_file()


def build_atomically(final: Path, build: Callable[[Path], object]) -> Path:
    """Return ``final``, first running ``build(tmp_folder)`` and renaming the result into place if needed.

    ``build`` must write ``COMPLETE_MARKER`` last. Leftover temporary folders of earlier, killed builds
    of the same target are removed while the lock is held.
    """
    if is_complete(final):
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(final.parent / f"{final.name}.lock"):
        if is_complete(final):  # another process finished it while we waited
            return final
        for stale in final.parent.glob(f".{final.name}.tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)
        if final.exists():  # a folder without the marker is not ours to trust
            shutil.rmtree(final)
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))
        try:
            build(tmp)
            if not is_complete(tmp):
                raise RuntimeError(f"demo model build into {tmp} finished without writing {COMPLETE_MARKER}")
            os.replace(tmp, final)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    return final
