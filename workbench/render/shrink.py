"""Shrink a map for drawing below 1:1 without losing its thin features.

Drawing every ``k``-th pixel of a map shown at 1:k drops a one-pixel edge ``k - 1`` times
in ``k``: an edge map looks empty while its pooled map (which keeps the maxima) shows the
edge, as if pooling made edges. Here each ``k x k`` block is drawn as its value of the
largest magnitude (for a ReLU map: its maximum), so a line one pixel wide stays visible;
an RGB input is averaged instead (area), as photo viewers do. For display only: hover,
export and every number read the full-resolution map.
"""

from __future__ import annotations

import numpy as np


def shrink_for_display(values: np.ndarray, step: int, *, area: bool = False) -> np.ndarray:
    """Reduce ``values`` by ``step`` in both axes, keeping thin features.

    Parameters
    ----------
    values : numpy.ndarray
        A map ``(H, W)`` or an RGB image ``(H, W, 3)``.
    step : int
        Block side; 1 returns ``values`` unchanged.
    area : bool, optional
        Average a map too (for a gray input image); an RGB image is always averaged.

    Returns
    -------
    numpy.ndarray
        ``(ceil(H / step), ceil(W / step))`` (and the channels): for a map, each block's
        value of largest absolute value (NaN wins, so a broken value stays visible); for an
        image, each block's mean over its pixels inside the image.
    """
    if step <= 1:
        return values
    height, width = values.shape[:2]
    rows, cols = -(-height // step), -(-width // step)
    pad = ((0, rows * step - height), (0, cols * step - width)) + ((0, 0),) * (values.ndim - 2)
    if values.ndim == 3 or area:
        total = np.pad(values.astype(np.float32), pad)
        total = total.reshape(rows, step, cols, step, -1).sum(axis=(1, 3))
        counts = np.pad(np.ones((height, width), np.float32), pad[:2])
        counts = counts.reshape(rows, step, cols, step).sum(axis=(1, 3))
        mean = total / counts[:, :, None]
        mean = mean if values.ndim == 3 else mean[:, :, 0]
        return mean.astype(values.dtype) if values.dtype.kind == "f" else \
            np.rint(mean).astype(values.dtype)
    # Zero padding never wins over a real value of the block (|0| is the least magnitude).
    blocks = np.pad(values, pad).reshape(rows, step, cols, step).transpose(0, 2, 1, 3)
    blocks = blocks.reshape(rows, cols, step * step)
    magnitude = np.abs(blocks)
    magnitude[np.isnan(magnitude)] = np.inf
    pick = np.argmax(magnitude, axis=2)
    return np.take_along_axis(blocks, pick[:, :, None], axis=2)[:, :, 0]
