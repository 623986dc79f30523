"""A deterministic moving test pattern, for demos and tests without a camera."""

from __future__ import annotations

import math
import time

import cv2
import numpy as np

from workbench.sources.base import SeekableSource, check_index
from workbench.sources.errors import SourceError
from workbench.sources.frame import Frame, Size

BAR_COLOURS = ((40, 40, 60), (200, 200, 185))
"""RGB of the dark and light vertical bars."""
LINE_COLOUR = (235, 60, 50)
"""RGB of the rotating line."""
DISK_COLOUR = (60, 210, 90)
"""RGB of the moving disk."""

BAR_PERIOD_FRACTION = 1 / 8
"""Bar period as a fraction of the width; the bars drift one period per second."""
LINE_TURN_SECONDS = 4.0
"""Seconds per full turn of the line."""
DISK_PERIODS_SECONDS = (3.0, 2.0)
"""Periods of the disk's horizontal and vertical oscillation (a Lissajous path)."""

_SUBPIXEL_BITS = 4


def synthetic_frame(
    index: int, size: tuple[int, int] = (320, 240), fps: float = 30.0
) -> np.ndarray:
    """Render frame ``index`` of the test pattern.

    The pattern is a function of ``t = index / fps`` only: vertical bars drifting right,
    a line rotating about the centre and a disk moving on a Lissajous path.

    Parameters
    ----------
    index : int
        Frame number, ``>= 0``.
    size : tuple of int, optional
        ``(width, height)``, each ``>= 8``.
    fps : float, optional
        Frames per second, ``> 0``.

    Returns
    -------
    numpy.ndarray
        RGB ``uint8`` image of shape ``(height, width, 3)``.

    Raises
    ------
    ValueError
        If an argument is out of range.

    Examples
    --------
    >>> synthetic_frame(0, (64, 48)).shape
    (48, 64, 3)
    >>> bool((synthetic_frame(5, (64, 48)) == synthetic_frame(5, (64, 48))).all())
    True
    """
    width, height = _check_size(size)
    fps = _check_fps(fps)
    index = check_index(index, None)
    t = index / fps

    period = max(2.0, width * BAR_PERIOD_FRACTION)
    x = np.arange(width, dtype=np.float64)
    light = ((x - period * t) % period) < period / 2
    row = np.where(light[:, None], np.array(BAR_COLOURS[1]), np.array(BAR_COLOURS[0]))
    image = np.ascontiguousarray(np.broadcast_to(row.astype(np.uint8), (height, width, 3)))

    scale = 1 << _SUBPIXEL_BITS
    cx, cy = width / 2, height / 2
    short = min(width, height)
    angle = 2 * math.pi * t / LINE_TURN_SECONDS
    half = 0.4 * short
    dx, dy = half * math.cos(angle), half * math.sin(angle)
    cv2.line(
        image,
        (round((cx - dx) * scale), round((cy - dy) * scale)),
        (round((cx + dx) * scale), round((cy + dy) * scale)),
        LINE_COLOUR,
        thickness=max(1, short // 60),
        lineType=cv2.LINE_AA,
        shift=_SUBPIXEL_BITS,
    )
    px, py = DISK_PERIODS_SECONDS
    disk_x = cx + 0.35 * width * math.sin(2 * math.pi * t / px)
    disk_y = cy + 0.30 * height * math.sin(2 * math.pi * t / py)
    cv2.circle(
        image,
        (round(disk_x * scale), round(disk_y * scale)),
        round(short / 10 * scale),
        DISK_COLOUR,
        thickness=-1,
        lineType=cv2.LINE_AA,
        shift=_SUBPIXEL_BITS,
    )
    return image


class SyntheticSource(SeekableSource):
    """The :func:`synthetic_frame` pattern as a frame source.

    Deterministic: frame ``i`` always has the same pixels. Not live; a capture thread
    paces it at ``fps``.

    Parameters
    ----------
    size : tuple of int, optional
        ``(width, height)``, each ``>= 8``.
    fps : float, optional
        Frame rate, ``> 0``; also the pattern's clock.
    frame_count : int, optional
        Length of the sequence; ``None`` (default) for endless.
    loop : bool, optional
        With ``frame_count``, wrap to frame 0 instead of ending.

    Raises
    ------
    ValueError
        If an argument is out of range.
    """

    def __init__(
        self,
        size: tuple[int, int] = (320, 240),
        fps: float = 30.0,
        *,
        frame_count: int | None = None,
        loop: bool = False,
    ) -> None:
        self._size = Size(*_check_size(size))
        self._fps = _check_fps(fps)
        if frame_count is not None and (isinstance(frame_count, bool) or frame_count < 1):
            raise ValueError(f"frame_count must be a positive integer or None, got {frame_count}")
        self._frame_count = None if frame_count is None else int(frame_count)
        self._loop = bool(loop)
        self._position = 0
        self._open = False

    @property
    def description(self) -> str:
        """``"Synthetic pattern WxH @ F fps"``."""
        return f"Synthetic pattern {self._size} @ {self._fps:g} fps"

    @property
    def is_live(self) -> bool:
        """Always ``False``."""
        return False

    @property
    def fps(self) -> float:
        """Frame rate."""
        return self._fps

    @property
    def size(self) -> Size:
        """Frame size (known before ``open()``)."""
        return self._size

    @property
    def is_open(self) -> bool:
        """Whether the source is open."""
        return self._open

    @property
    def frame_count(self) -> int | None:
        """Length of the sequence, ``None`` for endless."""
        return self._frame_count

    @property
    def position(self) -> int:
        """Index of the frame the next ``read()`` returns."""
        return self._position

    @property
    def loop(self) -> bool:
        """Whether a finite sequence wraps to frame 0."""
        return self._loop

    @loop.setter
    def loop(self, value: bool) -> None:
        self._loop = bool(value)

    def open(self) -> None:
        """Open the source (nothing to acquire)."""
        self._open = True

    def read(self) -> Frame | None:
        """Render the next frame.

        Returns
        -------
        Frame or None
            The frame at :attr:`position`, or ``None`` past the end of a finite,
            non-looping sequence.

        Raises
        ------
        SourceError
            If the source is not open.
        """
        if not self._open:
            raise SourceError(f"{self.description} is not open")
        index = self._position
        if self._frame_count is not None and index >= self._frame_count:
            if not self._loop:
                return None
            index = 0
        self._position = index + 1
        image = synthetic_frame(index, self._size, self._fps)
        return Frame(image, index, time.monotonic(), source_time=index / self._fps)

    def seek(self, index: int) -> None:
        """Make the next ``read()`` return frame ``index``.

        Parameters
        ----------
        index : int
            Frame index, ``>= 0`` and below ``frame_count`` if set.

        Raises
        ------
        ValueError
            If ``index`` is out of range.
        """
        self._position = check_index(index, self._frame_count)

    def close(self) -> None:
        """Close the source."""
        self._open = False


def _check_size(size: tuple[int, int]) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in size)
    except (TypeError, ValueError):
        raise ValueError(f"size must be a (width, height) pair, got {size!r}") from None
    if width < 8 or height < 8:
        raise ValueError(f"size must be at least 8x8, got {width}x{height}")
    return width, height


def _check_fps(fps: float) -> float:
    fps = float(fps)
    if not math.isfinite(fps) or fps <= 0:
        raise ValueError(f"fps must be a positive number, got {fps}")
    return fps
