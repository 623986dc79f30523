"""From float maps to the RGB pixels the window shows and every exporter writes.

:func:`render_map` is the one mapping: ``index = floor((v - low) * 256 / (high - low))``
clipped to ``0..255`` (256 equal bins, as pyqtgraph maps levels to a lookup table), then the
colour of that index in the colormap's table. NaN takes the first colour, ``+inf`` the last.
:func:`map_look` decides levels and colormap from the view options exactly as the window
does, per map (a signed map in symmetric mode gets the diverging colormap).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from workbench.render.colormaps import PACKED_RGBA, lookup_table
from workbench.render.levels import Levels, effective_colormap, input_levels, levels_for
from workbench.render.options import COLOR_MODES, COLORMAPS, ViewOptions, scale_mode

RGB = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class MapLook:
    """How one map is drawn: its scaling mode, levels and colormap.

    Parameters
    ----------
    mode : str
        A key of :data:`~workbench.render.options.COLOR_MODES` (``"abs"`` draws ``|v|``).
    levels : tuple of float
        ``(low, high)``, finite, ``low < high``.
    colormap : str
        A key of :data:`~workbench.render.options.COLORMAPS` (ignored for RGB images).

    Raises
    ------
    ValueError
        If a field is out of range.
    """

    mode: str
    levels: Levels
    colormap: str

    def __post_init__(self) -> None:
        if self.mode not in COLOR_MODES:
            raise ValueError(f"colour mode must be one of {tuple(COLOR_MODES)}, "
                             f"got {self.mode!r}")
        if self.colormap not in COLORMAPS:
            raise ValueError(f"colormap must be one of {tuple(COLORMAPS)}, got {self.colormap!r}")
        try:
            low, high = (float(v) for v in self.levels)
        except (TypeError, ValueError):
            raise ValueError(f"levels must be a pair of numbers, got {self.levels!r}") from None
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise ValueError(f"levels must be finite with low < high, got {self.levels!r}")
        object.__setattr__(self, "levels", (low, high))


def map_look(values: np.ndarray, options: ViewOptions, shared: Levels | None = None) -> MapLook:
    """Decide how the window draws ``values`` with ``options``.

    Parameters
    ----------
    values : numpy.ndarray
        The map (its real values, before ``abs``).
    options : ViewOptions
        Colormap, mode, shared levels on or off.
    shared : tuple of float, optional
        The shared levels (:func:`~workbench.render.levels.shared_levels`); the map's own
        levels when ``None``.

    Returns
    -------
    MapLook
        Mode, levels and the colormap actually used (diverging for a signed map shown
        symmetric around zero).

    Examples
    --------
    >>> map_look(np.array([[-1.0, 3.0]]), ViewOptions("viridis", "symmetric"))
    MapLook(mode='symmetric', levels=(-3.0, 3.0), colormap='CET-D1')
    >>> map_look(np.array([[-1.0, 3.0]]), ViewOptions("red_blue", "minmax")).levels
    (-3.0, 3.0)
    """
    mode = scale_mode(options)  # a diverging colormap is centred on 0, not on mid-range
    levels = shared or levels_for([values], mode)
    signed = bool((np.asarray(values) < 0).any())  # NaN compares False: no warning
    colormap = effective_colormap(options.colormap, mode, -1.0 if signed else 0.0)
    return MapLook(mode, levels, colormap)


def to_indices(values: Any, levels: Levels, *, absolute: bool = False
               ) -> npt.NDArray[np.uint8]:
    """Quantise values to colour-table indices: 256 equal bins between the levels.

    Parameters
    ----------
    values : array_like
        Any shape, any real dtype; strided views are fine (nothing is copied first).
    levels : tuple of float
        ``(low, high)`` with ``low < high``.
    absolute : bool, optional
        Quantise ``|values|`` (the ``abs`` mode).

    Returns
    -------
    numpy.ndarray
        uint8, same shape: ``floor((v - low) * 256 / (high - low))`` clipped to 0..255;
        NaN gives 0.

    Examples
    --------
    >>> to_indices(np.array([[0.0, 1.0, 2.0, 4.0]]), (0.0, 4.0)).tolist()
    [[0, 64, 128, 255]]
    """
    low, high = float(levels[0]), float(levels[1])
    arr = np.asarray(values)
    shown = np.abs(arr, dtype=np.float32) if absolute else arr
    t: npt.NDArray[np.float32] = np.subtract(shown, np.float32(low), dtype=np.float32)
    t *= np.float32(256.0 / (high - low))
    # fmax/fmin return the number when the other operand is NaN: NaN -> 0, in two passes.
    np.fmax(t, np.float32(0.0), out=t)
    np.fmin(t, np.float32(255.0), out=t)
    return t.astype(np.uint8)


def apply_colormap(indices: npt.ArrayLike, colormap: str) -> RGB:
    """Colour an image of 8-bit indices.

    Parameters
    ----------
    indices : array_like of uint8
        Any shape, values 0..255.
    colormap : str
        A key of :data:`~workbench.render.colormaps.LOOKUP_TABLES`.

    Returns
    -------
    numpy.ndarray
        uint8 RGB, shape ``indices.shape + (3,)``, C-contiguous.

    Raises
    ------
    ValueError
        If the colormap is unknown or ``indices`` is not uint8.

    Examples
    --------
    >>> apply_colormap(np.array([[0, 255]], np.uint8), "gray").tolist()
    [[[0, 0, 0], [255, 255, 255]]]
    """
    idx = np.asarray(indices)
    if idx.dtype != np.uint8:
        raise ValueError(f"indices must be uint8, got dtype {idx.dtype}")
    return np.take(lookup_table(colormap), idx, axis=0)


def render_map(values: Any, look: MapLook, *, alpha: bool = False) -> RGB:
    """Draw a map as RGB pixels: the picture on screen and in "PNG as displayed".

    Parameters
    ----------
    values : array_like
        ``(H, W)`` map (coloured through ``look.colormap``), or ``(H, W, 3)`` RGB values
        (each channel scaled by the levels; no colormap).
    look : MapLook
        Mode, levels, colormap (:func:`map_look`).
    alpha : bool, optional
        Return ``(H, W, 4)`` RGBA with opaque alpha instead, the same RGB bytes (the
        window's image items take it; for a 2-D map it is also the faster lookup).

    Returns
    -------
    numpy.ndarray
        uint8 ``(H, W, 3)`` RGB (``(H, W, 4)`` RGBA with ``alpha``), C-contiguous.

    Raises
    ------
    ValueError
        If ``values`` is neither 2-D nor ``(H, W, 3)``.

    Examples
    --------
    >>> look = MapLook("minmax", (0.0, 4.5), "gray")
    >>> render_map(np.full((1, 1), 4.5, np.float32), look).tolist()
    [[[255, 255, 255]]]
    """
    arr = np.asarray(values)
    is_rgb = arr.ndim == 3 and arr.shape[2] == 3
    if arr.ndim != 2 and not is_rgb:
        raise ValueError(f"a map must be 2-D (or H x W x 3), got shape {arr.shape}")
    indices = to_indices(arr, look.levels, absolute=look.mode == "abs")
    if is_rgb:
        if not alpha:
            return indices
        rgba = np.empty(arr.shape[:2] + (4,), np.uint8)
        rgba[:, :, :3] = indices
        rgba[:, :, 3] = 255
        return rgba
    if alpha:
        packed = np.take(PACKED_RGBA[look.colormap], indices)
        return packed.view(np.uint8).reshape(indices.shape + (4,))
    return apply_colormap(indices, look.colormap)


def input_view(image_chw: np.ndarray, *, stacked: bool = False) -> np.ndarray:
    """Arrange the input tensor as the window shows it (a view, no copy).

    Parameters
    ----------
    image_chw : numpy.ndarray
        ``(C, H, W)``.
    stacked : bool, optional
        Raw data: channels one under the other, like a printed ``(C, L)`` tensor. Any
        channel count other than 1 or 3 is always stacked.

    Returns
    -------
    numpy.ndarray
        ``(H, W)`` gray, ``(H, W, 3)`` RGB or ``(C*H, W)`` stacked.

    Raises
    ------
    ValueError
        If ``image_chw`` is not 3-D.
    """
    if image_chw.ndim != 3:
        raise ValueError(f"the input must be (C, H, W), got shape {image_chw.shape}")
    c, h, w = image_chw.shape
    if stacked or c not in (1, 3):
        return image_chw.reshape(c * h, w)
    return image_chw.transpose(1, 2, 0) if c == 3 else image_chw[0]


def input_look(image_chw: np.ndarray) -> MapLook:
    """How the input is drawn: gray, levels from :func:`~workbench.render.levels.input_levels`.

    Parameters
    ----------
    image_chw : numpy.ndarray
        The input tensor.

    Returns
    -------
    MapLook
        ``minmax`` mode, the input's levels, ``gray``.
    """
    return MapLook("minmax", input_levels(image_chw), "gray")


def render_input(image_chw: Any, *, stacked: bool = False) -> RGB:
    """Draw the input tensor as the window's input view does.

    Parameters
    ----------
    image_chw : array_like
        ``(C, H, W)``: gray for one channel, colour for three, stacked otherwise.
    stacked : bool, optional
        Stack the channels even when there are 1 or 3 (raw data).

    Returns
    -------
    numpy.ndarray
        uint8 ``(H, W, 3)`` RGB (``(C*H, W, 3)`` stacked).

    Raises
    ------
    ValueError
        If ``image_chw`` is not 3-D.

    Examples
    --------
    >>> render_input(np.array([[[0.0, 0.5, 1.0]]], np.float32))[0, :, 0].tolist()
    [0, 128, 255]
    """
    arr = np.asarray(image_chw)
    return render_map(input_view(arr, stacked=stacked), input_look(arr))
