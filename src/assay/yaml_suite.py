"""YAML suites: ``*.assay.yaml`` files declaring tests as data (read with ``yaml.safe_load``).

This module turns a suite file into declarations and knows nothing of pytest; the plugin's
collector (:mod:`assay.plugin.collect`) turns them into items.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from . import expect as _expect
from .declarations import DIR, INV, MFT, AssayTest
from .errors import DeclarationError, OptionalDataMissing
from .templates import Examples, template

SUFFIXES = (".assay.yaml", ".assay.yml")
_COMMON = {"name", "type", "capability", "description", "max_failure_rate", "seed"}
_SOURCE = {"template", "templates", "slots", "data", "inputs", "n", "mlm", "mask_top", "mask_contexts"}
_ALLOWED = {
    "MFT": _COMMON | _SOURCE | {"label", "labels", "expect"},
    "INV": _COMMON | _SOURCE | {"perturb", "tolerance", "side", "groups", "expect", "search", "search_kinds",
                                "search_examples"},
    "DIR": _COMMON | _SOURCE | {"perturb", "side", "groups", "pairs", "expect"},
    "HEADS": _COMMON | {"check", "data", "inputs", "n", "max_accuracy_drop"},
}
# The keys of one head check only (besides the HEADS keys above), and its threshold key.
_HEAD_CHECK_KEYS = {
    "random_masking": ({"fraction", "draws", "min_agreement"}, "min_agreement"),
    "layer_ablation": ({"min_agreement"}, "min_agreement"),
    "single_head_ablation": ({"max_changed"}, "max_changed"),
    "importance": ({"fraction", "min_agreement", "harmful"}, "min_agreement"),
}
# Keys that a user may well write where they do nothing: what to write instead.
_INSTEAD = {
    "template_labels": "template_labels is not read: a test's templates share its label: (or labels:); put "
                       "templates with another label in a test of their own",
    "text_column": "text_column goes inside data: {path: ..., text_column: ...}",
    "label_column": "label_column goes inside data: {path: ..., label_column: ...}",
}


def is_suite_file(path: Path) -> bool:
    return path.name.endswith(SUFFIXES)


@dataclass(frozen=True)
class SuiteDocument:
    """A parsed suite file: its test entries (still raw mappings), lexicons and label set."""

    path: Path
    entries: list[Any]
    lexicons: dict[str, Any]
    labels: list[str] | None

    def entry_name(self, position: int) -> str:
        """The name of entry ``position`` (1-based) for reports, even when the entry is malformed."""
        entry = self.entries[position - 1]
        name = entry.get("name") if isinstance(entry, dict) else None
        return str(name) if name else f"test_{position}"

    def declaration(self, position: int) -> AssayTest:
        """Entry ``position`` (1-based) as a declaration; DeclarationError with the fix otherwise."""
        entry = self.entries[position - 1]
        if isinstance(entry, dict) and ("checklist" in entry or "cases" in entry):
            return checklist_declaration(entry, self.path.parent, self.labels)
        return build_declaration(entry, self.lexicons, self.path.parent)


def read_suite(path: Path) -> SuiteDocument | None:
    """Parse a suite file (``None`` when it is empty); DeclarationError when it is not a suite."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise DeclarationError(f"YAML does not parse{where}: {getattr(exc, 'problem', exc)}") from None
    if doc is None:
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("tests"), list):
        raise DeclarationError("a suite file is a mapping with a 'tests:' list")
    lexicons = doc.get("lexicons") or {}
    if not isinstance(lexicons, dict):
        raise DeclarationError("'lexicons:' must map names to word lists")
    return SuiteDocument(path, expand_checklist(doc["tests"], path.parent), lexicons, doc.get("labels") or None)


def build_declaration(entry: Any, lexicons: dict, base_dir: Path) -> AssayTest:
    """One YAML entry -> a declaration (DeclarationError with the fix otherwise)."""
    if not isinstance(entry, dict):
        raise DeclarationError(f"each test is a mapping, got {entry!r}")
    name = entry.get("name")
    if not name:
        raise DeclarationError("a test needs 'name:'")
    kind = str(entry.get("type", "")).upper()
    if kind not in _ALLOWED:
        raise DeclarationError(f"{name}: type {entry.get('type')!r} must be one of MFT, INV, DIR, HEADS")
    allowed = _ALLOWED[kind]
    if kind == "HEADS":
        allowed = allowed | _head_check_keys(entry, name)
    for key in sorted(set(entry) - allowed):
        if key in _INSTEAD:
            raise DeclarationError(f"{name}: {_INSTEAD[key]}")
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise DeclarationError(f"{name}: unknown key(s) {', '.join(unknown)} for a {kind} test")
    common = {k: entry[k] for k in ("capability", "description", "max_failure_rate", "seed") if k in entry}
    common["name"] = str(name)
    if "expect" in entry:
        common["expect"] = _expectation(entry["expect"])
    if kind == "HEADS":
        return _head_check(entry, common, base_dir)
    mlm = _mlm(entry, base_dir)
    source = _with_mlm(_source(entry, lexicons, base_dir, kind), mlm)
    if kind == "MFT":
        return MFT(source, entry.get("label"), labels=entry.get("labels"), n=entry.get("n"), **common)
    groups = entry.get("groups")
    pairs = entry.get("pairs")
    perturbation = _with_mlm(_perturbations(entry.get("perturb")), mlm) if "perturb" in entry else None
    extra: dict[str, Any] = {"side": entry.get("side", "both"), "n": entry.get("n")}
    if kind == "INV":
        search = {k: entry[k] for k in ("search", "search_kinds", "search_examples") if k in entry}
        return INV(source, perturbation, groups=groups, tolerance=entry.get("tolerance"), **search, **extra, **common)
    return DIR(source, perturbation, groups=groups, pairs=pairs, **extra, **common)


