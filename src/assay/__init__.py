"""assay: behavioral testing of BERT-style text classifiers, as a pytest plugin.

Declare MFT / INV / DIR tests (and negation and attention-head checks) as data; pytest collects them,
runs them against a model and reports a failure rate per test.
"""

from __future__ import annotations

__version__ = "0.1.0"

from . import expect, lexicon
from .cases import Case
from .declarations import DIR, INV, MFT, AssayTest
from .errors import AssayError, DataError, DeclarationError, ModelLoadError, PredictionError
from .inputs import Input, Model
from .templates import Template, template


def __getattr__(name: str):
    # Heavier parts load on first use, so that `import assay` (and collection) stays fast.
    import importlib

    if name in ("perturb", "strategies", "heads", "head_checks", "mlm"):
        return importlib.import_module(f"{__name__}.{name}")
    if name == "dataset":
        return importlib.import_module(f"{__name__}.datasets").dataset
    raise AttributeError(f"module 'assay' has no attribute {name!r}")


__all__ = [
    "MFT", "INV", "DIR", "AssayTest", "Case", "Template", "template", "expect", "lexicon", "perturb",
    "dataset", "heads", "head_checks", "strategies", "mlm", "Input", "Model", "AssayError", "DataError", "DeclarationError",
    "ModelLoadError", "PredictionError", "__version__",
]
