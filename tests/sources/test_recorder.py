from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from workbench.sources import Frame, RecorderError, Size, VideoFileSource, VideoRecorder
from workbench.sources import recorder as recorder_module

from .media import SQUARE, SQUARE_RGB, coded_frame, decode_index, read_all_with_opencv

COLOUR_TOLERANCE = 25


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("threaded", [True, False])
@pytest.mark.parametrize(("suffix", "fourcc"), [(".mp4", "mp4v"), (".avi", "MJPG")])
def test_recording_reopens_with_the_right_count_size_and_colours(
    tmp_path: Path, threaded: bool, suffix: str, fourcc: str
) -> None:
    path = tmp_path / f"out{suffix}"
    with VideoRecorder(path, fps=25, fourcc=fourcc, threaded=threaded) as recorder:
        for i in range(20):
            assert recorder.write(coded_frame(i)) is True
        assert not path.exists()  # still under the temporary name
    assert recorder.closed and recorder.frames_written == 20 and recorder.frames_dropped == 0
    assert recorder.frame_size == Size(160, 120)
    assert leftovers(tmp_path) == [path.name]
    frames = read_all_with_opencv(path)
    assert len(frames) == 20 and frames[0].shape == (120, 160, 3)
    assert [decode_index(f) for f in frames] == list(range(20))
    np.testing.assert_allclose(
        frames[3][SQUARE].reshape(-1, 3).mean(axis=0), SQUARE_RGB, atol=COLOUR_TOLERANCE
    )
    with VideoFileSource(path) as source:
        assert source.frame_count == 20 and source.fps == pytest.approx(25)


def test_gray_frames_objects_and_other_sizes(tmp_path: Path) -> None:
    path = tmp_path / "mixed.mp4"
    recorder = VideoRecorder(path, fps=10)
    recorder.write(np.full((48, 64), 200, np.uint8))  # gray fixes the size at 64x48
    recorder.write(Frame(np.zeros((96, 128, 3), np.uint8), 0, 0.0))  # resized
    recorder.write(np.ones((30, 40, 3), np.float32))  # converted and resized
    assert recorder.close() == path
    frames = read_all_with_opencv(path)
    assert [f.shape for f in frames] == [(48, 64, 3)] * 3
    assert [round(float(f.mean())) for f in frames] == pytest.approx([200, 0, 255], abs=6)


def test_odd_sizes_are_rounded_down_to_even(tmp_path: Path) -> None:
    path = tmp_path / "odd.mp4"
    with VideoRecorder(path, fps=10) as recorder:
        recorder.write(np.zeros((47, 63, 3), np.uint8))
        recorder.write(np.zeros((47, 63, 3), np.uint8))
    assert recorder.frame_size == Size(62, 46)
    assert [f.shape for f in read_all_with_opencv(path)] == [(46, 62, 3)] * 2


def test_an_unclosed_recording_never_appears_under_the_real_name(tmp_path: Path) -> None:
    path = tmp_path / "crash.mp4"
    recorder = VideoRecorder(path, fps=10)
    for i in range(5):
        recorder.write(coded_frame(i))
    # A crash now leaves only the hidden temporary file.
    assert not path.exists()
    assert recorder.temp_path.parent == tmp_path and recorder.temp_path.name.startswith(".crash.")
    assert recorder.temp_path.suffix == ".mp4"
    recorder.abort()
    assert leftovers(tmp_path) == []
    recorder.abort()
    assert recorder.close() is None


def test_an_exception_in_the_with_block_discards_the_recording(tmp_path: Path) -> None:
    path = tmp_path / "failed.mp4"
    with pytest.raises(KeyError), VideoRecorder(path, fps=10) as recorder:
        recorder.write(coded_frame(0))
        raise KeyError("boom")
    assert leftovers(tmp_path) == []


def test_refuses_to_overwrite_unless_asked(tmp_path: Path) -> None:
    path = tmp_path / "keep.mp4"
    path.write_bytes(b"precious")
    with pytest.raises(FileExistsError, match="keep.mp4.*overwrite=True"):
        VideoRecorder(path, fps=10)
    assert path.read_bytes() == b"precious"
    with VideoRecorder(path, fps=10, overwrite=True) as recorder:
        recorder.write(coded_frame(0))
    assert len(read_all_with_opencv(path)) == 1


