"""Turning decoded images into network input tensors."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from workbench.core.arrays import FloatArray

# ITU-R BT.601 luma weights, the ones OpenCV and PIL use for RGB -> gray.
LUMA_BT601 = (0.299, 0.587, 0.114)


def image_to_chw(img: Any, mode: Literal["rgb", "gray"] = "rgb", scale: float | None = None, *,
                 bgr: bool = False) -> FloatArray:
    """Convert an ``HxW`` or ``HxWxC`` image to a float32 ``(C, H, W)`` tensor.

    Parameters
    ----------
    img : array_like
        uint8, uint16 or floating-point image; gray ``(H, W)`` / ``(H, W, 1)``, colour
        ``(H, W, 3)`` or with alpha ``(H, W, 4)`` (alpha is dropped).
    mode : {"rgb", "gray"}, optional
        ``"rgb"`` gives 3 channels (gray input is repeated), ``"gray"`` 1 channel using
        BT.601 luma weights.
    scale : float, optional
        Multiplier applied to the values. ``None`` picks 1/255 for uint8, 1/65535 for
        uint16 and 1 for floating-point input, so the result lies in [0, 1].
    bgr : bool, optional
        The colour channels are in OpenCV's BGR order.

    Returns
    -------
    numpy.ndarray
        float32 C-contiguous ``(3, H, W)`` or ``(1, H, W)``.

    Raises
    ------
    ValueError
        On an unsupported shape, dtype or mode.

    Examples
    --------
    >>> image_to_chw(np.full((2, 2, 3), 255, np.uint8), "gray")[0, 0, 0]
    np.float32(1.0)
    """
    arr = np.asarray(img)
    if mode not in ("rgb", "gray"):
        raise ValueError(f"mode must be 'rgb' or 'gray', got {mode!r}")
    if arr.dtype.kind not in "uif" and arr.dtype != np.bool_:
        raise ValueError(f"img must be a uint8, uint16 or float image, got dtype {arr.dtype}")
    if arr.size == 0:
        raise ValueError(f"img must not be empty, got shape {arr.shape}")
    if scale is None:
        scale = {np.dtype(np.uint8): 1 / 255, np.dtype(np.uint16): 1 / 65535}.get(arr.dtype, 1.0)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim == 2:
        gray = arr.astype(np.float32) * np.float32(scale)
        chans = gray[np.newaxis] if mode == "gray" else np.repeat(gray[np.newaxis], 3, axis=0)
        return np.ascontiguousarray(chans, dtype=np.float32)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4):
        raise ValueError(f"img must have shape (H, W), (H, W, 3) or (H, W, 4), got {arr.shape}")
    rgb = arr[:, :, :3].astype(np.float32)
    if bgr:
        rgb = rgb[:, :, ::-1]
    if mode == "gray":
        r, g, b = LUMA_BT601
        gray = (rgb[:, :, 0] * np.float32(r) + rgb[:, :, 1] * np.float32(g)
                + rgb[:, :, 2] * np.float32(b)) * np.float32(scale)
        return np.ascontiguousarray(gray[np.newaxis], dtype=np.float32)
    return np.ascontiguousarray(rgb.transpose(2, 0, 1) * np.float32(scale), dtype=np.float32)
