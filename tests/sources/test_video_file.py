from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from workbench.sources import Size, SourceError, VideoFileSource

from .media import SQUARE, SQUARE_RGB, decode_index, write_video

COLOUR_TOLERANCE = 25


def test_open_reports_metadata(video: Path) -> None:
    with VideoFileSource(video) as source:
        assert source.frame_count == 30
        assert source.fps == pytest.approx(25.0)
        assert source.size == Size(160, 120)
        assert source.duration == pytest.approx(1.2)
        assert not source.is_live and source.position == 0
        assert str(video) in source.description


def test_reads_every_frame_in_order_as_rgb_then_ends(video: Path) -> None:
    with VideoFileSource(video) as source:
        frames = []
        while (frame := source.read()) is not None:
            frames.append(frame)
        assert source.read() is None
    assert [f.index for f in frames] == list(range(30))
    assert [decode_index(f.image) for f in frames] == list(range(30))
    for f in frames:
        assert f.image.shape == (120, 160, 3) and f.image.dtype == np.uint8
    square = frames[5].image[SQUARE].reshape(-1, 3).mean(axis=0)
    np.testing.assert_allclose(square, SQUARE_RGB, atol=COLOUR_TOLERANCE)
    assert frames[10].source_time == pytest.approx(10 / 25, abs=1e-3)
    stamps = [f.timestamp for f in frames]
    assert stamps == sorted(stamps)


def test_seek_and_seek_fraction_land_on_the_right_frame(video: Path) -> None:
    with VideoFileSource(video) as source:
        source.seek(17)
        assert source.position == 17
        frame = source.read()
        assert frame is not None and frame.index == 17 and decode_index(frame.image) == 17
        assert source.read().index == 18  # type: ignore[union-attr]  # stepping on
        assert source.seek_fraction(1.0) == 29
        frame = source.read()
        assert frame is not None and decode_index(frame.image) == 29
        assert source.read() is None
        assert source.seek_fraction(0.5) == 14  # round(0.5 * 29)
        assert decode_index(source.read().image) == 14  # type: ignore[union-attr]
        source.seek(0)
        assert decode_index(source.read().image) == 0  # type: ignore[union-attr]
        for bad in (-1, 30, 2.5):
            with pytest.raises(ValueError, match="index"):
                source.seek(bad)  # type: ignore[arg-type]


def test_loop_wraps_to_the_first_frame(video: Path) -> None:
    with VideoFileSource(video, loop=True) as source:
        source.seek(28)
        indices = [source.read().index for _ in range(4)]  # type: ignore[union-attr]
    assert indices == [28, 29, 0, 1]


def test_read_before_open_and_double_close() -> None:
    source = VideoFileSource("nowhere.mp4")
    with pytest.raises(SourceError, match="nowhere.mp4.*not open"):
        source.read()
    source.close()
    source.close()


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"missing\.mp4.*no such file"):
        VideoFileSource(tmp_path / "missing.mp4").open()


@pytest.mark.parametrize(
    "content", [b"", b"garbage" * 500, b"\x00\x00\x00\x18ftypmp42" + b"\0" * 64]
)
def test_garbage_files_raise_naming_the_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "junk.mp4"
    path.write_bytes(content)
    with pytest.raises(SourceError, match="junk.mp4"):
        VideoFileSource(path).open()


@pytest.mark.parametrize(("suffix", "fourcc"), [(".mp4", "mp4v"), (".avi", "MJPG")])
def test_zero_frame_video_raises_naming_the_file(tmp_path: Path, suffix: str, fourcc: str) -> None:
    path = write_video(tmp_path / f"empty{suffix}", fourcc, 0)
    with pytest.raises(SourceError, match=f"empty\\{suffix}"):
        VideoFileSource(path).open()


@pytest.mark.parametrize("kind", ["mp4"])  # a cut AVI plays its frames: test_video_truncation
@pytest.mark.parametrize("keep", [0.5, 0.75])
def test_truncated_video_raises_naming_the_file(
    tmp_path: Path, videos: dict[str, Path], kind: str, keep: float
) -> None:
    data = videos[kind].read_bytes()
    path = tmp_path / f"cut.{kind}"
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(SourceError, match=f"cut\\.{kind}"):
        VideoFileSource(path).open()


def test_truncated_avi_is_what_opencv_opens_but_cannot_finish(
    tmp_path: Path, videos: dict[str, Path]
) -> None:
    # Guards the test above: the AVI cut really opens in OpenCV with a full frame count.
    data = videos["avi"].read_bytes()
    path = tmp_path / "cut.avi"
    path.write_bytes(data[: len(data) // 2])
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    try:
        assert cap.isOpened() and cap.get(cv2.CAP_PROP_FRAME_COUNT) == 30
    finally:
        cap.release()
    source = VideoFileSource(path)
    source.open()  # plays the frames that decode and says so (see test_video_truncation)
    try:
        assert source.notice is not None and "truncated" in source.notice
    finally:
        source.close()


def test_missing_last_frames_within_tolerance_correct_the_count(
    tmp_path: Path, videos: dict[str, Path]
) -> None:
    data = videos["avi"].read_bytes()
    path = tmp_path / "short.avi"
    path.write_bytes(data[: int(len(data) * 0.95)])  # the index and the last frame or two
    with VideoFileSource(path) as source:
        assert source.frame_count is not None and 27 <= source.frame_count < 30
        indices = []
        while (frame := source.read()) is not None:
            indices.append(frame.index)
        assert indices == list(range(source.frame_count))


def test_reopen_after_close(video: Path) -> None:
    source = VideoFileSource(video)
    source.open()
    source.seek(10)
    source.close()
    assert not source.is_open
    source.open()
    assert source.position == 0 and decode_index(source.read().image) == 0  # type: ignore[union-attr]
    source.close()
