"""Display levels: which value range runs from the first to the last colour of a colormap.

One rule for constant maps, used by the window and every exporter: a map whose values are
all equal spans from 0 to its value, so a positive constant (e.g. a 1x1 global-pool result)
is drawn at the top of the colormap, a negative one at the bottom, and an all-zero map at the
bottom of ``(0, 1)`` (in symmetric mode at the middle of ``(-1, 1)``, the colour of zero).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from workbench.render.options import (
    COLOR_MODES,
    DEFAULT_DIVERGING,
    DIVERGING_COLORMAPS,
    ViewOptions,
    scale_mode,
)

Levels = tuple[float, float]


def display_data(values: np.ndarray, mode: str) -> np.ndarray:
    """Return the array that is actually drawn for ``mode`` (float32, C-contiguous).

    Parameters
    ----------
    values : numpy.ndarray
        A 2-D map.
    mode : str
        A key of :data:`~workbench.render.options.COLOR_MODES`.

    Returns
    -------
    numpy.ndarray
        ``abs(values)`` for ``"abs"``, else ``values``; float32 C-order.

    Examples
    --------
    >>> display_data(np.array([[-1.0, 2.0]]), "abs").tolist()
    [[1.0, 2.0]]
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


def levels_for(arrays: Iterable[np.ndarray], mode: str) -> Levels:
    """Display levels ``(low, high)`` covering every array in ``arrays`` under ``mode``.

    Parameters
    ----------
    arrays : iterable of numpy.ndarray
        One map for per-view levels, several for shared levels. NaN and inf are ignored.
    mode : str
        A key of :data:`~workbench.render.options.COLOR_MODES`.

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
    >>> levels_for([np.full((1, 1), 4.5)], "minmax")
    (0.0, 4.5)
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


def shared_levels(maps: Sequence[np.ndarray], options: ViewOptions) -> Levels | None:
    """Return one colour scale for all ``maps`` when ``options.shared``, else ``None``.

    Parameters
    ----------
    maps : sequence of numpy.ndarray
        The maps shown together (the window's feature and pooled maps of one layer).
    options : ViewOptions
        The colour options.

    Returns
    -------
    tuple of float or None
        :func:`levels_for` over ``maps`` in the :func:`~workbench.render.options.scale_mode`
        of ``options`` (diverging colormaps centred on 0), or ``None`` for per-map levels.

    Examples
    --------
    >>> maps = [np.array([[0.0, 1.0]]), np.array([[-3.0, 0.5]])]
    >>> shared_levels(maps, ViewOptions(shared=True))
    (-3.0, 1.0)
    """
    if not options.shared or not maps:
        return None
    return levels_for(maps, scale_mode(options))


def effective_colormap(colormap: str, mode: str, data_min: float) -> str:
    """Pick the colormap to draw with: signed maps in symmetric mode get a diverging one.

    Parameters
    ----------
    colormap : str
        The user's choice, a key of :data:`~workbench.render.options.COLORMAPS`.
    mode : str
        The colour mode.
    data_min : float
        Smallest value of the map; below zero means the map is signed.

    Returns
    -------
    str
        ``colormap``, or :data:`~workbench.render.options.DEFAULT_DIVERGING` when a signed
        map is shown symmetric around zero with a sequential colormap.

    Examples
    --------
    >>> effective_colormap("viridis", "symmetric", -1.0)
    'CET-D1'
    """
    if mode == "symmetric" and data_min < 0 and colormap not in DIVERGING_COLORMAPS:
        return DEFAULT_DIVERGING
    return colormap


def input_levels(image: np.ndarray) -> Levels:
    """Levels of the input image: ``(0, 1)`` for intensities, else its own finite range.

    Parameters
    ----------
    image : numpy.ndarray
        The input tensor (any shape); one range over all channels.

    Returns
    -------
    tuple of float
        ``(0, 1)`` if every finite value lies in ``[0, 1]``; otherwise ``(min, max)``, or
        ``(v, v + 1)`` for a constant ``v`` outside ``[0, 1]``. ``low < high`` always.

    Examples
    --------
    >>> input_levels(np.array([[0.2, 0.9]]))
    (0.0, 1.0)
    >>> input_levels(np.array([[-3.0, 5.0]]))
    (-3.0, 5.0)
    """
    found = _finite_range(np.asarray(image))
    if found is None:
        return 0.0, 1.0
    low, high = found
    if low >= 0 and high <= 1:
        return 0.0, 1.0
    return (low, high) if high > low else (low, low + 1.0)
