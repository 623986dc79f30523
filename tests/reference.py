"""A slow, obviously-correct oracle for ``workbench.core``: plain loops, float64 sums.

Written from PyTorch's documented semantics (``torch.nn.Conv2d``, ``MaxPool2d``,
``AvgPool2d``) and sharing no code with the package: padding is an explicit mapping from
padded to source index (not ``np.pad``), every output element is a loop over its kernel
taps, and the arguments PyTorch rejects raise ``ValueError`` here too, so property tests
can ask the oracle whether a draw is valid.

The last sections hold what the core tests share besides the oracle: the comparison with
a float32 error budget, and the dtypes and memory layouts every function is fed.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import hypothesis
import numpy as np

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


# ---------------------------------------------------------------- arguments


def _ints(value: Any, name: str, minimum: int, count: int) -> tuple[int, ...]:
    """``value`` as ``count`` ints >= ``minimum`` (an int is repeated)."""
    try:
        items = (value,) * count if isinstance(value, (int, np.integer)) else tuple(value)
    except TypeError:
        raise ValueError(f"{name} must be {count} int(s) >= {minimum}, got {value!r}") from None
    if len(items) != count or any(isinstance(v, bool) or not isinstance(v, (int, np.integer))
                                  or v < minimum for v in items):
        raise ValueError(f"{name} must be {count} int(s) >= {minimum}, got {value!r}")
    return tuple(int(v) for v in items)


def same_padding(kernel: int, dilation: int) -> tuple[int, int]:
    """PyTorch's ``padding="same"``: total ``d*(k-1)``, the odd one out goes after."""
    total = dilation * (kernel - 1)
    before = total // 2
    return before, total - before


def source_index(i: int, n: int, mode: str) -> int | None:
    """Map a position ``i`` relative to the unpadded start to an input index.

    ``i`` runs from ``-before`` to ``n + after - 1``; None means a zero.
    """
    if 0 <= i < n:
        return i
    if mode == "zeros":
        return None
    if mode == "replicate":
        return 0 if i < 0 else n - 1
    if mode == "circular":
        return i % n
    if mode == "reflect":  # mirror about the edge pixel, which is not repeated
        return -i if i < 0 else 2 * (n - 1) - i
    raise ValueError(f"unknown padding_mode {mode!r}")


def _check_mode_padding(mode: str, before: int, after: int, n: int) -> None:
    if mode == "reflect" and max(before, after) >= n:
        raise ValueError(f"padding_mode='reflect' needs padding < input size {n}")
    if mode == "circular" and max(before, after) > n:
        raise ValueError(f"padding_mode='circular' needs padding <= input size {n}")


# ---------------------------------------------------------------- convolution


def conv2d(x: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1, padding_mode: str = "zeros",
           flip: bool = False) -> np.ndarray:
    """``torch.nn.functional.conv2d`` (plus padding modes and flip), in float64."""
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(weight, dtype=np.float64)
    if x.ndim not in (3, 4):
        raise ValueError(f"x must be 3-D or 4-D, got {x.ndim}-D")
    unbatched = x.ndim == 3
    if unbatched:
        x = x[np.newaxis]
    if w.ndim != 4 or w.size == 0:
        raise ValueError(f"weight must be a non-empty 4-D array, got {w.shape}")
    if x.size == 0:
        raise ValueError(f"x must not be empty, got {x.shape}")
    n_batch, channels, height, width = x.shape
    n_filters, c_per_group, kh, kw = w.shape
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"groups must be a positive int, got {groups!r}")
    if channels % groups or n_filters % groups or c_per_group * groups != channels:
        raise ValueError(f"channels {channels}, filters {n_filters}, weight {w.shape} and "
                         f"groups {groups} do not fit")
    b = np.zeros(n_filters) if bias is None else np.asarray(bias, dtype=np.float64)
    if b.shape != (n_filters,):
        raise ValueError(f"bias must have shape ({n_filters},), got {b.shape}")
    sy, sx = _ints(stride, "stride", 1, 2)
    dy, dx = _ints(dilation, "dilation", 1, 2)
    if padding_mode not in PADDING_MODES:
        raise ValueError(f"unknown padding_mode {padding_mode!r}")
    if padding == "valid":
        top = bottom = left = right = 0
    elif padding == "same":
        if (sy, sx) != (1, 1):
            raise ValueError("padding='same' needs stride 1")
        top, bottom = same_padding(kh, dy)
        left, right = same_padding(kw, dx)
    else:
        top, left = _ints(padding, "padding", 0, 2)
        bottom, right = top, left
    h_out = (height + top + bottom - dy * (kh - 1) - 1) // sy + 1
    w_out = (width + left + right - dx * (kw - 1) - 1) // sx + 1
    if h_out < 1 or w_out < 1:
        raise ValueError(f"output would be {h_out}x{w_out}")
    _check_mode_padding(padding_mode, top, bottom, height)
    _check_mode_padding(padding_mode, left, right, width)
    if flip:
        w = w[:, :, ::-1, ::-1]
    rows = [source_index(p - top, height, padding_mode) for p in range(height + top + bottom)]
    cols = [source_index(p - left, width, padding_mode) for p in range(width + left + right)]
    xs, ws, bs = x.tolist(), w.tolist(), b.tolist()
    f_per_group = n_filters // groups
    out = np.zeros((n_batch, n_filters, h_out, w_out))
    for n in range(n_batch):
        for f in range(n_filters):
            group = f // f_per_group
            for oy in range(h_out):
                for ox in range(w_out):
                    acc = 0.0
                    for ci in range(c_per_group):
                        plane = xs[n][group * c_per_group + ci]
                        for ky in range(kh):
                            r = rows[oy * sy + ky * dy]
                            if r is None:
                                continue
                            for kx in range(kw):
                                c = cols[ox * sx + kx * dx]
                                if c is not None:
                                    acc += plane[r][c] * ws[f][ci][ky][kx]
                    out[n, f, oy, ox] = acc + bs[f]
    return out[0] if unbatched else out


