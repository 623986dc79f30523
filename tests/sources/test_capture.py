from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from workbench.sources import (
    CaptureState,
    CaptureThread,
    Frame,
    SourceError,
    SourceStalledError,
    StillImageSource,
    SyntheticSource,
    VideoFileSource,
)

from .fakes import ScriptedSource
from .media import decode_index, write_video

STOP_BUDGET = 1.0


class Recorder:
    """Collects callbacks and wakes tests up."""

    def __init__(self) -> None:
        self.frames: list[Frame] = []
        self.threads: set[str] = set()
        self.errors: list[tuple[float, BaseException]] = []
        self.ends = 0
        self.ended = threading.Event()
        self.failed = threading.Event()

    def on_frame(self, frame: Frame) -> None:
        self.frames.append(frame)
        self.threads.add(threading.current_thread().name)

    def on_error(self, exc: BaseException) -> None:
        self.errors.append((time.monotonic(), exc))
        self.failed.set()

    def on_end(self) -> None:
        self.ends += 1
        self.ended.set()

    def hooks(self) -> dict[str, Callable]:
        return {"on_frame": self.on_frame, "on_error": self.on_error, "on_end": self.on_end}


def stop_quickly(capture: CaptureThread) -> float:
    start = time.monotonic()
    assert capture.stop(timeout=2.0), "capture thread did not stop"
    elapsed = time.monotonic() - start
    assert elapsed < STOP_BUDGET
    assert capture.state in (CaptureState.STOPPED, CaptureState.FAILED)
    return elapsed


def test_frames_flow_with_increasing_seq_from_the_capture_thread() -> None:
    calls = Recorder()
    capture = CaptureThread(SyntheticSource((64, 48), fps=100), **calls.hooks(), name="workbench-t")
    assert capture.state is CaptureState.IDLE
    capture.start()
    try:
        first = capture.wait_for_frame(timeout=2.0)
        assert first is not None and first.seq >= 1 and first.image.shape == (48, 64, 3)
        assert first.index == first.seq - 1
        second = capture.wait_for_frame(timeout=2.0, after_seq=first.seq)
        assert second is not None and second.seq > first.seq and second.index > first.index
        assert capture.latest(after_seq=second.seq) in (None, capture.latest())
        assert capture.state is CaptureState.RUNNING and capture.is_alive()
    finally:
        stop_quickly(capture)
    assert calls.threads == {"workbench-t"}
    seqs = [f.seq for f in calls.frames]
    assert seqs == list(range(1, len(seqs) + 1))
    assert capture.latest() is not None  # the last frame stays available
    assert capture.wait_for_frame(timeout=None, after_seq=10**9) is None  # finished: no hang
    assert not capture.source.is_open  # closed on exit


def test_slow_consumer_gets_newest_frames_and_drops_are_counted() -> None:
    capture = CaptureThread(SyntheticSource((32, 32), fps=1000), pace=False)
    capture.start()
    taken: list[Frame] = []
    ages = []
    try:
        seq = 0
        for _ in range(6):
            time.sleep(0.08)  # a consumer far slower than the source
            frame = capture.wait_for_frame(timeout=1.0, after_seq=seq)
            assert frame is not None
            ages.append(time.monotonic() - frame.timestamp)
            taken.append(frame)
            seq = frame.seq
    finally:
        stop_quickly(capture)
    stats = capture.stats()
    assert stats.frames_delivered == len(taken) == 6
    assert stats.frames_dropped > 6 * 5
    pending = 0 if capture.latest(after_seq=taken[-1].seq) is None else 1
    assert stats.frames_captured == stats.frames_delivered + stats.frames_dropped + pending
    # A queue would serve frames 0.08 s old, then older and older; the slot serves fresh ones.
    assert max(ages) < 0.08, "latency grew: the consumer was served an old frame"


def test_latest_counts_a_frame_as_delivered_once() -> None:
    capture = CaptureThread(StillImageSource(np.zeros((4, 4, 3), np.uint8)))
    capture.start()
    try:
        frame = capture.wait_for_frame(timeout=2.0)
        assert frame is not None
        assert capture.latest() is frame and capture.latest() is frame
        assert capture.latest(after_seq=frame.seq) is None
    finally:
        stop_quickly(capture)
    assert capture.stats().frames_delivered == 1


def test_snapshot_freezes_a_copy() -> None:
    capture = CaptureThread(SyntheticSource((32, 32), fps=200))
    assert capture.snapshot() is None
    capture.start()
    try:
        assert capture.wait_for_frame(timeout=2.0) is not None
        still = capture.snapshot()
    finally:
        stop_quickly(capture)
    assert capture.stats().frames_delivered == 1  # the snapshot did not count
    assert still is not None
    live = capture.latest()
    assert live is not None and not np.shares_memory(still.image, live.image)


