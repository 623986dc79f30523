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
        value of largest absolute value (the maximum on a tie; NaN wins, so a broken value
        stays visible); for an image, each block's mean over its pixels inside the image.
    """
    if step <= 1:
        return values
    if values.ndim == 3 or area:
        total = _reduce_blocks(values.astype(np.float32), step, np.add)
        counts = _reduce_blocks(np.ones(values.shape[:2], np.float32), step, np.add)
        mean: np.ndarray = total / (counts[:, :, None] if total.ndim == 3 else counts)
        return mean.astype(values.dtype) if values.dtype.kind == "f" else \
            np.rint(mean).astype(values.dtype)
    high = _reduce_blocks(values, step, np.maximum)  # NaN propagates through both
    low = _reduce_blocks(values, step, np.minimum)
    return np.where(-low > high, low, high)


def _reduce_blocks(values: np.ndarray, step: int, ufunc: np.ufunc) -> np.ndarray:
    """Combine every ``step x step`` block (the last ones partial) with ``ufunc``.

    Row slices first, then column slices: elementwise passes over contiguous rows, many
    times faster than reducing a reshaped block axis (which numpy walks with strides).
    """
    rows = values[0::step].copy()
    for k in range(1, step):
        part = values[k::step]
        ufunc(rows[:len(part)], part, out=rows[:len(part)])
    blocks = rows[:, 0::step].copy()
    for k in range(1, step):
        part = rows[:, k::step]
        ufunc(blocks[:, :part.shape[1]], part, out=blocks[:, :part.shape[1]])
    return blocks
