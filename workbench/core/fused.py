"""Convolution, activation and pooling of one layer in a single parallel pass.

The separate stages stream the whole conv output through memory three times (write,
read for the activation, read again for the pooling); fused, each conv row is activated
and pooled while it is still in cache. The arithmetic is the same, operation for
operation, so the conv, activated and pooled maps are bit-identical to
:func:`~workbench.core.conv.conv2d`, :func:`~workbench.core.activations.activate` and the
pooling functions run one after the other.
"""

from __future__ import annotations

import numpy as np

from workbench.core import _kernels
from workbench.core.arrays import FloatArray, IntPair
from workbench.core.buffers import Lease
from workbench.core.conv import KERNEL_LOCK, ConvPlan
from workbench.core.pooling import _divisors, _pool_geometry

# Kernel codes; sigmoid and tanh use numpy's exp and tanh, which numba does not reproduce
# bit for bit, so they are not fused.
_ACTIVATION_CODES = {"none": 0, "relu": 1, "leaky_relu": 2}
_POOL_CODES = {"none": 0, "max": 1, "min": 2, "avg": 3}
_NO_DIVISORS = np.zeros(0, dtype=np.float32)


def can_fuse(activation: str, pool_kind: str, pool_size: IntPair,
             pool_stride: IntPair | None) -> bool:
    """Whether :func:`conv_activate_pool` handles this activation and pooling.

    Parameters
    ----------
    activation : str
        Activation name; ``"none"``, ``"relu"`` and ``"leaky_relu"`` fuse.
    pool_kind : str
        ``"none"``, ``"max"``, ``"min"`` or ``"avg"`` fuse (global pooling does not).
    pool_size : tuple of int
        Window ``(kH, kW)``.
    pool_stride : tuple of int or None
        Step between windows; None means the window size.

    Returns
    -------
    bool
        True when the windows do not overlap vertically (each conv row feeds at most one
        pooled row, so rows can be handed out to threads without sharing).

    Examples
    --------
    >>> can_fuse("relu", "max", (2, 2), None), can_fuse("relu", "max", (3, 3), (2, 2))
    (True, False)
    """
    if activation not in _ACTIVATION_CODES or pool_kind not in _POOL_CODES:
        return False
    if pool_kind == "none":
        return True
    stride = pool_size if pool_stride is None else pool_stride
    return stride[0] >= pool_size[0]


def conv_activate_pool(plan: ConvPlan, activation: str, negative_slope: float,
                       pool_kind: str, pool_size: IntPair, pool_stride: IntPair | None,
                       pool_padding: IntPair, ceil_mode: bool, *, buffers: Lease | None = None
                       ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Run a planned convolution, its activation and its pooling in one pass.

    Parameters
    ----------
    plan : ConvPlan
        From :func:`~workbench.core.conv.plan_conv2d` (which validated the convolution).
    activation : {"none", "relu", "leaky_relu"}
        Activation; ``"none"`` gives a copy of the conv maps.
    negative_slope : float
        Used by ``"leaky_relu"``.
    pool_kind : {"none", "max", "min", "avg"}
        Pooling; avg counts padding in the divisor, as ``avg_pool2d``'s default.
    pool_size, pool_stride, pool_padding, ceil_mode
        As for :func:`~workbench.core.pooling.max_pool2d` (``pool_stride`` None means
        the window size).
    buffers : Lease, optional
        Where the output arrays come from (see :mod:`workbench.core.buffers`); by
        default they are new arrays.

    Returns
    -------
    conv, activated, pooled : numpy.ndarray
        float32 ``(N, F, H, W)`` maps, or ``(F, H, W)`` when the plan's input had no batch
        axis; ``pooled`` is ``activated`` itself when ``pool_kind`` is ``"none"``.

    Raises
    ------
    ValueError
        If :func:`can_fuse` is False for these arguments, or the pooling is invalid for
        the conv output (with the pooling functions' messages).
    """
    if not can_fuse(activation, pool_kind, pool_size, pool_stride):
        raise ValueError(f"cannot fuse activation {activation!r} with {pool_kind!r} pooling "
                         f"of size {pool_size} and stride {pool_stride}")
    conv_shape = (plan.x.shape[0], plan.weight.shape[0]) + plan.out_size
    k = s = p = (1, 1)
    row_div = col_div = _NO_DIVISORS
    pooled_shape = conv_shape
    if pool_kind != "none":
        k, s, p, _, out_size = _pool_geometry(plan.out_size, pool_size, pool_stride,
                                              pool_padding, 1, ceil_mode)
        pooled_shape = conv_shape[:2] + out_size
        if pool_kind == "avg":
            row_div = _divisors(conv_shape[2], out_size[0], k[0], s[0], p[0], True)
            col_div = _divisors(conv_shape[3], out_size[1], k[1], s[1], p[1], True)
    slope = np.float32(negative_slope)
    if buffers is None:
        conv = np.empty(conv_shape, dtype=np.float32)
        activated = np.empty(conv_shape, dtype=np.float32)
        pooled = activated if pool_kind == "none" else np.empty(pooled_shape, dtype=np.float32)
    else:
        conv = buffers.take(conv_shape)
        activated = buffers.take(conv_shape)
        pooled = activated if pool_kind == "none" else buffers.take(pooled_shape)
    with KERNEL_LOCK:
        _kernels.conv_act_pool(plan.x, plan.weight, plan.bias, conv, activated, pooled,
                               *plan.kernel_args, _ACTIVATION_CODES[activation], slope,
                               _POOL_CODES[pool_kind], k[0], k[1], s[0], s[1], p[0], p[1], 1,
                               1, row_div, col_div)
    if plan.had_batch:
        return conv, activated, pooled
    return conv[0], activated[0], pooled[0]
