"""Video files whose header's frame count is wrong: truncated files and joined MPEG-TS."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from workbench.sources.video_file import VideoFileSource

from .media import decode_index, write_video


def _truncated_avi(folder: Path, frames: int = 60, keep: float = 0.5) -> Path:
    data = write_video(folder / "full.avi", "MJPG", frames).read_bytes()
    path = folder / "cut.avi"
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def _read_all(source: VideoFileSource) -> list[int]:
    indices = []
    while (frame := source.read()) is not None:
        indices.append(frame.index)
    return indices


def test_truncated_avi_opens_with_the_decodable_count_and_a_notice(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _truncated_avi(tmp_path)
    source = VideoFileSource(path)
    with caplog.at_level(logging.WARNING, logger="workbench.sources.video_file"):
        source.open()
    try:
        assert source.declared_frame_count == 60
        reachable = source.frames_reachable
        assert reachable is not None and 10 < reachable < 60
        assert source.frame_count == reachable and source.truncated
        assert source.notice == (
            f"Video file '{path}' is truncated: {reachable} of 60 frames can be decoded."
        )
        indices = _read_all(source)
        assert indices == list(range(reachable))
        # Reported once: at open, not again at the end of the stream.
        warnings = [r for r in caplog.records if "truncated" in r.getMessage()]
        assert len(warnings) == 1
        source.seek(reachable - 1)
        last = source.read()
        assert last is not None and decode_index(last.image) == (reachable - 1) % 30
        with pytest.raises(ValueError):
            source.seek(reachable)
    finally:
        source.close()


def test_complete_video_has_no_notice(tmp_path: Path) -> None:
    source = VideoFileSource(write_video(tmp_path / "whole.avi", "MJPG", 40))
    source.open()
    try:
        assert source.frame_count == source.declared_frame_count == source.frames_reachable == 40
        assert source.notice is None and not source.truncated
        assert len(_read_all(source)) == 40
    finally:
        source.close()


def test_joined_mpeg_ts_files_are_read_to_the_end(tmp_path: Path) -> None:
    first = write_video(tmp_path / "a.ts", "mp4v", 30)
    second = write_video(tmp_path / "b.ts", "mp4v", 20)
    joined = tmp_path / "joined.ts"
    joined.write_bytes(first.read_bytes() + second.read_bytes())
    source = VideoFileSource(joined)
    source.open()
    try:
        indices = _read_all(source)
        assert len(indices) == 50
        assert source.frame_count == 50
        if source.declared_frame_count != 50:
            assert source.notice is not None and "50 can be decoded" in source.notice
    finally:
        source.close()


def test_failure_to_decode_before_the_count_during_playback_corrects_it(
    tmp_path: Path,
) -> None:
    source = VideoFileSource(write_video(tmp_path / "whole.avi", "MJPG", 20))
    source.open()
    try:
        # Simulate a header that claims more frames than the file holds, found while playing.
        source._frame_count = 35  # noqa: SLF001 - test of the runtime check
        assert len(_read_all(source)) == 20
        assert source.frame_count == 20 and source.declared_frame_count == 35
        assert source.notice is not None and "20 of 35 frames" in source.notice
    finally:
        source.close()


def test_live_controller_says_once_that_the_video_is_truncated(qtbot, tmp_path: Path) -> None:
    from workbench.gui.compute_worker import ComputeController
    from workbench.gui.live.controller import LiveController

    path = _truncated_avi(tmp_path)
    compute = ComputeController()
    compute.start()
    live = LiveController(compute)
    infos: list[str] = []
    live.sigInfo.connect(infos.append)
    try:
        live.set_loop(False)
        with qtbot.waitSignal(live.sigEnded, timeout=20_000):
            live.open_video(path)
        count = live.frame_count
        assert count is not None and count < 60  # the slider's range: frames that decode
        assert infos.count(f"Video file '{path}' is truncated: {count} of 60 frames can be "
                           "decoded.") == 1
        assert live.current_frame is not None and live.current_frame.index == count - 1
    finally:
        live.shutdown()
        compute.stop()
