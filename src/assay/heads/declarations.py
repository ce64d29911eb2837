"""Attention-head checks declared like any other test: random masking, layer and head ablation.

Each check compares the model with some heads masked against the same model unmasked, on the same
inputs. A case is one input (under one mask); it fails when masking changes the prediction, so the
failure rate is ``1 - agreement`` and gets the same Wilson interval, thresholds, reports and baseline
pairing as MFT / INV / DIR tests. Sweeps make one pytest item per layer (``[model-L3]``) or per head
(``[model-L3-H7]``); the sweep itself runs once per model, with one mask per batch row.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from assay import _validate as valid
from assay import expect as _expect
from assay.cases import Case
from assay.declarations import AssayTest
from assay.errors import DeclarationError, NoApplicableCase, UnsupportedModelError
from assay.judge import TestResult

CHECKS = ("random_masking", "layer_ablation", "single_head_ablation", "importance")
DEFAULT_N = 200


@dataclass(frozen=True)
class HeadCheck(AssayTest):
    """Masks attention heads and counts the inputs whose prediction changes."""

    test_type: ClassVar[str] = "HEADS"

    check: str = "random_masking"
    data: Any = None
    n: int | None = DEFAULT_N
    fraction: float = 0.2
    draws: int = 5
    harmful: bool = True

    # -- declaration -----------------------------------------------------------------------
    def _default_expectation(self) -> "_expect.Expectation":
        # Each case is (input, same input under the mask): the prediction must not change.
        return _expect.invariant()

    def _validate_source(self) -> None:
        if self.check not in CHECKS:
            raise DeclarationError(f"unknown head check {self.check!r}; use one of {', '.join(CHECKS)}")
        valid.OPEN_FRACTION.check(self.fraction, "fraction", DeclarationError)
        valid.POSITIVE_INT.check(self.draws, "draws", DeclarationError)
        if self.n is not None:
            valid.POSITIVE_INT.check(self.n, "n", DeclarationError)

    def _generate(self) -> list[Case]:
        return []  # cases depend on the model's layout; see run_check

    def inputs(self) -> list:
        return []

    def parts_for(self, spec: Any) -> list[str | None]:
        """One item per layer or head when the model's layout is known at collection time."""
        from assay.plugin.models import layout

        shape = layout(spec)
        if shape is None or self.check in ("random_masking", "importance"):
            return [None]
        layers, heads = shape
        if self.check == "layer_ablation":
            return [f"L{layer}" for layer in range(layers)]
        return [f"L{layer}-H{head}" for layer in range(layers) for head in range(heads)]

    def to_spec(self) -> dict[str, Any]:
        spec = super().to_spec()
        spec.update(check=self.check, n=self.n, fraction=self.fraction, draws=self.draws,
                    data=None if self.data is None else "given")
        return spec

    # -- running ---------------------------------------------------------------------------
    def run_check(self, session: Any, item: Any, model: Any) -> TestResult:
        hf_model, tokenizer = getattr(model, "model", None), getattr(model, "tokenizer", None)
        if hf_model is None or tokenizer is None:
            raise UnsupportedModelError(
                f"head checks need a Hugging Face model (with .model and .tokenizer); {type(model).__name__} has none"
            )
        from assay.heads.masking import head_layout

        layers, heads = head_layout(hf_model)
        inputs, gold = self._data(session, item)
        if self.check == "importance":
            return self._importance(item, model, inputs, gold, layers, heads)
        masks, names = self._masks(layers, heads, item.part)
        key = ("heads", item.model_name, self.name, self.check, tuple(inputs), names)
        cached = session.head_cache.get(key)
        if cached is None:
            import torch

            from assay.heads.forward import predict_under_masks

            all_masks = torch.ones(len(masks) + 1, layers, heads)
            all_masks[1:] = torch.as_tensor(np.stack(masks), dtype=torch.float32)
            probs = predict_under_masks(hf_model, tokenizer, inputs, all_masks,
                                        batch_size=max(32, getattr(model, "batch_size", 64)))
            probs = _to_label_space(model, probs)
            cached = session.head_cache[key] = probs
        base, masked_all = cached[0], cached[1:]
        wanted = _select(names, item.part)
        return self._result(item, model, inputs, gold, base, masked_all, names, wanted)

    def _importance(self, item: Any, model: Any, inputs: list, gold: list, layers: int, heads: int) -> TestResult:
        """Michel et al.'s gradient importance, the pruning curve and the harmful heads; the item
        judges the model with the least important ``fraction`` of heads pruned."""
        import torch

        from assay.heads.ablation import harmful_heads
        from assay.heads.forward import predict_under_masks
        from assay.heads.importance import head_importance, pruning_curve

        hf_model, tokenizer = model.model, model.tokenizer
        labels = list(model.labels)
        targets = None
        if getattr(model, "neutral_band", None) is None and inputs and all(g in labels for g in gold):
            targets = [labels.index(g) for g in gold]
        importance = head_importance(hf_model, tokenizer, inputs, labels=targets)
        curve = pruning_curve(hf_model, tokenizer, inputs, labels=targets, importance=importance)
        k = max(1, round(self.fraction * layers * heads))
        mask = torch.ones(layers * heads)
        mask[[layer * heads + head for layer, head in importance.ranking()[:k]]] = 0.0
        both = torch.stack([torch.ones(layers, heads), mask.view(layers, heads)])
        probs = _to_label_space(model, predict_under_masks(hf_model, tokenizer, inputs, both))
        name = f"least important {k}"
        result = self._result(item, model, inputs, gold, probs[0], probs[1:], (name,), [0])
        result.extra.update(importance=importance.importance.round(6).tolist(),
                            importance_raw=importance.raw.tolist(), pruning_curve=curve.to_dict()["steps"],
                            pruned=[list(h) for h in importance.ranking()[:k]])
        if self.harmful and targets is not None:
            result.extra["harmful_heads"] = harmful_heads(hf_model, tokenizer, inputs, targets).to_dict()
        return result

    def _data(self, session: Any, item: Any) -> tuple[list, list]:
        """The check's inputs (and gold labels where known): its own data or the suite's inputs."""
        from assay.templates import examples_of

        if self.data is not None:
            examples = examples_of(self.data)
        else:
            examples = _suite_examples(session, item)
        if not examples:
            raise NoApplicableCase(f"HEADS {self.name}: no inputs (give data= or run it with other tests)")
        if self.n is not None and len(examples) > self.n:
            picked = sorted(random.Random(self.seed).sample(range(len(examples)), self.n))
            examples = [examples[i] for i in picked]
        inputs = [x for x, _ in examples]
        gold = [next(iter(labs)) if labs and len(labs) == 1 else None for _, labs in examples]
        return inputs, gold

    def _masks(self, layers: int, heads: int, part: str | None) -> tuple[list[np.ndarray], tuple[str, ...]]:
        masks, names = [], []
        if self.check == "random_masking":
            k = max(1, round(self.fraction * layers * heads))
            rng = random.Random(self.seed)
            for draw in range(self.draws):
                mask = np.ones(layers * heads, dtype=np.float32)
                mask[rng.sample(range(layers * heads), k)] = 0.0
                masks.append(mask.reshape(layers, heads))
                names.append(f"draw{draw}")
        elif self.check == "layer_ablation":
            for layer in range(layers):
                mask = np.ones((layers, heads), dtype=np.float32)
                mask[layer] = 0.0
                masks.append(mask)
                names.append(f"L{layer}")
        else:
            for layer in range(layers):
                for head in range(heads):
                    mask = np.ones((layers, heads), dtype=np.float32)
                    mask[layer, head] = 0.0
                    masks.append(mask)
                    names.append(f"L{layer}-H{head}")
        return masks, tuple(names)

    def _result(self, item: Any, model: Any, inputs: list, gold: list, base: np.ndarray, masked: np.ndarray,
                names: tuple[str, ...], wanted: list[int]) -> TestResult:
        labels = list(model.labels)
        cases, verdicts, probs = [], [], []
        expectation = self.expectation
        for m in wanted:
            for i, x in enumerate(inputs):
                case = Case((x, x), None, (None, f"mask {names[m]}"))
                pair = np.stack([base[i], masked[m, i]])
                cases.append(case)
                verdicts.append(expectation(case, pair, labels))
                probs.append(pair)
        result = TestResult(
            name=self.name or "?", test_type=self.test_type, capability=self.capability,
            description=self.description, model=item.model_name, max_failure_rate=float(self.max_failure_rate),
            seed=self.seed, cases=cases, verdicts=verdicts, probs=probs, labels=labels,
        )
        result.extra.update(self._figures(labels, gold, base, masked, names, wanted))
        return result

    def _figures(self, labels: list[str], gold: list, base: np.ndarray, masked: np.ndarray,
                 names: tuple[str, ...], wanted: list[int]) -> dict[str, Any]:
        base_pred = base.argmax(-1)
        idx = [i for i, g in enumerate(gold) if g is not None and g in labels]
        gold_idx = np.array([labels.index(gold[i]) for i in idx], dtype=int)
        agreement = [float((masked[m].argmax(-1) == base_pred).mean()) for m in wanted]
        figures: dict[str, Any] = {"check": self.check, "masks": [names[m] for m in wanted],
                                   "agreement": float(np.mean(agreement)), "inputs": len(base)}
        if self.check == "random_masking":
            figures["agreement_per_draw"] = agreement
            figures["fraction"] = self.fraction
        if idx:
            from assay.heads.ablation import paired_difference_interval

            base_ok = base_pred[idx] == gold_idx
            masked_ok = [masked[m].argmax(-1)[idx] == gold_idx for m in wanted]
            acc0 = float(base_ok.mean())
            accs = [float(ok.mean()) for ok in masked_ok]
            drop = acc0 - float(np.mean(accs))
            a_only = sum(int((base_ok & ~ok).sum()) for ok in masked_ok)
            b_only = sum(int((~base_ok & ok).sum()) for ok in masked_ok)
            both = sum(int((base_ok & ok).sum()) for ok in masked_ok)
            neither = sum(int((~base_ok & ~ok).sum()) for ok in masked_ok)
            gain_low, gain_high = paired_difference_interval(a_only, b_only, both, neither)
            low, high = -gain_high, -gain_low
            figures.update(accuracy=float(np.mean(accs)), accuracy_unmasked=acc0, accuracy_drop=drop,
                           accuracy_drop_ci=[low, high], labelled=len(idx))
        if len(wanted) == 1 and names[wanted[0]].startswith("L"):
            layer, _, head = names[wanted[0]].partition("-H")
            figures["layer"] = int(layer[1:])
            if head:
                figures["head"] = int(head)
        return figures


