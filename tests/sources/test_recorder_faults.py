"""Recording formats, recordings stopped by the end of a video, and orphaned partial files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from workbench.gui.live.recording import LiveRecorder, RecordTarget
from workbench.sources import Frame
from workbench.sources.recorder import (
    RecordingFormat,
    VideoRecorder,
    find_orphan_recordings,
    probe_recording_format,
    recording_format,
    recover_orphan,
    remove_orphan,
)

from .media import coded_frame, decode_index, read_all_with_opencv, write_video

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 20_000


def _encodes(fourcc: str, suffix: str, folder: Path) -> bool:
    path = folder / f"check-{fourcc}{suffix}"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*fourcc), 25.0, (64, 48))
    opened = writer.isOpened()
    if opened:
        writer.write(np.zeros((48, 64, 3), np.uint8))
    writer.release()
    return opened and len(read_all_with_opencv(path)) == 1 if opened else False


# ------------------------------------------------------------------------------ 1: codec


def test_recording_format_is_the_best_codec_this_build_encodes(tmp_path: Path) -> None:
    fmt = recording_format()
    assert isinstance(fmt, RecordingFormat)
    assert recording_format() is fmt  # probed once
    expected = next(
        (name for fourcc, suffix, name in [("avc1", ".mp4", "H.264 MP4"),
                                           ("H264", ".mp4", "H.264 MP4"),
                                           ("VP90", ".webm", "VP9 WebM"),
                                           ("MJPG", ".avi", "MJPEG AVI")]
         if _encodes(fourcc, suffix, tmp_path)),
        "MJPEG AVI",
    )
    assert fmt.name == expected
    assert fmt == probe_recording_format()
    assert fmt.extension == {"H.264 MP4": ".mp4", "VP9 WebM": ".webm",
                             "MJPEG AVI": ".avi"}[fmt.name]
    if fmt.name == "H.264 MP4":
        assert fmt.label == "H.264 MP4" and fmt.note == ""
    else:
        assert fmt.label == f"{fmt.name} (no H.264 encoder in this OpenCV build)"
    assert fmt.fourcc != "mp4v"


def test_live_recording_uses_the_probed_format_and_reads_back(tmp_path: Path) -> None:
    fmt = recording_format()
    recorder = LiveRecorder(tmp_path / "take.mp4", 25.0, RecordTarget("input"))
    assert recorder.format == fmt
    assert recorder.path == tmp_path / f"take{fmt.extension}"
    assert recorder.status_text == f"Recording {fmt.label} to take{fmt.extension}"
    for i in range(12):
        recorder.add_frame(Frame(coded_frame(i), i, time.monotonic()))
    path = recorder.close()
    assert path == tmp_path / f"take{fmt.extension}"
    frames = read_all_with_opencv(path)
    assert [decode_index(f) for f in frames] == list(range(12))
    fourcc = int(cv2.VideoCapture(str(path)).get(cv2.CAP_PROP_FOURCC))
    assert fourcc != cv2.VideoWriter.fourcc(*"mp4v")
    # A closed recorder ignores late frames instead of raising or reopening the file.
    recorder.add_frame(Frame(coded_frame(0), 99, time.monotonic()))
    assert len(read_all_with_opencv(path)) == 12


# ----------------------------------------------------------------- 2: stream end stops it


def test_recording_stops_and_is_finished_when_the_video_ends(qtbot, tmp_path: Path) -> None:
    from workbench.gui.compute_worker import ComputeController
    from workbench.gui.live.controller import LiveController

    video = write_video(tmp_path / "short.avi", "MJPG", 15)
    compute = ComputeController()
    compute.start()
    live = LiveController(compute)
    infos: list[str] = []
    changes: list[object] = []
    live.sigInfo.connect(infos.append)
    live.sigRecordingChanged.connect(changes.append)
    try:
        live.set_loop(False)
        live.open_video(video)
        qtbot.waitUntil(lambda: live.current_frame is not None, timeout=TIMEOUT)
        live.pause()
        live.seek(0)
        qtbot.waitUntil(lambda: live.current_frame is not None
                        and live.current_frame.index == 0, timeout=TIMEOUT)
        target = tmp_path / "ended.mp4"
        assert live.start_recording(target, RecordTarget("input"))
        path = live.recording.path
        assert infos[-1] == f"{live.recording.status_text}."
        with qtbot.waitSignal(live.sigEnded, timeout=TIMEOUT):
            live.resume()
        assert live.recording is None and changes[-1] is None
        assert path.is_file() and find_orphan_recordings(tmp_path) == []
        assert infos[-1].startswith("The video ended, so the recording was stopped. Recorded ")
        count = len(read_all_with_opencv(path))
        assert count in (14, 15)  # the frames after the seek, to the last one
        assert f"Recorded {count} frames" in infos[-1]
        # Play again: the video restarts, the finished file is not touched.
        size = path.stat().st_size
        with qtbot.waitSignal(live.sigEnded, timeout=TIMEOUT):
            live.resume()
        assert live.recording is None
        assert path.stat().st_size == size and len(read_all_with_opencv(path)) == count
    finally:
        live.shutdown()
        compute.stop()


# ------------------------------------------------------------------------- 3: orphans

_CHILD = textwrap.dedent("""
    import signal, sys, time
    import numpy as np
    from workbench.sources.recorder import VideoRecorder
    path, fourcc, frames, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    rec = VideoRecorder(path, 25.0, fourcc=fourcc, threaded=(mode == "term"), queue_size=100)
    if mode == "term":
        def on_term(signum, frame):
            rec.close()
            rec.close()  # twice is harmless
            sys.exit(0)
        signal.signal(signal.SIGTERM, on_term)
    for i in range(frames):
        image = np.full((120, 160, 3), 20 + 7 * (i % 30), np.uint8)
        image[20:60, 100:140] = (220, 30, 30)
        rec.write(image)
    print(rec.temp_path, flush=True)
    while True:
        time.sleep(0.05)
