"""The one mask builder of the head checks, and the one set of figures computed from their predictions.

Used alike by the pytest checks (:mod:`assay.heads.declarations`, run by :mod:`assay.heads.run`), the
functions of :mod:`assay.heads.ablation` and ``assay heads``, so that the same seed masks the same
heads and gives the same agreement everywhere.

A :class:`MaskSet` is ``[M, layers, heads]`` (1 = head on, 0 = off) with one name per mask: ``draw0``,
``draw1`` ... for random masking, ``L3`` for a layer, ``L3-H7`` for one head. numpy only, so that
collection can name a sweep's items without importing torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from assay import _validate as valid

SWEEPS = ("layer_ablation", "single_head_ablation")


@dataclass(frozen=True)
class MaskSet:
    """Masks ``[M, layers, heads]`` and their names."""

    names: tuple[str, ...]
    masks: np.ndarray

    def __len__(self) -> int:
        return len(self.names)

    def off(self, index: int) -> list[tuple[int, int]]:
        """The (layer, head) pairs mask ``index`` switches off, in layer-major order."""
        layers, heads = np.nonzero(self.masks[index] == 0)
        return [(int(layer), int(head)) for layer, head in zip(layers, heads)]

    def select(self, part: str | None) -> list[int]:
        """Indices of the masks of one item: all of them, or the one named ``part`` (``L3-H7``)."""
        if part is None:
            return list(range(len(self.names)))
        if part not in self.names:
            raise ValueError(f"{part} is not in this model's layout ({self.names[0]} .. {self.names[-1]})")
        return [self.names.index(part)]


def _ones(count: int, layers: int, heads: int) -> np.ndarray:
    return np.ones((count, layers, heads), dtype=np.float32)


def random_count(fraction: float, total: int) -> int:
    """Heads a random mask switches off: ``round(fraction * total)``, at least one."""
    valid.OPEN_FRACTION.check(fraction, "fraction", ValueError)
    return max(1, int(round(fraction * total)))


def random_masks(layers: int, heads: int, fraction: float, draws: int, seed: int) -> MaskSet:
    """``draws`` masks, each switching off ``random_count(fraction, layers * heads)`` heads drawn
    without replacement by ``numpy.random.default_rng(seed)``."""
    valid.POSITIVE_INT.check(draws, "draws", ValueError)
    total = layers * heads
    count = random_count(fraction, total)
    rng = np.random.default_rng(seed)
    masks = _ones(draws, layers, heads)
    for draw in range(draws):
        masks[draw].reshape(-1)[np.sort(rng.choice(total, size=count, replace=False))] = 0.0
    return MaskSet(tuple(f"draw{draw}" for draw in range(draws)), masks)


def layer_masks(layers: int, heads: int) -> MaskSet:
    """One mask per layer, every head of that layer off."""
    masks = _ones(layers, layers, heads)
    for layer in range(layers):
        masks[layer, layer] = 0.0
    return MaskSet(tuple(sweep_names("layer_ablation", layers, heads)), masks)


def head_masks(layers: int, heads: int) -> MaskSet:
    """One mask per head (layer-major), that head alone off."""
    masks = _ones(layers * heads, layers, heads)
    masks.reshape(layers * heads, -1)[np.arange(layers * heads), np.arange(layers * heads)] = 0.0
    return MaskSet(tuple(sweep_names("single_head_ablation", layers, heads)), masks)


def heads_off(layers: int, heads: int, off: Sequence[tuple[int, int]], name: str) -> MaskSet:
    """One mask with the heads ``off`` switched off."""
    masks = _ones(1, layers, heads)
    for layer, head in off:
        masks[0, layer, head] = 0.0
    return MaskSet((name,), masks)


def sweep_names(check: str, layers: int, heads: int) -> list[str]:
    """The names of a sweep's masks (and items): ``L0`` .. per layer, ``L0-H0`` .. per head."""
    if check == "layer_ablation":
        return [f"L{layer}" for layer in range(layers)]
    if check == "single_head_ablation":
        return [f"L{layer}-H{head}" for layer in range(layers) for head in range(heads)]
    raise ValueError(f"{check} is not a sweep; sweeps are {', '.join(SWEEPS)}")


def position(name: str) -> dict[str, int]:
    """``{"layer": 3, "head": 7}`` for ``L3-H7``, ``{"layer": 3}`` for ``L3``, ``{}`` for another name."""
    if not name.startswith("L"):
        return {}
    layer, _, head = name[1:].partition("-H")
    return {"layer": int(layer), "head": int(head)} if head else {"layer": int(layer)}


@dataclass(frozen=True)
class MaskFigures:
    """What masking did to the predicted labels, per mask.

    ``agreement[m]``: share of inputs whose label under mask ``m`` is the unmasked label. With gold
    labels: ``accuracy[m]`` and ``unmasked_accuracy`` over the labelled inputs, and the paired counts
    ``paired[m] = (right both ways, right only unmasked, right only masked, wrong both ways)``.
    """

    agreement: np.ndarray  # [M]
    accuracy: np.ndarray | None  # [M]
    unmasked_accuracy: float | None
    paired: np.ndarray | None  # [M, 4] int
    n: int
    labelled: int

    def accuracy_drop(self) -> np.ndarray | None:
        if self.accuracy is None or self.unmasked_accuracy is None:
            return None
        return self.unmasked_accuracy - self.accuracy


def mask_figures(unmasked: np.ndarray, masked: np.ndarray, targets: np.ndarray | None = None) -> MaskFigures:
    """Figures of predicted labels ``masked [M, n]`` against ``unmasked [n]`` and, where given, gold
    class indices ``targets [n]`` (``-1``: no gold label for that input)."""
    unmasked, masked = np.asarray(unmasked), np.asarray(masked)
    n = int(unmasked.shape[0])
    agreement = (masked == unmasked).mean(axis=1) if n else np.ones(len(masked))
    labelled = np.zeros(n, dtype=bool) if targets is None else np.asarray(targets) >= 0
    if not labelled.any():
        return MaskFigures(agreement, None, None, None, n, 0)
    gold = np.asarray(targets)[labelled]
    base_right = unmasked[labelled] == gold
    right = masked[:, labelled] == gold
    paired = np.stack([(base_right & right).sum(1), (base_right & ~right).sum(1),
                       (~base_right & right).sum(1), (~base_right & ~right).sum(1)], axis=1)
    return MaskFigures(agreement, right.mean(axis=1), float(base_right.mean()), paired, n, int(labelled.sum()))
