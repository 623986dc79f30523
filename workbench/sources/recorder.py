"""Recording frames to a video file, crash-safely."""

from __future__ import annotations

import functools
import itertools
import logging
import math
import os
import queue
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
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

_CANDIDATES: tuple[tuple[str, str, str], ...] = (
    ("avc1", ".mp4", "H.264 MP4"),
    ("H264", ".mp4", "H.264 MP4"),
    ("VP90", ".webm", "VP9 WebM"),
    ("MJPG", ".avi", "MJPEG AVI"),
)
_PROBE_FRAMES = 3
_PARTIAL_NAME = re.compile(r"^\.(?P<stem>.+)\.[0-9a-f]{8}\.partial(?P<suffix>\.[^.]*)?$")
_FFMPEG_TIMEOUT_S = 300.0
_active: weakref.WeakValueDictionary[Path, VideoRecorder] = weakref.WeakValueDictionary()
"""Temporary files of recorders still open in this process (not orphans)."""


@dataclass(frozen=True)
class RecordingFormat:
    """A codec and container recordings are written in.

    Parameters
    ----------
    fourcc : str
        Four-character codec code for ``cv2.VideoWriter``.
    extension : str
        File suffix selecting the container, with the dot (``".mp4"``).
    name : str
        Human-readable name, e.g. ``"H.264 MP4"``.
    note : str, optional
        Why a less common format was chosen, e.g. ``"no H.264 encoder in this OpenCV
        build"``; empty for H.264.
    """

    fourcc: str
    extension: str
    name: str
    note: str = ""

    @property
    def label(self) -> str:
        """``name`` followed by the note in parentheses, if any."""
        return f"{self.name} ({self.note})" if self.note else self.name


def _probe(fourcc: str, extension: str, folder: Path) -> bool:
    path = folder / f"probe-{fourcc}{extension}"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*fourcc), 25.0, (64, 48))
    try:
        if not writer.isOpened():
            return False
        for i in range(_PROBE_FRAMES):
            writer.write(np.full((48, 64, 3), 40 * i, dtype=np.uint8))
    finally:
        writer.release()
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    try:
        count = 0
        while cap.isOpened() and cap.read()[0]:
            count += 1
    finally:
        cap.release()
    return count == _PROBE_FRAMES


def probe_recording_format() -> RecordingFormat:
    """Find the best codec this OpenCV build can encode and read back, without caching.

    H.264 (``avc1``, then ``H264``) in MP4 is tried first, then VP9 in WebM, then MJPEG
    in AVI; each candidate writes a tiny file to a temporary folder which must decode
    with every frame.

    Returns
    -------
    RecordingFormat
        The first candidate that works, or MJPEG AVI (with a note) if none does.
    """
    level = None
    try:
        level = cv2.utils.logging.getLogLevel()
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    except AttributeError:  # builds without the logging module
        pass
    try:
        with tempfile.TemporaryDirectory(prefix="workbench-codec-probe-") as folder:
            for fourcc, extension, name in _CANDIDATES:
                try:
                    works = _probe(fourcc, extension, Path(folder))
                except (cv2.error, OSError):
                    works = False
                if works:
                    note = "" if name.startswith("H.264") else (
                        "no H.264 encoder in this OpenCV build")
                    return RecordingFormat(fourcc, extension, name, note)
    finally:
        if level is not None:
            cv2.utils.logging.setLogLevel(level)
    _log.warning("no video codec passed the recording probe; trying MJPEG AVI anyway")
    return RecordingFormat("MJPG", ".avi", "MJPEG AVI",
                           "no encoder passed the probe in this OpenCV build")


