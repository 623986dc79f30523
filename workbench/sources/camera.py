"""Cameras read through OpenCV (V4L2 on Linux, the platform default elsewhere)."""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from workbench.sources.base import FrameSource
from workbench.sources.call_worker import CallWorker
from workbench.sources.errors import SourceError
from workbench.sources.frame import Frame, Size, as_rgb8

DEFAULT_RESOLUTION = Size(640, 480)
"""Resolution requested when none is given."""

COMMON_RESOLUTIONS = (
    Size(320, 240),
    Size(640, 480),
    Size(800, 600),
    Size(1280, 720),
    Size(1920, 1080),
)
"""Candidates tried by :func:`probe_resolutions`."""

OPEN_TIMEOUT = 3.0
"""Seconds ``open()`` waits for the first frame (some cameras need ~1 s to warm up)."""

READ_FAILURE_LIMIT = 5
"""Consecutive failed reads after which a camera is considered gone."""
READ_FAILURE_TIMEOUT = 1.0
"""Seconds of failed reads after which a camera is considered gone."""
_READ_RETRY_DELAY = 0.05

_SYSFS_VIDEO4LINUX = Path("/sys/class/video4linux")
_DEV = Path("/dev")


def default_backend() -> int:
    """OpenCV capture backend used for cameras on this platform.

    Returns
    -------
    int
        ``cv2.CAP_V4L2`` on Linux (``CAP_ANY`` would also try FFmpeg and GStreamer, slowly
        and noisily), ``cv2.CAP_ANY`` elsewhere.
    """
    return cv2.CAP_V4L2 if sys.platform.startswith("linux") else cv2.CAP_ANY


def _open_capture(index: int | str, api_preference: int) -> cv2.VideoCapture:
    # The single place that constructs camera captures, so tests can substitute a fake.
    return cv2.VideoCapture(index, api_preference)


def _describe(index: int | str) -> str:
    return f"Camera {index}" if isinstance(index, int) else f"Camera device {index}"


def _not_opened_message(index: int | str) -> str:
    return (f"{_describe(index)} could not be opened: no such device or it is in use by "
            "another program")


def _device_backend(device: str) -> int:
    # A /dev/videoN path goes through V4L2 like a number; any other path (a video file, a
    # stream URL) needs OpenCV's other backends.
    return default_backend() if device.startswith(str(_DEV) + "/") else cv2.CAP_ANY


@dataclass(frozen=True, slots=True)
class CameraInfo:
    """A camera that opened when probed.

    Attributes
    ----------
    index : int
        Device index to pass to :class:`CameraSource`.
    name : str
        Name reported by the OS, or ``"Camera <index>"``.
    backend : str
        OpenCV backend that opened it (e.g. ``"V4L2"``).
    """

    index: int
    name: str
    backend: str


def camera_name(index: int) -> str:
    """Return the OS's name for camera ``index``, or ``"Camera <index>"``.

    Parameters
    ----------
    index : int
        Device index.

    Returns
    -------
    str
        On Linux, ``/sys/class/video4linux/video<index>/name``; elsewhere the fallback.
    """
    try:
        name = (_SYSFS_VIDEO4LINUX / f"video{index}" / "name").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        name = ""
    return name.strip() or f"Camera {index}"


def list_cameras(max_index: int = 10, *, api_preference: int | None = None) -> list[CameraInfo]:
    """List the cameras that actually open.

    Probes indices ``0 .. max_index - 1`` by opening and releasing each (on Linux only
    those with a ``/dev/video<i>`` node). A camera busy in another program may not open
    and is then not listed. Do not call while a capture is running on one of them.

    Parameters
    ----------
    max_index : int, optional
        Number of indices to probe.
    api_preference : int, optional
        OpenCV backend; :func:`default_backend` if ``None``.

    Returns
    -------
    list of CameraInfo
        In index order.
    """
    api = default_backend() if api_preference is None else api_preference
    if sys.platform.startswith("linux"):
        candidates = [i for i in range(max_index) if (_DEV / f"video{i}").exists()]
    else:
        candidates = list(range(max_index))
    found = []
    for index in candidates:
        cap = _open_capture(index, api)
        try:
            if cap.isOpened():
                found.append(CameraInfo(index, camera_name(index), cap.getBackendName()))
        finally:
            cap.release()
    return found


