"""Qt-free colour scaling of feature maps: display levels, colour modes and colormap choice."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

# Mode key -> menu title; the order is the menu order.
COLOR_MODES: dict[str, str] = {
    "minmax": "Min-max",
    "symmetric": "Symmetric around 0",
    "clamp01": "Clamp to [0, 1]",
    "abs": "Absolute value",
}
COLOR_MODE_TIPS: dict[str, str] = {
    "minmax": "Stretch each map from its smallest to its largest value.",
    "symmetric": "Centre the scale on zero (-m..m) so the sign is visible; signed maps use a "
                 "diverging colormap.",
    "clamp01": "Show values in [0, 1]; everything below is black and above is white.",
    "abs": "Show the magnitude |value|, from 0 to the largest magnitude.",
}

# Colormap key -> menu title. "red_blue" is defined below; the others ship with pyqtgraph.
COLORMAPS: dict[str, str] = {
    "gray": "Gray",
    "viridis": "Viridis",
    "inferno": "Inferno",
    "CET-D1": "Diverging (CET-D1)",
    "red_blue": "Red-blue",
}
DIVERGING_COLORMAPS: frozenset[str] = frozenset({"CET-D1", "red_blue"})
DEFAULT_DIVERGING = "CET-D1"

# ColorBrewer RdBu, reversed so that negative is blue and positive is red.
RED_BLUE_STOPS: tuple[tuple[float, tuple[int, int, int]], ...] = (
    (0.0, (5, 48, 97)),
    (0.25, (67, 147, 195)),
    (0.5, (247, 247, 247)),
    (0.75, (214, 96, 77)),
    (1.0, (103, 0, 31)),
)


@dataclass(frozen=True)
class ViewOptions:
    """How maps are coloured: colormap key, colour mode and whether levels are shared."""

    colormap: str = "gray"
    mode: str = "minmax"
    shared: bool = False

    def __post_init__(self) -> None:
        if self.colormap not in COLORMAPS:
            raise ValueError(f"colormap must be one of {tuple(COLORMAPS)}, got {self.colormap!r}")
        if self.mode not in COLOR_MODES:
            raise ValueError(f"colour mode must be one of {tuple(COLOR_MODES)}, "
                             f"got {self.mode!r}")


def display_data(values: np.ndarray, mode: str) -> np.ndarray:
    """Return the array that is actually drawn for ``mode`` (float32, C-contiguous).

    Parameters
    ----------
    values : numpy.ndarray
        A 2-D map.
    mode : str
        A key of :data:`COLOR_MODES`.

    Returns
    -------
    numpy.ndarray
        ``abs(values)`` for ``"abs"``, else ``values``; float32 C-order as pyqtgraph wants.
    """
    arr = np.abs(values) if mode == "abs" else values
    return np.ascontiguousarray(arr, dtype=np.float32)


def _finite_range(values: np.ndarray) -> tuple[float, float] | None:
    if values.size == 0:
        return None
    # Two passes in the common all-finite case (NaN or inf make min or max non-finite).
    low, high = float(values.min()), float(values.max())
    if math.isfinite(low) and math.isfinite(high):
        return low, high
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    return float(finite.min()), float(finite.max())


def levels_for(arrays: Iterable[np.ndarray], mode: str) -> tuple[float, float]:
    """Display levels ``(low, high)`` covering every array in ``arrays`` under ``mode``.

    Parameters
    ----------
    arrays : iterable of numpy.ndarray
        One map for per-view levels, several for shared levels. NaN and inf are ignored.
    mode : str
        A key of :data:`COLOR_MODES`.

    Returns
    -------
    tuple of float
        ``low < high`` always; a constant map's range runs from 0 to its value (so a
        positive constant is drawn at the top of the colormap, a negative one at the
        bottom, and an all-zero map at the bottom of ``(0, 1)``).

    Raises
    ------
    ValueError
        If ``mode`` is unknown.

    Examples
    --------
    >>> levels_for([np.array([[-2.0, 1.0]])], "symmetric")
    (-2.0, 2.0)
    """
    if mode not in COLOR_MODES:
        raise ValueError(f"colour mode must be one of {tuple(COLOR_MODES)}, got {mode!r}")
    if mode == "clamp01":
        return 0.0, 1.0
    ranges = [r for r in (_finite_range(np.asarray(a)) for a in arrays) if r is not None]
    if not ranges:
        return 0.0, 1.0
    low = min(r[0] for r in ranges)
    high = max(r[1] for r in ranges)
    if mode == "symmetric":
        m = max(abs(low), abs(high))
        return (-m, m) if m > 0 else (-1.0, 1.0)
    if mode == "abs":
        low, high = 0.0, max(abs(low), abs(high))
    if high <= low:
        # A constant map (e.g. a 1x1 global-pool result): span from 0 to its value, so a
        # positive value is drawn bright and a negative one dark, never all at one end.
        if low > 0:
            return 0.0, low
        if low < 0:
            return low, 0.0
        return 0.0, 1.0
    return low, high


def effective_colormap(colormap: str, mode: str, data_min: float) -> str:
    """Pick the colormap to draw with: signed maps in symmetric mode get a diverging one.

    Parameters
    ----------
    colormap : str
        The user's choice, a key of :data:`COLORMAPS`.
    mode : str
        The colour mode.
    data_min : float
        Smallest value of the map; below zero means the map is signed.

    Returns
    -------
    str
        ``colormap``, or :data:`DEFAULT_DIVERGING` when a signed map is shown symmetric
        around zero with a sequential colormap.
    """
    if mode == "symmetric" and data_min < 0 and colormap not in DIVERGING_COLORMAPS:
        return DEFAULT_DIVERGING
    return colormap


def format_value(value: float) -> str:
    """Format a map value for the hover read-out: 4 significant digits.

    Parameters
    ----------
    value : float
        The value.

    Returns
    -------
    str
        E.g. ``"3"``, ``"0.1235"``, ``"-1.5e+04"``.
    """
    return f"{value:.4g}"