def test_video_playback_is_paced_at_the_file_rate(tmp_path: Path) -> None:
    fps, count = 20.0, 12
    path = write_video(tmp_path / "paced.avi", "MJPG", count, fps=fps)
    calls = Recorder()
    capture = CaptureThread(VideoFileSource(path), **calls.hooks())
    before = time.monotonic()
    capture.start()
    try:
        assert calls.ended.wait(5.0)
        fps_seen = capture.stats().fps
    finally:
        stop_quickly(capture)
    elapsed = np.array([f.timestamp for f in calls.frames]) - before
    assert len(elapsed) == count
    # Frame k is never read before k frame periods have passed. (A busy machine can only
    # make frames later, so this holds under load too.)
    schedule = np.arange(count) / fps
    assert (elapsed >= schedule - 1e-3).all(), "faster than the file's frame rate"
    assert elapsed[-1] < 2 * schedule[-1], "far slower than the file's frame rate"
    assert 0.7 * fps < fps_seen < 1.1 * fps


def test_unpaced_playback_runs_ahead(video: Path) -> None:
    calls = Recorder()
    capture = CaptureThread(VideoFileSource(video), pace=False, **calls.hooks())
    start = time.monotonic()
    capture.start()
    try:
        assert calls.ended.wait(5.0)
        assert time.monotonic() - start < 0.75 * 30 / 25  # paced playback takes 1.16 s
    finally:
        stop_quickly(capture)


def test_stop_at_end_keeps_the_last_frame_and_calls_on_end_once(video: Path) -> None:
    calls = Recorder()
    capture = CaptureThread(VideoFileSource(video), pace=False, **calls.hooks())
    capture.start()
    try:
        assert calls.ended.wait(5.0)
        time.sleep(0.05)
        assert capture.state is CaptureState.ENDED and capture.is_alive()
        assert calls.ends == 1
        assert capture.stats().frames_captured == 30
        last = capture.latest()
        assert last is not None and last.index == 29 and decode_index(last.image) == 29
        assert capture.wait_for_frame(timeout=0.05, after_seq=last.seq) is None
    finally:
        stop_quickly(capture)


def test_loop_keeps_playing_past_the_end(video: Path) -> None:
    calls = Recorder()
    capture = CaptureThread(VideoFileSource(video, loop=True), pace=False, **calls.hooks())
    capture.start()
    try:
        deadline = time.monotonic() + 5.0
        while len(calls.frames) < 45 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        stop_quickly(capture)
    indices = [f.index for f in calls.frames]
    assert indices[:45] == list(range(30)) + list(range(15))
    assert calls.ends == 0


def test_pause_step_seek_and_resume(video: Path) -> None:
    capture = CaptureThread(VideoFileSource(video))
    capture.start()
    try:
        frame = capture.wait_for_frame(timeout=2.0)
        assert frame is not None
        capture.pause()
        assert capture.paused
        time.sleep(0.1)
        seq = capture.latest().seq  # type: ignore[union-attr]
        time.sleep(0.15)  # > 3 frame periods: nothing arrives while paused
        assert capture.latest(after_seq=seq) is None

        capture.seek(20)
        frame = capture.wait_for_frame(timeout=2.0, after_seq=seq)
        assert frame is not None and frame.index == 20 and decode_index(frame.image) == 20
        capture.step()
        frame = capture.wait_for_frame(timeout=2.0, after_seq=frame.seq)
        assert frame is not None and frame.index == 21 and capture.paused

        assert capture.seek_fraction(1.0) == 29
        frame = capture.wait_for_frame(timeout=2.0, after_seq=frame.seq)
        assert frame is not None and frame.index == 29
        capture.step()  # past the end
        deadline = time.monotonic() + 2.0
        while capture.state is not CaptureState.ENDED and time.monotonic() < deadline:
            time.sleep(0.01)
        assert capture.state is CaptureState.ENDED

        capture.seek(0)  # seeking after the end shows the frame, paused
        frame = capture.wait_for_frame(timeout=2.0, after_seq=frame.seq)
        assert frame is not None and frame.index == 0 and capture.paused
        capture.resume()
        frame = capture.wait_for_frame(timeout=2.0, after_seq=frame.seq)
        assert frame is not None and frame.index == 1
        assert capture.state is CaptureState.RUNNING
    finally:
        stop_quickly(capture)


def test_seek_needs_a_seekable_source_and_a_valid_index(video: Path) -> None:
    still = CaptureThread(StillImageSource(np.zeros((4, 4), np.uint8)))
    with pytest.raises(TypeError, match="not seekable"):
        still.seek(0)
    capture = CaptureThread(VideoFileSource(video))
    capture.start()
    try:
        with pytest.raises(ValueError, match="index"):
            capture.seek(30)
    finally:
        stop_quickly(capture)


