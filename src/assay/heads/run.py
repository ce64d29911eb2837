"""Running a head-check declaration on a model: predictions under its masks, cases, verdicts, figures.

:func:`run_head_check` is what a head-check item's setup calls (:mod:`assay.plugin.items`) with the
model under test (the engine's classifier: its token limit, batch size and label mapping hold here as
in MFT / INV / DIR) and the inputs. The masks come from the declaration
(:mod:`assay.heads.masks`), the figures from :func:`assay.heads.masks.mask_figures`, shared with
:mod:`assay.heads.ablation` and ``assay heads``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from assay.cases import Case
from assay.engine.batching import Encoded, encode_for
from assay.errors import DeclarationError, NoApplicableCase, UnsupportedModelError
from assay.expect import FAIL, NA
from assay.heads.declarations import HeadCheck
from assay.heads.forward import DEFAULT_BATCH_SIZE, predict_under_masks
from assay.heads.masks import MaskSet, heads_off, mask_figures, position
from assay.inputs import Input
from assay.judge import TestResult, within
from assay.report.format import percent
from assay.stats import paired_difference_interval

GATE_LINES = 5  # heads named in the failure message of a sweep judged as one item


@dataclass
class HeadResult(TestResult):
    """A head check's result: the failure rate against its threshold, and its other gates
    (``max_accuracy_drop``; for a sweep judged as one item, each mask on its own)."""

    __test__ = False

    gate_failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return super().passed and not self.gate_failures

    def headline(self) -> str:
        return "; ".join([super().headline(), *self.gate_failures])


def run_head_check(decl: HeadCheck, model: Any, inputs: Sequence[Input], gold: Sequence[str | None], *,
                   model_name: str, part: str | None = None, cache: dict | None = None) -> HeadResult:
    """Judge ``decl`` on ``model`` (an object with ``.model`` and ``.tokenizer``, such as the
    engine's classifier) over ``inputs`` with gold labels ``gold`` (None where unknown).

    ``part`` names the one mask of a sweep item (``L3-H7``); None covers every mask. ``cache`` keeps
    the predictions of a sweep between its items (one pass serves them all).
    """
    hf_model, tokenizer = getattr(model, "model", None), getattr(model, "tokenizer", None)
    if hf_model is None or tokenizer is None:
        raise UnsupportedModelError(
            f"head checks need a Hugging Face model (with .model and .tokenizer); {type(model).__name__} has none")
    from assay.heads.masking import head_layout

    layers, heads = head_layout(hf_model)
    labels = list(model.labels)
    encoded = encode_for(model, tokenizer, list(inputs))  # the classifier's own token limit
    targets = np.array([labels.index(g) if g in labels else -1 for g in gold], dtype=int)
    if decl.max_accuracy_drop is not None and not (targets >= 0).any():
        raise NoApplicableCase(f"HEADS {decl.name}: max_accuracy_drop needs gold labels; give data with a "
                               "label_column (or run it beside MFT tests, whose labels serve as gold)")
    extra: dict[str, Any] = {}
    batch_size = max(32, getattr(model, "batch_size", 64))
    if decl.check == "importance":
        mask_set, extra = _importance(decl, model, encoded, targets, layers, heads)
        batch_size = DEFAULT_BATCH_SIZE
    else:
        mask_set = decl.masks(layers, heads)
    key = ("heads", model_name, decl.name, decl.check, tuple(inputs), mask_set.names)
    probs = None if cache is None else cache.get(key)
    if probs is None:
        probs = _predict(model, encoded, mask_set, layers, heads, batch_size)
        if cache is not None:
            cache[key] = probs
    try:
        wanted = mask_set.select(part)
    except ValueError as exc:
        raise DeclarationError(str(exc)) from None
    result = _result(decl, model_name, labels, list(inputs), probs[0], probs[1:], mask_set, wanted)
    _figures(result, decl, targets, probs[0], probs[1:], mask_set, wanted)
    result.extra.update(extra)
    if result.gate_failures:
        result.extra["gate_failures"] = list(result.gate_failures)  # the report says why it failed
    return result


def _predict(model: Any, encoded: Encoded, mask_set: MaskSet, layers: int, heads: int, batch_size: int) -> np.ndarray:
    """Probabilities ``[1 + M, n, k]`` in the classifier's label space (row 0: unmasked)."""
    import torch

    masks = torch.ones(len(mask_set) + 1, layers, heads)
    masks[1:] = torch.from_numpy(mask_set.masks)
    probs = predict_under_masks(model.model, model.tokenizer, encoded, masks, batch_size=batch_size)
    return to_label_space(model, probs)


def to_label_space(model: Any, probs: np.ndarray) -> np.ndarray:
    """Apply the adapter's label mapping (e.g. a neutral band) to raw probabilities ``[M, n, k]``."""
    band = getattr(model, "neutral_band", None)
    probs = probs.astype(np.float64)
    probs = probs / probs.sum(-1, keepdims=True)
    if band is not None:
        flat = band.apply(probs.reshape(-1, probs.shape[-1]))
        probs = flat.reshape(probs.shape[0], probs.shape[1], -1)
    return probs


def _importance(decl: HeadCheck, model: Any, encoded: Encoded, targets: np.ndarray, layers: int,
                heads: int) -> tuple[MaskSet, dict[str, Any]]:
    """Michel et al.'s gradient importance, the pruning curve and the harmful heads; the item judges
    the model with the least important ``fraction`` of heads pruned (one mask)."""
    from assay.heads.ablation import harmful_heads
    from assay.heads.importance import head_importance, pruning_curve
    from assay.heads.masks import random_count

    hf_model, tokenizer = model.model, model.tokenizer
    gold = None
    if getattr(model, "neutral_band", None) is None and len(targets) and (targets >= 0).all():
        gold = [int(t) for t in targets]
    importance = head_importance(hf_model, tokenizer, encoded, labels=gold)
    curve = pruning_curve(hf_model, tokenizer, encoded, labels=gold, importance=importance)
    pruned = importance.ranking()[: random_count(decl.fraction, layers * heads)]
    extra: dict[str, Any] = {"importance": importance.importance.round(6).tolist(),
                             "importance_raw": importance.raw.tolist(), "pruning_curve": curve.to_dict()["steps"],
                             "pruned": [list(h) for h in pruned]}
    if decl.harmful and gold is not None:
        extra["harmful_heads"] = harmful_heads(hf_model, tokenizer, encoded, gold).to_dict()
    return heads_off(layers, heads, pruned, f"least important {len(pruned)}"), extra


def _result(decl: HeadCheck, model_name: str, labels: list[str], inputs: list, base: np.ndarray, masked: np.ndarray,
            mask_set: MaskSet, wanted: list[int]) -> HeadResult:
    cases, verdicts, probs = [], [], []
    expectation = decl.expectation
    for m in wanted:
        for i, x in enumerate(inputs):
            case = Case((x, x), None, (None, f"mask {mask_set.names[m]}"))
            pair = np.stack([base[i], masked[m, i]])
            cases.append(case)
            verdicts.append(expectation(case, pair, labels))
            probs.append(pair)
    return HeadResult(name=decl.name or "?", test_type=decl.test_type, capability=decl.capability,
                      description=decl.description, model=model_name, max_failure_rate=float(decl.max_failure_rate),
                      seed=decl.seed, cases=cases, verdicts=verdicts, probs=probs, labels=labels)


def _figures(result: HeadResult, decl: HeadCheck, targets: np.ndarray, base: np.ndarray, masked: np.ndarray,
             mask_set: MaskSet, wanted: list[int]) -> None:
    """The figures of the masks ``wanted`` (agreement, accuracy and its drop, with a 95% interval) into
    ``result.extra``, and the gates beyond the failure rate into ``result.gate_failures``."""
    figures = mask_figures(base.argmax(-1), masked[wanted].argmax(-1), targets)
    names = [mask_set.names[m] for m in wanted]
    extra = result.extra
    extra.update(check=decl.check, masks=names, agreement=float(np.mean([float(a) for a in figures.agreement])),
                 inputs=len(base))
    if decl.check == "random_masking":
        extra.update(agreement_per_draw=[float(a) for a in figures.agreement], fraction=decl.fraction,
                     masked=[[list(h) for h in mask_set.off(m)] for m in wanted])
    drop = None
    if figures.accuracy is not None and figures.paired is not None and figures.unmasked_accuracy is not None:
        accuracy = float(np.mean([float(a) for a in figures.accuracy]))
        drop = figures.unmasked_accuracy - accuracy
        both, only_unmasked, only_masked, neither = (int(c) for c in figures.paired.sum(axis=0))
        gain_low, gain_high = paired_difference_interval(only_unmasked, only_masked, both, neither)
        extra.update(accuracy=accuracy, accuracy_unmasked=figures.unmasked_accuracy, accuracy_drop=drop,
                     accuracy_drop_ci=[-gain_high, -gain_low], labelled=figures.labelled)
    if len(wanted) == 1:
        extra.update(position(names[0]))
    if decl.is_sweep and len(wanted) > 1:
        _per_mask(result, decl, names, figures)
    if decl.max_accuracy_drop is not None:
        extra["max_accuracy_drop"] = decl.max_accuracy_drop
        if drop is not None and not within(drop, decl.max_accuracy_drop):
            result.gate_failures.append(f"accuracy dropped by {percent(drop, trim=True)} with the mask, allowed "
                                        f"{percent(decl.max_accuracy_drop, trim=True)}")


def _per_mask(result: HeadResult, decl: HeadCheck, names: list[str], figures: Any) -> None:
    """A sweep judged as one item (its layout was not known at collection): every layer or head in
    the report, each judged against the threshold on its own."""
    n = figures.n
    rows = []
    drops = figures.accuracy_drop()
    for m, name in enumerate(names):
        verdicts = result.verdicts[m * n:(m + 1) * n]
        applicable = [v for v in verdicts if v.outcome != NA]
        failed = sum(v.outcome == FAIL for v in applicable)
        row: dict[str, Any] = {"mask": name, **position(name), "failure_rate": failed / len(applicable) if applicable else 0.0,
                               "failed": failed, "cases": len(applicable), "agreement": float(figures.agreement[m])}
        if drops is not None:
            row.update(accuracy=float(figures.accuracy[m]), accuracy_drop=float(drops[m]))
        rows.append(row)
    result.extra["per_mask"] = rows
    over = sorted((r for r in rows if not within(r["failure_rate"], decl.max_failure_rate)), key=lambda r: -r["failure_rate"])
    for row in over[:GATE_LINES]:
        result.gate_failures.append(f"{row['mask']} changed {percent(row['failure_rate'], trim=True)} of the predictions, "
                                    f"allowed {percent(decl.max_failure_rate, trim=True)}")
    if len(over) > GATE_LINES:
        result.gate_failures.append(f"{len(over) - GATE_LINES} more over the threshold (extra.per_mask in the JSON report)")
    if decl.max_accuracy_drop is not None and drops is not None:
        worse = [name for name, d in zip(names, drops) if not within(d, decl.max_accuracy_drop)]
        if worse:
            result.gate_failures.append(f"accuracy dropped by more than {percent(decl.max_accuracy_drop, trim=True)} "
                                        f"with {', '.join(worse[:GATE_LINES])}" + (" ..." if len(worse) > GATE_LINES else ""))
