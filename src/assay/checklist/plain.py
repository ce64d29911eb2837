"""Stand-ins become plain data: dicts, lists, numpy arrays of numbers, and inert function records.

:func:`plain` walks what :mod:`assay.checklist.unpickle` built and rebuilds only what is data:
``OrderedDict`` / ``defaultdict`` become dicts, numpy arrays and scalars of numeric dtypes are
rebuilt from their raw bytes (never through numpy's unpickling), a CheckList test or suite becomes a
:class:`Record` of its state, and a ``dill``-pickled function becomes a :class:`FunctionRecord`: its
name, the names in its code, its defaults and its closure values, as data. Nothing is called.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .unpickle import Called, StandIn, UnsafePickle

MAX_DEPTH = 200
MAX_NODES = 20_000_000

NOT_DATA = "<not data>"
"""Stands for a code constant that is not a plain value (a nested code object)."""

_NUMERIC_KINDS = set("biufUS")  # numbers and fixed-width strings: never objects


@dataclass
class Record:
    """An object of a class the pickle names (``checklist.test_types.MFT``): its state as plain data."""

    cls: str
    state: Any = None
    args: tuple = ()


@dataclass
class FunctionRecord:
    """A function stored in the pickle, as data. Never called: there is no code to call."""

    name: str
    qualnames: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    varnames: tuple[str, ...] = ()
    freevars: tuple[str, ...] = ()
    closure: dict[str, Any] = field(default_factory=dict)
    defaults: tuple = ()
    consts: tuple = ()
    code: bytes = b""
    filename: str = ""

    @property
    def where(self) -> str:
        return self.qualnames[0] if self.qualnames else self.name


@dataclass
class UnknownCallable:
    """Something callable the pickle names that is not a function assay can read (``os.system``, a
    class it does not know): recorded by name, never imported, never called."""

    name: str
    args: tuple = ()


def _name_of(obj: Any) -> str:
    if isinstance(obj, type) and issubclass(obj, StandIn):
        return f"{obj.module}.{obj.qualname}"
    if isinstance(obj, StandIn):
        if isinstance(obj, Called):
            return obj.full_name
        if obj.full_name in ("dill._dill._load_type", "dill._dill._import_module") and obj.args:
            return str(obj.args[0])
        if obj.full_name == "dill._dill._get_attr" and len(obj.args) == 2:
            return f"{_name_of(obj.args[0])}.{obj.args[1]}"
        return obj.full_name
    return type(obj).__name__


class _Walker:
    def __init__(self) -> None:
        self.nodes = 0
        self.memo: dict[int, Any] = {}

    def __call__(self, obj: Any, depth: int = 0) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise UnsafePickle(f"the suite holds more than {MAX_NODES} objects; it is not a CheckList suite")
        if depth > MAX_DEPTH:
            raise UnsafePickle(f"the suite nests deeper than {MAX_DEPTH} levels; it is not a CheckList suite")
        if obj is None or isinstance(obj, (bool, int, float, str, bytes, complex)):
            return obj
        key = id(obj)
        if key in self.memo:
            return self.memo[key]
        out = self._convert(obj, depth + 1)
        self.memo[key] = out
        return out

    def _convert(self, obj: Any, depth: int) -> Any:
        if isinstance(obj, list):
            return [self(x, depth) for x in obj]
        if isinstance(obj, tuple):
            return tuple(self(x, depth) for x in obj)
        if isinstance(obj, (set, frozenset)):
            return [self(x, depth) for x in obj]
        if isinstance(obj, dict):
            return {self._key(k, depth): self(v, depth) for k, v in obj.items()}
        if isinstance(obj, type) and issubclass(obj, StandIn):
            return UnknownCallable(_name_of(obj))
        if not isinstance(obj, StandIn):  # pragma: no cover - the unpickler makes nothing else
            raise UnsafePickle(f"unexpected object {type(obj).__name__} in the suite")
        return self._stand_in(obj, depth)

    def _key(self, key: Any, depth: int) -> Any:
        out = self(key, depth)
        try:
            hash(out)
        except TypeError:
            return repr(out)
        return out

    def _stand_in(self, obj: StandIn, depth: int) -> Any:
        name = obj.full_name
        if name in ("collections.OrderedDict", "collections.defaultdict", "builtins.dict"):
            out = {}
            for k, v in obj.items:
                out[self._key(k, depth)] = self(v, depth)
            if isinstance(obj.state, dict):
                out.update({self._key(k, depth): self(v, depth) for k, v in obj.state.items()})
            return out
        if isinstance(obj, Called):
            callee = _name_of(obj.callee)
            if callee.startswith("numpy.") and callee.endswith("._reconstruct"):
                return self._array(obj.state)
            if callee.startswith("numpy.") and callee.endswith(".scalar") and len(obj.args) == 2:
                return self._scalar(obj.args[0], obj.args[1])
            if callee == "CodeType":
                return obj  # read by _function
            return UnknownCallable(callee, tuple(self(a, depth) for a in obj.args))
        if name == "dill._dill._create_function":
            return self._function(obj, depth)
        if name == "dill._dill._create_cell":
            return self(obj.args[0], depth) if obj.args else None
        if name == "numpy.dtype":
            return self._dtype(obj)
        if name.startswith("checklist."):
            state = self(obj.state, depth)
            for k, v in obj.items:
                if isinstance(state, dict):
                    state[self._key(k, depth)] = self(v, depth)
            return Record(name, state, tuple(self(a, depth) for a in obj.args))
        if name in ("dill._dill._load_type", "dill._dill._import_module", "dill._dill._get_attr"):
            return UnknownCallable(_name_of(obj))
        return UnknownCallable(name, tuple(self(a, depth) for a in obj.args))

    def _dtype(self, obj: StandIn) -> np.dtype:
        spec = obj.args[0] if obj.args else None
        state = obj.state if isinstance(obj.state, tuple) else ()
        if not isinstance(spec, str):
            raise UnsafePickle(f"a numpy dtype {spec!r} that assay does not read")
        dt = np.dtype(spec)
        if dt.kind not in _NUMERIC_KINDS:
            raise UnsafePickle(f"a numpy array of dtype {spec!r}: assay reads arrays of numbers or strings only")
        if len(state) > 1 and state[1] in ("<", ">", "|", "="):
            dt = dt.newbyteorder(state[1]) if state[1] != "|" else dt
        return dt

    def _dtype_of(self, value: Any) -> np.dtype:
        if isinstance(value, StandIn) and value.full_name == "numpy.dtype":
            return self._dtype(value)
        raise UnsafePickle("a numpy array without a readable dtype")

    def _array(self, state: Any) -> np.ndarray:
        if not (isinstance(state, tuple) and len(state) == 5):
            raise UnsafePickle("a numpy array with an unreadable state")
        _version, shape, dtype, fortran, raw = state
        dt = self._dtype_of(dtype)
        if not isinstance(raw, bytes) or not all(isinstance(n, int) and n >= 0 for n in shape):
            raise UnsafePickle("a numpy array whose data is not raw bytes")
        count = int(np.prod(shape)) if shape else 1
        if count * dt.itemsize != len(raw):
            raise UnsafePickle("a numpy array whose data does not match its shape")
        arr = np.frombuffer(raw, dtype=dt).reshape(shape, order="F" if fortran else "C")
        return arr.astype(dt.newbyteorder("="), copy=True)

    def _scalar(self, dtype: Any, raw: Any) -> Any:
        dt = self._dtype_of(dtype)
        if not isinstance(raw, bytes) or len(raw) != dt.itemsize:
            raise UnsafePickle("a numpy scalar whose data does not match its dtype")
        return np.frombuffer(raw, dtype=dt)[0].item()

    def _function(self, obj: StandIn, depth: int) -> FunctionRecord:
        args = obj.args
        code = args[0] if args else None
        name = str(args[2]) if len(args) > 2 and isinstance(args[2], str) else "?"
        defaults = args[3] if len(args) > 3 and isinstance(args[3], tuple) else ()
        closure = args[4] if len(args) > 4 and isinstance(args[4], tuple) else ()
        fields = code.args if isinstance(code, Called) else ()
        # CodeType(argcount, [posonly,] kwonly, nlocals, stacksize, flags, code, consts, names,
        # varnames, filename, name, firstlineno, lnotab, freevars, cellvars)
        off = 1 if len(fields) >= 16 else 0
        consts, names, varnames, filename, freevars, code_bytes = ((), (), (), "", (), b"")
        if len(fields) >= 15:
            code_bytes = fields[5 + off] if isinstance(fields[5 + off], bytes) else b""
            consts, names, varnames = fields[6 + off], fields[7 + off], fields[8 + off]
            filename, freevars = fields[9 + off], fields[13 + off]
        qualnames = tuple(c for c in _strings(consts) if "<locals>" in c)
        freevars = tuple(str(v) for v in freevars) if isinstance(freevars, tuple) else ()
        values = [self(c, depth) for c in closure]
        return FunctionRecord(
            name=name, qualnames=qualnames,
            names=tuple(str(n) for n in names) if isinstance(names, tuple) else (),
            varnames=tuple(str(n) for n in varnames) if isinstance(varnames, tuple) else (),
            freevars=freevars, closure=dict(zip(freevars, values)),
            defaults=tuple(self(d, depth) for d in defaults), filename=str(filename),
            code=code_bytes, consts=tuple(c if c is None or isinstance(c, (bool, int, float, str)) else NOT_DATA for c in consts)
            if isinstance(consts, tuple) else (),
        )


def _strings(consts: Any) -> list[str]:
    out: list[str] = []
    if isinstance(consts, tuple):
        for c in consts:
            if isinstance(c, str):
                out.append(c)
            elif isinstance(c, Called) and len(c.args) >= 15:  # a nested code object
                off = 1 if len(c.args) >= 16 else 0
                out.extend(_strings(c.args[6 + off]))
    return out


def plain(obj: Any) -> Any:
    """``obj`` (from the restricted unpickler) as plain data; nothing in it is called."""
    return _Walker()(obj)
