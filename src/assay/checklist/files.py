"""An imported CheckList suite on disk: a YAML suite and its cases in a JSON Lines file beside it.

``write_suite`` writes ``NAME.assay.yaml`` (one entry per test: type, name, capability,
description, the built-in expectation, ``cases: NAME.cases.jsonl``) and ``NAME.cases.jsonl`` (one
line per case: ``{"test": ..., "inputs": [...], "label": ...}``, labels as CheckList's class
indices). The user then edits and owns both; ``pytest DIR --assay-model=X`` runs them.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

import yaml

from ..atomic import write_text_atomic
from ..declarations import sample_examples
from ..errors import DeclarationError
from ..inputs import check_input, to_json
from .declare import CheckListMFT, expect_spec, stored_label
from .suite import CheckListSuite


def write_suite(suite: CheckListSuite, out_dir: str | Path, *, name: str, label_names: Sequence[str] | None = None,
                tests: Sequence[str] | None = None, every_case: bool = False) -> tuple[Path, Path, list[str]]:
    """Write the YAML suite and its cases; returns both paths and one line per test that needs the
    user's ``expect:`` (its entry is written without one, and collecting it says so)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    yaml_path, cases_path = out / f"{name}.assay.yaml", out / f"{name}.cases.jsonl"
    entries, lines, todo = [], [], []
    for test in suite.select(tests):
        entry: dict[str, Any] = {"name": test.name, "type": test.test_type, "capability": test.capability,
                                 "description": test.description}
        try:
            entry["expect"] = expect_spec(test.expect, test.test_type)
        except DeclarationError as exc:
            todo.append(f"{test.name}: {exc}")
        entry.update({"cases": cases_path.name, "max_failure_rate": 1.0})
        entries.append(entry)
        for i in (test.sample("all") if every_case else test.sample(None)):
            label = stored_label(test, i) if test.test_type == "MFT" else None
            lines.append(json.dumps({"test": test.name, "inputs": [to_json(x) for x in test.cases[i]], "label": label},
                                    ensure_ascii=False))
    doc: dict[str, Any] = {}
    if label_names:
        doc["labels"] = list(label_names)
    doc["tests"] = entries
    header = (f"# Imported from CheckList suite {Path(suite.path).name} by `assay checklist import`.\n"
              f"# Cases are in {cases_path.name} (labels are class indices into labels: below).\n"
              "# max_failure_rate 1.0 reports failure rates without failing; lower it to gate.\n")
    write_text_atomic("\n".join(lines) + "\n", cases_path)
    write_text_atomic(header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=120), yaml_path)
    return yaml_path, cases_path, todo


@lru_cache(maxsize=8)
def _read_cases(path: str, mtime: float) -> dict[str, list[tuple[tuple, Any]]]:
    out: dict[str, list[tuple[tuple, Any]]] = {}
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                inputs = tuple(check_input(x) for x in row["inputs"])
                out.setdefault(str(row["test"]), []).append((inputs, row.get("label")))
            except (ValueError, KeyError, TypeError) as exc:
                raise DeclarationError(f"{path} line {number}: not a case line {{\"test\", \"inputs\", \"label\"}} ({exc})") from None
    return out


def read_cases(path: Path, test: str) -> list[tuple[tuple, Any]]:
    if not path.exists():
        raise DeclarationError(f"cases file {path} does not exist; `assay checklist import` writes it beside the YAML")
    cases = _read_cases(str(path), path.stat().st_mtime).get(test)
    if not cases:
        raise DeclarationError(f"{path} holds no case for test {test!r}")
    return cases


def imported_declaration(entry: dict, base_dir: Path, label_names: Sequence[str] | None, expectation: Any) -> Any:
    """A YAML entry with ``cases: FILE.jsonl`` (written by :func:`write_suite`) as a declaration."""
    from ..declarations import DIR, INV

    name = str(entry["name"])
    kind = str(entry.get("type", "")).upper()
    if kind not in ("MFT", "INV", "DIR"):
        raise DeclarationError(f"{name}: type {entry.get('type')!r} must be MFT, INV or DIR for an imported test")
    if expectation is None:
        raise DeclarationError(f"{name}: needs expect: (CheckList's expectation could not be read from the pickle)")
    cases = read_cases(base_dir / str(entry["cases"]), name)
    seed = int(entry.get("seed", 0))
    if entry.get("n") is not None:
        n = entry["n"]
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise DeclarationError(f"{name}: n={n!r} must be a positive integer")
        cases = sample_examples(cases, n, seed)
    common = dict(name=name, capability=str(entry.get("capability", "General")),
                  description=str(entry.get("description", "")), seed=seed, expect=expectation,
                  max_failure_rate=entry.get("max_failure_rate", 0.0))
    if kind == "MFT":
        stored = []
        for inputs, label in cases:
            labels = None
            if label is not None:
                if not label_names:
                    raise DeclarationError(f"{name}: its cases carry CheckList label indices; give the suite's labels: "
                                           "(the model's label names in CheckList's order)")
                idx = label if isinstance(label, list) else [label]
                if any(not isinstance(i, int) or not 0 <= i < len(label_names) for i in idx):
                    raise DeclarationError(f"{name}: label {label!r} is not an index into labels: {list(label_names)}")
                labels = frozenset(label_names[i] for i in idx)
            stored.append((inputs, labels))
        return CheckListMFT(stored, **common)
    cls = INV if kind == "INV" else DIR
    return cls(groups=[c[0] for c in cases], **common)


__all__ = ["write_suite", "read_cases", "imported_declaration"]