def test_a_file_appearing_during_recording_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "race.mp4"
    recorder = VideoRecorder(path, fps=10)
    recorder.write(coded_frame(0))
    path.write_bytes(b"someone else's")
    with pytest.raises(FileExistsError, match="kept at"):
        recorder.close()
    assert path.read_bytes() == b"someone else's"
    assert recorder.temp_path.exists()  # the recording is not lost
    recorder.abort()
    assert leftovers(tmp_path) == [path.name]


def test_close_twice_write_after_close_and_empty_recordings(tmp_path: Path) -> None:
    path = tmp_path / "twice.mp4"
    recorder = VideoRecorder(path, fps=10)
    recorder.write(coded_frame(0))
    assert recorder.close() == path
    assert recorder.close() == path
    with pytest.raises(ValueError, match="closed"):
        recorder.write(coded_frame(1))
    empty = VideoRecorder(tmp_path / "empty.mp4", fps=10)
    assert empty.close() is None
    assert leftovers(tmp_path) == [path.name]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"fps": 0}, ValueError, "fps"),
        ({"fps": 10, "fourcc": "mp4"}, ValueError, "fourcc"),
        ({"fps": 10, "queue_size": 0}, ValueError, "queue_size"),
    ],
)
def test_arguments_are_validated(tmp_path: Path, kwargs: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        VideoRecorder(tmp_path / "x.mp4", **kwargs)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        VideoRecorder(tmp_path / "no" / "x.mp4", fps=10)


def test_writer_that_cannot_open_raises_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.mp4"
    recorder = VideoRecorder(path, fps=10, fourcc="XXXX")
    with pytest.raises(RecorderError, match=r"bad\.mp4.*'XXXX'"):
        recorder.write(coded_frame(0))
    assert recorder.closed
    assert leftovers(tmp_path) == []
    with pytest.raises(ValueError, match="shape"):
        VideoRecorder(tmp_path / "y.mp4", fps=10).write(np.zeros((4, 4, 2), np.uint8))


def test_writes_from_many_threads(tmp_path: Path) -> None:
    path = tmp_path / "threads.avi"
    recorder = VideoRecorder(path, fps=30, fourcc="MJPG", queue_size=200)
    barrier = threading.Barrier(4)

    def produce(worker: int) -> None:
        barrier.wait()
        for i in range(10):
            recorder.write(coded_frame(worker * 7 + i))

    threads = [threading.Thread(target=produce, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    recorder.close()
    assert recorder.frames_written == 40
    assert len(read_all_with_opencv(path)) == 40


def test_a_full_queue_drops_instead_of_blocking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_writer = cv2.VideoWriter
    entered = threading.Event()
    release = threading.Event()

    class SlowWriter:
        fourcc = staticmethod(real_writer.fourcc)

        def __init__(self, *args: object) -> None:
            self._writer = real_writer(*args)

        def isOpened(self) -> bool:  # noqa: N802 - OpenCV's name
            return self._writer.isOpened()

        def write(self, image: np.ndarray) -> None:
            entered.set()
            release.wait(5.0)
            self._writer.write(image)

        def release(self) -> None:
            self._writer.release()

    monkeypatch.setattr(recorder_module.cv2, "VideoWriter", SlowWriter)
    path = tmp_path / "slow.mp4"
    recorder = VideoRecorder(path, fps=10, queue_size=2)
    assert recorder.write(coded_frame(0))
    assert entered.wait(2.0)  # the writer thread is busy with frame 0
    accepted = [recorder.write(coded_frame(i)) for i in range(1, 10)]
    assert accepted == [True, True] + [False] * 7
    assert recorder.frames_dropped == 7
    release.set()
    recorder.close()
    assert recorder.frames_written == 3
    assert [decode_index(f) for f in read_all_with_opencv(path)] == [0, 1, 2]
