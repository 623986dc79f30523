from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from workbench.core import Filter, Layer, Pipeline, Pool, image_to_chw, preset_filter, run_pipeline
from workbench.io.images import limit_size, read_image
from workbench.resources import sample_path


def _listing(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def listing() -> Callable[[Path], dict[str, bytes]]:
    """Every file under a folder (relative posix path -> content), temporary files included."""
    return _listing


@pytest.fixture
def camera_chw() -> np.ndarray:
    """The camera sample shrunk to 64x64, gray, as the window feeds it."""
    return image_to_chw(limit_size(read_image(sample_path("camera")), 64), "gray")


@pytest.fixture
def two_layer_pipeline() -> Pipeline:
    """Sobel/line filters with ReLU + max pooling, then a second layer mixing both maps."""
    first = Layer(tuple(preset_filter(k) for k in ("sobel_x", "sobel_y", "vertical_line")),
                  padding="same", activation="relu", pool=Pool("max", 2))
    rng = np.random.default_rng(7)
    second = Layer((Filter("mix a", rng.standard_normal((3, 3, 3)).astype(np.float32), 0.25),
                    Filter("mix b", rng.standard_normal((3, 3, 3)).astype(np.float32), -0.5)),
                   activation="tanh", pool=Pool("avg", 2))
    return Pipeline("gray", (first, second))


@pytest.fixture
def result_and_pipeline(camera_chw, two_layer_pipeline):
    return run_pipeline(camera_chw, two_layer_pipeline), two_layer_pipeline


@pytest.fixture
def disk_full(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """Make ``os.write`` fail with ENOSPC after ``budget`` bytes (a disk filling up)."""

    def arm(budget: int = 100) -> None:
        real_write = os.write
        left = [budget]

        def write(fd: int, data) -> int:
            if fd <= 2:
                return real_write(fd, data)
            if left[0] <= 0:
                raise OSError(errno.ENOSPC, "No space left on device")
            n = real_write(fd, bytes(data[:left[0]]))
            left[0] -= n
            return n

        monkeypatch.setattr(os, "write", write)

    return arm