def _source(entry: dict, lexicons: dict, base_dir: Path, kind: str) -> Any:
    parts: list[Any] = []
    patterns = entry.get("templates", entry.get("template"))
    if patterns is not None:
        slots = dict(lexicons)
        for slot, value in (entry.get("slots") or {}).items():
            slots[slot] = value
        resolved = {}
        for slot, value in slots.items():
            if isinstance(value, str):  # the name of another lexicon
                from . import lexicon

                value = lexicons.get(value) if value in lexicons else lexicon.get(value)
            resolved[slot] = value
        patterns = [tuple(p) if isinstance(p, list) else p for p in (patterns if isinstance(patterns, list) else [patterns])]
        used = set()
        from .templates import slots_of

        for p in patterns:
            for text in (p if isinstance(p, tuple) else (p,)):
                used.update(slots_of(text))
        fam = {s.rstrip("0123456789") for s in used}
        resolved = {k: v for k, v in resolved.items() if k in used or k in fam}
        masks = {k: entry[k] for k in ("mask_top", "mask_contexts") if k in entry}
        parts.append(template(patterns, **masks, **resolved))
    if "inputs" in entry:
        inputs = entry["inputs"]
        if not isinstance(inputs, list):
            raise DeclarationError("'inputs:' must be a list of texts or [text_a, text_b] pairs")
        parts.append([tuple(x) if isinstance(x, list) else x for x in inputs])
    if "data" in entry:
        parts.append(_dataset(entry["data"], base_dir))
    if not parts:
        if kind != "MFT" and (entry.get("groups") or entry.get("pairs")):
            return None
        raise DeclarationError(f"{entry['name']}: give template:, inputs: or data:")
    return parts[0] if len(parts) == 1 else Examples(tuple(parts))


def _mlm(entry: dict, base_dir: Path) -> str | None:
    """The entry's ``mlm:`` (a fill-mask model for its {mask} templates and masked-LM perturbations);
    a path is read relative to the suite file, like ``data:``."""
    value = entry.get("mlm")
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise DeclarationError(f"{entry['name']}: 'mlm:' is the folder or hub id of a fill-mask model, got {value!r}")
    local = base_dir / value
    return str(local) if value.startswith(".") or local.exists() else value


def _with_mlm(obj: Any, mlm: str | None) -> Any:
    if mlm is None:
        return obj
    from .mlm.binding import bind

    return bind(obj, mlm)


def _dataset(spec: Any, base_dir: Path) -> Any:
    from .datasets import dataset

    if isinstance(spec, str):
        spec = {"path": spec}
    if not isinstance(spec, dict) or "path" not in spec:
        raise DeclarationError("'data:' is a path or a mapping with 'path:' (and text_column, label_column, n, seed)")
    kwargs = {k: v for k, v in spec.items() if k not in ("path", "optional")}
    path = Path(spec["path"])
    if not path.is_absolute():
        path = base_dir / path
    if spec.get("optional") and not path.exists():
        raise OptionalDataMissing(f"optional data {path} is absent")
    return dataset(str(path), **kwargs)


def _perturbations(spec: Any) -> list:
    from .perturb import by_name

    if isinstance(spec, str):
        return [by_name(spec)]
    if isinstance(spec, dict):
        return [by_name(name, **(kwargs or {})) for name, kwargs in spec.items()]
    if isinstance(spec, list):
        out = []
        for item in spec:
            out.extend(_perturbations(item))
        return out
    raise DeclarationError(f"'perturb:' is a name, a mapping of name to arguments, or a list; got {spec!r}")


def _expectation(spec: Any) -> _expect.Expectation:
    if isinstance(spec, str):
        return _expect.by_name(spec)
    if isinstance(spec, dict) and len(spec) == 1:
        (name, args), = spec.items()
        return _expect.by_name(name, args)
    if isinstance(spec, dict) and len(spec) > 1:
        return _expect.all_of(*(_expect.by_name(n, a) for n, a in spec.items()))
    raise DeclarationError(f"'expect:' is a name or a mapping of name to arguments; got {spec!r}")


