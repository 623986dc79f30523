from __future__ import annotations

import numpy as np
import pytest

from workbench.sources import Size, SourceError, SyntheticSource, synthetic_frame
from workbench.sources.synthetic import DISK_COLOUR, LINE_COLOUR


def test_frames_are_deterministic_and_move() -> None:
    a = synthetic_frame(12, (96, 64), fps=24)
    assert a.shape == (64, 96, 3) and a.dtype == np.uint8 and a.flags.c_contiguous
    np.testing.assert_array_equal(a, synthetic_frame(12, (96, 64), fps=24))
    assert not np.array_equal(a, synthetic_frame(13, (96, 64), fps=24))


def test_pattern_shows_line_and_disk() -> None:
    image = synthetic_frame(0, (160, 120))
    colours = {tuple(c) for c in image.reshape(-1, 3).tolist()}
    assert DISK_COLOUR in colours
    assert LINE_COLOUR in colours


@pytest.mark.parametrize(
    ("args", "message"),
    [((-1, (64, 64), 30.0), "index"), ((0, (4, 64), 30.0), "size"), ((0, (64, 64), 0.0), "fps")],
)
def test_synthetic_frame_validates(args: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        synthetic_frame(*args)


def test_source_reads_seeks_and_reports_metadata() -> None:
    source = SyntheticSource((64, 48), fps=20)
    assert not source.is_live and source.fps == 20 and source.size == Size(64, 48)
    assert source.frame_count is None
    with pytest.raises(SourceError, match="not open"):
        source.read()
    with source:
        first = source.read()
        assert first is not None and first.index == 0 and first.source_time == 0.0
        np.testing.assert_array_equal(first.image, synthetic_frame(0, (64, 48), 20))
        source.seek(100)
        frame = source.read()
        assert frame is not None and frame.index == 100 and frame.source_time == pytest.approx(5.0)
    assert not source.is_open


def test_finite_source_ends_or_loops() -> None:
    source = SyntheticSource((32, 32), fps=10, frame_count=3)
    source.open()
    assert [source.read().index for _ in range(3)] == [0, 1, 2]  # type: ignore[union-attr]
    assert source.read() is None
    source.loop = True
    assert source.read().index == 0  # type: ignore[union-attr]
    assert source.seek_fraction(1.0) == 2 and source.position == 2
    with pytest.raises(ValueError, match="index"):
        source.seek(3)
