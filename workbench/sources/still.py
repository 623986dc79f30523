"""A still image behind the frame-source interface.

Files are read by :func:`workbench.io.images.read_image`, as the window and ``apply`` read
them, then converted to the frames' RGB ``uint8`` (:func:`~workbench.sources.frame.as_rgb8`).
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import numpy as np

from workbench.io.images import ImageLoadError, read_image
from workbench.sources.base import FrameSource
from workbench.sources.errors import SourceError
from workbench.sources.frame import ChannelOrder, Frame, Size, as_rgb8


class StillImageSource(FrameSource):
    """One image as a frame source.

    By default the stream is one frame long and then ends (the capture thread keeps that
    frame available); with ``repeat=True`` the same image is delivered again at ``fps``
    (each time as a new :class:`Frame` sharing the same read-only pixels).

    Parameters
    ----------
    image : numpy.ndarray or str or os.PathLike
        An array (copied and converted with :func:`as_rgb8`) or an image file, read when
        the source is opened.
    repeat : bool, optional
        Deliver the image endlessly instead of once.
    fps : float, optional
        Rate at which a capture thread repeats the image.
    channel_order : {"rgb", "bgr"}, optional
        Channel order of an array ``image``.
    name : str, optional
        Used in :attr:`description`; defaults to the file name or ``"array"``.

    Raises
    ------
    ValueError
        If the array or ``fps`` is invalid.
    """

    def __init__(
        self,
        image: np.ndarray | str | os.PathLike[str],
        *,
        repeat: bool = False,
        fps: float = 10.0,
        channel_order: ChannelOrder = "rgb",
        name: str | None = None,
    ) -> None:
        fps = float(fps)
        if not math.isfinite(fps) or fps <= 0:
            raise ValueError(f"fps must be a positive number, got {fps}")
        self._fps = fps
        self._repeat = bool(repeat)
        self._path: Path | None = None
        self._image: np.ndarray | None = None
        if isinstance(image, np.ndarray):
            rgb = as_rgb8(image, channel_order=channel_order)
            self._image = rgb.copy() if np.shares_memory(rgb, image) else rgb
            self._image.flags.writeable = False
            self._name = name or "array"
        else:
            self._path = Path(image)
            self._name = name or self._path.name
        self._open = False
        self._count = 0

    @property
    def description(self) -> str:
        """``"Image '<name>'"``."""
        return f"Image '{self._name}'"

    @property
    def is_live(self) -> bool:
        """Always ``False``."""
        return False

    @property
    def fps(self) -> float:
        """Repeat rate."""
        return self._fps

    @property
    def size(self) -> Size | None:
        """Image size; ``None`` for a file not yet opened."""
        if self._image is None:
            return None
        return Size(int(self._image.shape[1]), int(self._image.shape[0]))

    @property
    def is_open(self) -> bool:
        """Whether the source is open."""
        return self._open

    @property
    def repeat(self) -> bool:
        """Whether the image is delivered endlessly."""
        return self._repeat

    def open(self) -> None:
        """Load the image file if not loaded yet.

        Raises
        ------
        SourceError
            If the file cannot be read or decoded.
        """
        if self._image is None and self._path is not None:
            try:
                pixels = read_image(self._path)
            except ImageLoadError as exc:
                raise SourceError(f"Image file could not be opened: {exc}") from exc
            image = as_rgb8(pixels)  # pixels are fresh: no copy needed when already RGB8
            image.flags.writeable = False
            self._image = image
        self._open = True
        self._count = 0

    def read(self) -> Frame | None:
        """Return the image as a frame, or ``None`` once delivered (unless repeating).

        Returns
        -------
        Frame or None
            The image, index counting deliveries from 0.

        Raises
        ------
        SourceError
            If the source is not open.
        """
        if not self._open or self._image is None:
            raise SourceError(f"{self.description} is not open")
        if self._count > 0 and not self._repeat:
            return None
        frame = Frame(self._image, self._count, time.monotonic(), source_time=None)
        self._count += 1
        return frame

    def close(self) -> None:
        """Close the source (the image stays in memory)."""
        self._open = False
