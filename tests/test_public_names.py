"""What assay exports: ``__all__`` lists only names a module owns, and nothing named Test* is collected."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import assay


def modules_with_all():
    for info in pkgutil.walk_packages(assay.__path__, "assay."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        if hasattr(module, "__all__"):
            yield info, module


def owner(value) -> str | None:
    return value.__module__ if inspect.isfunction(value) or inspect.isclass(value) else None


def test_all_lists_only_assay_names_that_exist():
    # Re-exports of assay's own names keep old import paths working; a helper imported from the
    # standard library or another package is never part of assay's API.
    problems = []
    for _, module in modules_with_all():
        for name in module.__all__:
            if not hasattr(module, name):
                problems.append(f"{module.__name__}.{name}: listed in __all__ but not defined")
            elif not (owner(getattr(module, name)) or "assay.").startswith("assay."):
                problems.append(f"{module.__name__}.{name}: comes from {owner(getattr(module, name))}")
    assert problems == []


@pytest.mark.parametrize("module, name", [("assay.declarations", "field"), ("assay.baseline", "write_json_atomic")])
def test_incidental_imports_are_not_public(module, name):
    # dataclasses.field and the atomic-write helper were listed in __all__ without being part of either module.
    assert not hasattr(importlib.import_module(module), name)


def test_test_result_imported_into_a_test_module_is_not_collected(pytester):
    pytester.makepyfile(test_uses_result='''
from assay.judge import TestResult

def test_something():
    assert TestResult.__name__ == "TestResult"
''')
    result = pytester.runpytest("-W", "error::pytest.PytestCollectionWarning")
    result.assert_outcomes(passed=1)
    assert "PytestCollectionWarning" not in result.stdout.str()


def test_no_lazily_exported_name_is_also_a_submodule_of_its_package():
    """Importing a submodule binds it on its package, so a module named like a name the package
    exports (``assay/engine/fingerprint.py`` beside the function ``fingerprint``) hides that name
    from ``from package import name`` as soon as anything has imported the module."""
    import importlib
    import pkgutil

    clashes = []
    for info in pkgutil.walk_packages(assay.__path__, "assay."):
        if not info.ispkg:
            continue
        package = importlib.import_module(info.name)
        exports = getattr(package, "_EXPORTS", {})
        submodules = {m.name for m in pkgutil.iter_modules(package.__path__)}
        clashes += [f"{info.name}.{name}" for name in exports if name in submodules]
    assert clashes == []
