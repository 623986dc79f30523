"""Conversions between Keras (channels-last) and PyTorch (channels-first) layouts."""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.core.arrays import FloatArray, as_float32


def weights_from_keras(kernel: Any) -> FloatArray:
    """Convert a Keras kernel to PyTorch layout.

    Parameters
    ----------
    kernel : array_like
        Conv2D kernel ``(kH, kW, C, F)`` or Conv1D kernel ``(k, C, F)``.

    Returns
    -------
    numpy.ndarray
        float32 ``(F, C, kH, kW)`` or ``(F, C, k)``.

    Raises
    ------
    ValueError
        If the kernel is not 3-D or 4-D.

    Examples
    --------
    >>> weights_from_keras(np.zeros((3, 5, 2, 4))).shape
    (4, 2, 3, 5)
    """
    k = as_float32(kernel, "kernel")
    if k.ndim == 4:
        return np.ascontiguousarray(k.transpose(3, 2, 0, 1))
    if k.ndim == 3:
        return np.ascontiguousarray(k.transpose(2, 1, 0))
    raise ValueError(f"kernel must be Keras Conv2D (kH, kW, C, F) or Conv1D (k, C, F), "
                     f"got shape {k.shape}")


def weights_to_keras(weight: Any) -> FloatArray:
    """Convert a PyTorch-layout weight to Keras layout (inverse of :func:`weights_from_keras`).

    Parameters
    ----------
    weight : array_like
        ``(F, C, kH, kW)`` or ``(F, C, k)``.

    Returns
    -------
    numpy.ndarray
        float32 ``(kH, kW, C, F)`` or ``(k, C, F)``.

    Raises
    ------
    ValueError
        If the weight is not 3-D or 4-D.

    Examples
    --------
    >>> weights_to_keras(np.zeros((4, 2, 3, 5))).shape
    (3, 5, 2, 4)
    """
    w = as_float32(weight, "weight")
    if w.ndim == 4:
        return np.ascontiguousarray(w.transpose(2, 3, 1, 0))
    if w.ndim == 3:
        return np.ascontiguousarray(w.transpose(2, 1, 0))
    raise ValueError(f"weight must be (F, C, kH, kW) or (F, C, k), got shape {w.shape}")


def channels_last_to_first(x: Any) -> FloatArray:
    """``(H, W, C)`` -> ``(C, H, W)`` or ``(N, H, W, C)`` -> ``(N, C, H, W)``.

    Parameters
    ----------
    x : array_like
        Channels-last image or batch.

    Returns
    -------
    numpy.ndarray
        float32 channels-first copy.

    Raises
    ------
    ValueError
        If ``x`` is not 3-D or 4-D.

    Examples
    --------
    >>> channels_last_to_first(np.zeros((8, 6, 3))).shape
    (3, 8, 6)
    """
    a = as_float32(x, "x")
    if a.ndim not in (3, 4):
        raise ValueError(f"x must be (H, W, C) or (N, H, W, C), got shape {a.shape}")
    return np.ascontiguousarray(np.moveaxis(a, -1, -3))


def channels_first_to_last(x: Any) -> FloatArray:
    """``(C, H, W)`` -> ``(H, W, C)`` or ``(N, C, H, W)`` -> ``(N, H, W, C)``.

    Parameters
    ----------
    x : array_like
        Channels-first image or batch.

    Returns
    -------
    numpy.ndarray
        float32 channels-last copy.

    Raises
    ------
    ValueError
        If ``x`` is not 3-D or 4-D.

    Examples
    --------
    >>> channels_first_to_last(np.zeros((3, 8, 6))).shape
    (8, 6, 3)
    """
    a = as_float32(x, "x")
    if a.ndim not in (3, 4):
        raise ValueError(f"x must be (C, H, W) or (N, C, H, W), got shape {a.shape}")
    return np.ascontiguousarray(np.moveaxis(a, -3, -1))
