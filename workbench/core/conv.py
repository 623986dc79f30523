"""Convolution (PyTorch's ``conv1d`` / ``conv2d`` semantics) over numpy arrays."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from workbench.core import _kernels
from workbench.core.arrays import FloatArray, IntPair, as_float32, batched, pair, single
from workbench.core.shapes import conv_output_size

PaddingMode = Literal["zeros", "reflect", "replicate", "circular"]
PADDING_MODES: tuple[str, ...] = ("zeros", "reflect", "replicate", "circular")
_NUMPY_PAD_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}

# Numba's default workqueue threading layer must not be entered from two threads at
# once; every parallel kernel call goes through this lock so any thread may call us.
KERNEL_LOCK = threading.Lock()


def resolve_padding(padding: Any, kernel: IntPair, stride: IntPair,
                    dilation: IntPair) -> tuple[int, int, int, int]:
    """Turn a padding argument into explicit ``(top, bottom, left, right)`` amounts.

    Parameters
    ----------
    padding : int, pair of int, ``"valid"`` or ``"same"``
        As accepted by :func:`conv2d`.
    kernel, stride, dilation : tuple of int
        ``(vertical, horizontal)`` kernel size, stride and dilation.

    Returns
    -------
    tuple of int
        Padding on the top, bottom, left and right. For ``"same"`` with an even
        effective kernel the extra row/column goes bottom/right, as in PyTorch.

    Raises
    ------
    ValueError
        If padding is negative, unknown, or ``"same"`` is combined with a stride > 1.
    """
    if isinstance(padding, str):
        if padding == "valid":
            return 0, 0, 0, 0
        if padding == "same":
            if stride != (1, 1):
                raise ValueError(
                    f"padding='same' requires stride 1, got stride={stride}; "
                    "use an explicit padding with strided convolutions")
            total_h = dilation[0] * (kernel[0] - 1)
            total_w = dilation[1] * (kernel[1] - 1)
            return total_h // 2, total_h - total_h // 2, total_w // 2, total_w - total_w // 2
        raise ValueError(f"padding must be 'valid', 'same', an int >= 0 or a pair, got {padding!r}")
    ph, pw = pair(padding, "padding", minimum=0)
    return ph, ph, pw, pw


def _pad_input(x: FloatArray, pads: tuple[int, int, int, int], mode: str) -> FloatArray:
    top, bottom, left, right = pads
    height, width = x.shape[2], x.shape[3]
    if mode == "reflect" and (max(top, bottom) >= height or max(left, right) >= width):
        raise ValueError(
            f"padding_mode='reflect' needs padding smaller than the input size, got padding "
            f"{(top, bottom, left, right)} for input {height}x{width}")
    if mode == "circular" and (max(top, bottom) > height or max(left, right) > width):
        raise ValueError(
            f"padding_mode='circular' needs padding at most the input size, got padding "
            f"{(top, bottom, left, right)} for input {height}x{width}")
    width_spec = ((0, 0), (0, 0), (top, bottom), (left, right))
    return np.ascontiguousarray(np.pad(x, width_spec, mode=_NUMPY_PAD_MODE[mode]))  # type: ignore[call-overload]


def conv2d(x: Any, weight: Any, bias: Any = None, *, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1, padding_mode: str = "zeros",
           flip: bool = False) -> FloatArray:
    """2-D convolution with the semantics of ``torch.nn.functional.conv2d``.

    Like every deep-learning library this computes cross-correlation; ``flip=True``
    rotates the kernel by 180 degrees for true (mathematical) convolution.

    Parameters
    ----------
    x : array_like
        Input ``(C, H, W)`` or ``(N, C, H, W)``, any real dtype.
    weight : array_like
        Filters ``(F, C // groups, kH, kW)``.
    bias : array_like, optional
        ``(F,)``; none means zero.
    stride : int or pair of int, optional
        Step between output pixels, >= 1.
    padding : int, pair of int, ``"valid"`` or ``"same"``, optional
        Padding on each side; ``"same"`` keeps the size and needs stride 1.
    dilation : int or pair of int, optional
        Spacing between kernel taps, >= 1.
    groups : int, optional
        Number of blocked connections; must divide both C and F.
    padding_mode : {"zeros", "reflect", "replicate", "circular"}, optional
        How the border is filled, as in ``torch.nn.Conv2d``.
    flip : bool, optional
        Flip the kernel (true convolution instead of cross-correlation).

    Returns
    -------
    numpy.ndarray
        float32 ``(F, H_out, W_out)`` or ``(N, F, H_out, W_out)``.

    Raises
    ------
    ValueError
        On any argument PyTorch rejects; the message names the parameter and its range.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.zeros((1, 8, 8)); image[0, :, 3:5] = 1
    >>> line = np.array([[[[0, 1, 0], [0, 1, 0], [0, 1, 0]]]])
    >>> conv2d(image, line)[0, 0]
    array([0., 0., 3., 3., 0., 0.], dtype=float32)
    """
    return run_conv_plan(plan_conv2d(x, weight, bias, stride=stride, padding=padding,
                                     dilation=dilation, groups=groups,
                                     padding_mode=padding_mode, flip=flip))


@dataclass(frozen=True)
class ConvPlan:
    """Validated, normalised arguments of one 2-D convolution, ready for the kernels.

    ``x`` is ``(N, C, H, W)`` float32 C-contiguous, already padded for a non-zero
    ``padding_mode``; ``kernel_args`` is ``(sy, sx, top, left, dy, dx, groups)`` with the
    zero padding still to apply.
    """

    x: FloatArray
    weight: FloatArray
    bias: FloatArray
    had_batch: bool
    out_size: IntPair
    kernel_args: tuple[int, int, int, int, int, int, int]


def plan_conv2d(x: Any, weight: Any, bias: Any = None, *, stride: Any = 1, padding: Any = 0,
                dilation: Any = 1, groups: int = 1, padding_mode: str = "zeros",
                flip: bool = False) -> ConvPlan:
    """Check and normalise :func:`conv2d`'s arguments without computing anything.

    Parameters
    ----------
    x, weight, bias, stride, padding, dilation, groups, padding_mode, flip
        As for :func:`conv2d`.

    Returns
    -------
    ConvPlan
        What the kernels need, and the output size.

    Raises
    ------
    ValueError
        On any argument PyTorch rejects, with :func:`conv2d`'s messages.
    """
    x4, had_batch = batched(as_float32(x, "x"), "x", 2)
    w = as_float32(weight, "weight")
    if w.ndim != 4:
        raise ValueError(f"weight must have shape (F, C // groups, kH, kW), got {w.ndim} "
                         f"dimensions {w.shape}")
    if w.size == 0:
        raise ValueError(f"weight must not be empty, got shape {w.shape}")
    n_filters, c_per_group, kh, kw = w.shape
    channels = x4.shape[1]
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"groups must be a positive integer, got {groups!r}")
    groups = int(groups)
    if channels % groups:
        raise ValueError(f"groups must divide the input channels: {channels} channels, "
                         f"groups={groups}")
    if n_filters % groups:
        raise ValueError(f"groups must divide the number of filters: {n_filters} filters, "
                         f"groups={groups}")
    if c_per_group * groups != channels:
        raise ValueError(
            f"weight has {c_per_group} input channel(s) per group, so x must have "
            f"{c_per_group * groups} channels with groups={groups}; got {channels}")
    b = _bias(bias, n_filters)
    s = pair(stride, "stride", minimum=1)
    d = pair(dilation, "dilation", minimum=1)
    if padding_mode not in PADDING_MODES:
        raise ValueError(f"padding_mode must be one of {PADDING_MODES}, got {padding_mode!r}")
    pads = resolve_padding(padding, (kh, kw), s, d)
    if flip:
        w = np.ascontiguousarray(w[:, :, ::-1, ::-1])
    height, width = x4.shape[2], x4.shape[3]
    h_out = conv_output_size(height, kh, s[0], (pads[0], pads[1]), d[0])
    w_out = conv_output_size(width, kw, s[1], (pads[2], pads[3]), d[1])
    if h_out < 1 or w_out < 1:
        raise ValueError(
            f"output would be {h_out}x{w_out}: the input {height}x{width} with padding "
            f"{pads} is smaller than the dilated kernel "
            f"{d[0] * (kh - 1) + 1}x{d[1] * (kw - 1) + 1}; use a smaller kernel or dilation, "
            "or more padding")
    # A stride past the input reads one row (column): any stride >= 1 computes the same
    # output there, so huge strides (torch accepts 2**63 and more) never reach the kernels.
    s = (1 if h_out == 1 else s[0], 1 if w_out == 1 else s[1])
    if padding_mode != "zeros" and any(pads):
        x4 = _pad_input(x4, pads, padding_mode)
        top = left = 0
    else:
        top, left = pads[0], pads[2]
    return ConvPlan(x4, w, b, had_batch, (h_out, w_out),
                    (s[0], s[1], top, left, d[0], d[1], groups))


def run_conv_plan(plan: ConvPlan) -> FloatArray:
    """Compute a convolution planned by :func:`plan_conv2d`.

    Parameters
    ----------
    plan : ConvPlan
        The validated arguments.

    Returns
    -------
    numpy.ndarray
        float32 ``(F, H_out, W_out)``, or ``(N, F, H_out, W_out)`` if the input had a
        batch axis.
    """
    out = np.empty((plan.x.shape[0], plan.weight.shape[0]) + plan.out_size, dtype=np.float32)
    with KERNEL_LOCK:
        _kernels.conv2d_zero_padded(plan.x, plan.weight, plan.bias, out, *plan.kernel_args)
    return out if plan.had_batch else out[0]


def conv1d(x: Any, weight: Any, bias: Any = None, *, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1, padding_mode: str = "zeros",
           flip: bool = False) -> FloatArray:
    """1-D convolution with the semantics of ``torch.nn.functional.conv1d``.

    Parameters
    ----------
    x : array_like
        Input ``(C, L)`` or ``(N, C, L)``, any real dtype.
    weight : array_like
        Filters ``(F, C // groups, k)``.
    bias : array_like, optional
        ``(F,)``; none means zero.
    stride, dilation : int, optional
        Step between outputs and spacing between taps, >= 1.
    padding : int, ``"valid"`` or ``"same"``, optional
        Padding on each side; ``"same"`` needs stride 1.
    groups : int, optional
        Number of blocked connections; must divide both C and F.
    padding_mode : {"zeros", "reflect", "replicate", "circular"}, optional
        How the border is filled.
    flip : bool, optional
        Reverse the kernel (true convolution).

    Returns
    -------
    numpy.ndarray
        float32 ``(F, L_out)`` or ``(N, F, L_out)``.

    Raises
    ------
    ValueError
        On any argument PyTorch rejects.

    Examples
    --------
    >>> conv1d([[1, 2, 3, 4, 5, 6]], [[[2, 2, 2]]], padding=1)
    array([[ 6., 12., 18., 24., 30., 22.]], dtype=float32)
    """
    x3, had_batch = batched(as_float32(x, "x"), "x", 1)
    w = as_float32(weight, "weight")
    if w.ndim != 3:
        raise ValueError(f"weight must have shape (F, C // groups, k), got {w.ndim} "
                         f"dimensions {w.shape}")
    pad_arg: Any = padding if isinstance(padding, str) else (0, single(padding, "padding",
                                                                        minimum=0))
    out = conv2d(x3[:, :, np.newaxis, :], w[:, :, np.newaxis, :], bias,
                 stride=(1, single(stride, "stride", minimum=1)), padding=pad_arg,
                 dilation=(1, single(dilation, "dilation", minimum=1)), groups=groups,
                 padding_mode=padding_mode, flip=flip)
    out = out[:, :, 0, :]
    return out if had_batch else out[0]


def _bias(bias: Any, n_filters: int) -> FloatArray:
    if bias is None:
        return np.zeros(n_filters, dtype=np.float32)
    b = as_float32(bias, "bias")
    if b.ndim == 0:
        b = b.reshape(1)
    if b.shape != (n_filters,):
        raise ValueError(f"bias must have shape ({n_filters},) — one value per filter — "
                         f"got {b.shape}")
    return b
