"""Exception types. Every assay error carries a one-line message that says what to fix."""

from __future__ import annotations


class AssayError(Exception):
    """Base class: the message is one line, meant to be shown to the user as it is."""


class DeclarationError(AssayError):
    """A test declaration (Python or YAML) is malformed: unknown slot, bad threshold, ..."""


class DataError(AssayError):
    """A dataset file is missing, empty or has no usable text column."""


class ModelLoadError(AssayError):
    """A model could not be loaded (missing folder, no classification head, pickle-only, ...)."""


class UnsupportedModelError(AssayError):
    """The model's architecture does not support the requested operation (e.g. head masking)."""


class PredictionError(AssayError):
    """A model returned something unusable: NaN, wrong shape, probabilities that do not sum to 1."""


class ReportError(AssayError):
    """A JSON report cannot be used (as a baseline or by ``assay compare``): missing, truncated, of
    another schema version, with fields of the wrong type, or incomplete."""


BaselineError = ReportError  # the name from before reports were also read by ``assay compare``


class ReportValueError(AssayError):
    """A figure a test reports is NaN or infinite: the test cannot be judged on it."""


class OptionalDataMissing(DeclarationError):
    """An ``optional: true`` dataset is absent: the test is skipped, not an error."""


class HeadMaskError(AssayError, ValueError):
    """A head mask has the wrong shape, dtype, device or values for the model it is applied to."""


class NoApplicableCase(AssayError):
    """Every case was filtered out: a gate that passes on nothing must not pass."""


class ModelUnavailable(AssayError):
    """The model of an item could not be loaded; every item of that model reports this."""


class AssayFailure(AssertionError):
    """A behavioral test exceeded its allowed failure rate (or regressed): the message says how.

    An AssertionError, not an AssayError: it is a verdict on the model, not a problem with the input.
    """
