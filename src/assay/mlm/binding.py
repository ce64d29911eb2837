"""Give a declaration's ``{mask}`` templates and masked-LM perturbations the run's fill-mask model.

A template or perturbation that names no model takes the run's default (pytest's ``--assay-mlm``, or
a YAML entry's ``mlm:``); one that names its model by a string is loaded with the run's options
(``--assay-device``, ``--assay-allow-pickle``, ``--assay-trust-remote-code``, the cache folder). A
model passed as :func:`~assay.mlm.load_mlm` or :class:`~assay.mlm.MLMSpec` is kept as it is.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping

from assay.mlm.loading import MLMSpec


def bind(obj: Any, default: str | MLMSpec | None = None, options: Mapping[str, Any] | None = None) -> Any:
    """``obj`` (a declaration, template, perturbation, or a list of them) with its masked LMs bound.

    ``options`` (MLMSpec's loading options) turn every model named by a string, ``default`` included,
    into an MLMSpec; without them names stay strings. Returns ``obj`` itself when nothing changes.
    """
    if isinstance(default, str) and options is not None:
        default = MLMSpec(default, **dict(options))
    return _bind(obj, default, options)


def _ref(ref: Any, default: str | MLMSpec | None, options: Mapping[str, Any] | None) -> Any:
    if ref is None:
        return default
    if isinstance(ref, str) and options is not None:
        return MLMSpec(ref, **dict(options))
    return ref


def _bind(obj: Any, default: str | MLMSpec | None, options: Mapping[str, Any] | None) -> Any:
    from assay.declarations import AssayTest

    if isinstance(obj, (list, tuple)) and not isinstance(obj, str):
        items = [_bind(x, default, options) for x in obj]
        return obj if all(a is b for a, b in zip(items, obj)) else type(obj)(items)
    if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
        return obj
    names = {f.name for f in dataclasses.fields(obj)}
    changes: dict[str, Any] = {}
    if isinstance(obj, AssayTest):
        for name in ("data", "perturbation"):
            value = getattr(obj, name, None)
            if name in names and _bindable(value):
                new = _bind(value, default, options)
                if new is not value:
                    changes[name] = new
    else:
        # the fields are read by name: any dataclass with an ``mlm`` or ``parts`` field takes part
        if "mlm" in names and (not hasattr(obj, "has_masks") or obj.has_masks()):
            mlm = getattr(obj, "mlm")
            new = _ref(mlm, default, options)
            if new is not mlm:
                changes["mlm"] = new
        if "parts" in names:  # Examples, chained and united perturbations
            parts = getattr(obj, "parts")
            new_parts = _bind(tuple(parts), default, options)
            if new_parts is not parts:
                changes["parts"] = new_parts
    return dataclasses.replace(obj, **changes) if changes else obj


def _bindable(value: Any) -> bool:
    """Templates, concatenations and perturbations, not lists of inputs (which hold no model)."""
    if isinstance(value, (list, tuple)):
        return any(dataclasses.is_dataclass(v) for v in value)
    return dataclasses.is_dataclass(value)
