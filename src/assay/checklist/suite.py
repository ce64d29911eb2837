"""CheckList suites as data: :func:`load_suite` reads a saved suite without running any of its code.

A :class:`CheckListSuite` holds one :class:`CheckListTest` per test, in the suite's order: its type
(MFT / INV / DIR), name, capability, description, data (cases: one input, or a group ``[original,
changed, ...]``; a pair of texts is one input), labels (one for every case, one per case, or none),
``run_idxs`` (the sample CheckList ran on) and its expectation as recognised from the pickled
functions (:mod:`assay.checklist.recognise`). :meth:`CheckListTest.declaration` makes it an assay
declaration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..declarations import sample_examples
from ..errors import AssayError, DeclarationError
from ..inputs import Input, check_input
from .plain import FunctionRecord, Record, UnknownCallable, plain
from .recognise import ExpectSpec, recognise
from .unpickle import UnsafePickle, load_pickle_bytes, read_suite_bytes

TEST_TYPES = {"checklist.test_types.MFT": "MFT", "checklist.test_types.INV": "INV", "checklist.test_types.DIR": "DIR"}


@dataclass
class CheckListTest:
    """One CheckList test as plain data (nothing callable in it)."""

    test_type: str
    name: str
    capability: str
    description: str
    cases: list[tuple[Input, ...]]
    labels: list[Any] | None
    run_idxs: list[int] | None
    agg_fn: str
    expect: ExpectSpec
    source: str = ""

    @property
    def grouped(self) -> bool:
        return any(len(c) != 1 for c in self.cases)

    def label_of(self, index: int) -> Any:
        if self.labels is None:
            return None
        return self.labels[index]

    def sample(self, n: int | str | None = None, seed: int = 0) -> list[int]:
        """Case indices: ``None`` the sample CheckList ran on (every case if none was stored), ``"all"``
        every case, an int a seeded sample of that many (without replacement, in suite order)."""
        everything = list(range(len(self.cases)))
        if n is None:
            return list(self.run_idxs) if self.run_idxs is not None else everything
        if n == "all":
            return everything
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise DeclarationError(f"{self.name}: n={n!r} must be a positive integer, 'all', or absent (CheckList's sample)")
        return sample_examples(everything, n, seed)

    def declaration(self, *, label_names: Sequence[str] | None = None, n: int | str | None = None, seed: int = 0,
                    expect: Any = None, max_failure_rate: float = 1.0, name: str | None = None) -> Any:
        """This test as an assay declaration (see :mod:`assay.checklist.declare`)."""
        from .declare import to_declaration

        return to_declaration(self, label_names=label_names, n=n, seed=seed, expect=expect,
                              max_failure_rate=max_failure_rate, name=name)


@dataclass
class CheckListSuite:
    path: str
    tests: list[CheckListTest] = field(default_factory=list)

    def __getitem__(self, name: str) -> CheckListTest:
        for t in self.tests:
            if t.name == name:
                return t
        raise KeyError(name)

    def names(self) -> list[str]:
        return [t.name for t in self.tests]

    def select(self, names: Sequence[str] | None) -> list[CheckListTest]:
        if not names:
            return list(self.tests)
        known = self.names()
        missing = [n for n in names if n not in known]
        if missing:
            raise DeclarationError(f"{self.path}: no test named {missing[0]!r}; its tests are: "
                                   + ", ".join(repr(k) for k in known))
        return [self[n] for n in names]


def load_suite(path: str | Path) -> CheckListSuite:
    """Read a CheckList suite (``.pkl`` or the released ``.tar.gz``) as data; nothing in it runs."""
    source = str(path)
    root = plain(load_pickle_bytes(read_suite_bytes(path), source=source))
    if not (isinstance(root, Record) and root.cls == "checklist.test_suite.TestSuite" and isinstance(root.state, dict)):
        found = root.cls if isinstance(root, Record) else type(root).__name__
        raise UnsafePickle(f"{source}: holds {found}, not a CheckList TestSuite")
    tests = root.state.get("tests")
    if not isinstance(tests, dict):
        raise UnsafePickle(f"{source}: the TestSuite has no tests mapping")
    suite = CheckListSuite(source)
    for key, rec in tests.items():
        suite.tests.append(_test(source, str(key), rec))
    return suite


def _test(source: str, key: str, rec: Any) -> CheckListTest:
    if not isinstance(rec, Record) or rec.cls not in TEST_TYPES or not isinstance(rec.state, dict):
        raise UnsafePickle(f"{source}: test {key!r} is {getattr(rec, 'cls', type(rec).__name__)}, not a CheckList MFT/INV/DIR")
    s = rec.state
    kind = TEST_TYPES[rec.cls]
    data = s.get("data")
    if not isinstance(data, list) or not data:
        raise AssayError(f"{source}: test {key!r} has no data")
    try:
        cases = [_case(x) for x in data]
    except TypeError as exc:
        raise AssayError(f"{source}: test {key!r}: {exc}") from None
    labels = _labels(s.get("labels"), len(cases), source, key)
    run_idxs = s.get("run_idxs")
    if isinstance(run_idxs, np.ndarray):
        run_idxs = [int(i) for i in run_idxs.ravel()]
    elif isinstance(run_idxs, list):
        run_idxs = [int(i) for i in run_idxs]
    else:
        run_idxs = None
    if run_idxs is not None and any(not 0 <= i < len(cases) for i in run_idxs):
        raise AssayError(f"{source}: test {key!r} has run_idxs outside its {len(cases)} cases")
    agg = s.get("agg_fn")
    agg_name = agg if isinstance(agg, str) else ("custom" if agg is not None else "all")
    return CheckListTest(
        test_type=kind, name=str(s.get("name") or key), capability=str(s.get("capability") or "General"),
        description=str(s.get("description") or ""), cases=cases, labels=labels, run_idxs=run_idxs,
        agg_fn=agg_name, expect=recognise(s.get("expect"), agg_name), source=source,
    )


def _case(item: Any) -> tuple[Input, ...]:
    if isinstance(item, list):  # CheckList: a list is a group of inputs (original first for INV / DIR)
        if not item:
            raise TypeError("a case with no input")
        return tuple(check_input(x) for x in item)
    return (check_input(item),)


def _labels(value: Any, count: int, source: str, key: str) -> list[Any] | None:
    if value is None:
        return None
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return [int(value)] * count
    if isinstance(value, (list, np.ndarray)):
        items = list(value)
        if len(items) != count:
            raise AssayError(f"{source}: test {key!r} has {len(items)} labels for {count} cases")
        out: list[Any] = []
        for lab in items:
            if isinstance(lab, np.ndarray):
                out.append([int(v) for v in lab.ravel()])
            elif isinstance(lab, (int, np.integer)) and not isinstance(lab, bool):
                out.append(int(lab))
            elif lab is None:
                out.append(None)
            else:
                raise AssayError(f"{source}: test {key!r} has a label {lab!r}; CheckList labels are class indices")
        return out
    raise AssayError(f"{source}: test {key!r} has labels of type {type(value).__name__}; expected an index or a list")


__all__ = ["CheckListSuite", "CheckListTest", "load_suite", "FunctionRecord", "UnknownCallable"]
