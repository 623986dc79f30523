"""Element-wise activations with PyTorch's semantics (NaN propagates)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from workbench.core import _kernels
from workbench.core.arrays import FloatArray, as_float32
from workbench.core.conv import KERNEL_LOCK

ACTIVATIONS: tuple[str, ...] = ("none", "relu", "leaky_relu", "sigmoid", "tanh")
DEFAULT_NEGATIVE_SLOPE = 0.01


def _check(x: Any) -> FloatArray:
    arr = as_float32(x, "x")
    if arr.size == 0:
        raise ValueError(f"x must not be empty, got shape {arr.shape}")
    return arr


def relu(x: Any) -> FloatArray:
    """Rectified linear unit, ``max(x, 0)``.

    Parameters
    ----------
    x : array_like
        Any shape, real dtype.

    Returns
    -------
    numpy.ndarray
        float32, same shape.

    Examples
    --------
    >>> relu([-1.0, 0.5])
    array([0. , 0.5], dtype=float32)
    """
    arr = _check(x)
    out = np.empty_like(arr)
    with KERNEL_LOCK:
        _kernels.relu(arr, out)
    return out


def leaky_relu(x: Any, negative_slope: float = DEFAULT_NEGATIVE_SLOPE) -> FloatArray:
    """Leaky ReLU: ``x`` where positive, ``negative_slope * x`` elsewhere.

    Parameters
    ----------
    x : array_like
        Any shape, real dtype.
    negative_slope : float, optional
        Slope for negative inputs (PyTorch's default 0.01).

    Returns
    -------
    numpy.ndarray
        float32, same shape.

    Examples
    --------
    >>> leaky_relu([-2.0, 3.0], 0.5)
    array([-1.,  3.], dtype=float32)
    """
    arr = _check(x)
    out = np.empty_like(arr)
    with KERNEL_LOCK:
        _kernels.leaky_relu(arr, out, np.float32(negative_slope))
    return out


def sigmoid(x: Any) -> FloatArray:
    """Logistic sigmoid ``1 / (1 + exp(-x))``, computed without overflow.

    Parameters
    ----------
    x : array_like
        Any shape, real dtype.

    Returns
    -------
    numpy.ndarray
        float32 in [0, 1], same shape.

    Examples
    --------
    >>> sigmoid([0.0])
    array([0.5], dtype=float32)
    """
    arr = _check(x)
    # exp of a non-positive number never overflows: use e = exp(-|x|) on both branches.
    e = np.exp(-np.abs(arr))
    return np.where(arr >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(np.float32)


def tanh(x: Any) -> FloatArray:
    """Hyperbolic tangent.

    Parameters
    ----------
    x : array_like
        Any shape, real dtype.

    Returns
    -------
    numpy.ndarray
        float32 in [-1, 1], same shape.

    Examples
    --------
    >>> tanh([0.0])
    array([0.], dtype=float32)
    """
    arr = _check(x)
    return np.tanh(arr, out=np.empty_like(arr))  # out=: an array even for 0-d input


def activate(name: str, x: Any, *, negative_slope: float = DEFAULT_NEGATIVE_SLOPE) -> FloatArray:
    """Apply the activation called ``name``.

    Parameters
    ----------
    name : {"none", "relu", "leaky_relu", "sigmoid", "tanh"}
        Activation name; ``"none"`` returns a float32 copy.
    x : array_like
        Input.
    negative_slope : float, optional
        Used by ``"leaky_relu"``.

    Returns
    -------
    numpy.ndarray
        float32, same shape.

    Raises
    ------
    ValueError
        If ``name`` is unknown.

    Examples
    --------
    >>> activate("relu", [-1, 2])
    array([0., 2.], dtype=float32)
    """
    table: dict[str, Callable[[Any], FloatArray]] = {
        "none": lambda a: _check(a).copy(),
        "relu": relu,
        "leaky_relu": lambda a: leaky_relu(a, negative_slope),
        "sigmoid": sigmoid,
        "tanh": tanh,
    }
    if name not in table:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {name!r}")
    return table[name](x)
