"""Word attributions for a classifier's decision: integrated gradients, LIME and attention rollout.

* ``integrated_gradients`` — captum ``LayerIntegratedGradients`` on the input embedding layer,
  from a baseline where every word piece is ``[PAD]`` (special tokens kept), summed per word. Scores
  are in probability units: they add up to p(target | input) - p(target | baseline).
* ``lime`` — captum ``LimeBase`` with word-removal perturbations (words replaced by ``[MASK]``,
  ``[PAD]`` or dropped), an exponential kernel on cosine distance and a weighted ridge surrogate.
* ``rollout`` — attention rollout, see :mod:`assay.explain.rollout`.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from captum._utils.models.model import Model as CaptumModel
from captum.attr import LayerIntegratedGradients, LimeBase

from assay.explain.rollout import rollout_scores
from assay.explain.tokens import Encoded, collate, device_of, encode_all, perturb, predict_rows
from assay.inputs import Input

METHODS = ("integrated_gradients", "lime", "rollout")
SHORT_NAMES = {"integrated_gradients": "ig", "lime": "lime", "rollout": "rollout"}


class WeightedRidge(CaptumModel):
    """Closed-form weighted ridge regression: LIME's surrogate without scikit-learn."""

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = alpha
        self.coef = torch.zeros(0)
        self.intercept = torch.zeros(())

    def fit(self, train_data, **kwargs):
        x, y, w = next(iter(train_data))
        x, y, w = x.double(), y.double(), w.double().clamp_min(1e-12)
        x_mean = (w[:, None] * x).sum(0) / w.sum()
        y_mean = (w * y).sum() / w.sum()
        xc, yc = x - x_mean, y - y_mean
        gram = xc.T @ (w[:, None] * xc) + self.alpha * torch.eye(x.shape[1], dtype=x.dtype)
        self.coef = torch.linalg.solve(gram, xc.T @ (w * yc))
        self.intercept = y_mean - x_mean @ self.coef
        return {"train_size": float(x.shape[0])}

    def representation(self) -> torch.Tensor:
        return self.coef.float()

    def __call__(self, x):
        return x.double() @ self.coef + self.intercept


def _require_target(model, target: int) -> int:
    n = int(model.config.num_labels)
    if not 0 <= int(target) < n:
        raise ValueError(f"target {target} is not a class index of a {n}-class model")
    return int(target)


def integrated_gradients(model, tokenizer, enc: Encoded, target: int, *, steps: int = 32) -> np.ndarray:
    """Word-level integrated gradients of p(target) (deterministic)."""
    target = _require_target(model, target)
    device = device_of(model)
    batch = collate([(enc.input_ids, enc.token_type_ids)], tokenizer, device)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    special = set(tokenizer.all_special_ids) - {pad}
    baseline = torch.tensor(
        [[t if t in special else pad for t in enc.input_ids]], dtype=torch.long, device=device
    )
    extra = {k: v for k, v in batch.items() if k != "input_ids"}

    def forward(input_ids: torch.Tensor) -> torch.Tensor:
        rows = input_ids.shape[0]
        kwargs = {k: v.expand(rows, -1) for k, v in extra.items()}
        return torch.softmax(model(input_ids=input_ids, **kwargs).logits.float(), dim=-1)

    lig = LayerIntegratedGradients(forward, model.get_input_embeddings())
    attributions = lig.attribute(
        batch["input_ids"], baselines=baseline, target=target, n_steps=steps, internal_batch_size=steps
    )
    piece_scores = attributions.sum(dim=-1)[0].detach().cpu().numpy()
    return enc.word_scores(piece_scores)