def conv1d(x: Any, weight: Any, bias: Any = None, stride: int = 1, padding: Any = 0,
           dilation: int = 1, groups: int = 1, padding_mode: str = "zeros",
           flip: bool = False) -> np.ndarray:
    """``torch.nn.functional.conv1d``: a 2-D convolution over a height-1 image."""
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(weight, dtype=np.float64)
    if x.ndim not in (2, 3) or w.ndim != 3:
        raise ValueError(f"x must be 2-D or 3-D and weight 3-D, got {x.shape}, {w.shape}")
    pad2 = padding if isinstance(padding, str) else (0, _ints(padding, "padding", 0, 1)[0])
    out = conv2d(x[..., np.newaxis, :], w[:, :, np.newaxis, :], bias,
                 (1, _ints(stride, "stride", 1, 1)[0]), pad2,
                 (1, _ints(dilation, "dilation", 1, 1)[0]), groups, padding_mode, flip)
    return out[..., 0, :]


# ---------------------------------------------------------------- pooling


def pool_output_length(n: int, kernel: int, stride: int, padding: int, dilation: int = 1,
                       ceil_mode: bool = False) -> int:
    """The ``MaxPool2d`` docs' formula; in ceil mode the last window must start inside the
    input or the left padding."""
    ratio = Fraction(n + 2 * padding - dilation * (kernel - 1) - 1, stride)
    out = (math.ceil(ratio) if ceil_mode else math.floor(ratio)) + 1
    if ceil_mode and (out - 1) * stride >= n + padding:
        out -= 1
    return out


def _pool_args(x: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
               ceil_mode: bool) -> tuple[Any, ...]:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim not in (3, 4) or x.size == 0:
        raise ValueError(f"x must be a non-empty 3-D or 4-D array, got {x.shape}")
    unbatched = x.ndim == 3
    if unbatched:
        x = x[np.newaxis]
    k = _ints(kernel_size, "kernel_size", 1, 2)
    s = k if stride is None else _ints(stride, "stride", 1, 2)
    p = _ints(padding, "padding", 0, 2)
    d = _ints(dilation, "dilation", 1, 2)
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"padding {p} must be at most half the kernel {k}")
    size = tuple(pool_output_length(x.shape[2 + a], k[a], s[a], p[a], d[a], ceil_mode)
                 for a in (0, 1))
    if min(size) < 1:
        raise ValueError(f"output would be {size}")
    return x, unbatched, k, s, p, d, size


def _extreme_pool(x: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
                  ceil_mode: bool, pick: Any, empty: float) -> np.ndarray:
    x, unbatched, k, s, p, d, (h_out, w_out) = _pool_args(x, kernel_size, stride, padding,
                                                          dilation, ceil_mode)
    n_batch, channels, height, width = x.shape
    out = np.empty((n_batch, channels, h_out, w_out))
    for n in range(n_batch):
        for c in range(channels):
            for oy in range(h_out):
                for ox in range(w_out):
                    values = []
                    for ky in range(k[0]):
                        for kx in range(k[1]):
                            r = oy * s[0] - p[0] + ky * d[0]
                            q = ox * s[1] - p[1] + kx * d[1]
                            if 0 <= r < height and 0 <= q < width:  # padding never wins
                                values.append(float(x[n, c, r, q]))
                    if any(math.isnan(v) for v in values):
                        out[n, c, oy, ox] = math.nan
                    else:
                        out[n, c, oy, ox] = pick(values, default=empty)
    return out[0] if unbatched else out


