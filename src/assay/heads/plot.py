"""The head figures, drawn without pyplot (no global backend state): a layers x heads heatmap and the
pruning curve.

The heatmap is the one of assay: ``assay heads`` saves it as a PNG, the HTML report embeds it. Each
figure says what it shows (for importance: per-layer normalisation, the loss's target, the number of
inputs); files are written at :data:`DPI` with no text under :data:`MIN_POINTS`, fit for print.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

ANNOTATE_UP_TO = 400  # cells; above that the figures would not be readable
DPI = 300  # for files: print quality
SCREEN_DPI = 100  # for the figure itself (the HTML report embeds it at this size)
MIN_POINTS = 8  # the smallest text on a figure
FONT = 9


def importance_note(importance: Any) -> str:
    """What an importance map shows, in one sentence each: normalisation, the loss's target, inputs.

    ``importance``: a :class:`assay.heads.importance.HeadImportance` (``normalized``, ``target``, ``n``)."""
    if importance.normalized:
        scale = "Colours are normalised per layer (each row divided by its L2 norm): compare heads within a row only."
    else:
        scale = "Raw importance E|dL/dξ|, not normalised: rows can be compared."
    target = ("gold labels" if importance.target == "labels" else "the model's own predictions")
    return f"{scale} Loss against {target}; {importance.n} inputs."


def _new_figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), dpi=SCREEN_DPI)
    FigureCanvasAgg(figure)
    return figure


def _wrap(note: str | None, width_in: float) -> list[str]:
    """``note`` in lines that fit a figure ``width_in`` inches wide at the caption's font size."""
    return textwrap.wrap(note or "", max(30, int(width_in * 72 / ((FONT - 1) * 0.55))))


def _caption_height(lines: list[str]) -> float:
    """Inches the caption ``lines`` take under the axes."""
    return len(lines) * (FONT + 3) / 72 + 0.15 if lines else 0.0


def _caption(figure: Figure, lines: list[str]) -> float:
    """Put ``lines`` under the axes; return the share of the figure height they take."""
    if not lines:
        return 0.0
    figure.text(0.01, 0.01, "\n".join(lines), fontsize=FONT - 1, ha="left", va="bottom")
    return _caption_height(lines) / figure.get_figheight()


def heatmap_figure(values: Any, title: str = "Head importance", label: str = "importance", note: str | None = None) -> Figure:
    """``values`` ``[layers, heads]`` (``None`` / NaN cells left blank) as an annotated heatmap;
    ``note`` is printed under it (what the colours mean)."""
    values = np.asarray(values, dtype=float)
    n_layers, n_heads = values.shape
    width = max(5.0, 0.6 * n_heads + 2.2)
    lines = _wrap(note, width)
    figure = _new_figure(width, max(3.0, 0.5 * n_layers + 1.6) + _caption_height(lines))
    axes = figure.add_subplot(1, 1, 1)
    image = axes.imshow(values, cmap="viridis", aspect="auto")
    colorbar = figure.colorbar(image, ax=axes)
    colorbar.set_label(label, fontsize=FONT)
    colorbar.ax.tick_params(labelsize=FONT - 1)
    axes.set_xticks(range(n_heads), [str(h) for h in range(n_heads)])
    axes.set_yticks(range(n_layers), [str(layer) for layer in range(n_layers)])
    axes.tick_params(labelsize=FONT - 1)
    axes.set_xlabel("head", fontsize=FONT)
    axes.set_ylabel("layer", fontsize=FONT)
    axes.set_title(title[:80], fontsize=FONT + 2)
    finite = values[np.isfinite(values)]
    if n_layers * n_heads <= ANNOTATE_UP_TO and finite.size:
        middle = finite.min() + (finite.max() - finite.min()) / 2
        for layer in range(n_layers):
            for head in range(n_heads):
                value = values[layer, head]
                if np.isfinite(value):
                    axes.text(head, layer, f"{value:.2f}", ha="center", va="center", fontsize=MIN_POINTS,
                              color="black" if value > middle else "white")
    bottom = _caption(figure, lines)
    figure.tight_layout(rect=(0, bottom, 1, 1))
    return figure


def importance_figure(importance: Any, title: str = "Head importance") -> Figure:
    """The importance map of a :class:`~assay.heads.importance.HeadImportance`, saying what it shows."""
    label = "importance (row L2 = 1)" if importance.normalized else "importance E|dL/dξ|"
    return heatmap_figure(importance.importance, title, label, note=importance_note(importance))


def pruning_figure(curve: Any, title: str = "Pruning curve") -> Figure:
    """Agreement with the unmasked model (and accuracy, where known) against the share of heads masked,
    least important first. ``curve``: a :class:`~assay.heads.importance.PruningCurve`."""
    steps = list(curve.steps)
    x = [100 * step.fraction for step in steps]
    note = "Heads masked cumulatively in order of gradient importance (least important first)."
    importance = getattr(curve, "importance", None)
    if importance is not None:
        target = "gold labels" if importance.target == "labels" else "the model's own predictions"
        note += f" Importance from the loss against {target}; {importance.n} inputs."
    lines = _wrap(note, 5.5)
    figure = _new_figure(5.5, 3.6 + _caption_height(lines))
    axes = figure.add_subplot(1, 1, 1)
    axes.plot(x, [step.agreement for step in steps], marker="o", markersize=4, label="agreement with unmasked model")
    if steps and all(step.accuracy is not None for step in steps):
        axes.plot(x, [step.accuracy for step in steps], marker="s", markersize=4, linestyle="--", label="accuracy")
    axes.set_xlabel("heads masked, least important first (%)", fontsize=FONT)
    axes.set_ylabel("share of inputs", fontsize=FONT)
    axes.set_xlim(-2, 102)
    low = min([step.agreement for step in steps] + [step.accuracy for step in steps if step.accuracy is not None] + [1.0])
    axes.set_ylim(max(0.0, low - 0.05), 1.01)
    axes.grid(True, alpha=0.3)
    axes.tick_params(labelsize=FONT - 1)
    axes.legend(fontsize=FONT - 1, loc="lower left")
    axes.set_title(title[:80], fontsize=FONT + 2)
    bottom = _caption(figure, lines)
    figure.tight_layout(rect=(0, bottom, 1, 1))
    return figure


def _save(figure: Figure, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=DPI)
    return path


def heatmap(values: np.ndarray, path: str | Path, title: str = "Head importance", label: str = "importance",
            note: str | None = None) -> Path:
    """Write ``values`` ``[layers, heads]`` as an annotated heatmap PNG at ``path`` (300 dpi); return the path."""
    return _save(heatmap_figure(values, title, label, note), path)


def importance_heatmap(importance: Any, path: str | Path, title: str = "Head importance") -> Path:
    """Write :func:`importance_figure` as a PNG at ``path`` (300 dpi); return the path."""
    return _save(importance_figure(importance, title), path)


def pruning_plot(curve: Any, path: str | Path, title: str = "Pruning curve") -> Path:
    """Write :func:`pruning_figure` as a PNG at ``path`` (300 dpi); return the path."""
    return _save(pruning_figure(curve, title), path)