def _select(names: tuple[str, ...], part: str | None) -> list[int]:
    if part is None:
        return list(range(len(names)))
    if part not in names:
        raise DeclarationError(f"{part} is not in this model's layout ({names[0]} .. {names[-1]})")
    return [names.index(part)]


def _to_label_space(model: Any, probs: np.ndarray) -> np.ndarray:
    """Apply the adapter's label mapping (e.g. a neutral band) to raw probabilities ``[M, n, k]``."""
    band = getattr(model, "neutral_band", None)
    probs = probs.astype(np.float64)
    probs = probs / probs.sum(-1, keepdims=True)
    if band is not None:
        flat = band.apply(probs.reshape(-1, probs.shape[-1]))
        probs = flat.reshape(probs.shape[0], probs.shape[1], -1)
    return probs


def _suite_examples(session: Any, item: Any) -> list:
    """Every distinct input of the other (non-head) tests of this model, MFT labels kept as gold."""
    from assay.plugin.items import AssayItem

    seen: dict[Any, Any] = {}
    for other in item.session.items:
        if not isinstance(other, AssayItem) or other.model_name != item.model_name or isinstance(other.decl, HeadCheck):
            continue
        try:
            cases = other.decl.cases()
        except Exception:
            continue
        for case in cases:
            for j, x in enumerate(case.inputs):
                labs = case.expected if j == 0 else None
                if x not in seen or (seen[x] is None and labs):
                    seen[x] = labs
    return sorted(seen.items(), key=lambda kv: str(kv[0]))


