"""Numba kernels of the backward pass (see :mod:`workbench.core.backward`).

Each kernel writes into an output array its caller allocated and zeroed where it
accumulates. Parallel loops run over independent outputs (filter taps for the weight
gradient, (image, channel) planes for the input and pooling gradients), so no two
threads ever add into the same element. Sums may be reassociated (vectorised): a
gradient's order of addition is not the forward's, and torch's is not either; the
results agree with ``torch.autograd`` to float32 rounding.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

_REDUCE = {"contract", "reassoc"}
_OPTIONS = {"parallel": True, "cache": True, "nogil": True, "error_model": "numpy",
            "boundscheck": False, "fastmath": _REDUCE}
_COPY = {"parallel": True, "cache": True, "nogil": True, "error_model": "numpy",
         "boundscheck": False}
_SERIAL = {"cache": True, "nogil": True, "error_model": "numpy", "boundscheck": False}


@njit(inline="always", **_SERIAL)
def _valid(off, stride, size_in, size_out):  # noqa: D103
    # Outputs [lo, hi) whose input index o*stride + off lies in [0, size_in).
    if off >= 0:
        lo = 0
    else:
        lo = (-off + stride - 1) // stride
    last = size_in - 1 - off
    if last < 0:
        return 0, 0
    hi = last // stride + 1
    if hi > size_out:
        hi = size_out
    if lo > hi:
        lo = hi
    return lo, hi


@njit(**_OPTIONS)
def conv_grad_weight(x, g, gw, sy, sx, top, left, dy, dx, groups):  # noqa: D103
    n_batch, channels, height, width = x.shape
    n_filters, c_per_group, kh, kw = gw.shape
    h_out, w_out = g.shape[2], g.shape[3]
    per_group = n_filters // groups
    taps = n_filters * c_per_group * kh * kw
    for task in prange(taps):
        f = task // (c_per_group * kh * kw)
        rest = task - f * c_per_group * kh * kw
        c = rest // (kh * kw)
        rest -= c * kh * kw
        i = rest // kw
        j = rest - i * kw
        cin = (f // per_group) * c_per_group + c
        off = j * dx - left
        lo, hi = _valid(off, sx, width, w_out)
        ylo, yhi = _valid(i * dy - top, sy, height, h_out)
        total = 0.0
        for n in range(n_batch):
            for oy in range(ylo, yhi):
                grow = g[n, f, oy]
                xrow = x[n, cin, oy * sy - top + i * dy]
                s = np.float32(0.0)
                for ox in range(lo, hi):
                    s += grow[ox] * xrow[ox * sx + off]
                total += s
        gw[f, c, i, j] = total


@njit(**_OPTIONS)
def conv_grad_input(g, w, gx, sy, sx, top, left, dy, dx, groups):  # noqa: D103
    n_batch, channels, height, width = gx.shape
    n_filters, c_per_group, kh, kw = w.shape
    h_out, w_out = g.shape[2], g.shape[3]
    per_group = n_filters // groups
    for task in prange(n_batch * channels):
        n = task // channels
        cin = task - n * channels
        grp = cin // c_per_group
        c = cin - grp * c_per_group
        plane = gx[n, cin]
        for f in range(grp * per_group, (grp + 1) * per_group):
            for i in range(kh):
                ylo, yhi = _valid(i * dy - top, sy, height, h_out)
                for j in range(kw):
                    wv = w[f, c, i, j]
                    off = j * dx - left
                    lo, hi = _valid(off, sx, width, w_out)
                    for oy in range(ylo, yhi):
                        grow = g[n, f, oy]
                        xrow = plane[oy * sy - top + i * dy]
                        for ox in range(lo, hi):
                            xrow[ox * sx + off] += grow[ox] * wv


@njit(**_OPTIONS)
def extreme_pool_backward(x, g, gx, kh, kw, sy, sx, py, px, dy, dx, minimum):  # noqa: D103
    # The gradient of each window goes to the element its forward value came from: the
    # first extreme in window order, or the last NaN (torch's CPU rule: NaN wins).
    n_batch, channels, height, width = x.shape
    h_out, w_out = g.shape[2], g.shape[3]
    for task in prange(n_batch * channels):
        n = task // channels
        c = task - n * channels
        plane = x[n, c]
        gplane = gx[n, c]
        for oy in range(h_out):
            for ox in range(w_out):
                by = -1
                bx = -1
                best = np.float32(0.0)
                for i in range(kh):
                    iy = oy * sy - py + i * dy
                    if iy < 0 or iy >= height:
                        continue
                    for j in range(kw):
                        ix = ox * sx - px + j * dx
                        if ix < 0 or ix >= width:
                            continue
                        v = plane[iy, ix]
                        if by < 0:
                            by, bx, best = iy, ix, v
                        elif v != v:
                            by, bx, best = iy, ix, v
                        elif best == best and ((v < best) if minimum else (v > best)):
                            by, bx, best = iy, ix, v
                if by >= 0:
                    gplane[by, bx] += g[n, c, oy, ox]


@njit(**_OPTIONS)
def avg_pool_backward(g, gx, kh, kw, sy, sx, py, px, row_div, col_div):  # noqa: D103
    n_batch, channels, height, width = gx.shape
    h_out, w_out = g.shape[2], g.shape[3]
    for task in prange(n_batch * channels):
        n = task // channels
        c = task - n * channels
        gplane = gx[n, c]
        for oy in range(h_out):
            for ox in range(w_out):
                v = g[n, c, oy, ox] / (row_div[oy] * col_div[ox])
                for i in range(kh):
                    iy = oy * sy - py + i
                    if iy < 0 or iy >= height:
                        continue
                    for j in range(kw):
                        ix = ox * sx - px + j
                        if 0 <= ix < width:
                            gplane[iy, ix] += v


@njit(**_COPY)
def im2col(xp, cols, kh, kw, sy, sx, dy, dx):  # noqa: D103
    n_batch, channels = xp.shape[0], xp.shape[1]
    h_out, w_out = cols.shape[1], cols.shape[2]
    for task in prange(n_batch * h_out):
        n = task // h_out
        oy = task - n * h_out
        for ox in range(w_out):
            row = cols[n, oy, ox]
            t = 0
            for c in range(channels):
                for i in range(kh):
                    src = xp[n, c, oy * sy + i * dy]
                    for j in range(kw):
                        row[t] = src[ox * sx + j * dx]
                        t += 1


@njit(**_COPY)
def col2im(gcols, gxp, kh, kw, sy, sx, dy, dx):  # noqa: D103
    n_batch, channels = gxp.shape[0], gxp.shape[1]
    h_out, w_out = gcols.shape[1], gcols.shape[2]
    for n in prange(n_batch):
        for oy in range(h_out):
            for ox in range(w_out):
                row = gcols[n, oy, ox]
                t = 0
                for c in range(channels):
                    for i in range(kh):
                        dst = gxp[n, c, oy * sy + i * dy]
                        for j in range(kw):
                            dst[ox * sx + j * dx] += row[t]
                            t += 1
