"""The frame record passed from sources to consumers, and its pixel-format policy.

Every source delivers RGB ``uint8`` images of shape ``(H, W, 3)``, C-contiguous and
read-only. Conversion happens once, at the source boundary, in :func:`as_rgb8`:

- OpenCV's BGR order is swapped to RGB (``channel_order="bgr"``);
- gray ``(H, W)`` or ``(H, W, 1)`` images are replicated into three channels;
- a fourth (alpha) channel is dropped without compositing;
- ``uint16`` is scaled to ``uint8`` by dividing by 257 (65535 -> 255), rounding to nearest;
- floating-point images are taken as ``[0, 1]`` intensities (clipped, NaN -> 0);
- boolean images become 0 / 255.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal, NamedTuple

import cv2
import numpy as np

ChannelOrder = Literal["rgb", "bgr"]


class Size(NamedTuple):
    """Image size in pixels, in OpenCV's order: ``(width, height)``."""

    width: int
    height: int

    def __str__(self) -> str:
        return f"{self.width}x{self.height}"


@dataclass(frozen=True, slots=True, eq=False)
class Frame:
    """One image from a frame source.

    Parameters
    ----------
    image : numpy.ndarray
        RGB image, shape ``(H, W, 3)``, dtype ``uint8``, C-contiguous. The frame takes
        ownership of the array and marks it read-only, so one frame can be shared
        between threads without copying.
    index : int
        The source's own frame number: the position in a video file or synthetic
        sequence, or a running count for cameras. It can go backwards after a seek or a loop.
    timestamp : float
        ``time.monotonic()`` when the frame was read.
    source_time : float or None, optional
        Presentation time inside the source in seconds (video files, synthetic
        patterns); ``None`` when the source has no clock of its own.
    seq : int, optional
        Sequence number assigned by :class:`~workbench.sources.capture.CaptureThread`,
        strictly increasing per capture (starts at 1). ``0`` for frames that did not come
        through a capture thread.

    Raises
    ------
    ValueError
        If ``image`` is not a C-contiguous ``uint8`` array of shape ``(H, W, 3)``.
    """

    image: np.ndarray
    index: int
    timestamp: float
    source_time: float | None = None
    seq: int = 0

    def __post_init__(self) -> None:
        image = self.image
        if not isinstance(image, np.ndarray):
            raise ValueError(f"image must be a numpy array, got {type(image).__name__}")
        if image.ndim != 3 or image.shape[2] != 3 or image.shape[0] == 0 or image.shape[1] == 0:
            raise ValueError(f"image must have shape (H, W, 3) with H, W > 0, got {image.shape}")
        if image.dtype != np.uint8:
            raise ValueError(f"image dtype must be uint8, got {image.dtype}")
        if not image.flags.c_contiguous:
            raise ValueError("image must be C-contiguous")
        image.flags.writeable = False

    @property
    def size(self) -> Size:
        """Image size as ``(width, height)``."""
        return Size(int(self.image.shape[1]), int(self.image.shape[0]))

    def copy(self) -> Frame:
        """Return a frame with its own copy of the pixels (for freezing a live frame).

        Returns
        -------
        Frame
            Same metadata, image copied (still read-only).
        """
        return dataclasses.replace(self, image=self.image.copy())


def as_rgb8(image: np.ndarray, *, channel_order: ChannelOrder = "rgb") -> np.ndarray:
    """Convert an image to RGB ``uint8``, ``(H, W, 3)``, C-contiguous.

    Parameters
    ----------
    image : numpy.ndarray
        Gray ``(H, W)`` / ``(H, W, 1)``, colour ``(H, W, 3)`` or colour + alpha
        ``(H, W, 4)``; dtype ``uint8``, ``uint16``, floating point (``[0, 1]``) or bool.
    channel_order : {"rgb", "bgr"}, optional
        Channel order of ``image`` (OpenCV decodes to ``"bgr"``).

    Returns
    -------
    numpy.ndarray
        RGB ``uint8`` image. It may be ``image`` itself when no conversion is needed.

    Raises
    ------
    ValueError
        If the shape, dtype or ``channel_order`` is not one of those listed above.

    Examples
    --------
    >>> import numpy as np
    >>> as_rgb8(np.full((2, 2), 65535, dtype=np.uint16))[0, 0].tolist()
    [255, 255, 255]
    >>> as_rgb8(np.array([[[10, 20, 30]]], dtype=np.uint8), channel_order="bgr").tolist()
    [[[30, 20, 10]]]
    """
    if channel_order not in ("rgb", "bgr"):
        raise ValueError(f"channel_order must be 'rgb' or 'bgr', got {channel_order!r}")
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] in (3, 4))):
        raise ValueError(
            f"image must have shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), got {image.shape}"
        )
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"image must not be empty, got shape {image.shape}")
    image = _to_uint8(image)
    if image.ndim == 2:
        return cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_GRAY2RGB)
    if image.shape[2] == 4:
        code = cv2.COLOR_BGRA2RGB if channel_order == "bgr" else cv2.COLOR_RGBA2RGB
        return cv2.cvtColor(np.ascontiguousarray(image), code)
    if channel_order == "bgr":
        return cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_BGR2RGB)
    return np.ascontiguousarray(image)


def _to_uint8(image: np.ndarray) -> np.ndarray:
    if image.dtype == np.uint8:
        return image
    if image.dtype == np.uint16:
        return ((image.astype(np.uint32) + 128) // 257).astype(np.uint8)
    if image.dtype == np.bool_:
        return image.astype(np.uint8) * np.uint8(255)
    if np.issubdtype(image.dtype, np.floating):
        scaled = np.nan_to_num(image.astype(np.float32), nan=0.0, posinf=1.0, neginf=0.0)
        rounded: np.ndarray = np.rint(np.clip(scaled, 0.0, 1.0) * 255.0)
        return rounded.astype(np.uint8)
    raise ValueError(
        f"image dtype must be uint8, uint16, floating point or bool, got {image.dtype}"
    )