""")


def _record_in_child(path: Path, fourcc: str, frames: int, mode: str, sig: int) -> Path:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(path), fourcc, str(frames), mode],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=REPO)
    try:
        assert child.stdout is not None
        temp = Path(child.stdout.readline().strip())
        child.send_signal(sig)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    return temp


def test_killed_recorder_leaves_an_orphan_that_recover_rewrites(tmp_path: Path) -> None:
    # Enough frames that FFmpeg's write buffer reached the disk before the kill.
    temp = _record_in_child(tmp_path / "crash.avi", "MJPG", 1000, "kill", signal.SIGKILL)
    assert not (tmp_path / "crash.avi").exists()
    assert find_orphan_recordings(tmp_path) == [temp]
    reasons: list[str] = []
    recovered = recover_orphan(temp, on_failure=reasons.append)
    assert recovered is not None, reasons
    assert recovered.stem == "crash" and recovered.suffix == recording_format().extension
    frames = read_all_with_opencv(recovered)
    assert 0 < len(frames) <= 1000
    # Re-encoded: the coded level may shift by one step in a lossy codec.
    errors = [abs(decode_index(f) - i % 30) for i, f in enumerate(frames)]
    assert max(errors) <= 1
    assert not temp.exists() and find_orphan_recordings(tmp_path) == []


def test_killed_mp4_without_index_is_reported_not_recovered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-ffmpeg-here"))
    temp = _record_in_child(tmp_path / "lost.mp4", "mp4v", 60, "kill", signal.SIGKILL)
    assert find_orphan_recordings(tmp_path) == [temp]
    reasons: list[str] = []
    assert recover_orphan(temp, on_failure=reasons.append) is None
    assert len(reasons) == 1 and str(temp) in reasons[0]
    assert "could not be recovered" in reasons[0]
    assert "no index" in reasons[0] or "it is empty" in reasons[0]
    assert temp.exists()
    remove_orphan(temp)
    assert not temp.exists() and find_orphan_recordings(tmp_path) == []
    remove_orphan(temp)  # already gone: fine
    keep = tmp_path / "keep.mp4"
    keep.write_bytes(b"x")
    with pytest.raises(ValueError, match="not a partial recording"):
        remove_orphan(keep)
    assert keep.exists()


def test_sigterm_handler_close_leaves_the_complete_file(tmp_path: Path) -> None:
    target = tmp_path / "term.avi"
    temp = _record_in_child(target, "MJPG", 40, "term", signal.SIGTERM)
    assert target.is_file() and not temp.exists()
    assert find_orphan_recordings(tmp_path) == []
    frames = read_all_with_opencv(target)
    assert [decode_index(f) for f in frames] == [i % 30 for i in range(40)]


def test_open_recorders_are_not_orphans_and_close_twice_returns_the_file(
    tmp_path: Path,
) -> None:
    rec = VideoRecorder(tmp_path / "open.avi", 25.0, fourcc="MJPG", threaded=False)
    rec.write(coded_frame(0))
    assert rec.temp_path.exists() and find_orphan_recordings(tmp_path) == []
    assert rec.close() == tmp_path / "open.avi" == rec.close()


def test_close_from_a_signal_handler_that_interrupted_write_does_not_deadlock(
    tmp_path: Path,
) -> None:
    import threading

    rec = VideoRecorder(tmp_path / "signal.avi", 25.0, fourcc="MJPG")
    rec.write(coded_frame(0))
    result: list[Path | None] = []

    def interrupted_write() -> None:
        # A handler runs on the thread it interrupts: here, inside write()'s locked section.
        with rec._lock:  # noqa: SLF001 - the state a signal during write() leaves
            result.append(rec.close())

    worker = threading.Thread(target=interrupted_write, name="signal-sim", daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), "close() deadlocked on the recorder's own lock"
    assert result == [tmp_path / "signal.avi"]
    assert len(read_all_with_opencv(tmp_path / "signal.avi")) == 1
