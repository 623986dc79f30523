"""The kernel sliding over the input, one output cell at a time, and its frequency response.

:func:`sliding_steps` spells out what a convolution does at each output cell (which
input cells the taps read — padded cells included, their values resolved by the padding
mode — the weights, the products and their sum), in the raster order a step-through
animation shows them. :func:`frequency_response` is the magnitude of a kernel's 2-D DFT:
why a Gaussian blurs (low-pass) and a Laplacian sharpens (high-pass).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from workbench.core.arrays import FloatArray, as_float32, pair
from workbench.core.conv import ConvPlan, plan_conv2d, resolve_padding

IntArray = np.ndarray


@dataclass(frozen=True, eq=False)
class SlideStep:
    """One output cell of one filter: the taps it reads and how they add up.

    The tap arrays are in weight order (channel slice, kernel row, kernel column).
    ``rows``/``cols`` are input coordinates before padding is resolved (negative or
    past the edge for a padded cell, see ``padded``); ``source_rows``/``source_cols``
    are the input cells the padding mode copied the value from (-1 for zero padding).
    For a 1-D input ``y`` and every row are 0.
    """

    filter: int
    y: int
    x: int
    channels: IntArray
    rows: IntArray
    cols: IntArray
    padded: np.ndarray
    source_rows: IntArray
    source_cols: IntArray
    values: FloatArray
    weights: FloatArray
    products: FloatArray
    bias: float
    total: float

    @property
    def partial_sums(self) -> FloatArray:
        """Running sum of the products, tap by tap (float64, without the bias)."""
        return np.cumsum(self.products, dtype=np.float64)


def _source(index: np.ndarray, size: int, mode: str) -> np.ndarray:
    if mode == "zeros":
        return np.where((index >= 0) & (index < size), index, -1)
    if mode == "replicate":
        clipped: np.ndarray = np.clip(index, 0, size - 1)
        return clipped
    if mode == "circular":
        wrapped: np.ndarray = np.mod(index, size)
        return wrapped
    period = 2 * (size - 1) if size > 1 else 1
    q = np.mod(index, period)
    reflected: np.ndarray = np.where(q >= size, period - q, q)
    return reflected


class SlidePlan:
    """Random access to the steps of :func:`sliding_steps`: step ``i`` without the ones before.

    A step-through player jumps (scrubber, "go to x, y") on inputs with millions of output
    cells; this computes one cell at a time. Build it with :func:`plan_slide`.

    Attributes
    ----------
    n_filters : int
        Filters in the weight.
    out_size : tuple of int
        ``(H_out, W_out)`` (``H_out`` is 1 for a signal).
    one_d : bool
        The input is a ``(C, L)`` signal.
    """

    def __init__(self, xs: FloatArray, plan: ConvPlan, padding: Any, padding_mode: str,
                 one_d: bool) -> None:
        self._x = xs
        self._w = plan.weight  # flipped when flip=True: the taps as they are applied
        self._bias = plan.bias
        self.n_filters, c_per_group, kh, kw = self._w.shape
        sy, sx, _, _, dy, dx, groups = plan.kernel_args
        self._stride, self._dilation = (sy, sx), (dy, dx)
        self._top, _, self._left, _ = resolve_padding(padding, (kh, kw), (sy, sx), (dy, dx))
        self._mode = padding_mode
        self.out_size: tuple[int, int] = (int(plan.out_size[0]), int(plan.out_size[1]))
        self.one_d = one_d
        self._per_group = self.n_filters // groups
        self._c_per_group = c_per_group
        grid = np.meshgrid(np.arange(c_per_group), np.arange(kh), np.arange(kw), indexing="ij")
        self._ci, self._ki, self._kj = (g.ravel() for g in grid)

    def __len__(self) -> int:
        return int(self.n_filters) * self.out_size[0] * self.out_size[1]

    def index_of(self, f: int, y: int, x: int) -> int:
        """Return the step number of filter ``f``'s output cell ``(y, x)``.

        Parameters
        ----------
        f, y, x : int
            Filter and output row, column (``y`` is 0 for a signal).

        Returns
        -------
        int
            Its position in :func:`sliding_steps`' order.

        Raises
        ------
        IndexError
            If the cell does not exist.
        """
        h, w = self.out_size
        if not (0 <= f < self.n_filters and 0 <= y < h and 0 <= x < w):
            raise IndexError(f"no output cell ({f}, {y}, {x}) in {self.n_filters} x {h} x {w}")
        return (f * h + y) * w + x

    def step(self, index: int) -> SlideStep:
        """Return step ``index`` (0-based, negative counts from the end).

        Parameters
        ----------
        index : int
            Step number.

        Returns
        -------
        SlideStep
            As :func:`sliding_steps` yields it.

        Raises
        ------
        IndexError
            If ``index`` is out of range.
        """
        count = len(self)
        if index < 0:
            index += count
        if not 0 <= index < count:
            raise IndexError(f"step {index} is outside 0..{count - 1}")
        h, w = self.out_size
        f, rest = divmod(index, h * w)
        oy, ox = divmod(rest, w)
        xs, mode = self._x, self._mode
        height, width = xs.shape[1:]
        channels = (f // self._per_group) * self._c_per_group + self._ci
        weights = self._w[f].ravel().astype(np.float32)
        b = float(self._bias[f])
        rows = oy * self._stride[0] - self._top + self._ki * self._dilation[0]
        cols = ox * self._stride[1] - self._left + self._kj * self._dilation[1]
        src_rows, src_cols = _source(rows, height, mode), _source(cols, width, mode)
        padded = (rows < 0) | (rows >= height) | (cols < 0) | (cols >= width)
        inside = (src_rows >= 0) & (src_cols >= 0)
        values = np.zeros(len(cols), np.float32)
        values[inside] = xs[channels[inside], src_rows[inside], src_cols[inside]]
        products = (values * weights).astype(np.float32)
        total = float(np.float32(products.sum(dtype=np.float64) + b))
        if mode == "zeros":
            src_rows, src_cols = np.where(padded, -1, rows), np.where(padded, -1, cols)
        return SlideStep(f, 0 if self.one_d else oy, ox, channels, rows, cols, padded,
                         src_rows, src_cols, values, weights, products, b, total)


def plan_slide(x: Any, weight: Any, bias: Any = None, *, stride: Any = 1, padding: Any = 0,
               dilation: Any = 1, groups: int = 1, padding_mode: str = "zeros",
               flip: bool = False) -> SlidePlan:
    """Check the arguments once and return random access to every step.

    Parameters
    ----------
    x, weight, bias, stride, padding, dilation, groups, padding_mode, flip
        As for :func:`sliding_steps`.

    Returns
    -------
    SlidePlan
        ``plan.step(i)`` is the ``i``-th step :func:`sliding_steps` yields.

    Raises
    ------
    ValueError
        On arguments the convolution rejects.
    """
    xs = as_float32(x, "x")
    ws = as_float32(weight, "weight")
    one_d = xs.ndim == 2
    if one_d:
        if ws.ndim != 3:
            raise ValueError(f"a (C, L) signal needs weight (F, C // groups, k), got {ws.shape}")
        xs, ws = xs[:, None, :], ws[:, :, None, :]

        def as2(v: Any) -> Any:
            return v if isinstance(v, str) else (
                (1, v) if isinstance(v, (int, np.integer)) else (1, *tuple(v)))

        stride, dilation = as2(stride), as2(dilation)
        padding = padding if isinstance(padding, str) else (0, int(np.ravel(padding)[0]))
    if xs.ndim != 3:
        raise ValueError(f"x must be (C, H, W) or (C, L), got {xs.shape}")
    plan = plan_conv2d(xs, ws, bias, stride=stride, padding=padding, dilation=dilation,
                       groups=groups, padding_mode=padding_mode, flip=flip)
    return SlidePlan(xs, plan, padding, padding_mode, one_d)


def sliding_steps(x: Any, weight: Any, bias: Any = None, *, stride: Any = 1, padding: Any = 0,
                  dilation: Any = 1, groups: int = 1, padding_mode: str = "zeros",
                  flip: bool = False) -> Iterator[SlideStep]:
    """Yield every output cell's computation, filter by filter, in raster order.

    Parameters
    ----------
    x : array_like
        ``(C, H, W)`` image or ``(C, L)`` signal (then ``weight`` is ``(F, C // g, k)``).
    weight : array_like
        ``(F, C // groups, kH, kW)`` or ``(F, C // groups, k)``.
    bias : array_like, optional
        ``(F,)``.
    stride, padding, dilation, groups, padding_mode, flip
        As for :func:`~workbench.core.conv.conv2d` (``conv1d`` for a signal).

    Yields
    ------
    SlideStep
        One per output cell: ``total`` equals the convolution's output there (to
        float32 rounding).

    Raises
    ------
    ValueError
        On arguments the convolution rejects.

    Examples
    --------
    >>> steps = list(sliding_steps([[1, 2, 3, 4, 5, 6]], [[[1, 1, 1]]], dilation=2))
    >>> [(s.x, s.cols.tolist(), s.total) for s in steps]
    [(0, [0, 2, 4], 9.0), (1, [1, 3, 5], 12.0)]
    """
    plan = plan_slide(x, weight, bias, stride=stride, padding=padding, dilation=dilation,
                      groups=groups, padding_mode=padding_mode, flip=flip)
    for index in range(len(plan)):
        yield plan.step(index)


def frequency_response(kernel: Any, size: int = 64, *, dilation: int | tuple[int, int] = 1
                       ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Magnitude of a kernel's zero-padded 2-D DFT, centred, with its frequency axes.

    Parameters
    ----------
    kernel : array_like
        ``(kH, kW)`` (or ``(1, kH, kW)``) weights.
    size : int, optional
        DFT size per axis (the kernel is zero-padded to ``size`` x ``size``).
    dilation : int or pair of int, optional
        Spread the taps ``dilation`` apart first (zeros between), ``(vertical,
        horizontal)`` for a pair: the response folds (repeats ``dilation`` times per
        axis), which is why dilated kernels alias.

    Returns
    -------
    magnitude : numpy.ndarray
        float32 ``(size, size)``, zero frequency at ``[size // 2, size // 2]``.
    fy, fx : numpy.ndarray
        float32 frequencies of the rows and columns in cycles per pixel, -0.5 .. 0.5.

    Raises
    ------
    ValueError
        If the kernel is not 2-D or does not fit in ``size``.

    Examples
    --------
    >>> mag, fy, fx = frequency_response(np.full((3, 3), 1 / 9), size=8)
    >>> float(mag[4, 4]), float(fx[4])  # a box blur passes the mean (DC) unchanged
    (1.0, 0.0)
    """
    k = as_float32(kernel, "kernel")
    if k.ndim == 3 and k.shape[0] == 1:
        k = k[0]
    if k.ndim != 2 or k.size == 0:
        raise ValueError(f"kernel must be 2-D (kH, kW), got shape {k.shape}")
    dy, dx = pair(dilation, "dilation", minimum=1)
    if (dy, dx) != (1, 1):
        spread = np.zeros(((k.shape[0] - 1) * dy + 1, (k.shape[1] - 1) * dx + 1), np.float32)
        spread[::dy, ::dx] = k
        k = spread
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) \
            or size < max(k.shape):
        raise ValueError(f"size must be an integer >= the (dilated) kernel's {max(k.shape)}, "
                         f"got {size!r}")
    spectrum = np.fft.fft2(k.astype(np.float64), s=(size, size))
    magnitude = np.fft.fftshift(np.abs(spectrum)).astype(np.float32)
    freqs = np.fft.fftshift(np.fft.fftfreq(size)).astype(np.float32)
    return magnitude, freqs.copy(), freqs.copy()