def max_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False) -> np.ndarray:
    """``torch.nn.functional.max_pool2d``; a NaN in a window wins."""
    return _extreme_pool(x, kernel_size, stride, padding, dilation, ceil_mode, max, -math.inf)


def min_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False) -> np.ndarray:
    """Min pooling: ``-max_pool2d(-x)``, so a NaN in a window wins here too."""
    return _extreme_pool(x, kernel_size, stride, padding, dilation, ceil_mode, min, math.inf)


def avg_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> np.ndarray:
    """``torch.nn.functional.avg_pool2d``.

    The divisor counts the taps that fall in the input, plus (``count_include_pad``) those
    in the padding; taps past the padding (ceil-mode windows) never count.
    """
    x, unbatched, k, s, p, _, (h_out, w_out) = _pool_args(x, kernel_size, stride, padding, 1,
                                                          ceil_mode)
    n_batch, channels, height, width = x.shape
    out = np.empty((n_batch, channels, h_out, w_out))
    for n in range(n_batch):
        for c in range(channels):
            for oy in range(h_out):
                for ox in range(w_out):
                    total, in_input, in_padded = 0.0, 0, 0
                    for ky in range(k[0]):
                        for kx in range(k[1]):
                            r = oy * s[0] - p[0] + ky
                            q = ox * s[1] - p[1] + kx
                            if 0 <= r < height and 0 <= q < width:
                                total += float(x[n, c, r, q])
                                in_input += 1
                            if -p[0] <= r < height + p[0] and -p[1] <= q < width + p[1]:
                                in_padded += 1
                    divisor = in_padded if count_include_pad else in_input
                    out[n, c, oy, ox] = total / divisor if divisor else 0.0
    return out[0] if unbatched else out


def _pool1d(func: Any, x: Any, kernel_size: int, stride: Any, padding: int,
            **kwargs: Any) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim not in (2, 3):
        raise ValueError(f"x must be 2-D or 3-D, got {x.shape}")
    k = _ints(kernel_size, "kernel_size", 1, 1)[0]
    s = None if stride is None else (1, _ints(stride, "stride", 1, 1)[0])
    out = func(x[..., np.newaxis, :], (1, k), s, (0, _ints(padding, "padding", 0, 1)[0]),
               **kwargs)
    return out[..., 0, :]


def max_pool1d(x: Any, kernel_size: int, stride: Any = None, padding: int = 0,
               dilation: int = 1, ceil_mode: bool = False) -> np.ndarray:
    """``torch.nn.functional.max_pool1d``."""
    return _pool1d(max_pool2d, x, kernel_size, stride, padding,
                   dilation=(1, _ints(dilation, "dilation", 1, 1)[0]), ceil_mode=ceil_mode)


def avg_pool1d(x: Any, kernel_size: int, stride: Any = None, padding: int = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> np.ndarray:
    """``torch.nn.functional.avg_pool1d``."""
    return _pool1d(avg_pool2d, x, kernel_size, stride, padding, ceil_mode=ceil_mode,
                   count_include_pad=count_include_pad)


def global_max_pool2d(x: Any) -> np.ndarray:
    """``adaptive_max_pool2d(x, 1)``: the maximum of each map, NaN if it holds one."""
    x = np.asarray(x, dtype=np.float64)
    out = np.empty(x.shape[:-2] + (1, 1))
    for index in np.ndindex(*x.shape[:-2]):
        values = [float(v) for v in x[index].ravel()]
        out[index] = math.nan if any(math.isnan(v) for v in values) else max(values)
    return out


def global_avg_pool2d(x: Any) -> np.ndarray:
    """``adaptive_avg_pool2d(x, 1)``: the mean of each map."""
    x = np.asarray(x, dtype=np.float64)
    out = np.empty(x.shape[:-2] + (1, 1))
    for index in np.ndindex(*x.shape[:-2]):
        values = [float(v) for v in x[index].ravel()]
        out[index] = sum(values) / len(values)
    return out


# ---------------------------------------------------------------- activations


def _elementwise(func: Any, x: Any) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return np.array([func(float(v)) for v in x.ravel()], dtype=np.float64).reshape(x.shape)


def relu(x: Any) -> np.ndarray:
    """``max(x, 0)``; NaN stays NaN."""
    return _elementwise(lambda v: v if math.isnan(v) or v > 0 else 0.0, x)


def leaky_relu(x: Any, negative_slope: float = 0.01) -> np.ndarray:
    """``x`` if positive else ``negative_slope * x``."""
    return _elementwise(lambda v: v if v > 0 else v * negative_slope, x)


def _sigmoid(v: float) -> float:
    if math.isnan(v):
        return v
    if v >= 0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)