@functools.cache
def recording_format() -> RecordingFormat:
    """Return the codec recordings use, probed once per process.

    See :func:`probe_recording_format` for the order in which codecs are tried.

    Returns
    -------
    RecordingFormat
        The chosen codec and container.
    """
    return probe_recording_format()


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
        _active[self._temp_path.absolute()] = self

        # Re-entrant: close() may run in a signal handler that interrupted write() or close()
        # on the same thread.
        self._lock = threading.RLock()
        self._close_lock = threading.RLock()
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
        # No lock here: close() may run with ``_lock`` held (a signal handler that
        # interrupted write()) and then joins this thread. Only this thread writes
        # ``_written`` and ``_writer_error`` while it runs; single attribute stores are atomic.
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            assert isinstance(item, np.ndarray)
            if self._writer_error is not None:
                continue  # keep draining so that producers and close() never block
            try:
                assert self._writer is not None
                self._writer.write(item)
            except Exception as exc:  # reported by the next write() and by close()
                _log.exception("writing to %s failed", self._temp_path)
                self._writer_error = exc
                continue
            self._written += 1

    def close(self) -> Path | None:
        """Finish the file and rename it into place; safe to call more than once.

        Safe in a signal handler (e.g. ``SIGTERM`` during shutdown) even when the signal
        interrupted :meth:`write` or :meth:`close` on the same thread; a call made while
        another is under way on the same thread returns at once.

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
        _active.pop(self._temp_path.absolute(), None)
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


def find_orphan_recordings(folder: str | os.PathLike[str]) -> list[Path]:
    """List the partial recordings a crashed or killed recorder left in a folder.

    These are the hidden ``.<stem>.<hex>.partial<suffix>`` files :class:`VideoRecorder`
    writes before renaming; the files of recorders still open in this process are left out.

    Parameters
    ----------
    folder : str or os.PathLike
        Folder to look in (not its subfolders).

    Returns
    -------
    list of pathlib.Path
        The orphans, sorted by name; empty if the folder does not exist.
    """
    base = Path(folder)
    if not base.is_dir():
        return []
    found = []
    for entry in base.iterdir():
        if not _PARTIAL_NAME.match(entry.name) or entry.absolute() in _active:
            continue
        if entry.is_file():
            found.append(entry)
    return sorted(found)


def _recovered_name(orphan: Path, suffix: str) -> Path:
    match = _PARTIAL_NAME.match(orphan.name)
    stem = match.group("stem") if match else orphan.stem.lstrip(".")
    candidate = orphan.with_name(f"{stem}{suffix}")
    number = 1
    while candidate.exists():
        candidate = orphan.with_name(f"{stem}-recovered-{number}{suffix}")
        number += 1
    return candidate


def _decodable_frames(path: Path) -> int:
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    try:
        count = 0
        while cap.isOpened() and cap.grab():
            count += 1
        return count
    finally:
        cap.release()


def _remux_with_ffmpeg(ffmpeg: str, orphan: Path, target: Path) -> str | None:
    """Copy the streams into ``target``; return why it failed, or ``None``."""
    try:
        done = subprocess.run(
            [ffmpeg, "-nostdin", "-v", "error", "-n", "-i", str(orphan), "-c", "copy",
             str(target)],
            capture_output=True, text=True, timeout=_FFMPEG_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"ffmpeg could not be run: {exc}"
    if done.returncode != 0 or _decodable_frames(target) == 0:
        _remove(target)
        detail = done.stderr.strip().splitlines()[-1:] or ["no readable frames"]
        return f"ffmpeg could not remux it ({detail[0]})"
    return None


def _rewrite_with_opencv(orphan: Path) -> Path | str:
    """Decode every frame and encode them again; return the new file or why not."""
    cap = cv2.VideoCapture(str(orphan), cv2.CAP_FFMPEG)
    try:
        if not cap.isOpened():
            if orphan.stat().st_size == 0:
                return "it is empty: the recorder stopped before any frame reached the disk"
            if orphan.suffix.lower() in (".mp4", ".m4v", ".mov"):
                return ("OpenCV cannot open it: an MP4 stopped before it was finished has "
                        "no index, and no ffmpeg program could repair it")
            return "OpenCV cannot open it: it is damaged or in a format OpenCV cannot read"
        fps = cap.get(cv2.CAP_PROP_FPS)
        fps = fps if math.isfinite(fps) and 0 < fps <= 1000 else 25.0
        fmt = recording_format()
        target = _recovered_name(orphan, fmt.extension)
        recorder = VideoRecorder(target, fps, fourcc=fmt.fourcc, threaded=False)
        try:
            while True:
                ok, bgr = cap.read()
                if not ok or bgr is None:
                    break
                recorder.write(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        except BaseException:
            recorder.abort()
            raise
        written = recorder.close()
    finally:
        cap.release()
    if written is None:
        return "no frame of it can be decoded"
    return written


def recover_orphan(
    path: str | os.PathLike[str], *, on_failure: Callable[[str], None] | None = None
) -> Path | None:
    """Turn a partial recording into a normal video file beside it, if possible.

    With an ``ffmpeg`` program on the ``PATH`` the streams are remuxed (no re-encoding);
    otherwise, or if that fails, the frames OpenCV can decode (MJPEG AVI, WebM, ...) are
    re-encoded with :func:`recording_format`. The new file is named after the recording
    (``clip.avi``, or ``clip-recovered-1.avi`` if that exists). On success the partial
    file is deleted.

    Parameters
    ----------
    path : str or os.PathLike
        A file returned by :func:`find_orphan_recordings`.
    on_failure : callable, optional
        Called with a sentence naming the file and saying why it could not be recovered.

    Returns
    -------
    pathlib.Path or None
        The recovered file, or ``None`` (the partial file is left as it was).
    """
    orphan = Path(path)
    reasons: list[str] = []
    if not orphan.is_file():
        reasons.append("it does not exist")
    else:
        ffmpeg = shutil.which("ffmpeg")
        if ffmpeg is not None:
            target = _recovered_name(orphan, orphan.suffix or ".mkv")
            failure = _remux_with_ffmpeg(ffmpeg, orphan, target)
            if failure is None:
                _remove(orphan)
                return target
            reasons.append(failure)
        try:
            result = _rewrite_with_opencv(orphan)
        except (OSError, RecorderError, ValueError, cv2.error) as exc:
            result = f"re-encoding it failed: {exc}"
        if isinstance(result, Path):
            _remove(orphan)
            return result
        reasons.append(result)
    message = f"The partial recording '{orphan}' could not be recovered: {'; '.join(reasons)}."
    _log.warning("%s", message)
    if on_failure is not None:
        on_failure(message)
    return None


def remove_orphan(path: str | os.PathLike[str]) -> None:
    """Delete a partial recording; a file already gone is not an error.

    Parameters
    ----------
    path : str or os.PathLike
        A file returned by :func:`find_orphan_recordings`.

    Raises
    ------
    ValueError
        If ``path`` is not named like a partial recording (nothing is deleted).
    """
    orphan = Path(path)
    if not _PARTIAL_NAME.match(orphan.name):
        raise ValueError(f"'{orphan}' is not a partial recording; it was not deleted")
    _remove(orphan)
