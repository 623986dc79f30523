"""Receptive fields: which input pixels an output value of a layer of a stack depends on.

Two levels:

- :func:`receptive_field` walks a whole :class:`~workbench.core.pipeline.Pipeline` down from
  a value of layer ``k`` to the input, through every conv and pooling window (the region
  grows layer by layer: 3x3 conv -> 2x2/2 pool -> 3x3 conv reads 8x8 input pixels);
- :func:`layer_field`, :func:`pool_window` and :func:`input_patch` answer the same
  questions for one layer and one filter, with the padding told apart from real pixels.

Everything here is plain index arithmetic on the layer parameters (no compute), so it is
cheap enough to run on every mouse move.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workbench.core.conv import resolve_padding
from workbench.core.pipeline import Layer, Pipeline
from workbench.core.shapes import conv_output_size, pool_output_size

STAGES: tuple[str, ...] = ("conv", "activated", "pooled")
Rect = tuple[int, int, int, int]  # half-open (y0, y1, x0, x1)


@dataclass(frozen=True)
class Window:
    """An inclusive rectangle of rows ``top..bottom`` and columns ``left..right``.

    Coordinates may lie outside the map (in the padding) before :meth:`clipped`.
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
        """Intersect with a ``height x width`` map.

        Parameters
        ----------
        height, width : int
            Map size.

        Returns
        -------
        Window or None
            The part inside the map, or None when the window lies entirely in the padding.
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
    """Where an output pixel of one layer reads that layer's input.

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
    inside: list[int] = taps[(taps >= 0) & (taps < size)].tolist()
    return inside


def layer_field(layer: Layer, kernel: tuple[int, int], conv_shape: tuple[int, int],
                input_shape: tuple[int, int], stage: str, y: int, x: int) -> ReceptiveField:
    """Region of one layer's input that the pixel ``(y, x)`` of one of its maps depends on.

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
    stage : {"conv", "activated", "pooled"}
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
    >>> layer_field(layer, (3, 3), (6, 6), (8, 8), "pooled", 1, 1).window
    Window(top=2, left=2, bottom=5, right=5)
    """
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}, got {stage!r}")
    if stage == "pooled":
        pooled = pool_window(layer, conv_shape, y, x)
        rows, cols = (pooled.top, pooled.bottom), (pooled.left, pooled.right)
    else:
        rows, cols = (y, y), (x, x)
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


def padded_index(index: np.ndarray, size: int, mode: str) -> np.ndarray:
    """Map positions outside ``0..size-1`` to the pixel a padding mode copies.

    Parameters
    ----------
    index : numpy.ndarray
        Integer positions along one axis, possibly outside the map.
    size : int
        The map's length along that axis.
    mode : {"zeros", "reflect", "replicate", "circular"}
        The padding mode.

    Returns
    -------
    numpy.ndarray
        The source position of each entry; -1 where the padding is a zero.

    Examples
    --------
    >>> padded_index(np.array([-2, -1, 0, 3, 4]), 4, "reflect").tolist()
    [2, 1, 0, 3, 2]
    """
    source: np.ndarray
    if mode == "zeros":
        source = np.where((index >= 0) & (index < size), index, -1)
    elif mode == "replicate":
        source = np.clip(index, 0, size - 1)
    elif mode == "circular":
        source = np.mod(index, size)
    elif size == 1:  # reflect needs two pixels; torch refuses such padding anyway
        source = np.zeros_like(index)
    else:
        period = 2 * (size - 1)
        folded = np.mod(index, period)
        source = np.where(folded < size, folded, period - folded)
    return source