def probe_resolutions(
    index: int,
    candidates: tuple[Size, ...] = COMMON_RESOLUTIONS,
    *,
    api_preference: int | None = None,
) -> list[Size]:
    """Return the resolutions camera ``index`` accepts among ``candidates``.

    Each candidate is requested and the size the driver reports back is recorded, so
    the result lists what the camera actually delivers (without duplicates, in
    candidate order). The camera must not be in use, including by a running capture.

    Parameters
    ----------
    index : int
        Device index.
    candidates : tuple of Size, optional
        ``(width, height)`` pairs to try.
    api_preference : int, optional
        OpenCV backend; :func:`default_backend` if ``None``.

    Returns
    -------
    list of Size
        Sizes obtained.

    Raises
    ------
    SourceError
        If the camera cannot be opened.
    """
    api = default_backend() if api_preference is None else api_preference
    cap = _open_capture(index, api)
    try:
        if not cap.isOpened():
            raise SourceError(_not_opened_message(index))
        obtained: list[Size] = []
        for width, height in candidates:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
            got = Size(
                round(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), round(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
            )
            if got.width > 0 and got.height > 0 and got not in obtained:
                obtained.append(got)
        return obtained
    finally:
        cap.release()


class CameraSource(FrameSource):
    """A camera.

    ``open()`` requests ``resolution`` and reads one frame (waiting up to
    :data:`OPEN_TIMEOUT`); :attr:`size` is the size of that frame, i.e. what the device
    actually delivers, which may differ from the request. The first frame is not wasted:
    the first ``read()`` returns it.

    ``read()`` blocks until the camera delivers. It retries failed reads and raises
    :class:`SourceError` after :data:`READ_FAILURE_LIMIT` consecutive failures or
    :data:`READ_FAILURE_TIMEOUT` seconds of them (camera unplugged). A read that blocks
    instead of failing is caught by the capture thread's stall watchdog. To reconnect,
    create and open a new ``CameraSource``. To change resolution, close and open a new one.

    Frames are RGB; :attr:`mirror` flips them horizontally (selfie view) and can be
    toggled while capturing. ``source_time`` is ``None``.

    Parameters
    ----------
    index : int or str
        Device index (see :func:`list_cameras`), or a device path such as ``/dev/video0``
        (any path OpenCV opens as a capture is accepted, e.g. a video file).
    resolution : tuple of int, optional
        Requested ``(width, height)``, default 640x480.
    mirror : bool, optional
        Flip frames left-right.
    api_preference : int, optional
        OpenCV backend; :func:`default_backend` if ``None``.
    name : str, optional
        Display name; :func:`camera_name` if ``None``.

    Raises
    ------
    ValueError
        If ``index`` is negative or an empty path, or ``resolution`` is not two positive
        integers.
    """

    def __init__(
        self,
        index: int | str,
        *,
        resolution: tuple[int, int] = DEFAULT_RESOLUTION,
        mirror: bool = False,
        api_preference: int | None = None,
        name: str | None = None,
    ) -> None:
        device: int | str
        if isinstance(index, str):
            if not index.strip():
                raise ValueError("the device path is empty")
            device = index.strip()
        elif isinstance(index, bool) or not isinstance(index, int | np.integer) or index < 0:
            raise ValueError(f"index must be a non-negative integer or a device path, "
                             f"got {index!r}")
        else:
            device = int(index)
        width, height = (int(v) for v in resolution)
        if width <= 0 or height <= 0:
            raise ValueError(f"resolution must be two positive integers, got {resolution!r}")
        self._index = device
        self._requested = Size(width, height)
        self._mirror = bool(mirror)
        if api_preference is None:
            api_preference = (_device_backend(device) if isinstance(device, str)
                              else default_backend())
        self._api = api_preference
        self._name = name
        self._cap: cv2.VideoCapture | None = None
        self._size: Size | None = None
        self._fps: float | None = None
        self._pending: np.ndarray | None = None
        self._count = 0

    @property
    def index(self) -> int | str:
        """Device index, or the device path it was given."""
        return self._index

    @property
    def name(self) -> str:
        """Display name (the OS's name where available)."""
        if self._name is None:
            self._name = (camera_name(self._index) if isinstance(self._index, int)
                          else self._index)
        return self._name

    @property
    def description(self) -> str:
        """``"Camera <index>"``, or ``"Camera device <path>"``."""
        return _describe(self._index)

    @property
    def is_live(self) -> bool:
        """Always ``True``."""
        return True

    @property
    def fps(self) -> float | None:
        """Frame rate reported by the driver, ``None`` if unknown or not open."""
        return self._fps

    @property
    def size(self) -> Size | None:
        """Size of the delivered frames (may differ from :attr:`requested_resolution`)."""
        return self._size

    @property
    def requested_resolution(self) -> Size:
        """The resolution asked for."""
        return self._requested

    @property
    def is_open(self) -> bool:
        """Whether the camera is open."""
        return self._cap is not None

    @property
    def mirror(self) -> bool:
        """Whether frames are flipped left-right."""
        return self._mirror

    @mirror.setter
    def mirror(self, value: bool) -> None:
        self._mirror = bool(value)

    def open(self) -> None:
        """Open the camera, request the resolution and wait for a first frame.

        Raises
        ------
        SourceError
            If the device does not exist, is busy, or delivers no frame within
            :data:`OPEN_TIMEOUT` seconds; the message names the camera.
        """
        if self._cap is not None:
            return
        if isinstance(self._index, str) and not Path(self._index).exists() \
                and "://" not in self._index:
            raise SourceError(f"{self.description} could not be opened: there is no such "
                              "file or device")
        cap = _open_capture(self._index, self._api)
        if not cap.isOpened():
            cap.release()
            raise SourceError(_not_opened_message(self._index))
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self._requested.width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self._requested.height)
        # One driver buffer: a slow consumer then sees fresh frames, not a backlog.
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        first = self._first_frame(cap)
        self._size = Size(int(first.shape[1]), int(first.shape[0]))
        fps = cap.get(cv2.CAP_PROP_FPS)
        self._fps = float(fps) if math.isfinite(fps) and fps > 0 else None
        self._pending = first
        self._count = 0
        self._cap = cap

    def _first_frame(self, cap: cv2.VideoCapture) -> np.ndarray:
        worker = CallWorker(f"workbench-camera-{self._index}-open")
        outcome = worker.call(cap.read, OPEN_TIMEOUT)
        if outcome is None:
            # The read is stuck inside the driver; release once it returns.
            worker.close(cleanup=cap.release)
            raise SourceError(
                f"{self.description} opened but delivered no frame within "
                f"{OPEN_TIMEOUT:g} s: it may be in use by another program"
            )
        worker.close()
        ok, image = (False, None) if outcome.error is not None else outcome.value
        if not ok or image is None or image.size == 0:
            cap.release()
            raise SourceError(
                f"{self.description} opened but delivered no frame: "
                "it may be in use by another program"
            )
        return np.asarray(image)

    def read(self) -> Frame:
        """Wait for the camera's next frame.

        Returns
        -------
        Frame
            RGB frame (mirrored if :attr:`mirror`); ``index`` counts frames since open.

        Raises
        ------
        SourceError
            If the camera is not open or stopped delivering frames.
        """
        cap = self._cap
        if cap is None:
            raise SourceError(f"{self.description} is not open")
        if self._pending is not None:
            image, self._pending = self._pending, None
        else:
            image = self._read_with_retries(cap)
        rgb = as_rgb8(image, channel_order="bgr")
        if self._mirror:
            rgb = cv2.flip(rgb, 1)
        frame = Frame(rgb, self._count, time.monotonic(), source_time=None)
        self._count += 1
        return frame

    def _read_with_retries(self, cap: cv2.VideoCapture) -> np.ndarray:
        deadline = time.monotonic() + READ_FAILURE_TIMEOUT
        failures = 0
        while True:
            ok, image = cap.read()
            if ok and image is not None and image.size:
                return image
            failures += 1
            if failures >= READ_FAILURE_LIMIT or time.monotonic() >= deadline:
                raise SourceError(
                    f"{self.description} stopped delivering frames ({failures} failed reads "
                    "in a row): it may have been unplugged"
                )
            time.sleep(_READ_RETRY_DELAY)

    def close(self) -> None:
        """Release the camera; safe to call more than once."""
        cap, self._cap = self._cap, None
        self._pending = None
        if cap is not None:
            cap.release()
