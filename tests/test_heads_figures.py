"""The head figures say what they show and are fit to print (issue 11, item 23).

The importance heatmap states that its colours are normalised per layer (compare within a row only),
what the loss was taken against and on how many inputs; the pruning curve is a figure, not only a CSV.
Files are written at 300 dpi with no text under 8 pt.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib.text import Text
from PIL import Image

from assay.heads.importance import HeadImportance, PruningCurve, PruningStep

MIN_POINTS = 8


def _importance(target="labels", normalized=True, n=250):
    raw = np.arange(24, dtype=float).reshape(6, 4) / 10 + 0.05
    shown = raw / np.linalg.norm(raw, axis=1, keepdims=True) if normalized else raw
    return HeadImportance(shown, raw, normalized, target, n)


def _curve(with_accuracy=True):
    steps = [PruningStep(fraction=f / 24, n_masked=f, masked=[], agreement=1 - f / 40,
                         accuracy=(0.9 - f / 50) if with_accuracy else None) for f in (0, 2, 5, 7, 10, 12, 14, 17, 19, 22, 24)]
    return PruningCurve(steps, _importance())


def _texts(figure) -> list[Text]:
    return [t for t in figure.findobj(Text) if t.get_visible() and t.get_text().strip()]


def _all_text(figure) -> str:
    return " ".join(t.get_text() for t in _texts(figure)).replace("\n", " ")


@pytest.mark.parametrize(("target", "normalized", "says"), [
    ("labels", True, ["normalised per layer", "within a row", "gold labels", "250 inputs"]),
    ("predictions", True, ["normalised per layer", "own predictions", "250 inputs"]),
    ("labels", False, ["not normalised", "gold labels", "250 inputs"]),
])
def test_the_importance_heatmap_says_what_it_shows(target, normalized, says):
    from assay.heads.plot import importance_figure

    text = _all_text(importance_figure(_importance(target, normalized), title="Head importance: m"))
    for phrase in says:
        assert phrase in text, (phrase, text)


def test_the_pruning_curve_is_a_figure():
    from assay.heads.plot import pruning_figure

    figure = pruning_figure(_curve(), title="Pruning: m")
    (axes,) = figure.axes
    labels = [line.get_label() for line in axes.get_lines()]
    assert any("agreement" in label for label in labels) and any("accuracy" in label for label in labels)
    agreement = next(line for line in axes.get_lines() if "agreement" in line.get_label())
    np.testing.assert_allclose(agreement.get_ydata(), [s.agreement for s in _curve().steps])
    text = _all_text(figure)
    assert "least important first" in text and "250 inputs" in text and "gold labels" in text
    no_labels = pruning_figure(_curve(with_accuracy=False))
    assert [line.get_label() for line in no_labels.axes[0].get_lines() if "accuracy" in line.get_label()] == []


@pytest.mark.parametrize("kind", ["heatmap", "pruning"])
def test_figures_are_print_ready(kind, tmp_path):
    from assay.heads.plot import importance_heatmap, importance_figure, pruning_figure, pruning_plot

    figure = importance_figure(_importance()) if kind == "heatmap" else pruning_figure(_curve())
    small = [(t.get_text(), t.get_fontsize()) for t in _texts(figure) if t.get_fontsize() < MIN_POINTS]
    assert small == []
    path = tmp_path / f"{kind}.png"
    (importance_heatmap(_importance(), path) if kind == "heatmap" else pruning_plot(_curve(), path))
    with Image.open(path) as image:
        assert round(image.info["dpi"][0]) >= 300


def test_the_old_heatmap_call_still_works_for_the_html_report(tmp_path):
    from assay.heads.plot import heatmap, heatmap_figure

    buffer = io.BytesIO()
    heatmap_figure([[0.1, None], [0.5, 0.2]], title="t").savefig(buffer, format="png")
    assert buffer.getvalue()[:4] == b"\x89PNG"
    path = heatmap(np.eye(2), tmp_path / "x.png", title="t")
    with Image.open(path) as image:
        assert round(image.info["dpi"][0]) >= 300
