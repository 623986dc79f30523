"""Video files read through OpenCV's FFmpeg backend."""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from pathlib import Path

import cv2

from workbench.sources.base import SeekableSource, check_index
from workbench.sources.errors import SourceError
from workbench.sources.frame import Frame, Size, as_rgb8

FALLBACK_FPS = 25.0
"""Frame rate assumed for files that do not declare a usable one."""

_MAX_PLAUSIBLE_FPS = 1000.0

_log = logging.getLogger(__name__)


class VideoFileSource(SeekableSource):
    """Frames of a video file, any format OpenCV's FFmpeg backend reads.

    ``open()`` validates the file: it must open and decode its first frame, and when the
    container declares a frame count, the frames near the declared end must decode, so
    truncated files are rejected up front rather than ending early. Because containers
    without an index (e.g. Matroska) only estimate the count from duration x frame rate,
    a shortfall of up to ``max(3, 2 %)`` of the declared count is tolerated and
    :attr:`frame_count` is corrected to the frames that actually decode.

    ``read()`` returns frames as fast as it is called; a
    :class:`~workbench.sources.capture.CaptureThread` paces them at :attr:`fps`.
    Seeking, reading and closing are serialised by an internal lock.

    Parameters
    ----------
    path : str or os.PathLike
        The video file.
    loop : bool, optional
        Wrap to the first frame at the end instead of ending the stream.
    api_preference : int, optional
        OpenCV capture backend, ``cv2.CAP_FFMPEG`` by default.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        loop: bool = False,
        api_preference: int = cv2.CAP_FFMPEG,
    ) -> None:
        self._path = Path(path)
        self._loop = bool(loop)
        self._api = api_preference
        self._lock = threading.RLock()
        self._cap: cv2.VideoCapture | None = None
        self._size: Size | None = None
        self._fps: float | None = None
        self._declared_fps: float | None = None
        self._frame_count: int | None = None
        self._declared_count: int | None = None
        self._notice: str | None = None
        self._position = 0

    @property
    def path(self) -> Path:
        """The video file."""
        return self._path

    @property
    def description(self) -> str:
        """``"Video file '<path>'"``."""
        return f"Video file '{self._path}'"

    @property
    def is_live(self) -> bool:
        """Always ``False``: files are paced by the consumer."""
        return False

    @property
    def fps(self) -> float | None:
        """Frame rate declared by the file, or :data:`FALLBACK_FPS`; ``None`` before open."""
        return self._fps

    @property
    def declared_fps(self) -> float | None:
        """Frame rate as declared by the file, ``None`` if missing or implausible."""
        return self._declared_fps

    @property
    def size(self) -> Size | None:
        """Size of the decoded frames; ``None`` before open."""
        return self._size

    @property
    def is_open(self) -> bool:
        """Whether the file is open."""
        return self._cap is not None

    @property
    def frame_count(self) -> int | None:
        """Number of frames (checked at open); ``None`` if the container declares none."""
        return self._frame_count

    @property
    def declared_frame_count(self) -> int | None:
        """Frame count the container's header declares; ``None`` if it declares none."""
        return self._declared_count

    @property
    def frames_reachable(self) -> int | None:
        """Frames that really decode (same as :attr:`frame_count`); ``None`` if unknown."""
        return self._frame_count

    @property
    def truncated(self) -> bool:
        """Whether fewer frames decode than the header declares."""
        return (self._declared_count is not None and self._frame_count is not None
                and self._frame_count < self._declared_count)

    @property
    def notice(self) -> str | None:
        """A sentence about the file for the user (truncation, miscounted frames), or ``None``.

        Set when :meth:`open` or :meth:`read` finds that the header's frame count is wrong;
        it is also logged once as a warning.
        """
        return self._notice

    @property
    def duration(self) -> float | None:
        """``frame_count / fps`` in seconds, ``None`` when either is unknown."""
        if self._frame_count is None or not self._fps:
            return None
        return self._frame_count / self._fps

    @property
    def position(self) -> int:
        """Index of the frame the next ``read()`` returns."""
        return self._position

    @property
    def loop(self) -> bool:
        """Whether playback wraps to frame 0 at the end."""
        return self._loop

    @loop.setter
    def loop(self, value: bool) -> None:
        self._loop = bool(value)

    def open(self) -> None:
        """Open and validate the file.

        Raises
        ------
        SourceError
            If the file is missing, unreadable, not a video, truncated or has no frames;
            the message names the file.
        """
        with self._lock:
            if self._cap is not None:
                return
            if not self._path.is_file():
                raise SourceError(f"{self.description} could not be opened: no such file")
            cap = cv2.VideoCapture(str(self._path), self._api)
            try:
                self._validate(cap)
            except BaseException:
                cap.release()
                raise
            self._cap = cap

    def _validate(self, cap: cv2.VideoCapture) -> None:
        if not cap.isOpened():
            raise SourceError(
                f"{self.description} could not be opened: it is not a video that OpenCV's "
                "FFmpeg backend can read, or it is truncated or corrupt"
            )
        declared = round(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        self._declared_count = None
        self._notice = None
        ok, first = cap.read()
        if not ok or first is None:
            raise SourceError(f"{self.description} contains no readable frames")
        if declared > 1:
            declared = self._check_end(cap, declared)
            if not cap.set(cv2.CAP_PROP_POS_FRAMES, 0):
                raise SourceError(f"{self.description} cannot seek back to its first frame")
        elif declared == 1:
            cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
        fps = cap.get(cv2.CAP_PROP_FPS)
        plausible = math.isfinite(fps) and 0.0 < fps <= _MAX_PLAUSIBLE_FPS
        self._declared_fps = float(fps) if plausible else None
        self._fps = self._declared_fps or FALLBACK_FPS
        self._frame_count = int(declared) if declared > 0 else None
        self._declared_count = self._frame_count if self._declared_count is None \
            else self._declared_count
        self._size = Size(int(first.shape[1]), int(first.shape[0]))
        self._position = 0
        if declared <= 0:
            # No declared count means we could not seek back: reopen at the start.
            cap.open(str(self._path), self._api)
            if not cap.isOpened():
                raise SourceError(f"{self.description} could not be reopened")

    def _check_end(self, cap: cv2.VideoCapture, declared: int) -> int:
        """Return the real frame count; note a truncated or miscounted file."""
        if _can_read_at(cap, declared - 1):
            return declared
        tolerance = max(3, math.ceil(0.02 * declared))
        start = max(declared - 1 - tolerance, 1)
        if _can_read_at(cap, start):
            count = start + 1
            while count < declared and cap.read()[0]:
                count += 1
            if declared - count <= tolerance:
                return count  # an estimated count (no index): not worth a notice
        else:
            # Seeking is unreliable here (missing data, joined MPEG-TS files whose
            # timestamps restart): count the frames by decoding the file in order.
            if not cap.set(cv2.CAP_PROP_POS_FRAMES, 0):
                cap.open(str(self._path), self._api)
            count = 0
            while cap.grab():
                count += 1
            if count == 0:
                raise SourceError(f"{self.description} contains no readable frames")
            if not cap.set(cv2.CAP_PROP_POS_FRAMES, 0):
                cap.open(str(self._path), self._api)
        self._declared_count = declared
        self._note_count(count, declared)
        return count

    def _note_count(self, count: int, declared: int) -> None:
        if count < declared:
            self._notice = (f"{self.description} is truncated: {count} of {declared} frames "
                            "can be decoded.")
        else:
            self._notice = (f"{self.description} declares {declared} frames but {count} "
                            "can be decoded (e.g. joined MPEG-TS files); all are played.")
        _log.warning("%s", self._notice)

    def read(self) -> Frame | None:
        """Decode the next frame.

        Returns
        -------
        Frame or None
            The frame at :attr:`position`; ``None`` at the end unless :attr:`loop` is set.

        Raises
        ------
        SourceError
            If the file is not open.
        """
        with self._lock:
            cap = self._require_open()
            index = self._position
            ok, bgr = cap.read()
            if not ok and self._loop and index > 0:
                self._seek_locked(cap, 0)
                index = 0
                ok, bgr = cap.read()
            if not ok or bgr is None:
                self._found_end(index)
                return None
            self._position = index + 1
            msec = cap.get(cv2.CAP_PROP_POS_MSEC)
            fps = self._fps or FALLBACK_FPS
            source_time = msec / 1000.0 if math.isfinite(msec) and msec >= 0 else index / fps
            image = as_rgb8(bgr, channel_order="bgr")
            return Frame(
                image=image, index=index, timestamp=time.monotonic(), source_time=source_time
            )

    def skip(self, count: int) -> int:
        """Pass over the next ``count`` frames in decode order without converting them.

        Unlike :meth:`seek` this is exact in every container (frames are decoded in
        order), and cheaper than :meth:`read` (no colour conversion or copy).

        Parameters
        ----------
        count : int
            Frames to pass over.

        Returns
        -------
        int
            Frames actually passed over (fewer at the end of the file).

        Raises
        ------
        SourceError
            If the file is not open.
        """
        with self._lock:
            cap = self._require_open()
            done = 0
            while done < count and cap.grab():
                done += 1
            self._position += done
            return done

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
            If the file is not open or the backend refuses the seek.
        """
        with self._lock:
            cap = self._require_open()
            self._seek_locked(cap, check_index(index, self._frame_count))

    def _seek_locked(self, cap: cv2.VideoCapture, index: int) -> None:
        if not cap.set(cv2.CAP_PROP_POS_FRAMES, index):
            raise SourceError(f"{self.description} could not seek to frame {index}")
        self._position = index

    def close(self) -> None:
        """Release the file; safe to call more than once."""
        with self._lock:
            cap, self._cap = self._cap, None
            if cap is not None:
                cap.release()

    def _found_end(self, index: int) -> None:
        """Correct the frame count when decoding stops before it (reported once)."""
        count = self._frame_count
        if count is None or index <= 0 or index >= count or self._notice is not None:
            return
        self._declared_count = max(self._declared_count or count, count)
        self._frame_count = index
        self._note_count(index, self._declared_count)

    def _require_open(self) -> cv2.VideoCapture:
        if self._cap is None:
            raise SourceError(f"{self.description} is not open")
        return self._cap


def _can_read_at(cap: cv2.VideoCapture, index: int) -> bool:
    if not cap.set(cv2.CAP_PROP_POS_FRAMES, index):
        return False
    ok, image = cap.read()
    return bool(ok) and image is not None
