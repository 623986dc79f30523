"""Pooling with the semantics of ``torch.nn.functional`` (max, avg, min, global)."""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.core import _kernels
from workbench.core.arrays import FloatArray, IntPair, as_float32, batched, pair, single
from workbench.core.conv import KERNEL_LOCK
from workbench.core.shapes import pool_output_size


def _pool_geometry(x4: FloatArray | IntPair, kernel_size: Any, stride: Any, padding: Any,
                   dilation: Any, ceil_mode: bool
                   ) -> tuple[IntPair, IntPair, IntPair, IntPair, IntPair]:
    """Check the window against an input ``(N, C, H, W)`` (or its ``(H, W)``); size the output."""
    k = pair(kernel_size, "kernel_size", minimum=1)
    s = k if stride is None else pair(stride, "stride", minimum=1)
    p = pair(padding, "padding", minimum=0)
    d = pair(dilation, "dilation", minimum=1)
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"padding must be at most half the kernel size: kernel_size={k}, "
                         f"padding={p}")
    height, width = x4 if isinstance(x4, tuple) else (x4.shape[2], x4.shape[3])
    h_out = pool_output_size(height, k[0], s[0], p[0], d[0], ceil_mode)
    w_out = pool_output_size(width, k[1], s[1], p[1], d[1], ceil_mode)
    if h_out < 1 or w_out < 1:
        raise ValueError(
            f"pooling output would be {h_out}x{w_out}: the input {height}x{width} is smaller "
            f"than the pooling window {d[0] * (k[0] - 1) + 1}x{d[1] * (k[1] - 1) + 1}")
    # As for conv2d: with one window along an axis its stride is never used, so a huge one
    # (2**63 and more) does not reach the kernels' 64-bit integers.
    s = (1 if h_out == 1 else s[0], 1 if w_out == 1 else s[1])
    return k, s, p, d, (h_out, w_out)


def _extreme_pool(x: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
                  ceil_mode: bool, minimum: bool) -> FloatArray:
    x4, had_batch = batched(as_float32(x, "x"), "x", 2)
    k, s, p, d, (h_out, w_out) = _pool_geometry(x4, kernel_size, stride, padding, dilation,
                                                ceil_mode)
    out = np.empty((x4.shape[0], x4.shape[1], h_out, w_out), dtype=np.float32)
    with KERNEL_LOCK:
        _kernels.max_pool2d(x4, out, k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1], minimum)
    return out if had_batch else out[0]


def max_pool2d(x: Any, kernel_size: Any, *, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False) -> FloatArray:
    """2-D max pooling, as ``torch.nn.functional.max_pool2d``.

    Parameters
    ----------
    x : array_like
        ``(C, H, W)`` or ``(N, C, H, W)``.
    kernel_size : int or pair of int
        Window size.
    stride : int or pair of int, optional
        Step between windows; defaults to ``kernel_size``.
    padding : int or pair of int, optional
        Implicit -inf padding, at most half the window.
    dilation : int or pair of int, optional
        Spacing between window taps.
    ceil_mode : bool, optional
        Round the output size up (PyTorch's rule).

    Returns
    -------
    numpy.ndarray
        float32, same leading axes as ``x``. A NaN in a window gives NaN.

    Raises
    ------
    ValueError
        On arguments PyTorch rejects.

    Examples
    --------
    >>> max_pool2d([[[1, 2], [3, 4]]], 2)
    array([[[4.]]], dtype=float32)
    """
    return _extreme_pool(x, kernel_size, stride, padding, dilation, ceil_mode, False)


def min_pool2d(x: Any, kernel_size: Any, *, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False) -> FloatArray:
    """2-D min pooling: :func:`max_pool2d`'s twin for minima (padding counts as +inf).

    Parameters
    ----------
    x : array_like
        ``(C, H, W)`` or ``(N, C, H, W)``.
    kernel_size : int or pair of int
        Window size.
    stride : int or pair of int, optional
        Step between windows; defaults to ``kernel_size``.
    padding : int or pair of int, optional
        Implicit +inf padding, at most half the window.
    dilation : int or pair of int, optional
        Spacing between window taps.
    ceil_mode : bool, optional
        Round the output size up.

    Returns
    -------
    numpy.ndarray
        float32 minima; a NaN in a window gives NaN.

    Raises
    ------
    ValueError
        On invalid arguments, as :func:`max_pool2d`.

    Examples
    --------
    >>> min_pool2d([[[1, 2], [3, 4]]], 2)
    array([[[1.]]], dtype=float32)
    """
    return _extreme_pool(x, kernel_size, stride, padding, dilation, ceil_mode, True)


