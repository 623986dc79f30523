"""How a kernel cell reads: its number text, its colours, what typing may give."""

from __future__ import annotations

import re

import numpy as np
from PySide6.QtGui import (
    QColor,
)

from workbench.core import kernel_ops as ops

NUMBER_HINT = "type a value like -1, 0.5, 2e-3 or 1/9 (numbers, + - * / and parentheses)"
RGB_CHANNEL_NAMES = ("R", "G", "B")
# Same end colours as the filter-bank thumbnails: blue negative, white zero, red positive.
_WHITE = np.array([248.0, 248.0, 248.0])
_RED = np.array([200.0, 30.0, 40.0])
_BLUE = np.array([30.0, 80.0, 200.0])
# What a number can look like while it is being typed: "-", ".", "1e", "2.5e-" ...
PARTIAL_NUMBER = re.compile(r"[+-]?(\d*\.?\d*)([eE][+-]?\d*)?")
STARTS_NUMBER = frozenset("0123456789+-.(")
# What a fraction or small sum can look like while typed: "1/", "(1+2", "-2*0." ...
PARTIAL_ARITHMETIC = re.compile(r"[0-9eE.+\-*/()\s\u2212]*")


def not_a_number_message(text: str) -> str:
    """Build the status-bar hint for text that is not a number.

    Parameters
    ----------
    text : str
        What the user typed.

    Returns
    -------
    str
        ``"'abc' is not a number — type a value like -1, 0.5, 2e-3 or 1/9 (...)"``.
    """
    return f"{text!r} is not a number — {NUMBER_HINT}"


def cell_colours(value: float, peak: float) -> tuple[QColor, QColor]:
    """Background and text colour of a cell on the diverging scale.

    Parameters
    ----------
    value : float
        The weight.
    peak : float
        Largest magnitude in the filter: ``+peak`` is full red, ``-peak`` full blue.

    Returns
    -------
    background, text : QColor
        Text is near-black on light backgrounds and white on dark ones.
    """
    t = max(-1.0, min(1.0, value / peak)) if peak > 0 else 0.0
    end = _RED if t >= 0 else _BLUE
    rgb = _WHITE + (end - _WHITE) * abs(t)
    background = QColor(*(int(round(c)) for c in rgb))
    luminance = (0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]) / 255.0
    text = QColor(20, 20, 20) if luminance > 0.5 else QColor(255, 255, 255)
    return background, text


def display_text(value: float) -> str:
    """Format a weight for its cell: at most 4 significant digits (the tooltip is exact).

    Parameters
    ----------
    value : float
        The weight.

    Returns
    -------
    str
        E.g. ``"-0.0625"``, ``"0.1111"``, ``"2"``.
    """
    if value == 0:
        return "0"
    return f"{value:.4g}"


def parse_cell(text: str) -> float:
    """Read what was typed into a cell; an empty cell is 0.

    Parameters
    ----------
    text : str
        The cell editor's text: a number or simple arithmetic such as ``1/9``.

    Returns
    -------
    float
        The value, representable as a finite float32.

    Raises
    ------
    ValueError
        With a hint for the status bar.
    """
    stripped = text.strip()
    if not stripped:
        return 0.0
    try:
        return ops.parse_value(stripped)
    except ValueError as exc:
        if "is not a number" in str(exc):
            raise ValueError(not_a_number_message(stripped)) from None
        raise


def weight_sum(weights: np.ndarray) -> float:
    """Return the sum of the weights, with float rounding noise shown as the 0 it means.

    Parameters
    ----------
    weights : numpy.ndarray
        A kernel (any shape).

    Returns
    -------
    float
        The sum; 0.0 when it is below 1e-6 of the sum of magnitudes (e.g. a zero-mean Gabor).
    """
    w = weights.astype(np.float64)
    total = float(w.sum())
    return 0.0 if abs(total) <= 1e-6 * float(np.abs(w).sum()) else total
