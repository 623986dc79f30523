from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from workbench.sources import (
    CameraSource,
    CaptureState,
    CaptureThread,
    Size,
    SourceError,
    SourceStalledError,
    camera_name,
    list_cameras,
    probe_resolutions,
)
from workbench.sources import camera as camera_module

from .fakes import FakeVideoCapture

MISSING_INDEX = 97


@pytest.fixture
def fake_camera(monkeypatch: pytest.MonkeyPatch) -> Callable[..., FakeVideoCapture]:
    """Route camera opens to a :class:`FakeVideoCapture`; unblock it at teardown."""
    made: list[FakeVideoCapture] = []

    def install(**kwargs: object) -> FakeVideoCapture:
        fake = FakeVideoCapture(**kwargs)  # type: ignore[arg-type]
        made.append(fake)
        monkeypatch.setattr(camera_module, "_open_capture", lambda index, api: fake)
        return fake

    yield install
    for fake in made:
        fake.unblock.set()


@pytest.mark.parametrize("api", [None, cv2.CAP_ANY])
def test_missing_camera_fails_fast_with_a_clear_message(api: int | None) -> None:
    source = CameraSource(MISSING_INDEX, api_preference=api)
    start = time.monotonic()
    with pytest.raises(SourceError) as info:
        source.open()
    elapsed = time.monotonic() - start
    assert str(info.value) == (
        f"Camera {MISSING_INDEX} could not be opened: "
        "no such device or it is in use by another program"
    )
    assert elapsed < 0.5
    assert not source.is_open
    with pytest.raises(SourceError, match=f"Camera {MISSING_INDEX}"):
        CaptureThread(source).start()


def test_probing_without_cameras_is_quick() -> None:
    start = time.monotonic()
    cameras = list_cameras(max_index=4)
    assert time.monotonic() - start < 2.0
    assert all(c.index < 4 for c in cameras)
    with pytest.raises(SourceError, match=f"Camera {MISSING_INDEX}"):
        probe_resolutions(MISSING_INDEX)


def test_camera_arguments_are_validated() -> None:
    with pytest.raises(ValueError, match="index"):
        CameraSource(-1)
    with pytest.raises(ValueError, match="resolution"):
        CameraSource(0, resolution=(0, 480))


def test_open_reports_the_size_obtained_and_converts_to_rgb(
    fake_camera: Callable[..., FakeVideoCapture],
) -> None:
    fake = fake_camera(size=Size(320, 240))
    source = CameraSource(0)
    assert source.requested_resolution == Size(640, 480) and source.size is None
    with source:
        assert source.size == Size(320, 240)  # what the device delivers, not what we asked
        assert fake.props[cv2.CAP_PROP_FRAME_WIDTH] == 640
        assert fake.props[cv2.CAP_PROP_FRAME_HEIGHT] == 480
        assert source.is_live and source.fps == 30.0
        frame = source.read()
        assert frame.index == 0 and frame.source_time is None
        assert frame.image.shape == (240, 320, 3)
        assert frame.image[5, 5].tolist() == [0, 0, 255]  # blue, left quarter
        assert source.read().index == 1
        source.mirror = True
        mirrored = source.read()
        assert mirrored.image[5, -5].tolist() == [0, 0, 255]  # now on the right
        assert mirrored.image[5, 5].tolist() == [0, 0, 0]
    assert fake.released.is_set()


def test_camera_that_does_not_open_names_the_device(
    fake_camera: Callable[..., FakeVideoCapture],
) -> None:
    fake = fake_camera(opened=False)
    with pytest.raises(SourceError, match="Camera 2 could not be opened: no such device"):
        CameraSource(2).open()
    assert fake.released.is_set()


def test_camera_that_opens_but_delivers_nothing(
    fake_camera: Callable[..., FakeVideoCapture],
) -> None:
    fake = fake_camera(good_frames=0)
    with pytest.raises(SourceError, match="Camera 1 opened but delivered no frame"):
        CameraSource(1).open()
    assert fake.released.is_set()


