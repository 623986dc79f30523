"""Numba kernels for convolution and pooling.

Functions only (no classes) so the module can be reloaded with ``NUMBA_DISABLE_JIT=1``
in tests. Every kernel takes validated float32 C-contiguous arrays and writes into a
preallocated ``out``; the public wrappers in ``conv.py`` and ``pooling.py`` do the checks.

Loop order, measured on 2 cores: parallel over output rows, then for each kernel tap
a multiply-add along the contiguous row. Borders are handled by clipping the x range
rather than padding a copy, and the inner loops index views from 0 so LLVM can prove
the indices non-negative and vectorise them.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

_OPTIONS = {"parallel": True, "cache": True, "nogil": True}


@njit(cache=True, nogil=True, inline="always")
def _x_range(off: int, stride: int, width_in: int, width_out: int) -> tuple[int, int]:
    """Output columns ``[lo, hi)`` whose input column ``ox*stride + off`` is inside."""
    if off >= 0:
        lo = 0
    else:
        lo = (-off + stride - 1) // stride
    last = width_in - 1 - off
    if last < 0:
        return 0, 0
    hi = last // stride + 1
    if hi > width_out:
        hi = width_out
    if lo > hi:
        lo = hi
    return lo, hi


@njit(**_OPTIONS)
def conv2d_zero_padded(x, w, b, out, sy, sx, py, px, dy, dx, groups):  # noqa: D103
    n_batch, _, height, width = x.shape
    n_filters, c_per_group, kh, kw = w.shape
    h_out, w_out = out.shape[2], out.shape[3]
    f_per_group = n_filters // groups
    rows = n_batch * n_filters * h_out
    for task in prange(rows):
        n = task // (n_filters * h_out)
        rest = task - n * n_filters * h_out
        f = rest // h_out
        oy = rest - f * h_out
        g = f // f_per_group
        orow = out[n, f, oy]
        for ox in range(w_out):
            orow[ox] = 0.0
        for ci in range(c_per_group):
            c = g * c_per_group + ci
            for ky in range(kh):
                iy = oy * sy - py + ky * dy
                if iy < 0 or iy >= height:
                    continue
                irow = x[n, c, iy]
                for kx in range(kw):
                    wv = w[f, ci, ky, kx]
                    off = kx * dx - px
                    lo, hi = _x_range(off, sx, width, w_out)
                    count = hi - lo
                    if count <= 0:
                        continue
                    dst = orow[lo:hi]
                    src = irow[lo * sx + off:]
                    if sx == 1:
                        for i in range(count):
                            dst[i] += wv * src[i]
                    else:
                        for i in range(count):
                            dst[i] += wv * src[i * sx]
        bv = b[f]
        if bv != 0.0:
            for ox in range(w_out):
                orow[ox] += bv


@njit(**_OPTIONS)
def max_pool2d(x, out, kh, kw, sy, sx, py, px, dy, dx, minimum):  # noqa: D103
    n_batch, channels, height, width = x.shape
    h_out, w_out = out.shape[2], out.shape[3]
    rows = n_batch * channels * h_out
    start = np.float32(np.inf) if minimum else np.float32(-np.inf)
    for task in prange(rows):
        n = task // (channels * h_out)
        rest = task - n * channels * h_out
        c = rest // h_out
        oy = rest - c * h_out
        orow = out[n, c, oy]
        for ox in range(w_out):
            orow[ox] = start
        for ky in range(kh):
            iy = oy * sy - py + ky * dy
            if iy < 0 or iy >= height:
                continue
            irow = x[n, c, iy]
            for kx in range(kw):
                off = kx * dx - px
                lo, hi = _x_range(off, sx, width, w_out)
                count = hi - lo
                if count <= 0:
                    continue
                dst = orow[lo:hi]
                src = irow[lo * sx + off:]
                # NaN wins, as in PyTorch: once a NaN is stored no comparison replaces it.
                if minimum:
                    for i in range(count):
                        v = src[i * sx]
                        if v < dst[i] or v != v:
                            dst[i] = v
                else:
                    for i in range(count):
                        v = src[i * sx]
                        if v > dst[i] or v != v:
                            dst[i] = v


@njit(**_OPTIONS)
def avg_pool2d(x, out, kh, kw, sy, sx, py, px, row_div, col_div):  # noqa: D103
    n_batch, channels, height, width = x.shape
    h_out, w_out = out.shape[2], out.shape[3]
    rows = n_batch * channels * h_out
    for task in prange(rows):
        n = task // (channels * h_out)
        rest = task - n * channels * h_out
        c = rest // h_out
        oy = rest - c * h_out
        orow = out[n, c, oy]
        for ox in range(w_out):
            orow[ox] = 0.0
        for ky in range(kh):
            iy = oy * sy - py + ky
            if iy < 0 or iy >= height:
                continue
            irow = x[n, c, iy]
            for kx in range(kw):
                off = kx - px
                lo, hi = _x_range(off, sx, width, w_out)
                count = hi - lo
                if count <= 0:
                    continue
                dst = orow[lo:hi]
                src = irow[lo * sx + off:]
                for i in range(count):
                    dst[i] += src[i * sx]
        rd = row_div[oy]
        for ox in range(w_out):
            d = rd * col_div[ox]
            orow[ox] = orow[ox] / d if d > 0 else np.float32(0.0)


@njit(**_OPTIONS)
def relu(x, out):  # noqa: D103
    flat_in = x.ravel()
    flat_out = out.ravel()
    for i in prange(flat_in.size):
        v = flat_in[i]
        flat_out[i] = v if not v < 0.0 else np.float32(0.0)


@njit(**_OPTIONS)
def leaky_relu(x, out, slope):  # noqa: D103
    flat_in = x.ravel()
    flat_out = out.ravel()
    for i in prange(flat_in.size):
        v = flat_in[i]
        flat_out[i] = v if v > 0.0 else v * slope
