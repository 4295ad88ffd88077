"""One look for every figure: sizes, colours for sentiment classes and modifier kinds."""

from __future__ import annotations

from typing import Any

import matplotlib.style

POSITIVE = "#1b7837"
NEGATIVE = "#762a83"
NEUTRAL = "#8c8c8c"
PAPER = "#d95f02"  # the paper's value, when drawn next to ours
OURS = "#1f78b4"
ROLE_COLORS = {
    "neutral": NEUTRAL,
    "valence": "#4d4d4d",
    "negator": "#e41a1c",
    "intensifier": "#377eb8",
    "diminisher": "#ff7f00",
    "contrast": "#984ea3",
    "punctuation": "#bdbdbd",
}

RC_PARAMS: dict[str, Any] = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 110,
    "savefig.dpi": 110,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.25,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "image.cmap": "viridis",
}


def apply_style() -> None:
    """Set the book's matplotlib rcParams (idempotent)."""
    matplotlib.style.use(RC_PARAMS)
