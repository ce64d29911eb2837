"""Fit the duplicate-question model's ``a`` and ``t`` on pairs assay generates, and write calibration.json.

    python examples/qqp/fit.py            # from the repository root; about two minutes on two CPU cores

Logistic regression of the label on ``cos(u, v)`` (Newton's method, a tiny L2 penalty), fitted on
``qqp_pairs.training_pairs(per_class=600, seed=0)`` and checked on 300 + 300 further pairs drawn with seed 1.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from qqp_model import CALIBRATION, DuplicateQuestions  # noqa: E402
from qqp_pairs import training_pairs  # noqa: E402

PER_CLASS, HELDOUT_PER_CLASS, SEED = 600, 300, 0


def logistic_fit(x: np.ndarray, y: np.ndarray, l2: float = 1e-4, steps: int = 100) -> tuple[float, float]:
    """``(a, t)`` maximising the likelihood of ``y ~ sigmoid(a * (x - t))`` (deterministic)."""
    design = np.stack([x, np.ones_like(x)], axis=1)
    w = np.zeros(2)
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-design @ w))
        grad = design.T @ (p - y) + l2 * w
        hess = (design * (p * (1 - p))[:, None]).T @ design + l2 * np.eye(2)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-10:
            break
    return float(w[0]), float(-w[1] / w[0])


def accuracy(model: DuplicateQuestions, pairs: list) -> float:
    probs = model.predict_proba([p for p, _ in pairs])
    return float(np.mean((probs[:, 1] > 0.5) == np.array([y == 1 for _, y in pairs])))


def main() -> None:
    started = time.perf_counter()
    model = DuplicateQuestions(a=1.0, t=0.0)
    train = training_pairs(PER_CLASS, SEED)
    heldout = [p for p in training_pairs(HELDOUT_PER_CLASS, SEED + 1) if p not in train]
    a, t = logistic_fit(model.cosine([p for p, _ in train]), np.array([y for _, y in train], dtype=float))
    model.a, model.t = a, t
    result = {
        "a": round(a, 6), "t": round(t, 6),
        "fitted_on": f"qqp_pairs.training_pairs(per_class={PER_CLASS}, seed={SEED})",
        "train_pairs": len(train), "train_accuracy": round(accuracy(model, train), 4),
        "heldout_pairs": len(heldout), "heldout_accuracy": round(accuracy(model, heldout), 4),
        "command": "python examples/qqp/fit.py",
    }
    CALIBRATION.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    print(f"wrote {CALIBRATION} in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
