"""Numba kernels for convolution and pooling.

Functions only (no classes) so the module can be reloaded with ``NUMBA_DISABLE_JIT=1``
in tests. Every kernel takes validated float32 C-contiguous arrays and writes into a
preallocated ``out``; the public wrappers in ``conv.py`` and ``pooling.py`` do the checks.

Convolution, measured on 2 cores with ``python -m workbench.bench``: parallel over
output rows, filters varying fastest so an output row's input rows stay in cache for
every filter. Within a row the taps of one channel go in passes of up to 9 (a whole
3x3 kernel) fused into one multiply-add loop along the contiguous row, so the output
row is loaded and stored once per pass. Borders are handled by clipping each tap's
column range rather than padding a copy. The parallel loops index flat arrays with
uint64 offsets instead of taking row views (see ``_accumulate_pass``). A horizontal
stride > 1 first splits the input rows into ``stride`` phases (every stride-th column),
which turns strided loads into contiguous ones. Pooling has a one-pass path for the
common 2x2 window with stride 2 and no padding; it is bound by memory bandwidth.

The sums run tap by tap in (channel, ky, kx) order. The only fast-math flag is
``contract``: a multiply and the add after it become one fused multiply-add (C 2.0 -> 1.75
ms, D 130 -> 112 ms), as oneDNN does for PyTorch; it rounds once instead of twice, well
inside the accuracy contract, and changes neither NaN/Inf propagation nor the order of
the sums. No reassociation, so the bits do not depend on the thread count or on which
path ran.

``conv_act_pool`` runs a layer's conv, ReLU / leaky ReLU and pooling in one parallel
loop with the same per-element arithmetic as the separate kernels (bit-identical maps),
so each conv row is activated and pooled while in cache.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange, uint64

# Fused multiply-add contraction only: no reassociation, and NaN/Inf keep IEEE semantics.
_FMA = {"contract"}
_OPTIONS = {"parallel": True, "cache": True, "nogil": True, "error_model": "numpy",
            "boundscheck": False, "fastmath": _FMA}
_SERIAL = {"cache": True, "nogil": True, "error_model": "numpy", "boundscheck": False,
           "fastmath": _FMA}


@njit(inline="always", **_SERIAL)
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


@njit(**_SERIAL)
def _tap_table(c_per_group, kh, kw, height, sx, px, dy, dx, width, w_out):  # noqa: D103
    # Taps t = (ci, ky, kx) in the order of w.ravel(). Tap t reads flat input element
    # x_base + rel[t] + ox for output column ox in [lo[t], hi[t]), where x_base locates
    # the first row of the group's first channel. A horizontal stride is turned into
    # contiguous reads by the phase split: column ox*sx + off of an input row is element
    # ox + off // sx of its phase row off % sx.
    phase_width = (width + sx - 1) // sx
    row = sx * phase_width
    taps = c_per_group * kh * kw
    rel = np.empty(taps, dtype=np.int64)
    lo = np.empty(taps, dtype=np.int64)
    hi = np.empty(taps, dtype=np.int64)
    t = 0
    for ci in range(c_per_group):
        for ky in range(kh):
            for kx in range(kw):
                off = kx * dx - px
                b = off // sx
                rel[t] = (ci * height + ky * dy) * row + (off - b * sx) * phase_width + b
                lo[t], hi[t] = _x_range(off, sx, width, w_out)
                t += 1
    return rel, lo, hi


@njit(**_SERIAL)
def _pass_size(remaining):  # noqa: D103
    # Up to 9 taps per pass over the output row (a whole 3x3 kernel); split the rest evenly.
    if remaining <= 9:
        return remaining
    if remaining < 18:
        return (remaining + 1) // 2
    return 9


@njit(inline="always", **_SERIAL)
def _accumulate_column(of, o_row, xf, x_base, wf, w_base, rel, lo, hi, t0, nt,
                       ox):  # noqa: D103
    acc = of[uint64(o_row + ox)]
    for t in range(t0, t0 + nt):
        if lo[t] <= ox < hi[t]:
            acc += wf[w_base + t] * xf[uint64(x_base + rel[t] + ox)]
    of[uint64(o_row + ox)] = acc


@njit(**_SERIAL)
def _accumulate_pass(of, o_row, w_out, xf, x_base, wf, w_base, rel, lo, hi, t0,
                     nt):  # noqa: D103
    # of[o_row + ox] += wf[w_base + t] * xf[x_base + rel[t] + ox] for taps t0 .. t0+nt-1,
    # in tap order. Flat arrays and offsets rather than row views: a view made inside the
    # parallel loop costs two atomic reference-count updates on the parent array, which
    # measured as slow as the arithmetic. Indices are uint64 (all >= 0 by construction)
    # so numba emits no negative-index wrap-around and LLVM vectorises the loops.
    lo_g = lo[t0]
    hi_g = hi[t0]
    for t in range(t0 + 1, t0 + nt):
        lo_g = max(lo_g, lo[t])
        hi_g = min(hi_g, hi[t])
    if hi_g <= lo_g:
        # No column sees every tap of the pass (tiny input or huge dilation).
        lo_g = hi_g = 0
    # Border columns, outside the fused interior: each takes the taps that reach it.
    for ox in range(lo_g):
        _accumulate_column(of, o_row, xf, x_base, wf, w_base, rel, lo, hi, t0, nt, ox)
    for ox in range(hi_g, w_out):
        _accumulate_column(of, o_row, xf, x_base, wf, w_base, rel, lo, hi, t0, nt, ox)
    if hi_g <= lo_g:
        return
    count = uint64(hi_g - lo_g)
    d = uint64(o_row + lo_g)
    a0 = uint64(x_base + rel[t0] + lo_g)
    w0 = wf[w_base + t0]
    if nt == 1:
        for i in range(count):
            of[d + i] = of[d + i] + w0 * xf[a0 + i]
    elif nt == 2:
        a1 = uint64(x_base + rel[t0 + 1] + lo_g)
        w1 = wf[w_base + t0 + 1]
        for i in range(count):
            of[d + i] = of[d + i] + w0 * xf[a0 + i] + w1 * xf[a1 + i]
    elif nt == 3:
        a1 = uint64(x_base + rel[t0 + 1] + lo_g)
        a2 = uint64(x_base + rel[t0 + 2] + lo_g)
        w1 = wf[w_base + t0 + 1]
        w2 = wf[w_base + t0 + 2]
        for i in range(count):
            of[d + i] = of[d + i] + w0 * xf[a0 + i] + w1 * xf[a1 + i] + w2 * xf[a2 + i]
    elif nt == 4:
        a1 = uint64(x_base + rel[t0 + 1] + lo_g)
        a2 = uint64(x_base + rel[t0 + 2] + lo_g)
        a3 = uint64(x_base + rel[t0 + 3] + lo_g)
        w1 = wf[w_base + t0 + 1]
        w2 = wf[w_base + t0 + 2]
        w3 = wf[w_base + t0 + 3]
        for i in range(count):
            of[d + i] = (of[d + i] + w0 * xf[a0 + i] + w1 * xf[a1 + i] + w2 * xf[a2 + i]
                         + w3 * xf[a3 + i])
    elif nt == 5:
        a1 = uint64(x_base + rel[t0 + 1] + lo_g)
        a2 = uint64(x_base + rel[t0 + 2] + lo_g)
        a3 = uint64(x_base + rel[t0 + 3] + lo_g)
        a4 = uint64(x_base + rel[t0 + 4] + lo_g)
        w1 = wf[w_base + t0 + 1]
        w2 = wf[w_base + t0 + 2]
        w3 = wf[w_base + t0 + 3]
        w4 = wf[w_base + t0 + 4]
        for i in range(count):
            of[d + i] = (of[d + i] + w0 * xf[a0 + i] + w1 * xf[a1 + i] + w2 * xf[a2 + i]
                         + w3 * xf[a3 + i] + w4 * xf[a4 + i])
    elif nt == 6:
        a1 = uint64(x_base + rel[t0 + 1] + lo_g)
        a2 = uint64(x_base + rel[t0 + 2] + lo_g)
        a3 = uint64(x_base + rel[t0 + 3] + lo_g)
        a4 = uint64(x_base + rel[t0 + 4] + lo_g)
        a5 = uint64(x_base + rel[t0 + 5] + lo_g)
        w1 = wf[w_base + t0 + 1]
        w2 = wf[w_base + t0 + 2]
        w3 = wf[w_base + t0 + 3]
        w4 = wf[w_base + t0 + 4]
        w5 = wf[w_base + t0 + 5]
        for i in range(count):
            of[d + i] = (of[d + i] + w0 * xf[a0 + i] + w1 * xf[a1 + i] + w2 * xf[a2 + i]
                         + w3 * xf[a3 + i] + w4 * xf[a4 + i] + w5 * xf[a5 + i])
    elif nt == 7:
        a1 = uint64(x_base + rel[t0 + 1] + lo_g)
        a2 = uint64(x_base + rel[t0 + 2] + lo_g)
        a3 = uint64(x_base + rel[t0 + 3] + lo_g)
        a4 = uint64(x_base + rel[t0 + 4] + lo_g)
        a5 = uint64(x_base + rel[t0 + 5] + lo_g)
        a6 = uint64(x_base + rel[t0 + 6] + lo_g)
        w1 = wf[w_base + t0 + 1]
        w2 = wf[w_base + t0 + 2]
        w3 = wf[w_base + t0 + 3]
        w4 = wf[w_base + t0 + 4]
        w5 = wf[w_base + t0 + 5]
        w6 = wf[w_base + t0 + 6]
        for i in range(count):
            of[d + i] = (of[d + i] + w0 * xf[a0 + i] + w1 * xf[a1 + i] + w2 * xf[a2 + i]
                         + w3 * xf[a3 + i] + w4 * xf[a4 + i] + w5 * xf[a5 + i] + w6 * xf[a6 + i])
    elif nt == 8:
        a1 = uint64(x_base + rel[t0 + 1] + lo_g)
        a2 = uint64(x_base + rel[t0 + 2] + lo_g)
        a3 = uint64(x_base + rel[t0 + 3] + lo_g)
        a4 = uint64(x_base + rel[t0 + 4] + lo_g)
        a5 = uint64(x_base + rel[t0 + 5] + lo_g)
        a6 = uint64(x_base + rel[t0 + 6] + lo_g)
        a7 = uint64(x_base + rel[t0 + 7] + lo_g)
        w1 = wf[w_base + t0 + 1]
        w2 = wf[w_base + t0 + 2]
        w3 = wf[w_base + t0 + 3]
        w4 = wf[w_base + t0 + 4]
        w5 = wf[w_base + t0 + 5]
        w6 = wf[w_base + t0 + 6]
        w7 = wf[w_base + t0 + 7]
        for i in range(count):
            of[d + i] = (of[d + i] + w0 * xf[a0 + i] + w1 * xf[a1 + i] + w2 * xf[a2 + i]
                         + w3 * xf[a3 + i] + w4 * xf[a4 + i] + w5 * xf[a5 + i] + w6 * xf[a6 + i]
                         + w7 * xf[a7 + i])
    else:
        a1 = uint64(x_base + rel[t0 + 1] + lo_g)
        a2 = uint64(x_base + rel[t0 + 2] + lo_g)
        a3 = uint64(x_base + rel[t0 + 3] + lo_g)
        a4 = uint64(x_base + rel[t0 + 4] + lo_g)
        a5 = uint64(x_base + rel[t0 + 5] + lo_g)
        a6 = uint64(x_base + rel[t0 + 6] + lo_g)
        a7 = uint64(x_base + rel[t0 + 7] + lo_g)
        a8 = uint64(x_base + rel[t0 + 8] + lo_g)
        w1 = wf[w_base + t0 + 1]
        w2 = wf[w_base + t0 + 2]
        w3 = wf[w_base + t0 + 3]
        w4 = wf[w_base + t0 + 4]
        w5 = wf[w_base + t0 + 5]
        w6 = wf[w_base + t0 + 6]
        w7 = wf[w_base + t0 + 7]
        w8 = wf[w_base + t0 + 8]
        for i in range(count):
            of[d + i] = (of[d + i] + w0 * xf[a0 + i] + w1 * xf[a1 + i] + w2 * xf[a2 + i]
                         + w3 * xf[a3 + i] + w4 * xf[a4 + i] + w5 * xf[a5 + i] + w6 * xf[a6 + i]
                         + w7 * xf[a7 + i] + w8 * xf[a8 + i])


@njit(**_OPTIONS)
def _split_phases(x, used_rows, used_phases, sx):  # noqa: D103
    # (N, C, H, W) -> (N, C, H, sx, ceil(W / sx)); only the rows and phases some tap reads
    # are filled (stride 2 with dilation 2 reads one phase of every other row).
    n_batch, channels, height, width = x.shape
    phase_width = (width + sx - 1) // sx
    xs = np.empty((n_batch, channels, height, sx, phase_width), dtype=np.float32)
    xf = x.ravel()
    sf = xs.ravel()
    for task in prange(n_batch * channels * height):
        if not used_rows[task % height]:
            continue
        for p in range(sx):
            if not used_phases[p]:
                continue
            src = uint64(task * width + p)
            dst = uint64((task * sx + p) * phase_width)
            count = uint64((width - p + sx - 1) // sx)
            if sx == 2:
                # A constant stride lets LLVM vectorise the gather with shuffles.
                for j in range(count):
                    sf[dst + j] = xf[src + (j << uint64(1))]
            else:
                step = uint64(sx)
                for j in range(count):
                    sf[dst + j] = xf[src + j * step]
    return xs


@njit(**_SERIAL)
def _conv_setup(x, kh, kw, h_out, w_out, c_per_group, sy, sx, py, px, dy,
                dx):  # noqa: D103
    # The phase-split input (a reshaped view when sx == 1) and the tap table.
    n_batch, channels, height, width = x.shape
    if sx == 1:
        xs = x.reshape((n_batch, channels, height, 1, width))
    else:
        used_rows = np.zeros(height, dtype=np.bool_)
        for oy in range(h_out):
            for ky in range(kh):
                iy = oy * sy - py + ky * dy
                if 0 <= iy < height:
                    used_rows[iy] = True
        used_phases = np.zeros(sx, dtype=np.bool_)
        for kx in range(kw):
            used_phases[(kx * dx - px) % sx] = True
        xs = _split_phases(x, used_rows, used_phases, sx)
    rel, lo, hi = _tap_table(c_per_group, kh, kw, height, sx, px, dy, dx, width, w_out)
    return xs, rel, lo, hi


@njit(inline="always", **_SERIAL)
def _conv_row(of, xf, wf, b, rel, lo, hi, n, oy, f, channels, height, row, n_filters,
              c_per_group, kh, kw, h_out, w_out, sy, py, dy, groups):  # noqa: D103
    # Output row oy of filter f, image n: zeroed, then the taps pass by pass, then the bias.
    iy0 = oy * sy - py
    ky_lo = kh
    ky_hi = 0
    for ky in range(kh):
        if 0 <= iy0 + ky * dy < height:
            ky_lo = min(ky_lo, ky)
            ky_hi = ky + 1
    o_row = ((n * n_filters + f) * h_out + oy) * w_out
    start = uint64(o_row)
    for ox in range(uint64(w_out)):
        of[start + ox] = 0.0
    # May be negative (top padding); every tap actually read adds ky*dy rows back.
    f_per_group = n_filters // groups
    x_base = ((n * channels + (f // f_per_group) * c_per_group) * height + iy0) * row
    taps = c_per_group * kh * kw
    w_base = f * taps
    for ci in range(c_per_group):
        t = (ci * kh + ky_lo) * kw
        t_end = (ci * kh + ky_hi) * kw
        while t < t_end:
            nt = _pass_size(t_end - t)
            _accumulate_pass(of, o_row, w_out, xf, x_base, wf, w_base, rel, lo, hi, t, nt)
            t += nt
    bv = b[f]
    if bv != 0.0:
        for ox in range(uint64(w_out)):
            of[start + ox] += bv


@njit(**_OPTIONS)
def conv2d_zero_padded(x, w, b, out, sy, sx, py, px, dy, dx, groups):  # noqa: D103
    n_batch, channels, height, width = x.shape
    n_filters, c_per_group, kh, kw = w.shape
    h_out, w_out = out.shape[2], out.shape[3]
    xs, rel, lo, hi = _conv_setup(x, kh, kw, h_out, w_out, c_per_group, sy, sx, py, px, dy,
                                  dx)
    row = xs.shape[3] * xs.shape[4]
    of = out.ravel()
    xf = xs.ravel()
    wf = w.ravel()
    # Filters vary fastest so the input rows of one output row stay in cache for all of them.
    for task in prange(n_batch * h_out * n_filters):
        f = task % n_filters
        rest = task // n_filters
        _conv_row(of, xf, wf, b, rel, lo, hi, rest // h_out, rest % h_out, f, channels,
                  height, row, n_filters, c_per_group, kh, kw, h_out, w_out, sy, py, dy,
                  groups)


@njit(**_OPTIONS)
def max_pool2d(x, out, kh, kw, sy, sx, py, px, dy, dx, minimum):  # noqa: D103
    n_batch, channels, height, width = x.shape
    h_out, w_out = out.shape[2], out.shape[3]
    rows = n_batch * channels * h_out
    if (kh == 2 and kw == 2 and sy == 2 and sx == 2 and py == 0 and px == 0 and dy == 1
            and dx == 1 and 2 * h_out <= height and 2 * w_out <= width):
        # The common 2x2/2 window, wholly inside: one pass, the four taps in window order.
        for task in prange(rows):
            oy = task % h_out
            nc = task // h_out
            n = nc // channels
            c = nc - n * channels
            orow = out[n, c, oy]
            r0 = x[n, c, 2 * oy]
            r1 = x[n, c, 2 * oy + 1]
            if minimum:
                for i in range(w_out):
                    m = r0[2 * i]
                    v = r0[2 * i + 1]
                    m = v if (v < m) | (v != v) else m
                    v = r1[2 * i]
                    m = v if (v < m) | (v != v) else m
                    v = r1[2 * i + 1]
                    m = v if (v < m) | (v != v) else m
                    orow[i] = m
            else:
                for i in range(w_out):
                    m = r0[2 * i]
                    v = r0[2 * i + 1]
                    m = v if (v > m) | (v != v) else m
                    v = r1[2 * i]
                    m = v if (v > m) | (v != v) else m
                    v = r1[2 * i + 1]
                    m = v if (v > m) | (v != v) else m
                    orow[i] = m
        return
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
    if (kh == 2 and kw == 2 and sy == 2 and sx == 2 and py == 0 and px == 0
            and 2 * h_out <= height and 2 * w_out <= width):
        for task in prange(rows):
            oy = task % h_out
            nc = task // h_out
            n = nc // channels
            c = nc - n * channels
            orow = out[n, c, oy]
            r0 = x[n, c, 2 * oy]
            r1 = x[n, c, 2 * oy + 1]
            rd = row_div[oy]
            for i in range(w_out):
                # Same order as the general loop below, so both give identical bits.
                s = np.float32(0.0) + r0[2 * i]
                s += r0[2 * i + 1]
                s += r1[2 * i]
                s += r1[2 * i + 1]
                orow[i] = s / (rd * col_div[i])
        return
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


@njit(inline="always", **_SERIAL)
def _activate_row(cf, af, start, count, activation, slope):  # noqa: D103
    # The same expressions as relu and leaky_relu above, so both give identical bits.
    if activation == 1:
        for i in range(count):
            v = cf[start + i]
            af[start + i] = v if not v < 0.0 else np.float32(0.0)
    elif activation == 2:
        for i in range(count):
            v = cf[start + i]
            af[start + i] = v if v > 0.0 else v * slope
    else:
        for i in range(count):
            af[start + i] = cf[start + i]


@njit(inline="always", **_SERIAL)
def _pool_row(af, a_map, height, width, pf, p_row, w_out, oy, pool, kh, kw, sy, sx, py, px,
              dy, dx, row_div, col_div):  # noqa: D103
    # One pooled row from the activated map starting at flat offset a_map. Each output
    # takes its window's taps in (ky, kx) order, as max_pool2d and avg_pool2d do, so the
    # bits are the same as theirs.
    minimum = pool == 2
    if (kh == 2 and kw == 2 and sy == 2 and sx == 2 and py == 0 and px == 0 and dy == 1
            and dx == 1 and 2 * w_out <= width and 2 * oy + 1 < height):
        r0 = uint64(a_map + 2 * oy * width)
        r1 = r0 + uint64(width)
        d = uint64(p_row)
        if pool == 3:
            rd = row_div[oy]
            for i in range(uint64(w_out)):
                s = np.float32(0.0) + af[r0 + 2 * i]
                s += af[r0 + 2 * i + 1]
                s += af[r1 + 2 * i]
                s += af[r1 + 2 * i + 1]
                pf[d + i] = s / (rd * col_div[i])
        elif minimum:
            for i in range(uint64(w_out)):
                m = af[r0 + 2 * i]
                v = af[r0 + 2 * i + 1]
                m = v if (v < m) | (v != v) else m
                v = af[r1 + 2 * i]
                m = v if (v < m) | (v != v) else m
                v = af[r1 + 2 * i + 1]
                m = v if (v < m) | (v != v) else m
                pf[d + i] = m
        else:
            for i in range(uint64(w_out)):
                m = af[r0 + 2 * i]
                v = af[r0 + 2 * i + 1]
                m = v if (v > m) | (v != v) else m
                v = af[r1 + 2 * i]
                m = v if (v > m) | (v != v) else m
                v = af[r1 + 2 * i + 1]
                m = v if (v > m) | (v != v) else m
                pf[d + i] = m
        return
    if pool == 3:
        start = np.float32(0.0)
    elif minimum:
        start = np.float32(np.inf)
    else:
        start = np.float32(-np.inf)
    for ox in range(w_out):
        acc = start
        for ky in range(kh):
            iy = oy * sy - py + ky * dy
            if iy < 0 or iy >= height:
                continue
            base = a_map + iy * width
            for kx in range(kw):
                ix = ox * sx - px + kx * dx
                if ix < 0 or ix >= width:
                    continue
                v = af[uint64(base + ix)]
                if pool == 3:
                    acc += v
                elif minimum:
                    if v < acc or v != v:
                        acc = v
                elif v > acc or v != v:
                    acc = v
        if pool == 3:
            div = row_div[oy] * col_div[ox]
            acc = acc / div if div > 0 else np.float32(0.0)
        pf[uint64(p_row + ox)] = acc


@njit(**_OPTIONS)
def conv_act_pool(x, w, b, conv, act, pooled, sy, sx, py, px, dy, dx, groups, activation,
                  slope, pool, pkh, pkw, psy, psx, ppy, ppx, pdy, pdx, row_div,
                  col_div):  # noqa: D103
    # conv2d_zero_padded, then relu / leaky_relu / copy (activation 1 / 2 / 0), then max /
    # min / avg pooling (pool 1 / 2 / 3; 0: none) in one parallel loop, so each conv row
    # is activated and pooled while it is still in cache. A task is one pooled row of one
    # filter; it computes the conv rows it owns, a run of psy rows that holds every row
    # its windows read (the caller guarantees pdy * (pkh - 1) < psy, so no window reaches
    # into the next task's rows). The first task also owns the rows above its window and
    # the last the rows below, so every conv row is computed exactly once.
    n_batch, channels, height, width = x.shape
    n_filters, c_per_group, kh, kw = w.shape
    h_out, w_out = conv.shape[2], conv.shape[3]
    if pool == 0:
        ph_out, pw_out = h_out, w_out
        psy = 1
        ppy = 0
    else:
        ph_out, pw_out = pooled.shape[2], pooled.shape[3]
    xs, rel, lo, hi = _conv_setup(x, kh, kw, h_out, w_out, c_per_group, sy, sx, py, px, dy,
                                  dx)
    row = xs.shape[3] * xs.shape[4]
    cf = conv.ravel()
    af = act.ravel()
    pf = pooled.ravel()
    xf = xs.ravel()
    wf = w.ravel()
    for task in prange(n_batch * ph_out * n_filters):
        f = task % n_filters
        rest = task // n_filters
        oy_p = rest % ph_out
        n = rest // ph_out
        first = 0 if oy_p == 0 else oy_p * psy - ppy
        last = h_out if oy_p == ph_out - 1 else min((oy_p + 1) * psy - ppy, h_out)
        a_map = (n * n_filters + f) * h_out * w_out
        for oy in range(first, last):
            _conv_row(cf, xf, wf, b, rel, lo, hi, n, oy, f, channels, height, row,
                      n_filters, c_per_group, kh, kw, h_out, w_out, sy, py, dy, groups)
            _activate_row(cf, af, uint64(a_map + oy * w_out), uint64(w_out), activation,
                          slope)
        if pool != 0:
            p_row = ((n * n_filters + f) * ph_out + oy_p) * pw_out
            _pool_row(af, a_map, h_out, w_out, pf, p_row, pw_out, oy_p, pool, pkh, pkw, psy,
                      psx, ppy, ppx, pdy, pdx, row_div, col_div)
