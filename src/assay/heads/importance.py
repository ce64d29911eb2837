"""Gradient head importance (Michel, Levy and Neubig 2019) and the pruning curve it implies.

``I_h = E_x |dL(x) / d xi_h|`` where ``xi`` is a mask of ones that requires grad. assay gives every
batch row its own mask (``[batch, layers, heads]``), so one backward pass per batch yields the
per-example gradients and the absolute value is taken per example, as the formula says.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Iterator, Sequence

import numpy as np
import torch

from assay.errors import PredictionError
from assay.heads.forward import (
    DEFAULT_BATCH_SIZE,
    Encoded,
    as_encoded,
    check_outputs,
    eval_mode,
    length_order,
    model_inputs,
    model_name,
    predict_under_masks,
)
from assay.heads.labels import accuracy, label_indices
from assay.heads.masking import head_layout, mask_heads, model_device, model_lock, unwrap_model
from assay.inputs import Input


@contextlib.contextmanager
def frozen_parameters(module: torch.nn.Module) -> Iterator[None]:
    """No parameter requires grad inside the block: autograd then tracks only the path to the mask."""
    flags = [(parameter, parameter.requires_grad) for parameter in module.parameters()]
    try:
        for parameter, _ in flags:
            parameter.requires_grad_(False)
        yield
    finally:
        for parameter, flag in flags:
            parameter.requires_grad_(flag)


def _shown(inputs: Sequence[Input] | Encoded, index: list[int], n: int) -> list:
    """The inputs of one batch as an error can quote them (positions when only token ids are left)."""
    if isinstance(inputs, Encoded):
        return [f"input {i + 1} of {n}" for i in index]
    return [inputs[i] for i in index]


@dataclass(frozen=True)
class HeadImportance:
    importance: np.ndarray  # [L, H], normalised per layer when ``normalized``
    raw: np.ndarray  # [L, H], E|dL/dxi| before normalisation
    normalized: bool
    target: str  # "labels" or "predictions"
    n: int

    def ranking(self) -> list[tuple[int, int]]:
        """Heads ``(layer, head)`` from least to most important (ties broken by position)."""
        flat = np.argsort(self.importance.ravel(), kind="stable")
        n_heads = self.importance.shape[1]
        return [(int(i // n_heads), int(i % n_heads)) for i in flat]

    def to_dict(self) -> dict:
        return {
            "importance": self.importance.round(6).tolist(),
            "raw": self.raw.tolist(),
            "normalized": self.normalized,
            "target": self.target,
            "n": self.n,
        }


def head_importance(
    model,
    tokenizer,
    inputs: Sequence[Input] | Encoded,
    labels: Sequence | None = None,
    normalize: bool = True,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> HeadImportance:
    """Expected absolute gradient of the cross-entropy loss with respect to each head's mask.

    The loss is taken against ``labels`` or, without labels, against the model's own predicted label.
    With ``normalize`` each layer's scores are divided by their L2 norm (as in the paper).
    """
    module = unwrap_model(model)
    encoded = as_encoded(tokenizer, inputs, model)
    n_layers, n_heads = head_layout(module)
    device = model_device(module)
    targets = None if labels is None else torch.as_tensor(label_indices(module, labels, len(encoded)))
    order = torch.from_numpy(length_order(encoded))
    total = torch.zeros(n_layers, n_heads, dtype=torch.float64)
    with model_lock(module), eval_mode(module), frozen_parameters(module), torch.enable_grad():
        for start in range(0, len(encoded), batch_size):
            index = order[start : start + batch_size]
            xi = torch.ones(len(index), n_layers, n_heads, device=device, requires_grad=True)
            with mask_heads(module, xi):
                logits = module(**model_inputs(module, encoded.rows(index), device)).logits.float()
            # The loss of a NaN output has NaN gradients: refuse it as every other head check does.
            shown = _shown(inputs, index.tolist(), len(encoded))
            check_outputs(module if isinstance(model, torch.nn.Module) else model,
                          torch.softmax(logits.detach(), -1).cpu().numpy(), shown)
            target = logits.argmax(-1).detach() if targets is None else targets[index].to(device)
            loss = torch.nn.functional.cross_entropy(logits, target, reduction="sum")
            (grad,) = torch.autograd.grad(loss, xi)
            total += grad.abs().sum(0).double().cpu()
    raw = (total / max(len(encoded), 1)).numpy()
    if not np.isfinite(raw).all():
        layer, head = (int(i) for i in np.argwhere(~np.isfinite(raw))[0])
        raise PredictionError(f"model {model_name(model)!r}: the head importance of layer {layer} head {head} is not finite "
                              f"(NaN or infinite gradients of finite outputs); run in float32 or on other inputs")
    importance = raw
    if normalize:
        norms = np.linalg.norm(raw, axis=1, keepdims=True)
        importance = raw / np.where(norms > 0, norms, 1.0)
    return HeadImportance(importance, raw, normalize, "predictions" if labels is None else "labels", len(encoded))


@dataclass(frozen=True)
class PruningStep:
    fraction: float
    n_masked: int
    masked: list[tuple[int, int]]
    agreement: float
    accuracy: float | None

    def to_dict(self) -> dict:
        return {
            "fraction": self.fraction,
            "n_masked": self.n_masked,
            "masked": [list(h) for h in self.masked],
            "agreement": self.agreement,
            "accuracy": self.accuracy,
        }


@dataclass(frozen=True)
class PruningCurve:
    steps: list[PruningStep] = field(default_factory=list)
    importance: HeadImportance | None = None

    def to_dict(self) -> dict:
        return {
            "steps": [s.to_dict() for s in self.steps],
            "importance": None if self.importance is None else self.importance.to_dict(),
        }


def pruning_curve(
    model,
    tokenizer,
    inputs: Sequence[Input] | Encoded,
    labels: Sequence | None = None,
    step: float = 0.1,
    importance: HeadImportance | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> PruningCurve:
    """Mask the least important heads cumulatively, ``step`` of all heads at a time.

    Every step's mask is evaluated in the same batched pass (one mask per row). Agreement is with the
    unmasked model's predictions; accuracy needs ``labels``. The first step (fraction 0) is the
    unmasked model.
    """
    if not 0 < step <= 1:
        raise ValueError(f"pruning step must be in (0, 1], got {step}")
    module = unwrap_model(model)
    encoded = as_encoded(tokenizer, inputs, model)
    n_layers, n_heads = head_layout(module)
    if importance is None:
        importance = head_importance(module, tokenizer, encoded, labels)
    ranking = importance.ranking()
    n_total = n_layers * n_heads
    counts = sorted({min(n_total, int(round(k * step * n_total))) for k in range(int(np.ceil(1 / step - 1e-9)) + 1)})
    masks = torch.ones(len(counts), n_layers, n_heads)
    for row, count in enumerate(counts):
        for layer, head in ranking[:count]:
            masks[row, layer, head] = 0.0
    probs = predict_under_masks(module, tokenizer, encoded, masks, batch_size=batch_size)
    predictions = probs.argmax(-1)
    targets = None if labels is None else label_indices(module, labels, len(encoded))
    steps = [
        PruningStep(
            fraction=count / n_total,
            n_masked=count,
            masked=ranking[:count],
            agreement=float((predictions[row] == predictions[0]).mean()) if len(encoded) else 1.0,
            accuracy=accuracy(predictions[row], targets),
        )
        for row, count in enumerate(counts)
    ]
    return PruningCurve(steps, importance)
