"""The backward pass: gradients of the forward ops, with ``torch.autograd``'s semantics.

Each ``*_backward`` function takes the gradient of a loss with respect to a forward
op's output (``grad_out``) and the op's inputs and arguments, and returns the gradient
with respect to its inputs, in the shapes ``torch.autograd`` gives for the forward
function of the same name. Arguments are validated with the forward's rules and
messages. Float32 throughout (the weight gradient accumulates in float64 per tap).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.core import _backward_kernels as _bk
from workbench.core.activations import ACTIVATIONS, DEFAULT_NEGATIVE_SLOPE, sigmoid
from workbench.core.arrays import FloatArray, as_float32, batched, single
from workbench.core.conv import KERNEL_LOCK, plan_conv2d, resolve_padding
from workbench.core.pooling import _divisors, _pool_geometry


def _grad_out(grad_out: Any, expected: tuple[int, ...], what: str) -> FloatArray:
    g = as_float32(grad_out, "grad_out")
    if g.shape != expected:
        raise ValueError(f"grad_out must have the shape of the {what} output {expected}, "
                         f"got {g.shape}")
    return np.ascontiguousarray(g)


def _source_index(size: int, before: int, after: int, mode: str) -> np.ndarray:
    """For each padded index, the input index the padding mode copied it from."""
    p = np.arange(-before, size + after)
    if mode == "replicate":
        return np.clip(p, 0, size - 1)
    if mode == "circular":
        return np.mod(p, size)
    # reflect (without repeating the edge): -1 -> 1, size -> size - 2
    period = 2 * (size - 1) if size > 1 else 1
    q = np.mod(p, period)
    return np.where(q >= size, period - q, q)


def _fold_padding(grad_padded: FloatArray, pads: tuple[int, int, int, int], mode: str,
                  height: int, width: int) -> FloatArray:
    """Add the gradient of every padded cell back to the input cell it was copied from."""
    top, bottom, left, right = pads
    rows = _source_index(height, top, bottom, mode)
    cols = _source_index(width, left, right, mode)
    n, c = grad_padded.shape[:2]
    by_row = np.zeros((n, c, height, grad_padded.shape[3]), np.float64)
    np.add.at(by_row, (slice(None), slice(None), rows), grad_padded)  # type: ignore[arg-type]
    out = np.zeros((n, c, height, width), np.float64)
    np.add.at(out, (slice(None), slice(None), slice(None), cols),  # type: ignore[arg-type]
              by_row)
    return out.astype(np.float32)


def conv2d_gradients(grad_out: Any, x: Any, weight: Any, *, stride: Any = 1,
                     padding: Any = 0, dilation: Any = 1, groups: int = 1,
                     padding_mode: str = "zeros", flip: bool = False,
                     need_input: bool = True
                     ) -> tuple[FloatArray | None, FloatArray, FloatArray]:
    """Compute :func:`conv2d_backward`, optionally without the input gradient.

    Parameters
    ----------
    grad_out, x, weight, stride, padding, dilation, groups, padding_mode, flip
        As for :func:`conv2d_backward`.
    need_input : bool, optional
        Compute ``grad_x`` (a network's first layer does not need it).

    Returns
    -------
    tuple
        ``(grad_x or None, grad_weight, grad_bias)``.
    """
    plan = plan_conv2d(x, weight, None, stride=stride, padding=padding, dilation=dilation,
                       groups=groups, padding_mode=padding_mode, flip=flip)
    n_batch = plan.x.shape[0]
    n_filters = plan.weight.shape[0]
    expected = (n_batch, n_filters) + plan.out_size
    g = _grad_out(grad_out, expected if plan.had_batch else expected[1:], "convolution")
    g4 = g if plan.had_batch else g[np.newaxis]
    g4 = np.ascontiguousarray(g4)
    sy, sx, top, left, dy, dx, grp = plan.kernel_args
    grad_w = np.empty(plan.weight.shape, np.float32)
    grad_xp: FloatArray | None = None
    with KERNEL_LOCK:
        _bk.conv_grad_weight(plan.x, g4, grad_w, sy, sx, top, left, dy, dx, grp)
        if need_input:
            grad_xp = np.zeros(plan.x.shape, np.float32)
            _bk.conv_grad_input(g4, plan.weight, grad_xp, sy, sx, top, left, dy, dx, grp)
    if flip:
        grad_w = np.ascontiguousarray(grad_w[:, :, ::-1, ::-1])
    grad_b = g4.sum(axis=(0, 2, 3), dtype=np.float64).astype(np.float32)
    grad_x: FloatArray | None = None
    if grad_xp is not None:
        x4, _ = batched(as_float32(x, "x"), "x", 2)
        if grad_xp.shape != x4.shape:  # explicitly padded for a non-zero padding mode
            kh, kw = plan.weight.shape[2:]
            pads = resolve_padding(padding, (kh, kw), (sy, sx), (dy, dx))
            grad_xp = _fold_padding(grad_xp, pads, padding_mode, x4.shape[2], x4.shape[3])
        grad_x = grad_xp if plan.had_batch else grad_xp[0]
    return grad_x, grad_w, grad_b


def conv2d_backward(grad_out: Any, x: Any, weight: Any, *, stride: Any = 1, padding: Any = 0,
                    dilation: Any = 1, groups: int = 1, padding_mode: str = "zeros",
                    flip: bool = False) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Gradients of :func:`~workbench.core.conv.conv2d` (as ``torch.autograd`` gives them).

    Parameters
    ----------
    grad_out : array_like
        Gradient with respect to the convolution's output, ``(F, H_out, W_out)`` or
        ``(N, F, H_out, W_out)`` like the forward output.
    x : array_like
        The forward input ``(C, H, W)`` or ``(N, C, H, W)``.
    weight : array_like
        The filters ``(F, C // groups, kH, kW)``.
    stride, padding, dilation, groups, padding_mode, flip
        As given to the forward :func:`~workbench.core.conv.conv2d`. With a padding mode
        other than zeros, the gradient reaching a padded cell is added to the input
        cell the mode copied it from.

    Returns
    -------
    grad_x : numpy.ndarray
        float32, the shape of ``x``.
    grad_weight : numpy.ndarray
        float32 ``(F, C // groups, kH, kW)`` (for ``flip=True``, of the unflipped kernel).
    grad_bias : numpy.ndarray
        float32 ``(F,)``: ``grad_out`` summed over the batch and the positions.

    Raises
    ------
    ValueError
        On arguments the forward rejects, or a ``grad_out`` of the wrong shape.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(9.0).reshape(1, 3, 3)
    >>> gx, gw, gb = conv2d_backward(np.ones((1, 2, 2)), x, np.ones((1, 1, 2, 2)))
    >>> gw[0, 0]
    array([[ 8., 12.],
           [20., 24.]], dtype=float32)
    >>> gx[0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]], dtype=float32)
    >>> gb
    array([4.], dtype=float32)
    """
    grad_x, grad_w, grad_b = conv2d_gradients(
        grad_out, x, weight, stride=stride, padding=padding, dilation=dilation, groups=groups,
        padding_mode=padding_mode, flip=flip)
    assert grad_x is not None
    return grad_x, grad_w, grad_b


def conv1d_backward(grad_out: Any, x: Any, weight: Any, *, stride: Any = 1, padding: Any = 0,
                    dilation: Any = 1, groups: int = 1, padding_mode: str = "zeros",
                    flip: bool = False) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Gradients of :func:`~workbench.core.conv.conv1d` (as ``torch.autograd`` gives them).

    Parameters
    ----------
    grad_out : array_like
        ``(F, L_out)`` or ``(N, F, L_out)``.
    x : array_like
        The forward input ``(C, L)`` or ``(N, C, L)``.
    weight : array_like
        ``(F, C // groups, k)``.
    stride, padding, dilation, groups, padding_mode, flip
        As given to the forward.

    Returns
    -------
    tuple of numpy.ndarray
        ``(grad_x, grad_weight, grad_bias)`` in the shapes of ``x``, ``weight`` and
        ``(F,)``.

    Raises
    ------
    ValueError
        On arguments the forward rejects, or a ``grad_out`` of the wrong shape.

    Examples
    --------
    >>> gx, gw, gb = conv1d_backward([[1.0, 1.0]], [[1, 2, 3]], [[[1.0, -1.0]]])
    >>> gw.ravel(), gx.ravel()
    (array([3., 5.], dtype=float32), array([ 1.,  0., -1.], dtype=float32))
    """
    x3, had_batch = batched(as_float32(x, "x"), "x", 1)
    w = as_float32(weight, "weight")
    if w.ndim != 3:
        raise ValueError(f"weight must have shape (F, C // groups, k), got {w.ndim} "
                         f"dimensions {w.shape}")
    g = as_float32(grad_out, "grad_out")
    if g.ndim != (3 if had_batch else 2):
        raise ValueError(f"grad_out must have the forward output's {2 + had_batch} "
                         f"dimensions, got shape {g.shape}")
    g3 = g if had_batch else g[np.newaxis]
    pad_arg: Any = padding if isinstance(padding, str) else (0, single(padding, "padding",
                                                                        minimum=0))
    gx, gw, gb = conv2d_backward(
        g3[:, :, np.newaxis, :], x3[:, :, np.newaxis, :], w[:, :, np.newaxis, :],
        stride=(1, single(stride, "stride", minimum=1)), padding=pad_arg,
        dilation=(1, single(dilation, "dilation", minimum=1)), groups=groups,
        padding_mode=padding_mode, flip=flip)
    gx = np.ascontiguousarray(gx[:, :, 0, :])
    return (gx if had_batch else gx[0]), np.ascontiguousarray(gw[:, :, 0, :]), gb


def _extreme_backward(grad_out: Any, x: Any, kernel_size: Any, stride: Any, padding: Any,
                      dilation: Any, ceil_mode: bool, minimum: bool) -> FloatArray:
    x4, had_batch = batched(as_float32(x, "x"), "x", 2)
    k, s, p, d, out_size = _pool_geometry(x4, kernel_size, stride, padding, dilation,
                                          ceil_mode)
    expected = x4.shape[:2] + out_size
    g = _grad_out(grad_out, expected if had_batch else expected[1:], "pooling")
    g4 = np.ascontiguousarray(g if had_batch else g[np.newaxis])
    grad = np.zeros(x4.shape, np.float32)
    with KERNEL_LOCK:
        _bk.extreme_pool_backward(x4, g4, grad, k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1],
                                  minimum)
    return grad if had_batch else grad[0]


def max_pool2d_backward(grad_out: Any, x: Any, kernel_size: Any, *, stride: Any = None,
                        padding: Any = 0, dilation: Any = 1,
                        ceil_mode: bool = False) -> FloatArray:
    """Gradient of :func:`~workbench.core.pooling.max_pool2d` with respect to its input.

    Each window's gradient goes to the element its maximum came from: the first
    maximum in window order (row by row), a NaN if the window holds one, as torch.

    Parameters
    ----------
    grad_out : array_like
        Gradient with respect to the pooled output.
    x : array_like
        The forward input ``(C, H, W)`` or ``(N, C, H, W)``.
    kernel_size, stride, padding, dilation, ceil_mode
        As given to the forward.

    Returns
    -------
    numpy.ndarray
        float32, the shape of ``x``.

    Raises
    ------
    ValueError
        On arguments the forward rejects, or a ``grad_out`` of the wrong shape.

    Examples
    --------
    >>> max_pool2d_backward([[[1.0]]], [[[1, 4], [4, 2]]], 2)[0]
    array([[0., 1.],
           [0., 0.]], dtype=float32)
    """
    return _extreme_backward(grad_out, x, kernel_size, stride, padding, dilation, ceil_mode,
                             False)


def min_pool2d_backward(grad_out: Any, x: Any, kernel_size: Any, *, stride: Any = None,
                        padding: Any = 0, dilation: Any = 1,
                        ceil_mode: bool = False) -> FloatArray:
    """Gradient of :func:`~workbench.core.pooling.min_pool2d`: that of ``-max_pool2d(-x)``.

    Parameters
    ----------
    grad_out : array_like
        Gradient with respect to the pooled output.
    x : array_like
        The forward input.
    kernel_size, stride, padding, dilation, ceil_mode
        As given to the forward.

    Returns
    -------
    numpy.ndarray
        float32, the shape of ``x``; each window's gradient at its first minimum.

    Raises
    ------
    ValueError
        On arguments the forward rejects, or a ``grad_out`` of the wrong shape.

    Examples
    --------
    >>> min_pool2d_backward([[[2.0]]], [[[3, 1], [1, 2]]], 2)[0]
    array([[0., 2.],
           [0., 0.]], dtype=float32)
    """
    return _extreme_backward(grad_out, x, kernel_size, stride, padding, dilation, ceil_mode,
                             True)


def avg_pool2d_backward(grad_out: Any, x: Any, kernel_size: Any, *, stride: Any = None,
                        padding: Any = 0, ceil_mode: bool = False,
                        count_include_pad: bool = True) -> FloatArray:
    """Gradient of :func:`~workbench.core.pooling.avg_pool2d` with respect to its input.

    Parameters
    ----------
    grad_out : array_like
        Gradient with respect to the pooled output.
    x : array_like
        The forward input ``(C, H, W)`` or ``(N, C, H, W)``.
    kernel_size, stride, padding, ceil_mode, count_include_pad
        As given to the forward (the divisors are the forward's).

    Returns
    -------
    numpy.ndarray
        float32, the shape of ``x``.

    Raises
    ------
    ValueError
        On arguments the forward rejects, or a ``grad_out`` of the wrong shape.

    Examples
    --------
    >>> avg_pool2d_backward([[[4.0]]], [[[1, 2], [3, 4]]], 2)[0]
    array([[1., 1.],
           [1., 1.]], dtype=float32)
    """
    x4, had_batch = batched(as_float32(x, "x"), "x", 2)
    k, s, p, _, (h_out, w_out) = _pool_geometry(x4, kernel_size, stride, padding, 1, ceil_mode)
    expected = x4.shape[:2] + (h_out, w_out)
    g = _grad_out(grad_out, expected if had_batch else expected[1:], "pooling")
    g4 = np.ascontiguousarray(g if had_batch else g[np.newaxis])
    row_div = _divisors(x4.shape[2], h_out, k[0], s[0], p[0], count_include_pad)
    col_div = _divisors(x4.shape[3], w_out, k[1], s[1], p[1], count_include_pad)
    grad = np.zeros(x4.shape, np.float32)
    with KERNEL_LOCK:
        _bk.avg_pool_backward(g4, grad, k[0], k[1], s[0], s[1], p[0], p[1], row_div, col_div)
    return grad if had_batch else grad[0]


def _pool1d(func: Any, grad_out: Any, x: Any, kernel_size: Any, stride: Any, padding: Any,
            **kwargs: Any) -> FloatArray:
    x3, had_batch = batched(as_float32(x, "x"), "x", 1)
    g = as_float32(grad_out, "grad_out")
    if g.ndim != (3 if had_batch else 2):
        raise ValueError(f"grad_out must have the forward output's {2 + had_batch} "
                         f"dimensions, got shape {g.shape}")
    g3 = g if had_batch else g[np.newaxis]
    grad: FloatArray = func(
        g3[:, :, np.newaxis, :], x3[:, :, np.newaxis, :],
        (1, single(kernel_size, "kernel_size", minimum=1)),
        stride=None if stride is None else (1, single(stride, "stride", minimum=1)),
        padding=(0, single(padding, "padding", minimum=0)), **kwargs)
    grad = np.ascontiguousarray(grad[:, :, 0, :])
    return grad if had_batch else grad[0]


def max_pool1d_backward(grad_out: Any, x: Any, kernel_size: Any, *, stride: Any = None,
                        padding: Any = 0, dilation: Any = 1,
                        ceil_mode: bool = False) -> FloatArray:
    """Gradient of :func:`~workbench.core.pooling.max_pool1d` with respect to its input.

    Parameters
    ----------
    grad_out : array_like
        ``(C, L_out)`` or ``(N, C, L_out)``.
    x : array_like
        The forward input ``(C, L)`` or ``(N, C, L)``.
    kernel_size, stride, padding, dilation, ceil_mode
        As given to the forward.

    Returns
    -------
    numpy.ndarray
        float32, the shape of ``x``.

    Examples
    --------
    >>> max_pool1d_backward([[1.0, 1.0]], [[1, 3, 5, 2]], 2)
    array([[0., 1., 1., 0.]], dtype=float32)
    """
    return _pool1d(max_pool2d_backward, grad_out, x, kernel_size, stride, padding,
                   dilation=(1, single(dilation, "dilation", minimum=1)), ceil_mode=ceil_mode)


def avg_pool1d_backward(grad_out: Any, x: Any, kernel_size: Any, *, stride: Any = None,
                        padding: Any = 0, ceil_mode: bool = False,
                        count_include_pad: bool = True) -> FloatArray:
    """Gradient of :func:`~workbench.core.pooling.avg_pool1d` with respect to its input.

    Parameters
    ----------
    grad_out : array_like
        ``(C, L_out)`` or ``(N, C, L_out)``.
    x : array_like
        The forward input.
    kernel_size, stride, padding, ceil_mode, count_include_pad
        As given to the forward.

    Returns
    -------
    numpy.ndarray
        float32, the shape of ``x``.

    Examples
    --------
    >>> avg_pool1d_backward([[2.0, 4.0]], [[1, 3, 5, 2]], 2)
    array([[1., 1., 2., 2.]], dtype=float32)
    """
    return _pool1d(avg_pool2d_backward, grad_out, x, kernel_size, stride, padding,
                   ceil_mode=ceil_mode, count_include_pad=count_include_pad)


def global_max_pool2d_backward(grad_out: Any, x: Any) -> FloatArray:
    """Gradient of :func:`~workbench.core.pooling.global_max_pool2d` (first maximum per map).

    Parameters
    ----------
    grad_out : array_like
        ``(C, 1, 1)`` or ``(N, C, 1, 1)``.
    x : array_like
        The forward input ``(C, H, W)`` or ``(N, C, H, W)``.

    Returns
    -------
    numpy.ndarray
        float32, the shape of ``x``.

    Examples
    --------
    >>> global_max_pool2d_backward([[[3.0]]], [[[1, 5], [5, 2]]])[0]
    array([[0., 3.],
           [0., 0.]], dtype=float32)
    """
    x4, had_batch = batched(as_float32(x, "x"), "x", 2)
    return max_pool2d_backward(grad_out, x if had_batch else x4[0], x4.shape[2:])


def global_avg_pool2d_backward(grad_out: Any, x: Any) -> FloatArray:
    """Gradient of :func:`~workbench.core.pooling.global_avg_pool2d`: spread evenly.

    Parameters
    ----------
    grad_out : array_like
        ``(C, 1, 1)`` or ``(N, C, 1, 1)``.
    x : array_like
        The forward input.

    Returns
    -------
    numpy.ndarray
        float32, the shape of ``x``.

    Examples
    --------
    >>> global_avg_pool2d_backward([[[4.0]]], [[[1, 5], [5, 2]]])[0]
    array([[1., 1.],
           [1., 1.]], dtype=float32)
    """
    x4, had_batch = batched(as_float32(x, "x"), "x", 2)
    expected = x4.shape[:2] + (1, 1)
    g = _grad_out(grad_out, expected if had_batch else expected[1:], "global pooling")
    g4 = g if had_batch else g[np.newaxis]
    grad = np.broadcast_to(g4 / np.float32(x4.shape[2] * x4.shape[3]), x4.shape)
    out = np.ascontiguousarray(grad, dtype=np.float32)
    return out if had_batch else out[0]


def activation_backward(name: str, grad_out: Any, x: Any, *,
                        negative_slope: float = DEFAULT_NEGATIVE_SLOPE) -> FloatArray:
    """Gradient of an activation with respect to its input (the pre-activation ``x``).

    Parameters
    ----------
    name : str
        One of :data:`~workbench.core.activations.ACTIVATIONS`.
    grad_out : array_like
        Gradient with respect to the activation's output, the shape of ``x``.
    x : array_like
        The activation's input.
    negative_slope : float, optional
        Slope of ``leaky_relu`` below zero.

    Returns
    -------
    numpy.ndarray
        float32, the shape of ``x``. At ``x = 0`` ReLU passes nothing and leaky ReLU
        the slope, as torch.

    Raises
    ------
    ValueError
        For an unknown activation or mismatched shapes.

    Examples
    --------
    >>> activation_backward("relu", [1.0, 1.0, 1.0], [-1.0, 0.0, 2.0])
    array([0., 0., 1.], dtype=float32)
    """
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {name!r}")
    xs = as_float32(x, "x")
    g = _grad_out(grad_out, xs.shape, "activation")
    if name == "none":
        return g.copy()
    if name == "relu":
        return np.where(xs > 0, g, np.float32(0.0)).astype(np.float32)
    if name == "leaky_relu":
        return np.where(xs > 0, g, g * np.float32(negative_slope)).astype(np.float32)
    if name == "sigmoid":
        s = sigmoid(xs)
        return (g * (s * (np.float32(1.0) - s))).astype(np.float32)
    t = np.tanh(xs)
    return (g * (np.float32(1.0) - t * t)).astype(np.float32)


__all__ = [
    "activation_backward", "avg_pool1d_backward", "avg_pool2d_backward", "conv1d_backward",
    "conv2d_backward", "conv2d_gradients", "global_avg_pool2d_backward",
    "global_max_pool2d_backward", "max_pool1d_backward", "max_pool2d_backward",
    "min_pool2d_backward",
]
