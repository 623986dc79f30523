"""The interface every frame source implements."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self

import numpy as np

from workbench.sources.frame import Frame, Size


class FrameSource(ABC):
    """A stream of RGB frames: camera, video file, still image or synthetic pattern.

    Life cycle: ``open()`` (raises :class:`~workbench.sources.errors.SourceError` with a
    message naming the device or file), any number of ``read()`` calls, ``close()``.
    ``open`` and ``close`` are idempotent; sources are context managers.

    Sources are not thread-safe: use one from one thread at a time. While a
    :class:`~workbench.sources.capture.CaptureThread` runs, it owns its source.
    """

    @property
    @abstractmethod
    def description(self) -> str:
        """Human-readable name used in messages, e.g. ``"Camera 0"``."""

    @property
    @abstractmethod
    def is_live(self) -> bool:
        """Whether ``read()`` blocks until the device delivers (cameras).

        A capture thread paces non-live sources at :attr:`fps` itself.
        """

    @property
    @abstractmethod
    def fps(self) -> float | None:
        """Nominal frame rate, or ``None`` when unknown."""

    @property
    @abstractmethod
    def size(self) -> Size | None:
        """Size of the frames actually delivered; ``None`` before ``open()``."""

    @property
    @abstractmethod
    def is_open(self) -> bool:
        """Whether ``open()`` succeeded and ``close()`` has not been called since."""

    @abstractmethod
    def open(self) -> None:
        """Acquire the device or file; no-op when already open.

        Raises
        ------
        SourceError
            If the device or file cannot be opened or delivers no frame.
        """

    @abstractmethod
    def read(self) -> Frame | None:
        """Return the next frame, or ``None`` at the end of the stream.

        Returns
        -------
        Frame or None
            The next frame; ``None`` once a finite, non-looping stream is exhausted.

        Raises
        ------
        SourceError
            If the source is not open or has failed (e.g. a camera was unplugged).
        """

    @abstractmethod
    def close(self) -> None:
        """Release the device or file; safe to call more than once."""

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "open" if self.is_open else "closed"
        return f"<{type(self).__name__} {self.description!r} ({state})>"


class SeekableSource(FrameSource):
    """A finite or indexable source that supports random access by frame index."""

    @property
    @abstractmethod
    def frame_count(self) -> int | None:
        """Number of frames, or ``None`` for an endless sequence."""

    @property
    @abstractmethod
    def position(self) -> int:
        """Index of the frame the next ``read()`` returns."""

    @property
    @abstractmethod
    def loop(self) -> bool:
        """Whether ``read()`` wraps to frame 0 at the end instead of returning ``None``."""

    @loop.setter
    @abstractmethod
    def loop(self, value: bool) -> None: ...

    @abstractmethod
    def seek(self, index: int) -> None:
        """Make the next ``read()`` return frame ``index``.

        Parameters
        ----------
        index : int
            Frame index, ``0 <= index < frame_count``.

        Raises
        ------
        ValueError
            If ``index`` is out of range.
        SourceError
            If the source is not open.
        """

    def seek_fraction(self, fraction: float) -> int:
        """Seek to a fraction of the sequence, ``0.0`` (first) to ``1.0`` (last frame).

        Parameters
        ----------
        fraction : float
            Position in ``[0, 1]``; values outside are clipped.

        Returns
        -------
        int
            The frame index sought to.

        Raises
        ------
        ValueError
            If the source is endless or ``fraction`` is not a finite number.
        """
        index = fraction_to_index(fraction, self.frame_count)
        self.seek(index)
        return index


def fraction_to_index(fraction: float, frame_count: int | None) -> int:
    """Map a position in ``[0, 1]`` to a frame index of a sequence of ``frame_count`` frames.

    Parameters
    ----------
    fraction : float
        Position; clipped to ``[0, 1]``.
    frame_count : int or None
        Length of the sequence.

    Returns
    -------
    int
        ``round(fraction * (frame_count - 1))``.

    Raises
    ------
    ValueError
        If ``frame_count`` is ``None`` or not positive, or ``fraction`` is not finite.
    """
    if frame_count is None or frame_count <= 0:
        raise ValueError("seeking by fraction needs a source with a known, positive frame count")
    if not math.isfinite(fraction):
        raise ValueError(f"fraction must be a finite number, got {fraction}")
    fraction = min(max(float(fraction), 0.0), 1.0)
    return round(fraction * (frame_count - 1))


def check_index(index: int, frame_count: int | None) -> int:
    """Validate a frame index against a sequence length.

    Parameters
    ----------
    index : int
        Candidate index.
    frame_count : int or None
        Length of the sequence, ``None`` for endless.

    Returns
    -------
    int
        ``index`` as a Python ``int``.

    Raises
    ------
    ValueError
        If ``index`` is not an integer or is out of ``[0, frame_count)``.
    """
    if isinstance(index, bool) or not isinstance(index, int | np.integer):
        raise ValueError(f"index must be an integer, got {index!r}")
    index = int(index)
    if index < 0 or (frame_count is not None and index >= frame_count):
        upper = "inf" if frame_count is None else str(frame_count - 1)
        raise ValueError(f"index must be in [0, {upper}], got {index}")
    return index
