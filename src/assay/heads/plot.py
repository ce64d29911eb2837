"""A layers x heads heatmap, drawn without pyplot (no global backend state).

The one heatmap of assay: ``assay heads`` saves it as a PNG, the HTML report embeds it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

ANNOTATE_UP_TO = 400  # cells; above that the figures would not be readable


def heatmap_figure(values: Any, title: str = "Head importance", label: str = "importance") -> Figure:
    """``values`` ``[layers, heads]`` (``None`` / NaN cells left blank) as an annotated heatmap."""
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
    axes.set_title(title[:80], fontsize=10)
    finite = values[np.isfinite(values)]
    if n_layers * n_heads <= ANNOTATE_UP_TO and finite.size:
        middle = finite.min() + (finite.max() - finite.min()) / 2
        for layer in range(n_layers):
            for head in range(n_heads):
                value = values[layer, head]
                if np.isfinite(value):
                    axes.text(head, layer, f"{value:.2f}", ha="center", va="center", fontsize=6,
                              color="black" if value > middle else "white")
    figure.tight_layout()
    return figure


def heatmap(values: np.ndarray, path: str | Path, title: str = "Head importance", label: str = "importance") -> Path:
    """Write ``values`` ``[layers, heads]`` as an annotated heatmap PNG at ``path``; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    heatmap_figure(values, title, label).savefig(path)
    return path
