"""Fake sources and a fake ``cv2.VideoCapture`` for the paths no real device can exercise."""

from __future__ import annotations

import threading
import time

import cv2
import numpy as np

from workbench.sources import Frame, FrameSource, Size, SourceError

DEFAULT_SIZE = Size(64, 48)


class ScriptedSource(FrameSource):
    """Live source: ``good_frames`` frames, then stalls (blocks) or raises.

    ``behaviour`` after the good frames: ``"stall"`` blocks ``read()`` until
    :meth:`release` is called; ``"raise"`` raises :class:`SourceError`.
    """

    def __init__(self, good_frames: int, behaviour: str = "stall", interval: float = 0.01):
        self.good_frames = good_frames
        self.behaviour = behaviour
        self.interval = interval
        self.unblock = threading.Event()
        self.stall_started: float | None = None
        self.reads = 0
        self.closed_by: str | None = None
        self._open = False

    description = "Scripted source"
    is_live = True
    fps = None
    size = Size(8, 8)

    @property
    def is_open(self) -> bool:
        return self._open

    def open(self) -> None:
        self._open = True

    def read(self) -> Frame | None:
        index = self.reads
        self.reads += 1
        if index < self.good_frames:
            time.sleep(self.interval)
            image = np.full((8, 8, 3), index % 256, dtype=np.uint8)
            return Frame(image, index, time.monotonic())
        if self.behaviour == "raise":
            raise SourceError("Scripted source stopped delivering frames")
        self.stall_started = time.monotonic()
        self.unblock.wait()
        return None

    def release(self) -> None:
        self.unblock.set()

    def close(self) -> None:
        self.closed_by = threading.current_thread().name
        self._open = False


class FakeVideoCapture:
    """Stands in for ``cv2.VideoCapture(index, api)`` of a camera.

    Delivers ``good_frames`` BGR frames of ``size`` (whatever is requested), then
    either fails (``read`` returns ``(False, None)``) or blocks until ``unblock`` is set.
    """

    def __init__(
        self,
        *,
        opened: bool = True,
        size: Size = DEFAULT_SIZE,
        good_frames: int = 10**9,
        after: str = "fail",
        block_first: bool = False,
    ):
        self.opened = opened
        self.size = size
        self.good_frames = good_frames
        self.after = after
        self.block_first = block_first
        self.unblock = threading.Event()
        self.reads = 0
        self.released = threading.Event()
        self.props: dict[int, float] = {}

    def isOpened(self) -> bool:  # noqa: N802 - OpenCV's name
        return self.opened and not self.released.is_set()

    def set(self, prop: int, value: float) -> bool:
        self.props[prop] = value
        return True

    def get(self, prop: int) -> float:
        if prop == cv2.CAP_PROP_FRAME_WIDTH:
            return float(self.size.width)
        if prop == cv2.CAP_PROP_FRAME_HEIGHT:
            return float(self.size.height)
        if prop == cv2.CAP_PROP_FPS:
            return 30.0
        return 0.0

    def getBackendName(self) -> str:  # noqa: N802 - OpenCV's name
        return "FAKE"

    def read(self) -> tuple[bool, np.ndarray | None]:
        index = self.reads
        self.reads += 1
        if self.block_first or index >= self.good_frames:
            if self.block_first or self.after == "block":
                self.unblock.wait()
                return False, None
            time.sleep(0.005)
            return False, None
        image = np.zeros((self.size.height, self.size.width, 3), dtype=np.uint8)
        image[:, : self.size.width // 4] = (255, 0, 0)  # BGR blue on the left quarter
        image[0, 0, 1] = index % 256
        time.sleep(0.005)
        return True, image

    def release(self) -> None:
        self.released.set()