def _head_check_keys(entry: dict[str, Any], name: Any) -> set[str]:
    """The keys entry's ``check:`` reads; a key of another check is an error that names its check."""
    from .heads.declarations import CHECKS

    check = entry.get("check", "random_masking")
    if check not in _HEAD_CHECK_KEYS:
        raise DeclarationError(f"{name}: unknown head check {check!r}; use one of {', '.join(CHECKS)}")
    keys = _HEAD_CHECK_KEYS[check][0]
    for key in sorted(set(entry) - keys - _ALLOWED["HEADS"]):
        owners = [c for c, (k, _) in _HEAD_CHECK_KEYS.items() if key in k]
        if owners:
            raise DeclarationError(f"{name}: {key} applies to check {' and '.join(owners)} only, not {check}")
    return keys


def _head_check(entry: dict[str, Any], common: dict[str, Any], base_dir: Path) -> AssayTest:
    """A ``type: HEADS`` entry: ``check:`` names the check; data as for other tests. The threshold is
    ``max_failure_rate`` or the check's own key (``min_agreement``, ``max_changed``), not both."""
    from .heads import declarations as heads

    name = entry["name"]
    check = entry.get("check", "random_masking")
    threshold = _HEAD_CHECK_KEYS[check][1]
    if threshold in entry and "max_failure_rate" in entry:
        raise DeclarationError(f"{name}: give {threshold} or max_failure_rate, not both (they set the same threshold)")
    if "data" in entry and "inputs" in entry:
        raise DeclarationError(f"{name}: give data: or inputs:, not both")
    data = None
    if "data" in entry:
        data = _dataset(entry["data"], base_dir)
    elif "inputs" in entry:
        if not isinstance(entry["inputs"], list):
            raise DeclarationError(f"{name}: 'inputs:' must be a list of texts or [text_a, text_b] pairs")
        data = [tuple(x) if isinstance(x, list) else x for x in entry["inputs"]]
    kwargs: dict[str, Any] = {k: entry[k] for k in ("n", "max_accuracy_drop") if k in entry}
    kwargs.update({k: entry[k] for k in _HEAD_CHECK_KEYS[check][0] if k in entry})
    factory = {"random_masking": heads.random_masking, "layer_ablation": heads.layer_ablation,
               "single_head_ablation": heads.single_head_ablation, "importance": heads.importance}[check]
    return factory(data, **kwargs, **common)


# -- CheckList suites: run in place (``checklist:``) or imported (``cases:``) --------------------
_CHECKLIST_KEYS = {"path", "tests", "n", "seed", "max_failure_rate", "expect"}


def expand_checklist(entries: list[Any], base_dir: Path) -> list[Any]:
    """Each ``checklist: {path, tests, n, seed, max_failure_rate, expect}`` entry becomes one entry
    per CheckList test it selects (the suite is read as data, path relative to the YAML file)."""
    if not any(isinstance(e, dict) and "checklist" in e for e in entries):
        return entries
    from .checklist import load_suite

    out: list[Any] = []
    for entry in entries:
        if not (isinstance(entry, dict) and "checklist" in entry):
            out.append(entry)
            continue
        spec = entry["checklist"]
        if isinstance(spec, str):
            spec = {"path": spec}
        if not isinstance(spec, dict) or "path" not in spec:
            raise DeclarationError("'checklist:' is a path or a mapping with path: (and tests:, n:, seed:, max_failure_rate:, expect:)")
        unknown = sorted(set(spec) - _CHECKLIST_KEYS) + sorted(set(entry) - {"checklist"})
        if unknown:
            raise DeclarationError(f"checklist entry: unknown key(s) {', '.join(map(str, unknown))}; "
                                   f"known: {', '.join(sorted(_CHECKLIST_KEYS))}")
        path = Path(str(spec["path"]))
        suite = load_suite(path if path.is_absolute() else base_dir / path)
        tests = spec.get("tests")
        if tests is not None and not (isinstance(tests, list) and all(isinstance(t, str) for t in tests)):
            raise DeclarationError("checklist entry: 'tests:' is a list of CheckList test names")
        overrides = spec.get("expect") or {}
        if not isinstance(overrides, dict):
            raise DeclarationError("checklist entry: 'expect:' maps a test name to its expectation")
        for test in suite.select(tests):
            out.append({"name": test.name, "checklist": {**{k: v for k, v in spec.items() if k != "expect"},
                                                         "test": test, "expect": overrides.get(test.name)}})
    return out


def checklist_declaration(entry: dict, base_dir: Path, labels: list[str] | None) -> AssayTest:
    """An expanded ``checklist:`` entry or an imported ``cases:`` entry as a declaration."""
    if "cases" in entry:
        from .checklist.files import imported_declaration

        unknown = sorted(set(entry) - {"name", "type", "capability", "description", "max_failure_rate", "seed", "n",
                                       "expect", "cases"})
        if unknown:
            raise DeclarationError(f"{entry.get('name')}: unknown key(s) {', '.join(unknown)} for an imported test")
        exp = _expectation(entry["expect"]) if entry.get("expect") is not None else None
        return imported_declaration(entry, base_dir, labels, exp)
    spec = entry["checklist"]
    exp = _expectation(spec["expect"]) if spec.get("expect") is not None else None
    return spec["test"].declaration(label_names=labels, n=spec.get("n"), seed=int(spec.get("seed", 0)), expect=exp,
                                    max_failure_rate=spec.get("max_failure_rate", 1.0))