def test_still_image_is_delivered_once_and_kept() -> None:
    calls = Recorder()
    capture = CaptureThread(StillImageSource(np.full((4, 4), 9, np.uint8)), **calls.hooks())
    with capture:
        assert calls.ended.wait(2.0)
        frame = capture.latest()
        assert frame is not None and (frame.image == 9).all()
    assert len(calls.frames) == 1 and not capture.is_alive()


def test_stalled_source_is_detected_within_a_second_and_stop_joins(
    scripted_source: Callable[..., ScriptedSource],
) -> None:
    source = scripted_source(3, "stall")
    calls = Recorder()
    capture = CaptureThread(source, **calls.hooks())
    capture.start()
    try:
        assert calls.failed.wait(3.0)
    finally:
        stop_quickly(capture)
    detected_at, error = calls.errors[0]
    assert isinstance(error, SourceStalledError) and "Scripted source" in str(error)
    assert source.stall_started is not None
    assert detected_at - source.stall_started < 1.5
    assert capture.state is CaptureState.FAILED and capture.error is error
    assert capture.stats().state is CaptureState.FAILED
    last = capture.latest()
    assert last is not None and last.index == 2
    assert source.is_open  # the stuck read still holds it...
    source.release()
    deadline = time.monotonic() + 2.0
    while source.is_open and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not source.is_open  # ...and the abandoned reader closes it when the read returns
    assert source.closed_by is not None and source.closed_by.endswith("-reader")


def test_stop_does_not_hang_on_a_blocked_read(
    scripted_source: Callable[..., ScriptedSource],
) -> None:
    source = scripted_source(1, "stall")
    capture = CaptureThread(source, stall_timeout=None)
    capture.start()
    deadline = time.monotonic() + 2.0
    while source.stall_started is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert source.stall_started is not None
    stop_quickly(capture)
    assert capture.state is CaptureState.STOPPED


def test_source_error_reaches_on_error_and_ends_the_capture(
    scripted_source: Callable[..., ScriptedSource],
) -> None:
    source = scripted_source(5, "raise")
    calls = Recorder()
    capture = CaptureThread(source, **calls.hooks())
    capture.start()
    assert calls.failed.wait(2.0)
    assert capture.join(timeout=STOP_BUDGET)
    ((_, error),) = calls.errors
    assert isinstance(error, SourceError) and "stopped delivering" in str(error)
    assert capture.state is CaptureState.FAILED and not source.is_open
    assert capture.latest().index == 4  # type: ignore[union-attr]


def test_callback_exceptions_are_logged_and_capture_continues(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def explode(frame: Frame) -> None:
        raise RuntimeError("boom")

    capture = CaptureThread(SyntheticSource((16, 16), fps=200), on_frame=explode)
    with caplog.at_level(logging.ERROR, logger="workbench.sources.capture"):
        capture.start()
        try:
            first = capture.wait_for_frame(timeout=2.0)
            assert first is not None
            assert capture.wait_for_frame(timeout=2.0, after_seq=first.seq) is not None
        finally:
            stop_quickly(capture)
    assert "boom" in caplog.text


def test_stop_is_prompt_while_waiting_between_slow_frames() -> None:
    capture = CaptureThread(SyntheticSource((16, 16), fps=0.5))
    capture.start()
    assert capture.wait_for_frame(timeout=2.0) is not None
    assert stop_quickly(capture) < 0.2


def test_lifecycle_errors_and_restart_with_a_new_capture(video: Path) -> None:
    never_started = CaptureThread(SyntheticSource((16, 16)))
    assert never_started.stop() and never_started.join()
    with pytest.raises(RuntimeError, match="once"):
        never_started.start()

    with pytest.raises(SourceError, match="missing.mp4"):
        CaptureThread(VideoFileSource(video.with_name("missing.mp4"))).start()

    with pytest.raises(ValueError, match="stall_timeout"):
        CaptureThread(SyntheticSource((16, 16)), stall_timeout=0)

    for _ in range(2):  # stop, then capture the same file again
        capture = CaptureThread(VideoFileSource(video))
        capture.start()
        with pytest.raises(RuntimeError, match="once"):
            capture.start()
        assert capture.wait_for_frame(timeout=2.0) is not None
        stop_quickly(capture)


def test_stop_from_a_callback_does_not_deadlock() -> None:
    holder: list[CaptureThread] = []
    results: list[bool] = []

    def on_end() -> None:
        results.append(holder[0].stop())

    capture = CaptureThread(StillImageSource(np.zeros((4, 4), np.uint8)), on_end=on_end)
    holder.append(capture)
    capture.start()
    assert capture.join(timeout=2.0)
    assert results == [False] and capture.state is CaptureState.STOPPED


def test_close_source_false_leaves_the_source_open() -> None:
    source = SyntheticSource((16, 16), fps=100)
    capture = CaptureThread(source, close_source=False)
    capture.start()
    assert capture.wait_for_frame(timeout=2.0) is not None
    stop_quickly(capture)
    assert source.is_open
    source.close()
