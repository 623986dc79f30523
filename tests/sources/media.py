"""Test videos and images with content that survives lossy codecs."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

WIDTH, HEIGHT = 160, 120
SQUARE_RGB = (220, 30, 30)
SQUARE = (slice(20, 60), slice(100, 140))  # rows, cols
CODE_REGION = (slice(70, 110), slice(10, 70))
_CODE_BASE, _CODE_STEP = 20, 7


def coded_frame(index: int, size: tuple[int, int] = (WIDTH, HEIGHT)) -> np.ndarray:
    """RGB frame whose gray level encodes ``index`` (< 30), with a red square."""
    width, height = size
    level = _CODE_BASE + _CODE_STEP * (index % 30)
    image = np.full((height, width, 3), level, dtype=np.uint8)
    image[SQUARE] = SQUARE_RGB
    return image


def decode_index(image: np.ndarray) -> int:
    """Recover the index encoded by :func:`coded_frame` from a decoded RGB frame."""
    level = float(np.median(image[CODE_REGION]))
    return round((level - _CODE_BASE) / _CODE_STEP)


def write_video(
    path: Path,
    fourcc: str,
    frame_count: int,
    fps: float = 25.0,
    size: tuple[int, int] = (WIDTH, HEIGHT),
) -> Path:
    """Write ``frame_count`` coded frames with ``cv2.VideoWriter``."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*fourcc), fps, size)
    assert writer.isOpened(), f"test setup: cannot write {path} with {fourcc}"
    try:
        for i in range(frame_count):
            writer.write(cv2.cvtColor(coded_frame(i, size), cv2.COLOR_RGB2BGR))
    finally:
        writer.release()
    return path


def read_all_with_opencv(path: Path) -> list[np.ndarray]:
    """Decode every frame of ``path`` (RGB) with a plain ``cv2.VideoCapture``."""
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    assert cap.isOpened(), f"cannot reopen {path}"
    frames = []
    try:
        while True:
            ok, bgr = cap.read()
            if not ok:
                return frames
            frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    finally:
        cap.release()