def random_masking(data: Any = None, *, fraction: float = 0.2, draws: int = 5, min_agreement: float = 0.9,
                   n: int | None = DEFAULT_N, **common: Any) -> HeadCheck:
    """Mask ``fraction`` of all heads at random, ``draws`` times (seeded): predictions must agree with
    the unmasked model on at least ``min_agreement`` of the inputs."""
    return HeadCheck(check="random_masking", data=data, n=n, fraction=fraction, draws=draws,
                     max_failure_rate=_rate(min_agreement), **_defaults(common))


def layer_ablation(data: Any = None, *, min_agreement: float = 0.8, n: int | None = DEFAULT_N,
                   **common: Any) -> HeadCheck:
    """One item per layer: mask every head of that layer."""
    return HeadCheck(check="layer_ablation", data=data, n=n, max_failure_rate=_rate(min_agreement),
                     **_defaults(common))


def single_head_ablation(data: Any = None, *, max_changed: float = 0.05, n: int | None = DEFAULT_N,
                         **common: Any) -> HeadCheck:
    """One item per head: masking that head alone may change at most ``max_changed`` of the
    predictions. The heads that fail are the model's critical heads."""
    return HeadCheck(check="single_head_ablation", data=data, n=n, max_failure_rate=max_changed,
                     **_defaults(common))


def importance(data: Any = None, *, fraction: float = 0.2, min_agreement: float = 0.9, harmful: bool = True,
               n: int | None = DEFAULT_N, **common: Any) -> HeadCheck:
    """Gradient head importance (Michel et al. 2019), the iterative pruning curve and, with labels,
    the harmful heads. The item masks the least important ``fraction`` of heads and requires
    ``min_agreement`` with the unmasked predictions. The figures go to the JSON and HTML reports."""
    return HeadCheck(check="importance", data=data, n=n, fraction=fraction, harmful=harmful,
                     max_failure_rate=_rate(min_agreement), **_defaults(common))


def _rate(min_agreement: float) -> float:
    if not 0 <= min_agreement <= 1:
        raise DeclarationError(f"min_agreement={min_agreement} must lie in [0, 1]")
    return round(1.0 - min_agreement, 12)


def _defaults(common: dict[str, Any]) -> dict[str, Any]:
    common.setdefault("capability", "Heads")
    return common


__all__ = ["HeadCheck", "random_masking", "layer_ablation", "single_head_ablation", "importance", "CHECKS"]