def test_first_frame_timeout_releases_the_device_when_the_read_returns(
    fake_camera: Callable[..., FakeVideoCapture], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(camera_module, "OPEN_TIMEOUT", 0.2)
    fake = fake_camera(block_first=True)
    start = time.monotonic()
    with pytest.raises(SourceError, match="Camera 0 opened but delivered no frame within"):
        CameraSource(0).open()
    assert time.monotonic() - start < 1.0
    assert not fake.released.is_set()  # cannot release under a blocked read...
    fake.unblock.set()
    assert fake.released.wait(2.0)  # ...so it happens as soon as the read returns


def test_unplugged_camera_is_reported_within_a_second(
    fake_camera: Callable[..., FakeVideoCapture],
) -> None:
    fake_camera(good_frames=5, after="fail")
    failed = threading.Event()
    errors: list[tuple[float, BaseException]] = []
    frames: list[float] = []

    def on_error(exc: BaseException) -> None:
        errors.append((time.monotonic(), exc))
        failed.set()

    capture = CaptureThread(
        CameraSource(4), on_frame=lambda f: frames.append(time.monotonic()), on_error=on_error
    )
    capture.start()
    assert failed.wait(3.0)
    assert capture.join(timeout=1.0)
    detected_at, error = errors[0]
    assert isinstance(error, SourceError) and "Camera 4 stopped delivering" in str(error)
    assert detected_at - frames[-1] < 1.0
    assert capture.state is CaptureState.FAILED
    assert capture.latest().index == 4  # type: ignore[union-attr]


def test_stalled_camera_read_is_caught_by_the_watchdog(
    fake_camera: Callable[..., FakeVideoCapture],
) -> None:
    fake = fake_camera(good_frames=3, after="block")
    failed = threading.Event()
    errors: list[BaseException] = []
    capture = CaptureThread(
        CameraSource(0), on_error=lambda exc: (errors.append(exc), failed.set())
    )
    capture.start()
    start = time.monotonic()
    assert failed.wait(3.0)
    assert time.monotonic() - start < 1.5
    assert isinstance(errors[0], SourceStalledError) and "Camera 0" in str(errors[0])
    assert capture.stop(timeout=1.0)
    assert capture.latest() is not None
    fake.unblock.set()
    assert fake.released.wait(2.0)

    # Reconnecting is creating and opening a new source.
    fake_camera()
    again = CaptureThread(CameraSource(0))
    again.start()
    assert again.wait_for_frame(timeout=2.0) is not None
    assert again.stop()


def test_pausing_a_camera_keeps_it_drained(fake_camera: Callable[..., FakeVideoCapture]) -> None:
    fake = fake_camera()
    capture = CaptureThread(CameraSource(0))
    capture.start()
    try:
        assert capture.wait_for_frame(timeout=2.0) is not None
        capture.pause()
        time.sleep(0.05)
        seq = capture.latest().seq  # type: ignore[union-attr]
        reads = fake.reads
        time.sleep(0.1)
        assert fake.reads > reads  # still reading...
        assert capture.latest(after_seq=seq) is None  # ...but not publishing
        capture.resume()
        assert capture.wait_for_frame(timeout=2.0, after_seq=seq) is not None
    finally:
        assert capture.stop()


def test_names_come_from_sysfs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "video0").mkdir()
    (tmp_path / "video0" / "name").write_text("Integrated Webcam: Integrated C\n")
    monkeypatch.setattr(camera_module, "_SYSFS_VIDEO4LINUX", tmp_path)
    assert camera_name(0) == "Integrated Webcam: Integrated C"
    assert camera_name(1) == "Camera 1"
    assert CameraSource(0).name == "Integrated Webcam: Integrated C"


def test_list_cameras_keeps_only_devices_that_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dev = tmp_path / "dev"
    dev.mkdir()
    for i in (0, 1, 3):
        (dev / f"video{i}").touch()
    monkeypatch.setattr(camera_module, "_DEV", dev)
    monkeypatch.setattr(camera_module, "_SYSFS_VIDEO4LINUX", tmp_path / "nosys")
    monkeypatch.setattr(camera_module.sys, "platform", "linux")
    probed: list[int] = []

    def open_capture(index: int, api: int) -> FakeVideoCapture:
        probed.append(index)
        return FakeVideoCapture(opened=index != 1)  # video1: a metadata node

    monkeypatch.setattr(camera_module, "_open_capture", open_capture)
    cameras = list_cameras(max_index=4)
    assert probed == [0, 1, 3]
    assert [(c.index, c.name, c.backend) for c in cameras] == [
        (0, "Camera 0", "FAKE"),
        (3, "Camera 3", "FAKE"),
    ]


def test_probe_resolutions_reports_what_the_driver_accepts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Snapping(FakeVideoCapture):
        def set(self, prop: int, value: float) -> bool:
            if prop == cv2.CAP_PROP_FRAME_WIDTH:
                self.size = Size(640 if value <= 640 else 1280, self.size.height)
            elif prop == cv2.CAP_PROP_FRAME_HEIGHT:
                self.size = Size(self.size.width, 480 if value <= 480 else 720)
            return True

    fake = Snapping()
    monkeypatch.setattr(camera_module, "_open_capture", lambda index, api: fake)
    sizes = probe_resolutions(0, (Size(320, 240), Size(640, 480), Size(1920, 1080)))
    assert sizes == [Size(640, 480), Size(1280, 720)]
    assert fake.released.is_set()
    assert np.all(np.array(sizes) > 0)