def tap_positions(layer: Layer, kernel: tuple[int, int], y: int, x: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Input rows and columns under each kernel tap of conv output pixel ``(y, x)``.

    Parameters
    ----------
    layer : Layer
        Stride, padding and dilation.
    kernel : tuple of int
        ``(kH, kW)``.
    y, x : int
        Conv output pixel.

    Returns
    -------
    rows, cols : numpy.ndarray
        ``(kH,)`` and ``(kW,)`` positions in the layer's input; outside ``0..H-1`` /
        ``0..W-1`` they are padding.
    """
    window = conv_window(layer, kernel, (y, y), (x, x))
    rows = window.top + np.arange(kernel[0]) * layer.dilation[0]
    cols = window.left + np.arange(kernel[1]) * layer.dilation[1]
    return rows, cols


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
    rows, cols = tap_positions(layer, kernel, y, x)
    _, height, width = image_chw.shape
    rows = padded_index(rows, height, layer.padding_mode)
    cols = padded_index(cols, width, layer.padding_mode)
    patch = image_chw[:, np.maximum(rows, 0)[:, None], np.maximum(cols, 0)[None, :]]
    outside = (rows[:, None] < 0) | (cols[None, :] < 0)
    return np.where(outside[None], np.float32(0), patch).astype(np.float32)


# ------------------------------------------------------------------ whole stacks


def _kernels(layer: Layer) -> list[tuple[int, int]]:
    sizes = sorted({f.kernel_size for f in layer.enabled_filters})
    if not sizes:
        raise ValueError("the layer has no enabled filters")
    return sizes


def map_shapes(pipeline: Pipeline, input_shape: tuple[int, int]
               ) -> list[tuple[tuple[int, int], tuple[int, int], tuple[int, int]]]:
    """Input, conv and pooled map sizes of every layer, as :func:`run_pipeline` makes them.

    Parameters
    ----------
    pipeline : Pipeline
        The stack (every layer needs enabled filters of one output size).
    input_shape : tuple of int
        ``(H, W)`` of the input.

    Returns
    -------
    list of (input, conv, pooled) pairs
        One entry per layer.

    Raises
    ------
    ValueError
        If a step is impossible (a kernel larger than its input, say).
    """
    shapes = []
    current = (int(input_shape[0]), int(input_shape[1]))
    for layer in pipeline.layers:
        convs: set[tuple[int, int]] = set()
        for kernel in _kernels(layer):
            top, bottom, left, right = resolve_padding(layer.padding, kernel, layer.stride,
                                                       layer.dilation)
            convs.add((
                conv_output_size(current[0], kernel[0], layer.stride[0], (top, bottom),
                                 layer.dilation[0]),
                conv_output_size(current[1], kernel[1], layer.stride[1], (left, right),
                                 layer.dilation[1])))
        if len(convs) != 1:
            raise ValueError(f"the filters' maps have different sizes {sorted(convs)}")
        conv = convs.pop()
        pool = layer.pool
        pooled: tuple[int, int]
        if pool.kind == "none":
            pooled = conv
        elif pool.kind.startswith("global"):
            pooled = (1, 1)
        else:
            stride = pool.effective_stride
            pooled = (
                pool_output_size(conv[0], pool.size[0], stride[0], pool.padding[0],
                                 ceil_mode=pool.ceil_mode),
                pool_output_size(conv[1], pool.size[1], stride[1], pool.padding[1],
                                 ceil_mode=pool.ceil_mode))
        shapes.append((current, conv, pooled))
        current = pooled
    return shapes


def _pool_back(layer: Layer, lo: int, hi: int, axis: int, conv_size: int | None
               ) -> tuple[int, int]:
    """Conv-map interval (half-open) that the pooled interval ``[lo, hi)`` pools."""
    pool = layer.pool
    if pool.kind == "none":
        return lo, hi
    if pool.kind.startswith("global"):
        if conv_size is None:
            raise ValueError("global pooling reads the whole map: pass input_shape")
        return 0, conv_size
    stride, pad, size = pool.effective_stride[axis], pool.padding[axis], pool.size[axis]
    start, stop = lo * stride - pad, (hi - 1) * stride - pad + size
    start = max(start, 0)  # pool padding is never read (it is -inf or left out)
    if conv_size is not None:
        stop = min(stop, conv_size)
    return start, stop


def _conv_back(layer: Layer, lo: int, hi: int, axis: int) -> tuple[int, int]:
    """Input interval (half-open, unclipped) read by the conv interval ``[lo, hi)``."""
    start, stop = None, None
    for kernel in _kernels(layer):
        pads = resolve_padding(layer.padding, kernel, layer.stride, layer.dilation)
        pad = pads[2 * axis]
        stride, dilation = layer.stride[axis], layer.dilation[axis]
        a = lo * stride - pad
        b = (hi - 1) * stride - pad + dilation * (kernel[axis] - 1) + 1
        start = a if start is None else min(start, a)
        stop = b if stop is None else max(stop, b)
    assert start is not None and stop is not None
    return start, stop


def receptive_field(pipeline: Pipeline, layer: int, y: int, x: int, stage: str = "pooled",
                    *, input_shape: tuple[int, int] | None = None) -> Rect:
    """Input rows and columns that output ``(y, x)`` of a layer's stage depends on.

    The rectangle is walked down the stack: through the pooling window (if ``stage`` is
    ``"pooled"``), the conv window (the union over the layer's kernel sizes), then the
    previous layer's pooling and conv, down to the input. It is *unclipped* at the input:
    rows or columns outside ``0..H-1`` / ``0..W-1`` are the first layer's padding. The
    padding of a later layer reads no input pixel, so the region is cut to the real
    intermediate maps on the way down (at their far edge only when ``input_shape`` is
    given). A value that reads nothing but such padding has the empty rectangle
    ``(0, 0, 0, 0)``.

    Parameters
    ----------
    pipeline : Pipeline
        The stack.
    layer : int
        0-based layer index.
    y, x : int
        Position in the map of ``stage``.
    stage : {"conv", "activated", "pooled"}, optional
        Which map of the layer (``"activated"`` has the conv map's positions).
    input_shape : tuple of int, optional
        ``(H, W)`` of the input: needed for global pooling and for cutting the region at
        the far edge of intermediate maps.

    Returns
    -------
    tuple of int
        ``(y0, y1, x0, x1)``, half-open.

    Raises
    ------
    ValueError
        On an unknown stage or layer, a layer without enabled filters, or global pooling
        without ``input_shape``.

    Examples
    --------
    >>> import numpy as np
    >>> from workbench.core import Filter, Layer, Pipeline, Pool
    >>> conv = Filter("k", np.ones((1, 3, 3)))
    >>> stack = Pipeline("gray", (Layer((conv,), pool=Pool("max", (2, 2))),
    ...                           Layer((conv,))))
    >>> receptive_field(stack, 1, 0, 0, "conv")   # 3x3 -> 2x2/2 pool -> 3x3 reads 8x8
    (0, 8, 0, 8)
    """
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}, got {stage!r}")
    if not 0 <= layer < len(pipeline.layers):
        raise ValueError(f"layer must be in 0..{len(pipeline.layers) - 1}, got {layer}")
    path = field_path(pipeline, layer, y, x, stage, input_shape=input_shape)
    return path[-1] if path else (0, 0, 0, 0)


def field_path(pipeline: Pipeline, layer: int, y: int, x: int, stage: str = "pooled", *,
               input_shape: tuple[int, int] | None = None) -> list[Rect]:
    """Return the region a value depends on in the input of every layer, ``layer`` down.

    Entry ``i`` is the rectangle in the input maps of layer ``layer - i`` (for ``i < layer``
    that is layer ``layer - i - 1``'s pooled maps, cut to their real extent); the last entry
    is :func:`receptive_field`'s rectangle on the input. The list stops short (and is
    empty) when the value reads nothing but a later layer's padding.

    Parameters
    ----------
    pipeline, layer, y, x, stage, input_shape
        As for :func:`receptive_field`.

    Returns
    -------
    list of tuple of int
        Half-open ``(y0, y1, x0, x1)`` rectangles, ``layer + 1`` of them.

    Raises
    ------
    ValueError
        As :func:`receptive_field` raises.

    Examples
    --------
    >>> import numpy as np
    >>> from workbench.core import Filter, Layer, Pipeline, Pool
    >>> conv = Filter("k", np.ones((1, 3, 3)))
    >>> stack = Pipeline("gray", (Layer((conv,), pool=Pool("max", (2, 2))),
    ...                           Layer((conv,))))
    >>> field_path(stack, 1, 0, 0, "conv")   # layer 1's pooled maps, then the input
    [(0, 3, 0, 3), (0, 8, 0, 8)]
    """
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}, got {stage!r}")
    if not 0 <= layer < len(pipeline.layers):
        raise ValueError(f"layer must be in 0..{len(pipeline.layers) - 1}, got {layer}")
    shapes = map_shapes(pipeline, input_shape) if input_shape is not None else None
    rect = [int(y), int(y) + 1, int(x), int(x) + 1]
    path: list[Rect] = []
    for index in range(layer, -1, -1):
        step = pipeline.layers[index]
        for axis in (0, 1):
            lo, hi = rect[2 * axis], rect[2 * axis + 1]
            if index < layer or stage == "pooled":
                conv_size = shapes[index][1][axis] if shapes is not None else None
                lo, hi = _pool_back(step, lo, hi, axis, conv_size)
            lo, hi = _conv_back(step, lo, hi, axis)
            if index > 0:  # a later layer's padding: no input pixel behind it
                lo = max(lo, 0)
                if shapes is not None:
                    hi = min(hi, shapes[index][0][axis])
                if hi <= lo:
                    return []  # it reads nothing but a later layer's padding
            rect[2 * axis], rect[2 * axis + 1] = lo, hi
        path.append((rect[0], rect[1], rect[2], rect[3]))
    return path
