"""Losses and their gradients: mean squared error and softmax cross-entropy (as torch)."""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.core.arrays import FloatArray, as_float32


def mse_loss(pred: Any, target: Any) -> tuple[float, FloatArray]:
    """Mean squared error and its gradient, as ``torch.nn.functional.mse_loss``.

    Parameters
    ----------
    pred : array_like
        Predictions, any shape.
    target : array_like
        Targets, the shape of ``pred``.

    Returns
    -------
    loss : float
        ``mean((pred - target) ** 2)``.
    grad : numpy.ndarray
        float32 ``2 (pred - target) / pred.size``.

    Raises
    ------
    ValueError
        If the shapes differ or the arrays are empty.

    Examples
    --------
    >>> loss, grad = mse_loss([1.0, 3.0], [1.0, 1.0])
    >>> loss, grad
    (2.0, array([0., 2.], dtype=float32))
    """
    p = as_float32(pred, "pred")
    t = as_float32(target, "target")
    if p.shape != t.shape:
        raise ValueError(f"pred {p.shape} and target {t.shape} must have the same shape")
    if p.size == 0:
        raise ValueError("mse_loss needs at least one element")
    diff = p - t
    flat = diff.ravel()
    with np.errstate(over="ignore", invalid="ignore"):
        loss = float(np.dot(flat, flat)) / flat.size
    grad: FloatArray = (diff * np.float32(2.0 / p.size)).astype(np.float32)
    return loss, grad


def softmax(logits: Any) -> FloatArray:
    """Softmax over the last axis, computed stably (the maximum is subtracted first).

    Parameters
    ----------
    logits : array_like
        ``(N, K)`` scores.

    Returns
    -------
    numpy.ndarray
        float32 probabilities, each row summing to 1.

    Examples
    --------
    >>> softmax([[0.0, 0.0]])
    array([[0.5, 0.5]], dtype=float32)
    """
    z = as_float32(logits, "logits").astype(np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    probs: FloatArray = (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)
    return probs


def softmax_cross_entropy(logits: Any, labels: Any) -> tuple[float, FloatArray]:
    """Mean softmax cross-entropy and its gradient, as ``torch.nn.functional.cross_entropy``.

    Parameters
    ----------
    logits : array_like
        ``(N, K)`` scores.
    labels : array_like
        ``(N,)`` integer classes in ``0 .. K-1``.

    Returns
    -------
    loss : float
        ``mean(logsumexp(logits) - logits[label])``.
    grad : numpy.ndarray
        float32 ``(softmax(logits) - onehot(labels)) / N``.

    Raises
    ------
    ValueError
        On mismatched shapes or labels outside ``0 .. K-1``.

    Examples
    --------
    >>> loss, grad = softmax_cross_entropy([[0.0, 0.0]], [1])
    >>> round(loss, 6), grad
    (0.693147, array([[ 0.5, -0.5]], dtype=float32))
    """
    z = as_float32(logits, "logits")
    y = np.asarray(labels)
    if z.ndim != 2 or z.shape[0] == 0:
        raise ValueError(f"logits must be a non-empty (N, K) array, got {z.shape}")
    if y.shape != (z.shape[0],) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"labels must be {z.shape[0]} integers, got {y.shape} {y.dtype}")
    if y.min() < 0 or y.max() >= z.shape[1]:
        raise ValueError(f"labels must lie in 0..{z.shape[1] - 1}")
    z64 = z.astype(np.float64)
    shifted = z64 - z64.max(axis=1, keepdims=True)
    log_sum = np.log(np.exp(shifted).sum(axis=1))
    rows = np.arange(z.shape[0])
    loss = float(np.mean(log_sum - shifted[rows, y]))
    grad = np.exp(shifted - log_sum[:, None])
    grad[rows, y] -= 1.0
    return loss, (grad / z.shape[0]).astype(np.float32)