def avg_pool2d(x: Any, kernel_size: Any, *, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> FloatArray:
    """2-D average pooling, as ``torch.nn.functional.avg_pool2d``.

    Parameters
    ----------
    x : array_like
        ``(C, H, W)`` or ``(N, C, H, W)``.
    kernel_size : int or pair of int
        Window size.
    stride : int or pair of int, optional
        Step between windows; defaults to ``kernel_size``.
    padding : int or pair of int, optional
        Implicit zero padding, at most half the window.
    ceil_mode : bool, optional
        Round the output size up; windows hanging past the padding are shortened.
    count_include_pad : bool, optional
        Whether padding zeros count in the divisor.

    Returns
    -------
    numpy.ndarray
        float32 averages.

    Raises
    ------
    ValueError
        On arguments PyTorch rejects.

    Examples
    --------
    >>> avg_pool2d([[[1, 2], [3, 4]]], 2)
    array([[[2.5]]], dtype=float32)
    """
    x4, had_batch = batched(as_float32(x, "x"), "x", 2)
    k, s, p, _, (h_out, w_out) = _pool_geometry(x4, kernel_size, stride, padding, 1, ceil_mode)
    row_div = _divisors(x4.shape[2], h_out, k[0], s[0], p[0], count_include_pad)
    col_div = _divisors(x4.shape[3], w_out, k[1], s[1], p[1], count_include_pad)
    out = np.empty((x4.shape[0], x4.shape[1], h_out, w_out), dtype=np.float32)
    with KERNEL_LOCK:
        _kernels.avg_pool2d(x4, out, k[0], k[1], s[0], s[1], p[0], p[1], row_div, col_div)
    return out if had_batch else out[0]


def _divisors(n: int, n_out: int, kernel: int, stride: int, padding: int,
              count_include_pad: bool) -> FloatArray:
    """Per-axis window lengths; the divisor at (oy, ox) is their product (PyTorch's rule)."""
    start = np.arange(n_out, dtype=np.int64) * stride - padding
    end = np.minimum(start + kernel, n + padding)
    if count_include_pad:
        length = end - start
    else:
        length = np.minimum(end, n) - np.maximum(start, 0)
    return np.maximum(length, 0).astype(np.float32)


def global_max_pool2d(x: Any) -> FloatArray:
    """Maximum over each whole map, shape ``(..., C, 1, 1)`` like ``adaptive_max_pool2d(x, 1)``.

    Parameters
    ----------
    x : array_like
        ``(C, H, W)`` or ``(N, C, H, W)``.

    Returns
    -------
    numpy.ndarray
        float32 ``(C, 1, 1)`` or ``(N, C, 1, 1)``; NaN if the map holds a NaN.

    Raises
    ------
    ValueError
        On a wrong shape, empty or non-numeric input.

    Examples
    --------
    >>> global_max_pool2d([[[1, 5], [3, 4]]]).ravel()
    array([5.], dtype=float32)
    """
    x4, had_batch = batched(as_float32(x, "x"), "x", 2)
    out: FloatArray = x4.max(axis=(2, 3), keepdims=True)
    return out if had_batch else out[0]


def global_avg_pool2d(x: Any) -> FloatArray:
    """Mean over each whole map, shape ``(..., C, 1, 1)`` like ``adaptive_avg_pool2d(x, 1)``.

    Parameters
    ----------
    x : array_like
        ``(C, H, W)`` or ``(N, C, H, W)``.

    Returns
    -------
    numpy.ndarray
        float32 ``(C, 1, 1)`` or ``(N, C, 1, 1)``.

    Raises
    ------
    ValueError
        On a wrong shape, empty or non-numeric input.

    Examples
    --------
    >>> global_avg_pool2d([[[1, 2], [3, 4]]]).ravel()
    array([2.5], dtype=float32)
    """
    x4, had_batch = batched(as_float32(x, "x"), "x", 2)
    out: FloatArray = x4.mean(axis=(2, 3), keepdims=True, dtype=np.float64).astype(np.float32)
    return out if had_batch else out[0]


def max_pool1d(x: Any, kernel_size: Any, *, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False) -> FloatArray:
    """1-D max pooling, as ``torch.nn.functional.max_pool1d``.

    Parameters
    ----------
    x : array_like
        ``(C, L)`` or ``(N, C, L)``.
    kernel_size : int
        Window length.
    stride : int, optional
        Step between windows; defaults to ``kernel_size``.
    padding : int, optional
        Implicit -inf padding, at most half the window.
    dilation : int, optional
        Spacing between window taps.
    ceil_mode : bool, optional
        Round the output length up.

    Returns
    -------
    numpy.ndarray
        float32 ``(C, L_out)`` or ``(N, C, L_out)``.

    Raises
    ------
    ValueError
        On arguments PyTorch rejects.

    Examples
    --------
    >>> max_pool1d([[1, 3, 2, 5]], 2)
    array([[3., 5.]], dtype=float32)
    """
    x3, had_batch = batched(as_float32(x, "x"), "x", 1)
    out = max_pool2d(x3[:, :, np.newaxis, :], (1, single(kernel_size, "kernel_size", minimum=1)),
                     stride=None if stride is None else (1, single(stride, "stride", minimum=1)),
                     padding=(0, single(padding, "padding", minimum=0)),
                     dilation=(1, single(dilation, "dilation", minimum=1)), ceil_mode=ceil_mode)
    out = out[:, :, 0, :]
    return out if had_batch else out[0]


def avg_pool1d(x: Any, kernel_size: Any, *, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> FloatArray:
    """1-D average pooling, as ``torch.nn.functional.avg_pool1d``.

    Parameters
    ----------
    x : array_like
        ``(C, L)`` or ``(N, C, L)``.
    kernel_size : int
        Window length.
    stride : int, optional
        Step between windows; defaults to ``kernel_size``.
    padding : int, optional
        Implicit zero padding, at most half the window.
    ceil_mode : bool, optional
        Round the output length up.
    count_include_pad : bool, optional
        Whether padding zeros count in the divisor.

    Returns
    -------
    numpy.ndarray
        float32 ``(C, L_out)`` or ``(N, C, L_out)``.

    Raises
    ------
    ValueError
        On arguments PyTorch rejects.

    Examples
    --------
    >>> avg_pool1d([[1, 3, 2, 6]], 2)
    array([[2., 4.]], dtype=float32)
    """
    x3, had_batch = batched(as_float32(x, "x"), "x", 1)
    out = avg_pool2d(x3[:, :, np.newaxis, :], (1, single(kernel_size, "kernel_size", minimum=1)),
                     stride=None if stride is None else (1, single(stride, "stride", minimum=1)),
                     padding=(0, single(padding, "padding", minimum=0)), ceil_mode=ceil_mode,
                     count_include_pad=count_include_pad)
    out = out[:, :, 0, :]
    return out if had_batch else out[0]
