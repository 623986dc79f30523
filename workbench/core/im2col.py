"""Convolution as a matrix product over unrolled patches (im2col), for training.

On the small images and mini-batches of training (a batch of 32 digits of 16x16) the
direct kernels of :mod:`workbench.core.conv` spend their time on loop overhead; unrolling
every receptive field into a row once and multiplying by the weight matrix (BLAS) does
the forward pass, the weight gradient and the input gradient in three products, and
the rows are reused between the forward and the backward pass. Values agree with the
direct kernels to float32 rounding (the order of the sums differs), so this path serves
:class:`~workbench.core.train.Trainer`, never the maps the window shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from workbench.core import _backward_kernels as _bk
from workbench.core.arrays import FloatArray, as_float32, batched
from workbench.core.backward import _fold_padding
from workbench.core.conv import _NUMPY_PAD_MODE, KERNEL_LOCK, plan_conv2d, resolve_padding


@dataclass(frozen=True)
class Unrolled:
    """What the backward pass needs from the forward: the patch rows and the geometry."""

    cols: FloatArray
    weight: FloatArray
    x_shape: tuple[int, ...]
    padded_shape: tuple[int, ...]
    pads: tuple[int, int, int, int]
    padding_mode: str
    flip: bool
    geometry: tuple[int, int, int, int, int, int]


def can_unroll(groups: int, x_shape: tuple[int, ...], weight_shape: tuple[int, ...],
               out_size: tuple[int, int], limit_bytes: int = 256 << 20) -> bool:
    """Whether the im2col path applies: one group, small maps, rows within ``limit_bytes``.

    Maps wider than 64 columns keep the direct kernels, which are faster there.

    Parameters
    ----------
    groups : int
        Conv groups (grouped convolutions use the direct kernels).
    x_shape : tuple of int
        ``(N, C, H, W)``.
    weight_shape : tuple of int
        ``(F, C, kH, kW)``.
    out_size : tuple of int
        ``(H_out, W_out)``.
    limit_bytes : int, optional
        Largest patch matrix allowed.

    Returns
    -------
    bool
        True if :func:`unrolled_conv2d` should be used.
    """
    rows = x_shape[0] * out_size[0] * out_size[1]
    width = weight_shape[1] * weight_shape[2] * weight_shape[3]
    return groups == 1 and out_size[1] <= 64 and rows * width * 4 <= limit_bytes


def unrolled_conv2d(x: Any, weight: Any, bias: Any, *, stride: Any = 1, padding: Any = 0,
                    dilation: Any = 1, groups: int = 1, padding_mode: str = "zeros",
                    flip: bool = False) -> tuple[FloatArray, Unrolled]:
    """Forward convolution of a batch by im2col + matrix product (``groups`` must be 1).

    Parameters
    ----------
    x : array_like
        ``(N, C, H, W)``.
    weight, bias, stride, padding, dilation, groups, padding_mode, flip
        As for :func:`~workbench.core.conv.conv2d`.

    Returns
    -------
    out : numpy.ndarray
        float32 ``(N, F, H_out, W_out)``.
    ctx : Unrolled
        For :func:`unrolled_conv2d_backward`.
    """
    plan = plan_conv2d(x, weight, bias, stride=stride, padding=padding, dilation=dilation,
                       groups=groups, padding_mode=padding_mode, flip=flip)
    if plan.kernel_args[6] != 1:
        raise ValueError("the im2col path takes groups=1 only")
    x4, _ = batched(as_float32(x, "x"), "x", 2)
    f, c, kh, kw = plan.weight.shape
    sy, sx, _, _, dy, dx, _ = plan.kernel_args
    pads = resolve_padding(padding, (kh, kw), (sy, sx), (dy, dx))
    spec = ((0, 0), (0, 0), (pads[0], pads[1]), (pads[2], pads[3]))
    if any(pads):
        mode = _NUMPY_PAD_MODE.get(padding_mode, "constant")
        xp = np.ascontiguousarray(np.pad(x4, spec, mode=mode))  # type: ignore[call-overload]
    else:
        xp = np.ascontiguousarray(x4)
    h_out, w_out = plan.out_size
    cols = np.empty((x4.shape[0], h_out, w_out, c * kh * kw), np.float32)
    with KERNEL_LOCK:
        _bk.im2col(xp, cols, kh, kw, sy, sx, dy, dx)
    wm = plan.weight.reshape(f, -1)
    out = cols.reshape(-1, c * kh * kw) @ wm.T
    out += plan.bias
    maps = np.ascontiguousarray(out.reshape(x4.shape[0], h_out, w_out, f).transpose(0, 3, 1, 2))
    ctx = Unrolled(cols, plan.weight, x4.shape, xp.shape, pads, padding_mode, flip,
                   (kh, kw, sy, sx, dy, dx))
    return maps, ctx


def unrolled_conv2d_backward(grad_out: Any, ctx: Unrolled, *, need_input: bool = True
                             ) -> tuple[FloatArray | None, FloatArray, FloatArray]:
    """Gradients of :func:`unrolled_conv2d` with respect to input, weight and bias.

    Parameters
    ----------
    grad_out : array_like
        ``(N, F, H_out, W_out)``.
    ctx : Unrolled
        From the forward pass.
    need_input : bool, optional
        Compute the input gradient.

    Returns
    -------
    tuple
        ``(grad_x or None, grad_weight, grad_bias)``.
    """
    g = as_float32(grad_out, "grad_out")
    n, h_out, w_out, width = ctx.cols.shape
    f = ctx.weight.shape[0]
    if g.shape != (n, f, h_out, w_out):
        raise ValueError(f"grad_out must have the shape of the convolution output "
                         f"{(n, f, h_out, w_out)}, got {g.shape}")
    gm = np.ascontiguousarray(g.transpose(0, 2, 3, 1)).reshape(-1, f)
    cols = ctx.cols.reshape(-1, width)
    grad_w = np.ascontiguousarray((gm.T @ cols).reshape(ctx.weight.shape), dtype=np.float32)
    grad_b = gm.sum(axis=0, dtype=np.float64).astype(np.float32)
    if ctx.flip:
        grad_w = np.ascontiguousarray(grad_w[:, :, ::-1, ::-1])
    if not need_input:
        return None, grad_w, grad_b
    gcols = np.ascontiguousarray((gm @ ctx.weight.reshape(f, -1)).reshape(ctx.cols.shape),
                                 dtype=np.float32)
    gxp = np.zeros(ctx.padded_shape, np.float32)
    kh, kw, sy, sx, dy, dx = ctx.geometry
    with KERNEL_LOCK:
        _bk.col2im(gcols, gxp, kh, kw, sy, sx, dy, dx)
    top, bottom, left, right = ctx.pads
    height, width_in = ctx.x_shape[2], ctx.x_shape[3]
    if ctx.padding_mode != "zeros" and any(ctx.pads):
        return _fold_padding(gxp, ctx.pads, ctx.padding_mode, height, width_in), grad_w, grad_b
    grad_x = np.ascontiguousarray(gxp[:, :, top:top + height, left:left + width_in])
    return grad_x, grad_w, grad_b
