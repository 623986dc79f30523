"""Qt-free receptive-field maths: which input pixels an output pixel of a layer depends on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workbench.core import Layer
from workbench.core.conv import resolve_padding

STAGES: tuple[str, ...] = ("conv", "pooled")


@dataclass(frozen=True)
class Window:
    """An inclusive rectangle of rows ``top..bottom`` and columns ``left..right``.

    Coordinates may lie outside the input (in the padding) before :meth:`clipped`.
    """

    top: int
    left: int
    bottom: int
    right: int

    @property
    def height(self) -> int:
        """Number of rows."""
        return self.bottom - self.top + 1

    @property
    def width(self) -> int:
        """Number of columns."""
        return self.right - self.left + 1

    def clipped(self, height: int, width: int) -> Window | None:
        """Intersect with a ``height x width`` image.

        Parameters
        ----------
        height, width : int
            Image size.

        Returns
        -------
        Window or None
            The part inside the image, or None when the window lies entirely in the padding.
        """
        top, left = max(self.top, 0), max(self.left, 0)
        bottom, right = min(self.bottom, height - 1), min(self.right, width - 1)
        if top > bottom or left > right:
            return None
        return Window(top, left, bottom, right)


def conv_window(layer: Layer, kernel: tuple[int, int], rows: tuple[int, int],
                cols: tuple[int, int]) -> Window:
    """Input window read by the conv output pixels ``rows x cols`` (inclusive ranges).

    Parameters
    ----------
    layer : Layer
        Supplies stride, padding and dilation.
    kernel : tuple of int
        ``(kH, kW)`` of the filter.
    rows, cols : tuple of int
        First and last output row / column.

    Returns
    -------
    Window
        In input coordinates; negative or too-large values are padding.

    Raises
    ------
    ValueError
        If the padding cannot be resolved (``"same"`` with a stride > 1).

    Examples
    --------
    >>> from workbench.core import default_pipeline
    >>> conv_window(default_pipeline().layers[0], (3, 3), (0, 0), (5, 5))
    Window(top=0, left=5, bottom=2, right=7)
    """
    top_pad, _, left_pad, _ = resolve_padding(layer.padding, kernel, layer.stride, layer.dilation)
    (sy, sx), (dy, dx) = layer.stride, layer.dilation
    return Window(rows[0] * sy - top_pad, cols[0] * sx - left_pad,
                  rows[1] * sy - top_pad + dy * (kernel[0] - 1),
                  cols[1] * sx - left_pad + dx * (kernel[1] - 1))


def pool_window(layer: Layer, conv_shape: tuple[int, int], y: int, x: int) -> Window:
    """Conv-map pixels pooled into the pooled-map pixel ``(y, x)``.

    Parameters
    ----------
    layer : Layer
        Supplies the pooling.
    conv_shape : tuple of int
        ``(H, W)`` of the conv map (pool padding is never part of the window).
    y, x : int
        Pooled-map pixel.

    Returns
    -------
    Window
        Rows and columns of the conv map, clipped to it.
    """
    pool = layer.pool
    height, width = conv_shape
    if pool.kind == "none":
        return Window(y, x, y, x)
    if pool.kind.startswith("global"):
        return Window(0, 0, height - 1, width - 1)
    (sy, sx), (py, px) = pool.effective_stride, pool.padding
    top, left = y * sy - py, x * sx - px
    window = Window(top, left, top + pool.size[0] - 1, left + pool.size[1] - 1)
    return window.clipped(height, width) or window


@dataclass(frozen=True)
class ReceptiveField:
    """Where an output pixel reads the input.

    ``window`` is the full extent, padding included; ``inside`` the smallest rectangle
    holding every kernel tap that lands on a real input pixel (None if none does). With
    dilation the taps have gaps, so ``inside`` can be smaller than ``window`` clipped.
    """

    window: Window
    inside: Window | None

    @property
    def touches_padding(self) -> bool:
        """Part of the window lies outside the input."""
        return self.inside != self.window


def _taps(first: int, last: int, stride: int, pad: int, dilation: int, kernel: int,
          size: int) -> list[int]:
    """Input positions read along one axis by the output positions ``first..last``."""
    starts = np.arange(first, last + 1) * stride - pad
    taps = np.unique(starts[:, None] + np.arange(kernel) * dilation)
    return taps[(taps >= 0) & (taps < size)].tolist()


def receptive_field(layer: Layer, kernel: tuple[int, int], conv_shape: tuple[int, int],
                    input_shape: tuple[int, int], stage: str, y: int, x: int
                    ) -> ReceptiveField:
    """Input region that the pixel ``(y, x)`` of a conv or pooled map depends on.

    For a pooled pixel this is the union of the conv windows of every conv pixel it pools.

    Parameters
    ----------
    layer : Layer
        The layer (stride, padding, dilation, pooling).
    kernel : tuple of int
        ``(kH, kW)`` of the map's filter.
    conv_shape : tuple of int
        ``(H, W)`` of the conv (or activated) map.
    input_shape : tuple of int
        ``(H, W)`` of the layer's input.
    stage : {"conv", "pooled"}
        Which map ``(y, x)`` is in.
    y, x : int
        The output pixel.

    Returns
    -------
    ReceptiveField
        The full window and the part on real input pixels.

    Raises
    ------
    ValueError
        On an unknown stage or unresolvable padding.

    Examples
    --------
    >>> from workbench.core import default_pipeline
    >>> layer = default_pipeline().layers[0]   # 3x3 kernels, 2x2 max pooling
    >>> receptive_field(layer, (3, 3), (6, 6), (8, 8), "pooled", 1, 1).window
    Window(top=2, left=2, bottom=5, right=5)
    """
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}, got {stage!r}")
    if stage == "conv":
        rows, cols = (y, y), (x, x)
    else:
        pooled = pool_window(layer, conv_shape, y, x)
        rows, cols = (pooled.top, pooled.bottom), (pooled.left, pooled.right)
    window = conv_window(layer, kernel, rows, cols)
    top_pad, _, left_pad, _ = resolve_padding(layer.padding, kernel, layer.stride, layer.dilation)
    row_taps = _taps(*rows, layer.stride[0], top_pad, layer.dilation[0], kernel[0],
                     input_shape[0])
    col_taps = _taps(*cols, layer.stride[1], left_pad, layer.dilation[1], kernel[1],
                     input_shape[1])
    inside = None
    if row_taps and col_taps:
        inside = Window(row_taps[0], col_taps[0], row_taps[-1], col_taps[-1])
    return ReceptiveField(window, inside)


def _padded_index(index: np.ndarray, size: int, mode: str) -> np.ndarray:
    """Map positions outside ``0..size-1`` to the pixel a padding mode copies (-1: a zero)."""
    if mode == "zeros":
        return np.where((index >= 0) & (index < size), index, -1)
    if mode == "replicate":
        return np.clip(index, 0, size - 1)
    if mode == "circular":
        return np.mod(index, size)
    if size == 1:  # reflect needs two pixels; torch refuses such padding anyway
        return np.zeros_like(index)
    period = 2 * (size - 1)
    folded = np.mod(index, period)
    return np.where(folded < size, folded, period - folded)


def input_patch(image_chw: np.ndarray, layer: Layer, kernel: tuple[int, int], y: int,
                x: int) -> np.ndarray:
    """Input values under each kernel tap of conv output pixel ``(y, x)``.

    Padding is filled as the layer's ``padding_mode`` fills it, so that
    ``(patch * weight).sum() + bias`` is the conv output (with the weight flipped first
    when ``layer.flip``).

    Parameters
    ----------
    image_chw : numpy.ndarray
        The layer's input ``(C, H, W)``.
    layer : Layer
        Stride, padding, dilation and padding mode.
    kernel : tuple of int
        ``(kH, kW)``.
    y, x : int
        Conv output pixel.

    Returns
    -------
    numpy.ndarray
        ``(C, kH, kW)`` float32.

    Examples
    --------
    >>> from workbench.core import Layer
    >>> image = np.arange(16, dtype=np.float32).reshape(1, 4, 4)
    >>> input_patch(image, Layer((), padding=(1, 1)), (3, 3), 0, 0)[0]
    array([[0., 0., 0.],
           [0., 0., 1.],
           [0., 4., 5.]], dtype=float32)
    """
    window = conv_window(layer, kernel, (y, y), (x, x))
    _, height, width = image_chw.shape
    rows = _padded_index(window.top + np.arange(kernel[0]) * layer.dilation[0], height,
                         layer.padding_mode)
    cols = _padded_index(window.left + np.arange(kernel[1]) * layer.dilation[1], width,
                         layer.padding_mode)
    patch = image_chw[:, np.maximum(rows, 0)[:, None], np.maximum(cols, 0)[None, :]]
    outside = (rows[:, None] < 0) | (cols[None, :] < 0)
    return np.where(outside[None], np.float32(0), patch).astype(np.float32)
