"""Recording frames to a video file, crash-safely."""

from __future__ import annotations

import itertools
import logging
import math
import os
import queue
import secrets
import threading
from pathlib import Path
from types import TracebackType
from typing import Self

import cv2
import numpy as np

from workbench.sources.errors import RecorderError
from workbench.sources.frame import Frame, Size, as_rgb8

_log = logging.getLogger(__name__)

DEFAULT_FOURCC = "mp4v"
"""MPEG-4 Part 2: encodable by every FFmpeg build OpenCV ships, plays in most players."""
DEFAULT_QUEUE_SIZE = 32
"""Frames the writer thread may lag behind before new frames are dropped."""

_thread_numbers = itertools.count(1)
_STOP = object()


class VideoRecorder:
    """Write RGB or gray frames to a video file through ``cv2.VideoWriter``.

    The frame size is fixed by the first frame, rounded down to even numbers (4:2:0
    codecs such as mp4v need even sizes: an odd last row / column is cropped); frames of
    another size are resized to it.

    Frames go to a hidden temporary file in the target folder
    (``.<stem>.<random>.partial<suffix>``, created by the first frame) which :meth:`close`
    renames into place, so a crash never leaves a truncated file under the real name. If
    nothing was written, ``close`` creates no file. Leaving a ``with`` block by an
    exception calls :meth:`abort` instead, discarding the recording.

    ``write`` may be called from any thread. With ``threaded=True`` (default) encoding
    happens on a daemon writer thread behind a bounded queue, so ``write`` never waits
    for the encoder: when the queue is full the frame is dropped and counted.

    Parameters
    ----------
    path : str or os.PathLike
        Target file; its suffix selects the container (``.mp4``, ``.avi``, ...).
    fps : float
        Frame rate stored in the file, ``> 0``.
    overwrite : bool, optional
        Replace an existing file at ``path``. Otherwise an existing file is never touched.
    fourcc : str, optional
        Four-character codec code, ``"mp4v"`` by default.
    threaded : bool, optional
        Encode on a writer thread (default) or synchronously in ``write``.
    queue_size : int, optional
        Capacity of the writer thread's queue, in frames.

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``overwrite`` is false.
    FileNotFoundError
        If the target folder does not exist.
    ValueError
        If ``fps``, ``fourcc`` or ``queue_size`` is invalid.

    Examples
    --------
    >>> with VideoRecorder("clip.mp4", fps=30) as rec:  # doctest: +SKIP
    ...     for frame in frames:
    ...         rec.write(frame)
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        fps: float,
        *,
        overwrite: bool = False,
        fourcc: str = DEFAULT_FOURCC,
        threaded: bool = True,
        queue_size: int = DEFAULT_QUEUE_SIZE,
    ) -> None:
        fps = float(fps)
        if not math.isfinite(fps) or fps <= 0:
            raise ValueError(f"fps must be a positive number, got {fps}")
        if not isinstance(fourcc, str) or len(fourcc) != 4:
            raise ValueError(f"fourcc must be a four-character string, got {fourcc!r}")
        if queue_size < 1:
            raise ValueError(f"queue_size must be at least 1, got {queue_size}")
        self._path = Path(path)
        folder = self._path.parent
        if not folder.is_dir():
            raise FileNotFoundError(
                f"cannot record to '{self._path}': folder '{folder}' does not exist"
            )
        if self._path.exists() and not overwrite:
            raise FileExistsError(
                f"'{self._path}' already exists; pass overwrite=True to replace it"
            )
        self._fps = fps
        self._fourcc = fourcc
        self._fourcc_code = cv2.VideoWriter.fourcc(*fourcc)
        self._overwrite = overwrite
        # Not mkstemp: its 0600 mode would survive the rename; FFmpeg creates the file
        # with the usual umask-based mode on the first frame.
        self._temp_path = _unused_name(folder, self._path)

        self._lock = threading.Lock()
        self._close_lock = threading.Lock()
        self._writer: cv2.VideoWriter | None = None
        self._size: Size | None = None
        self._closed = False
        self._final_path: Path | None = None
        self._written = 0
        self._dropped = 0
        self._writer_error: BaseException | None = None
        self._threaded = threaded
        self._queue: queue.Queue[object] = queue.Queue(maxsize=queue_size)
        self._thread: threading.Thread | None = None

    @property
    def path(self) -> Path:
        """Target file."""
        return self._path

    @property
    def temp_path(self) -> Path:
        """Temporary file being written until :meth:`close`."""
        return self._temp_path

    @property
    def fps(self) -> float:
        """Frame rate stored in the file."""
        return self._fps

    @property
    def frame_size(self) -> Size | None:
        """Size of the frames in the file; ``None`` before the first frame."""
        return self._size

    @property
    def frames_written(self) -> int:
        """Frames encoded so far."""
        with self._lock:
            return self._written

    @property
    def frames_dropped(self) -> int:
        """Frames dropped because the writer thread's queue was full."""
        with self._lock:
            return self._dropped

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` or :meth:`abort` was called."""
        with self._lock:
            return self._closed

    def write(self, frame: Frame | np.ndarray) -> bool:
        """Add a frame.

        Parameters
        ----------
        frame : Frame or numpy.ndarray
            RGB ``(H, W, 3)`` or gray ``(H, W)`` image; other layouts and dtypes accepted
            by :func:`~workbench.sources.frame.as_rgb8` are converted.

        Returns
        -------
        bool
            ``True`` if the frame was written or queued, ``False`` if it was dropped
            because the writer thread is behind.

        Raises
        ------
        ValueError
            If the recorder is closed or the image has an unsupported shape or dtype.
        RecorderError
            If the video writer cannot be opened (first frame) or has failed.
        """
        image = frame.image if isinstance(frame, Frame) else np.asarray(frame)
        with self._lock:
            if self._closed:
                raise ValueError(f"cannot write to closed recorder for '{self._path}'")
            if self._writer_error is not None:
                raise RecorderError(
                    f"recording to '{self._path}' failed: {self._writer_error}"
                ) from self._writer_error
            rgb = as_rgb8(image, channel_order="rgb")
            if self._writer is None:
                self._open_writer(Size(rgb.shape[1], rgb.shape[0]))
            assert self._size is not None
            bgr = cv2.cvtColor(_fit(rgb, self._size), cv2.COLOR_RGB2BGR)
            if not self._threaded:
                self._encode(bgr)
                return True
            try:
                self._queue.put_nowait(bgr)
            except queue.Full:
                self._dropped += 1
                return False
            return True

    def _open_writer(self, first: Size) -> None:
        size = Size(max(2, first.width - first.width % 2), max(2, first.height - first.height % 2))
        writer = cv2.VideoWriter(str(self._temp_path), self._fourcc_code, self._fps, size)
        if not writer.isOpened():
            writer.release()
            self._closed = True
            _remove(self._temp_path)
            raise RecorderError(
                f"could not open a video writer for '{self._path}' (codec '{self._fourcc}', "
                f"{size}, {self._fps:g} fps): the codec may not be available for this container"
            )
        self._writer = writer
        self._size = size
        if self._threaded:
            self._thread = threading.Thread(
                target=self._drain,
                name=f"workbench-recorder-{next(_thread_numbers)}",
                daemon=True,
            )
            self._thread.start()

    def _encode(self, bgr: np.ndarray) -> None:
        assert self._writer is not None
        self._writer.write(bgr)
        self._written += 1

    def _drain(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            assert isinstance(item, np.ndarray)
            with self._lock:
                failed = self._writer_error is not None
            if failed:
                continue  # keep draining so that producers and close() never block
            try:
                assert self._writer is not None
                self._writer.write(item)
            except Exception as exc:  # reported by the next write() and by close()
                _log.exception("writing to %s failed", self._temp_path)
                with self._lock:
                    self._writer_error = exc
                continue
            with self._lock:
                self._written += 1

    def close(self) -> Path | None:
        """Finish the file and rename it into place; safe to call more than once.

        Returns
        -------
        pathlib.Path or None
            The recorded file, or ``None`` if no frame was written (no file is created).

        Raises
        ------
        FileExistsError
            If a file appeared at :attr:`path` meanwhile and ``overwrite`` is false; the
            recording is kept at :attr:`temp_path`.
        RecorderError
            If encoding failed (the temporary file is removed).
        """
        with self._close_lock:
            with self._lock:
                if self._closed:
                    return self._final_path
                self._closed = True
            self._finish_writer()
            if self._writer_error is not None:
                _remove(self._temp_path)
                raise RecorderError(
                    f"recording to '{self._path}' failed: {self._writer_error}"
                ) from self._writer_error
            if self._written == 0:
                _remove(self._temp_path)
                return None
            if self._overwrite:
                os.replace(self._temp_path, self._path)
            else:
                _move_without_overwriting(self._temp_path, self._path)
            self._final_path = self._path
            return self._path

    def abort(self) -> None:
        """Stop recording and delete the temporary file; nothing appears at :attr:`path`."""
        with self._close_lock:
            with self._lock:
                already = self._closed
                self._closed = True
            if not already:
                self._finish_writer()
            if self._final_path is None:
                _remove(self._temp_path)

    def _finish_writer(self) -> None:
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join()
        if self._writer is not None:
            self._writer.release()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<VideoRecorder '{self._path}' {self._fps:g} fps ({state})>"


def _fit(rgb: np.ndarray, size: Size) -> np.ndarray:
    height, width = rgb.shape[:2]
    if (width, height) == size:
        return rgb
    if 0 <= width - size.width <= 1 and 0 <= height - size.height <= 1:
        return rgb[: size.height, : size.width]
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)


def _move_without_overwriting(source: Path, target: Path) -> None:
    try:
        # A hard link fails atomically if the target exists; rename would replace it (POSIX).
        os.link(source, target)
    except FileExistsError:
        raise FileExistsError(
            f"'{target}' appeared while recording; the recording was kept at '{source}'"
        ) from None
    except OSError:
        # No hard links on this file system (FAT, some network shares).
        if target.exists():
            raise FileExistsError(
                f"'{target}' appeared while recording; the recording was kept at '{source}'"
            ) from None
        os.rename(source, target)
        return
    _remove(source)


def _unused_name(folder: Path, target: Path) -> Path:
    while True:
        candidate = folder / f".{target.stem}.{secrets.token_hex(4)}.partial{target.suffix}"
        if not candidate.exists():
            return candidate


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
