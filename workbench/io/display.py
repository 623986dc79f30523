"""How a float feature map becomes 8-bit colour: the scaling and colormap of the window.

The GUI and the exporters share these functions, so an exported "as displayed" PNG shows
exactly what the window shows: :func:`display_values` and :func:`display_levels` give what
to hand to an image item (values and levels), :func:`render` does the whole mapping.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from workbench.io.colormaps import COLORMAPS, apply_colormap

SCALE_MODES: tuple[str, ...] = ("minmax", "symmetric", "clamp01", "abs")
"""``minmax``: lowest value black, highest white. ``symmetric``: ``-m..m`` with
``m = max|v|``, so zero is the middle colour (pair with ``diverging``). ``clamp01``: the
fixed range 0..1 (images). ``abs``: ``|v|`` over ``0..max|v|``."""


@dataclass(frozen=True)
class DisplayStyle:
    """How maps are scaled and coloured.

    Parameters
    ----------
    mode : str
        One of :data:`SCALE_MODES`.
    colormap : str
        One of :data:`workbench.io.colormaps.COLORMAPS`.
    levels : tuple of float, optional
        Fixed ``(low, high)`` instead of the automatic range of ``mode`` (for ``abs``,
        applied to ``|v|``); ``low < high``.
    """

    mode: str = "minmax"
    colormap: str = "gray"
    levels: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if self.mode not in SCALE_MODES:
            raise ValueError(f"display mode must be one of {SCALE_MODES}, got {self.mode!r}")
        if self.colormap not in COLORMAPS:
            raise ValueError(f"colormap must be one of {tuple(COLORMAPS)}, "
                             f"got {self.colormap!r}")
        if self.levels is not None:
            try:
                low, high = (float(v) for v in self.levels)
            except (TypeError, ValueError):
                raise ValueError(f"levels must be a pair of numbers, got {self.levels!r}") \
                    from None
            if not (math.isfinite(low) and math.isfinite(high) and low < high):
                raise ValueError(f"levels must be finite with low < high, got {self.levels!r}")
            object.__setattr__(self, "levels", (low, high))


INPUT_STYLE = DisplayStyle("clamp01", "gray")
"""How the input image is shown: its values are intensities in 0..1."""


def display_values(values: Any, style: DisplayStyle) -> npt.NDArray[np.float32]:
    """Return the values an image item shows: ``|v|`` for ``abs`` mode, else ``v``.

    Parameters
    ----------
    values : array_like
        A map (any shape).
    style : DisplayStyle
        The style.

    Returns
    -------
    numpy.ndarray
        float32.
    """
    arr = np.asarray(values, dtype=np.float32)
    return np.abs(arr) if style.mode == "abs" else arr


def display_levels(values: Any, style: DisplayStyle) -> tuple[float, float]:
    """Return the ``(low, high)`` range mapped to the first and last colour.

    Parameters
    ----------
    values : array_like
        The map (before :func:`display_values`).
    style : DisplayStyle
        The style.

    Returns
    -------
    tuple of float
        ``style.levels`` if set; otherwise min/max, ``-m, m``, ``0, 1`` or ``0, max|v|``.
        Non-finite values are ignored; a map without finite values gives ``(0, 0)``.
        ``low == high`` is possible (a constant map).

    Examples
    --------
    >>> display_levels([[-2.0, 1.0]], DisplayStyle("symmetric"))
    (-2.0, 2.0)
    """
    if style.levels is not None:
        return style.levels
    if style.mode == "clamp01":
        return 0.0, 1.0
    shown = display_values(values, style)
    finite = shown[np.isfinite(shown)]
    if finite.size == 0:
        return 0.0, 0.0
    if style.mode == "minmax":
        return float(finite.min()), float(finite.max())
    m = float(np.abs(finite).max())
    return (-m, m) if style.mode == "symmetric" else (0.0, m)


def to_unit(values: Any, style: DisplayStyle) -> npt.NDArray[np.float64]:
    """Scale a map to 0..1 as displayed (clipped; NaN -> 0).

    A constant map (``low == high``) gives 0, or 0.5 in ``symmetric`` mode (all zeros sit
    at the middle colour).

    Parameters
    ----------
    values : array_like
        The map.
    style : DisplayStyle
        The style.

    Returns
    -------
    numpy.ndarray
        float64 in [0, 1], same shape.

    Examples
    --------
    >>> to_unit([[0.0, 5.0, 10.0]], DisplayStyle()).tolist()
    [[0.0, 0.5, 1.0]]
    """
    low, high = display_levels(values, style)
    shown = display_values(values, style).astype(np.float64)
    if high > low:
        t = (shown - low) / (high - low)
    else:
        t = np.full(shown.shape, 0.5 if style.mode == "symmetric" else 0.0)
    return np.clip(np.nan_to_num(t, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0)


def to_indices(values: Any, style: DisplayStyle) -> npt.NDArray[np.uint8]:
    """Quantise a map to colour-table indices, ``round(255 * t)``.

    Parameters
    ----------
    values : array_like
        The map.
    style : DisplayStyle
        The style.

    Returns
    -------
    numpy.ndarray
        uint8, same shape.

    Examples
    --------
    >>> to_indices([[0.0, 5.0, 10.0]], DisplayStyle()).tolist()
    [[0, 128, 255]]
    """
    return np.round(to_unit(values, style) * 255.0).astype(np.uint8)


def render(values: Any, style: DisplayStyle) -> npt.NDArray[np.uint8]:
    """Render a 2-D map as an RGB image, as the window shows it.

    Parameters
    ----------
    values : array_like
        ``(H, W)`` map.
    style : DisplayStyle
        The style.

    Returns
    -------
    numpy.ndarray
        uint8 ``(H, W, 3)`` RGB.

    Raises
    ------
    ValueError
        If ``values`` is not 2-D.
    """
    arr = np.asarray(values)
    if arr.ndim != 2:
        raise ValueError(f"a map must be 2-D, got shape {arr.shape}")
    return apply_colormap(to_indices(arr, style), style.colormap)


def render_input(image_chw: Any, style: DisplayStyle = INPUT_STYLE) -> npt.NDArray[np.uint8]:
    """Render the input tensor as an image: gray through the colormap, RGB in colour.

    RGB input is scaled with one range over all three channels and the colormap is not used.

    Parameters
    ----------
    image_chw : array_like
        ``(1, H, W)`` or ``(3, H, W)``.
    style : DisplayStyle, optional
        Scaling (and colormap for gray input).

    Returns
    -------
    numpy.ndarray
        uint8 ``(H, W, 3)`` RGB.

    Raises
    ------
    ValueError
        On another shape.
    """
    arr = np.asarray(image_chw)
    if arr.ndim != 3 or arr.shape[0] not in (1, 3):
        raise ValueError(f"the input must be (1, H, W) or (3, H, W), got shape {arr.shape}")
    if arr.shape[0] == 1:
        return render(arr[0], style)
    return np.ascontiguousarray(to_indices(arr, style).transpose(1, 2, 0))
