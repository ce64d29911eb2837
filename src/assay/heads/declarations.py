"""Attention-head checks declared like any other test: random masking, layer and head ablation, importance.

A declaration says which masks and which data; :mod:`assay.heads.run` runs it on a model. Each
check compares the model with some heads masked against the same model unmasked, on the same
inputs. A case is one input under one mask; it fails when masking changes the prediction, so the
failure rate is ``1 - agreement`` and gets the same Wilson interval, thresholds, reports and baseline
pairing as MFT / INV / DIR tests. Sweeps make one pytest item per layer (``[model-L3]``) or per head
(``[model-L3-H7]``) where the layout of the model is known when the tests are collected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from assay import _validate as valid
from assay import expect as _expect
from assay.declarations import AssayTest, sample_examples
from assay.errors import DeclarationError, NoApplicableCase
from assay.heads.masks import MaskSet, head_masks, layer_masks, random_masks, sweep_names

CHECKS = ("random_masking", "layer_ablation", "single_head_ablation", "importance")
DEFAULT_N = 200


@dataclass(frozen=True)
class HeadCheck(AssayTest):
    """Masks attention heads and counts the inputs whose prediction changes.

    ``max_accuracy_drop``: besides the failure rate, the accuracy on the gold-labelled inputs may fall
    by at most this much under the mask (the mean over the masks of the item); needs gold labels.
    """

    test_type: ClassVar[str] = "HEADS"

    check: str = "random_masking"
    data: Any = None
    n: int | None = DEFAULT_N
    fraction: float = 0.2
    draws: int = 5
    harmful: bool = True
    max_accuracy_drop: float | None = None

    def _default_expectation(self) -> _expect.Expectation:
        # Each case is (input, same input under the mask): the prediction must not change.
        return _expect.invariant()

    def _validate_source(self) -> None:
        if self.check not in CHECKS:
            raise DeclarationError(f"unknown head check {self.check!r}; use one of {', '.join(CHECKS)}")
        valid.OPEN_FRACTION.check(self.fraction, "fraction", DeclarationError)
        valid.POSITIVE_INT.check(self.draws, "draws", DeclarationError)
        if self.n is not None:
            valid.POSITIVE_INT.check(self.n, "n", DeclarationError)
        if self.max_accuracy_drop is not None:
            valid.RATE.check(self.max_accuracy_drop, "max_accuracy_drop", DeclarationError)

    @property
    def is_sweep(self) -> bool:
        return self.check in ("layer_ablation", "single_head_ablation")

    def parts(self, layout: tuple[int, int] | None) -> list[str | None]:
        """The items of this check on a model of ``layout`` (layers, heads): one per layer or head for
        a sweep whose layout is known, else one (``None``) that covers every mask."""
        if layout is None or not self.is_sweep:
            return [None]
        return list(sweep_names(self.check, *layout))

    def masks(self, layers: int, heads: int) -> MaskSet:
        """The masks of a random-masking or sweep check on a model of ``layers`` x ``heads``."""
        if self.check == "random_masking":
            return random_masks(layers, heads, self.fraction, self.draws, self.seed)
        if self.check == "layer_ablation":
            return layer_masks(layers, heads)
        if self.check == "single_head_ablation":
            return head_masks(layers, heads)
        raise DeclarationError(f"{self.check} draws its masks from the model's gradients (assay.heads.run)")

    def sample(self, suite_examples: list | None = None) -> tuple[list, list]:
        """The check's inputs and their gold labels (None where unknown): a seeded sample of ``n`` of its
        own data or, without data, of ``suite_examples`` (the other tests' inputs and labels)."""
        from assay.templates import examples_of

        examples = examples_of(self.data) if self.data is not None else list(suite_examples or [])
        if not examples:
            raise NoApplicableCase(f"HEADS {self.name}: no inputs (give data= or run it with other tests)")
        examples = sample_examples(examples, self.n, self.seed)
        inputs = [x for x, _ in examples]
        gold = [next(iter(labs)) if labs and len(labs) == 1 else None for _, labs in examples]
        return inputs, gold

    def to_spec(self) -> dict[str, Any]:
        spec = super().to_spec()
        spec.update(check=self.check, n=self.n, fraction=self.fraction, draws=self.draws,
                    data=None if self.data is None else "given")
        if self.max_accuracy_drop is not None:
            spec["max_accuracy_drop"] = self.max_accuracy_drop
        return spec


def random_masking(data: Any = None, *, fraction: float = 0.2, draws: int = 5, min_agreement: float | None = None,
                   n: int | None = DEFAULT_N, **common: Any) -> HeadCheck:
    """Mask ``fraction`` of all heads at random, ``draws`` times (seeded): predictions must agree with
    the unmasked model on at least ``min_agreement`` (default 0.9) of the inputs."""
    return HeadCheck(check="random_masking", data=data, n=n, fraction=fraction, draws=draws,
                     **_threshold(common, "min_agreement", min_agreement, 0.9))


def layer_ablation(data: Any = None, *, min_agreement: float | None = None, n: int | None = DEFAULT_N,
                   **common: Any) -> HeadCheck:
    """One item per layer: mask every head of that layer; at least ``min_agreement`` (default 0.8)."""
    return HeadCheck(check="layer_ablation", data=data, n=n, **_threshold(common, "min_agreement", min_agreement, 0.8))


def single_head_ablation(data: Any = None, *, max_changed: float | None = None, n: int | None = DEFAULT_N,
                         **common: Any) -> HeadCheck:
    """One item per head: masking that head alone may change at most ``max_changed`` (default 0.05) of
    the predictions. The heads that fail are the model's critical heads."""
    return HeadCheck(check="single_head_ablation", data=data, n=n,
                     **_threshold(common, "max_changed", max_changed, 0.05))


def importance(data: Any = None, *, fraction: float = 0.2, min_agreement: float | None = None, harmful: bool = True,
               n: int | None = DEFAULT_N, **common: Any) -> HeadCheck:
    """Gradient head importance (Michel et al. 2019), the iterative pruning curve and, with labels,
    the harmful heads. The item masks the least important ``fraction`` of heads and requires
    ``min_agreement`` (default 0.9) with the unmasked predictions. The figures go to the JSON and HTML
    reports."""
    return HeadCheck(check="importance", data=data, n=n, fraction=fraction, harmful=harmful,
                     **_threshold(common, "min_agreement", min_agreement, 0.9))


def _threshold(common: dict[str, Any], name: str, value: float | None, default: float) -> dict[str, Any]:
    """The common arguments with ``max_failure_rate`` set: given as such, or from ``min_agreement``
    (``1 - min_agreement``) or ``max_changed``; giving both is an error."""
    common.setdefault("capability", "Heads")
    if value is not None and common.get("max_failure_rate") is not None:
        raise DeclarationError(f"give {name}= or max_failure_rate=, not both (they set the same threshold)")
    if common.get("max_failure_rate") is None:
        value = default if value is None else value
        if name == "min_agreement":
            if not valid.RATE.accepts(value):
                raise DeclarationError(f"min_agreement={value} must lie in [0, 1]")
            value = round(1.0 - value, 12)
        common["max_failure_rate"] = value
    return common


__all__ = ["HeadCheck", "random_masking", "layer_ablation", "single_head_ablation", "importance", "CHECKS"]