def sigmoid(x: Any) -> np.ndarray:
    """``1 / (1 + exp(-x))``."""
    return _elementwise(_sigmoid, x)


def tanh(x: Any) -> np.ndarray:
    """Hyperbolic tangent."""
    return _elementwise(math.tanh, x)


ACTIVATIONS = {
    "none": lambda x, slope: np.asarray(x, dtype=np.float64),
    "relu": lambda x, slope: relu(x),
    "leaky_relu": leaky_relu,
    "sigmoid": lambda x, slope: sigmoid(x),
    "tanh": lambda x, slope: tanh(x),
}


# ---------------------------------------------------------------- comparing


def conv_tolerance(x: Any, weight: Any, bias: Any = None, conv: Any = conv2d,
                   **kwargs: Any) -> np.ndarray:
    """Per-element float32 error budget: ``1e-5 * (sum|x*w| + |b|) + 1e-6``."""
    x = np.abs(np.asarray(x, dtype=np.float64))
    magnitude = conv(np.nan_to_num(x, nan=0.0, posinf=0.0), np.abs(np.asarray(
        weight, dtype=np.float64)), None if bias is None else np.abs(np.asarray(
            bias, dtype=np.float64)), **kwargs)
    return 1e-5 * magnitude + 1e-6


def assert_matches(actual: np.ndarray, expected: np.ndarray, tolerance: Any) -> None:
    """Same shape, NaN and infinities in the same places, finite values within tolerance."""
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected), "NaN positions differ")
    finite = np.isfinite(expected)
    np.testing.assert_array_equal(actual[~finite & ~np.isnan(expected)],
                                  expected[~finite & ~np.isnan(expected)], "infinities differ")
    error = np.zeros(expected.shape)
    error[finite] = np.abs(actual[finite].astype(np.float64) - expected[finite])
    error[np.isnan(error)] = np.inf  # a NaN where a finite value was expected
    limit = np.broadcast_to(tolerance, expected.shape)
    bad = finite & ~(error <= limit)
    assert not bad.any(), (
        f"{bad.sum()} of {bad.size} values off; worst {error[bad].max()} at "
        f"{np.argwhere(bad)[0].tolist()}, limit there {limit[bad][0]}")


# ---------------------------------------------------------------- test inputs

# Every real dtype the core accepts, and the memory layouts a caller may hand it.
DTYPES = (np.uint8, np.int16, np.float16, np.float32, np.float64, np.bool_)
LAYOUTS = ("C", "F", "strided", "reversed")


def random_values(seed: int, shape: tuple[int, ...], dtype: Any = np.float64) -> np.ndarray:
    """Dense random data of ``dtype`` (C order); floats are not float32-representable."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    if dtype == np.uint8:
        return rng.integers(0, 256, shape).astype(dtype)
    if dtype.kind == "i":
        return rng.integers(-1000, 1001, shape).astype(dtype)
    return (rng.standard_normal(shape) * 10).astype(dtype)


def with_layout(a: np.ndarray, layout: str) -> np.ndarray:
    """The same values as ``a`` in another memory layout (a view where possible)."""
    a = np.ascontiguousarray(a)
    if layout == "C":
        return a
    if layout == "F":
        return np.asfortranarray(a)
    if layout == "strided":  # every other element of a wider array
        return np.repeat(a, 2, axis=-1)[..., ::2]
    if layout == "reversed":  # negative stride on the first axis
        return np.ascontiguousarray(a[::-1])[::-1]
    raise ValueError(f"unknown layout {layout!r}")


def assert_float32_c(out: Any, shape: tuple[int, ...]) -> None:
    """What every core function returns: a float32, C-contiguous ndarray of ``shape``."""
    assert isinstance(out, np.ndarray), type(out)
    assert out.dtype == np.float32, out.dtype
    assert out.flags.c_contiguous
    assert out.shape == tuple(shape), (out.shape, shape)


def note(text: str) -> None:
    """``hypothesis.note`` that is also callable from plain (parametrised) tests."""
    if hypothesis.currently_in_test_context():
        hypothesis.note(text)


def event(text: str) -> None:
    """``hypothesis.event`` that is also callable from plain tests."""
    if hypothesis.currently_in_test_context():
        hypothesis.event(text)
