"""Figure grids of the appendix "One mechanism in four cells": one panel per cell."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from rnnctx_utils import analysis
from rnnctx_utils.plots.style import apply_style


def state_density_grid(results: Sequence[Any], labels: dict[str, str]) -> Figure:
    """PC1–PC2 density of every visited state (hexbin, log scale), one panel per cell, with the
    slow points coloured by their readout and h₀ as a star.

    results: :class:`rnnctx_utils.cells_compare.CellResult` (cloud.states [N, S], attractor
    points [m, S]); labels: cell name -> panel title.
    """
    apply_style()
    fig, axes = plt.subplots(1, len(results), figsize=(3.2 * len(results), 3.2))
    for ax, r in zip(np.atleast_1d(axes), results, strict=True):
        pca = analysis.pca(r.cloud.states)
        coords = pca.transform(r.cloud.states)[:, :2]
        ax.hexbin(coords[:, 0], coords[:, 1], gridsize=35, bins="log", cmap="Greys", mincnt=1)
        slow = pca.transform(r.attractor.points)[:, :2]
        ax.scatter(slow[:, 0], slow[:, 1], c=r.attractor.readout[r.attractor.coordinate.order],
                   cmap="coolwarm", s=6, edgecolors="none")
        ax.plot(*pca.transform(r.cloud.h0[None])[0, :2], "k*", ms=10)
        ax.set(title=labels[r.cell], xlabel="PC 1")
        ax.grid(False)
    np.atleast_1d(axes)[0].set_ylabel("PC 2")
    fig.tight_layout()
    return fig


def modifier_scatter_grid(results: Sequence[Any], labels: dict[str, str],
                          n_labelled: int = 5) -> Figure:
    """Every token's mean deflection on modifier components #1 and #2 (found.projections
    [V', 2]), coloured by log₁₀ of its modifier score, one panel per cell; the top
    ``n_labelled`` selected modifiers and P2's "not" and "extremely" are written out."""
    apply_style()
    fig, axes = plt.subplots(1, len(results), figsize=(3.2 * len(results), 3.2))
    for ax, r in zip(np.atleast_1d(axes), results, strict=True):
        found = r.found
        order = np.argsort(found.scores)
        ax.scatter(found.projections[order, 0], found.projections[order, 1], s=8,
                   c=np.log10(np.maximum(found.scores[order], 1e-12)), cmap="viridis")
        index = {w: i for i, w in enumerate(found.words)}
        shown = dict.fromkeys([*found.modifiers[:n_labelled],
                               *(w for w in ("not", "extremely") if w in index)])
        for word in shown:
            ax.annotate(word, found.projections[index[word]], fontsize=8, xytext=(3, 2),
                        textcoords="offset points")
        ax.set(title=f"{labels[r.cell]} (d = {found.subspace.dim})",
               xlabel="modifier component #1")
    np.atleast_1d(axes)[0].set_ylabel("modifier component #2")
    fig.tight_layout()
    return fig
