"""A layers x heads heatmap as a PNG, drawn without pyplot (no global backend state)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def heatmap(values: np.ndarray, path: str | Path, title: str = "Head importance", label: str = "importance") -> Path:
    """Write ``values`` ``[layers, heads]`` as an annotated heatmap PNG at ``path``; return the path."""
    values = np.asarray(values, dtype=float)
    n_layers, n_heads = values.shape
    figure = Figure(figsize=(max(4.0, 0.55 * n_heads + 1.8), max(2.5, 0.45 * n_layers + 1.2)), dpi=120)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    image = axes.imshow(values, cmap="viridis", aspect="auto")
    figure.colorbar(image, ax=axes, label=label)
    axes.set_xticks(range(n_heads), [str(h) for h in range(n_heads)])
    axes.set_yticks(range(n_layers), [str(layer) for layer in range(n_layers)])
    axes.set_xlabel("head")
    axes.set_ylabel("layer")
    axes.set_title(title)
    if n_layers * n_heads <= 400:
        middle = np.nanmin(values) + (np.nanmax(values) - np.nanmin(values)) / 2 if values.size else 0.0
        for layer in range(n_layers):
            for head in range(n_heads):
                colour = "black" if values[layer, head] > middle else "white"
                axes.text(head, layer, f"{values[layer, head]:.2f}", ha="center", va="center", fontsize=6, color=colour)
    figure.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    return path
