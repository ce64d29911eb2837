"""A restricted unpickler for CheckList's saved suites: it builds data and nothing else.

Every global a pickle names (a class, a function, ``dill``'s helpers, ``os.system``) resolves to a
fresh :class:`StandIn` class that only records what the pickle asks of it: calling it, creating it
or setting its state stores the arguments. Nothing named in the pickle is imported or called, so a
stored function (CheckList's expectations are ``dill``-pickled closures) arrives as a record of its
name, code constants and closure values, never as code that can run. Only numpy arrays of plain
numeric dtypes are rebuilt, from their raw bytes. The file size, the number of objects and the
nesting depth are bounded; a pickle over a bound is refused with one line.
"""

from __future__ import annotations

import io
import pickle
import tarfile
from pathlib import Path
from typing import Any

from ..errors import AssayError

MAX_BYTES = 512 * 1024 * 1024
"""The largest pickle read (CheckList's released QQP suite is 24.5 MB)."""
MAX_DEPTH = 200
"""The deepest nesting :func:`plain` follows."""


class UnsafePickle(AssayError):
    """A pickle that is not a CheckList suite's data, or over a bound."""


class StandIn:
    """An inert record of something a pickle names; subclasses carry ``module`` and ``qualname``."""

    module: str = "?"
    qualname: str = "?"

    def __new__(cls, *args: Any, **kwargs: Any) -> "StandIn":
        obj = object.__new__(cls)
        obj.__dict__["args"] = args
        obj.__dict__["kwargs"] = kwargs
        obj.__dict__["state"] = None
        obj.__dict__["items"] = []
        obj.__dict__["listitems"] = []
        return obj

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # recorded by __new__
        pass

    def __setstate__(self, state: Any) -> None:
        self.__dict__["state"] = state

    def __setitem__(self, key: Any, value: Any) -> None:
        self.__dict__["items"].append((key, value))

    def append(self, value: Any) -> None:
        self.__dict__["listitems"].append(value)

    def extend(self, values: Any) -> None:
        self.__dict__["listitems"].extend(values)

    def __setattr__(self, name: str, value: Any) -> None:  # BUILD's slot state lands here
        self.__dict__.setdefault("slots", {})[name] = value

    def __call__(self, *args: Any, **kwargs: Any) -> "Called":
        """Calling a record (``dill`` rebuilds a type, then calls it) makes another record."""
        call = Called(*args, **kwargs)
        call.__dict__["callee"] = self
        return call

    @property
    def full_name(self) -> str:
        return f"{self.module}.{self.qualname}"

    def __repr__(self) -> str:
        return f"<stand-in {self.full_name}>"


class Called(StandIn):
    """What calling a :class:`StandIn` instance returns: the callee and the arguments."""

    module = "<call>"
    qualname = "<call>"

    @property
    def full_name(self) -> str:
        callee = self.__dict__.get("callee")
        return f"{callee.full_name if isinstance(callee, StandIn) else '?'}(...)"


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BufferedIOBase):
        super().__init__(file)
        self._classes: dict[tuple[str, str], type] = {}

    def find_class(self, module: str, name: str) -> type:  # noqa: D401 - pickle's hook
        key = (str(module), str(name))
        cls = self._classes.get(key)
        if cls is None:
            cls = type(f"StandIn[{key[0]}.{key[1]}]", (StandIn,), {"module": key[0], "qualname": key[1]})
            self._classes[key] = cls
        return cls

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickle("the pickle refers to persistent objects, which a CheckList suite never does")


def load_pickle_bytes(data: bytes, *, source: str = "pickle") -> Any:
    """Unpickle ``data`` with every global replaced by a :class:`StandIn` (nothing runs)."""
    if len(data) > MAX_BYTES:
        raise UnsafePickle(f"{source}: {len(data)} bytes is over the {MAX_BYTES}-byte limit for a suite")
    try:
        return _Unpickler(io.BytesIO(data)).load()
    except UnsafePickle:
        raise
    except RecursionError:
        raise UnsafePickle(f"{source}: nested too deeply to read") from None
    except MemoryError:
        raise UnsafePickle(f"{source}: too large to read") from None
    except Exception as exc:  # any malformed stream: pickle raises many types
        raise UnsafePickle(f"{source}: not a readable pickle ({type(exc).__name__}: {exc})") from None


def read_suite_bytes(path: str | Path) -> bytes:
    """The pickle inside ``path``: a ``.pkl`` file, or the one ``.pkl`` of a ``.tar.gz`` archive."""
    path = Path(path)
    if not path.exists():
        raise AssayError(f"{path}: no such file; give a CheckList suite (.pkl or .tar.gz)")
    if path.name.endswith((".tar.gz", ".tgz", ".tar")):
        with tarfile.open(path) as archive:
            members = [m for m in archive.getmembers() if m.isfile() and m.name.endswith(".pkl")]
            if len(members) != 1:
                raise AssayError(f"{path}: holds {len(members)} .pkl files; a CheckList suite archive holds one")
            if members[0].size > MAX_BYTES:
                raise UnsafePickle(f"{path}: {members[0].name} is {members[0].size} bytes, over the "
                                   f"{MAX_BYTES}-byte limit for a suite")
            handle = archive.extractfile(members[0])
            assert handle is not None
            return handle.read(MAX_BYTES + 1)
    if path.stat().st_size > MAX_BYTES:
        raise UnsafePickle(f"{path}: {path.stat().st_size} bytes, over the {MAX_BYTES}-byte limit for a suite")
    return path.read_bytes()