def lime(
    model, tokenizer, enc: Encoded, target: int, *, samples: int = 200, seed: int = 0, mode: str = "mask",
    kernel_width: float = 0.25, alpha: float = 1.0,
) -> np.ndarray:
    """Word-level LIME weights for p(target); boundary entries get 0. Seeded."""
    target = _require_target(model, target)
    features = enc.features
    scores = np.zeros(len(enc.words))
    if not features:
        return scores
    n_features = len(features)
    rng = np.random.default_rng(seed)

    def perturb_func(original, **kwargs):
        yield torch.ones(1, n_features)  # the unperturbed input anchors the surrogate
        while True:
            n_on = rng.integers(1, n_features + 1) if n_features > 1 else 1
            on = rng.choice(n_features, size=n_on, replace=False)
            sample = torch.zeros(1, n_features)
            sample[0, on] = 1.0
            yield sample

    def from_interp(sample, original, **kwargs):
        return sample

    def similarity(original, perturbed, interpretable, **kwargs):
        on = interpretable.flatten()
        cosine = on.sum() / (on.norm() * (n_features**0.5)).clamp_min(1e-12)
        return torch.exp(-((1.0 - cosine) ** 2) / kernel_width**2)

    def forward(keep: torch.Tensor) -> torch.Tensor:
        rows = perturb(enc, keep.cpu().numpy() > 0.5, tokenizer, mode)
        return torch.from_numpy(predict_rows(model, tokenizer, rows))

    explainer = LimeBase(
        forward, WeightedRidge(alpha), similarity_func=similarity, perturb_func=perturb_func,
        perturb_interpretable_space=True, from_interp_rep_transform=from_interp, to_interp_rep_transform=None,
    )
    dummy = torch.ones(1, n_features)
    weights = explainer.attribute(dummy, target=target, n_samples=samples, perturbations_per_eval=64)
    scores[features] = weights.detach().cpu().numpy().reshape(-1)
    return scores


def explain_encoded(
    model, tokenizer, encs: Sequence[Encoded], targets: Sequence[int], *, methods: Sequence[str] = METHODS,
    seed: int = 0, lime_samples: int = 200, ig_steps: int = 32, mode: str = "mask",
) -> list[dict[str, np.ndarray]]:
    """Per input, ``{method: word scores}`` aligned with ``enc.words``."""
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f"unknown explanation method(s) {unknown}; choose from {', '.join(METHODS)}")
    if len(encs) != len(targets):
        raise ValueError(f"{len(encs)} inputs but {len(targets)} targets")
    was_training = model.training
    model.eval()
    try:
        results: list[dict[str, np.ndarray]] = [{} for _ in encs]
        if "rollout" in methods:
            for result, scores in zip(results, rollout_scores(model, tokenizer, encs)):
                result["rollout"] = scores
        for enc, target, result in zip(encs, targets, results):
            if "integrated_gradients" in methods:
                result["integrated_gradients"] = integrated_gradients(model, tokenizer, enc, target, steps=ig_steps)
            if "lime" in methods:
                result["lime"] = lime(model, tokenizer, enc, target, samples=lime_samples, seed=seed, mode=mode)
        return [{m: r[m] for m in methods} for r in results]
    finally:
        model.train(was_training)


def explain_cases(
    model, tokenizer, inputs: Sequence[Input], targets: Sequence[int], *, methods: Sequence[str] = METHODS,
    seed: int = 0, lime_samples: int = 200, ig_steps: int = 32, mode: str = "mask",
) -> list[dict[str, list[list]]]:
    """Explain why ``model`` gives each input its target class: ``[{method: [[word, score], ...]}]``.

    Words are in input order (word pieces merged, the ``[SEP]`` boundary kept for pairs); a positive
    score means the word pushes the model towards the target class.
    """
    encs = encode_all(model, tokenizer, inputs)
    scored = explain_encoded(
        model, tokenizer, encs, targets, methods=methods, seed=seed, lime_samples=lime_samples,
        ig_steps=ig_steps, mode=mode,
    )
    return [
        {m: [[w, round(float(s), 6)] for w, s in zip(enc.words, scores[m])] for m in methods}
        for enc, scores in zip(encs, scored)
    ]


def format_top_tokens(explanation: dict[str, list[list]], k: int = 5) -> str:
    """One line per method with its ``k`` strongest words, e.g. ``lime: not(+0.41) good(-0.22)``."""
    lines = []
    for method, pairs in explanation.items():
        ranked = sorted((p for p in pairs if p[0] != "[SEP]"), key=lambda p: -abs(p[1]))[:k]
        lines.append(f"{method}: " + " ".join(f"{w}({s:+.2f})" for w, s in ranked))
    return "\n".join(lines)
