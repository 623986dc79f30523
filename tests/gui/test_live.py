"""Live input: the controller, the recorder and the panel, driven through the real capture path.

There is no camera here: videos are written with ``cv2.VideoWriter``, the synthetic pattern
streams, a device index that does not exist gives the camera error path, and a scripted
source that stops answering stands in for an unplugged camera.
"""

import gc
import threading
import time

import cv2
import numpy as np
import pytest

from workbench.core import Filter, Layer, Pipeline, Pool, image_to_chw, run_pipeline
from workbench.gui import compute_worker
from workbench.gui.actions import file_prompts
from workbench.gui.compute_worker import ComputeController
from workbench.gui.live.controller import LiveController, LiveState, LiveStats, map_style
from workbench.gui.live.panel import CAMERA, STILL, SYNTHETIC, VIDEO, LivePanel, format_time
from workbench.gui.live.recording import (
    MONTAGE_CELL,
    RecordTarget,
    colour_map,
    compose_frame,
    input_rgb,
)
from workbench.render import MapLook, ViewOptions, lookup_table, render_map
from workbench.sources import Frame, FrameSource, Size
from workbench.sources.recorder import recording_format

TIMEOUT = 20_000
SIZE = (160, 120)  # width, height of the test videos
FPS = 25.0
EXT = recording_format().extension  # what recordings are written as in this OpenCV build


# ---------------------------------------------------------------------------------- helpers

def edge_pipeline(pool="max", mode="rgb"):
    """Two filters (vertical and horizontal edges), ReLU, optional 2x2 max pool."""
    channels = 3 if mode == "rgb" else 1
    vertical = np.zeros((channels, 3, 3), np.float32)
    vertical[:, :, 0], vertical[:, :, 2] = -1, 1
    horizontal = np.ascontiguousarray(vertical.transpose(0, 2, 1))
    layer = Layer((Filter("vertical", vertical), Filter("horizontal", horizontal)),
                  padding="same", activation="relu", pool=Pool(pool, (2, 2)))
    return Pipeline(mode, (layer,))


def coded_frame(index):
    """RGB frame whose gray level encodes ``index`` (< 30), with a bright square moving right."""
    width, height = SIZE
    image = np.full((height, width, 3), 20 + 7 * (index % 30), np.uint8)
    left = 10 + 4 * index
    image[40:80, left:left + 30] = (230, 40, 40)
    return image


def decode_index(image):
    return round((float(np.median(image[95:115, 5:60])) - 20) / 7)


def write_video(path, frames, fps=FPS, fourcc="mp4v"):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*fourcc), fps, SIZE)
    assert writer.isOpened()
    for i in range(frames):
        writer.write(cv2.cvtColor(coded_frame(i), cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def count_frames(path):
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    assert cap.isOpened(), f"cannot reopen {path}"
    frames, size = 0, None
    while True:
        ok, image = cap.read()
        if not ok:
            break
        frames += 1
        size = (image.shape[1], image.shape[0])
    cap.release()
    return frames, size


class StallingSource(FrameSource):
    """A live source: ``good`` frames, then ``read`` blocks until released (unplugged)."""

    description = "Camera 7"
    is_live = True
    fps = 30.0
    size = Size(*SIZE)

    def __init__(self, good):
        self.good = good
        self.reads = 0
        self.release = threading.Event()
        self._open = False

    @property
    def is_open(self):
        return self._open

    def open(self):
        self._open = True

    def read(self):
        index = self.reads
        self.reads += 1
        if index >= self.good:
            self.release.wait()
            return None
        time.sleep(1 / self.fps)
        return Frame(coded_frame(index % 30), index, time.monotonic())

    def close(self):
        self._open = False


class Sink:
    """Stands in for the window: computes every frame the controller hands over."""

    def __init__(self, compute, live, pipeline):
        self.compute = compute
        self.pipeline = pipeline
        self.frames = []
        self.processed = []
        self.errors = []
        self.infos = []
        live.sigFrame.connect(self.on_frame)
        live.sigProcessed.connect(lambda frame, outcome: self.processed.append((frame, outcome)))
        live.sigError.connect(self.errors.append)
        live.sigInfo.connect(self.infos.append)

    def on_frame(self, frame):
        self.frames.append(frame)
        chw = image_to_chw(frame.image, self.pipeline.input_mode)
        self.compute.request(chw, self.pipeline)
        self.compute.flush()


def workbench_threads():
    return [t for t in threading.enumerate() if t.name.startswith("workbench-") and t.is_alive()]


@pytest.fixture(autouse=True)
def no_workbench_threads():
    """Every capture, opener and render thread is gone after each test."""
    yield
    deadline = time.monotonic() + 2.0
    while workbench_threads() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not workbench_threads(), f"threads left running: {workbench_threads()}"


@pytest.fixture
def compute(qtbot):
    controller = ComputeController()
    controller.start()
    qtbot.waitUntil(lambda: controller.warm, timeout=TIMEOUT)
    yield controller
    controller.stop()


@pytest.fixture
def live(compute):
    controller = LiveController(compute)
    yield controller
    controller.shutdown()


@pytest.fixture
def sink(compute, live):
    return Sink(compute, live, edge_pipeline())


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("live-videos")
    good = write_video(folder / "clip.mp4", 20)
    truncated = folder / "truncated.mp4"
    data = write_video(folder / "full.mp4", 30).read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    garbage = folder / "garbage.mp4"
    garbage.write_bytes(b"this is not a video" * 100)
    empty = folder / "empty.mp4"
    write_video(empty, 0)
    return {"good": good, "truncated": truncated, "garbage": garbage, "empty": empty,
            "missing": folder / "missing.mp4"}


def wait_processed(qtbot, sink, count, timeout=TIMEOUT):
    start = len(sink.processed)
    qtbot.waitUntil(lambda: len(sink.processed) >= start + count, timeout=timeout)


# ----------------------------------------------------------------------------- streaming

def test_synthetic_frames_flow_and_the_maps_follow_the_motion(live, sink, qtbot):
    states = []
    live.sigStateChanged.connect(states.append)
    live.open_synthetic(size=SIZE)
    wait_processed(qtbot, sink, 4)
    assert live.state is LiveState.RUNNING and states[:2] == [LiveState.OPENING,
                                                              LiveState.RUNNING]
    (frame_a, outcome_a), (frame_b, outcome_b) = sink.processed[-2:]
    assert frame_b.seq > frame_a.seq and frame_b.index > frame_a.index
    maps_a, maps_b = outcome_a.result.layers[0], outcome_b.result.layers[0]
    assert maps_a.activated[0].shape == (120, 160) and maps_a.pooled[0].shape == (60, 80)
    assert not np.array_equal(maps_a.activated[0], maps_b.activated[0])
    # The maps are those of the frame handed over, exactly.
    expected = run_pipeline(image_to_chw(frame_b.image, "rgb"), sink.pipeline).layers[0]
    np.testing.assert_array_equal(maps_b.pooled[1], expected.pooled[1])
    assert live.current_frame is sink.frames[-1]


def test_status_numbers_are_counted(live, sink, qtbot):
    live.open_synthetic(size=SIZE)
    with qtbot.waitSignal(live.sigStats, timeout=TIMEOUT,
                          check_params_cb=lambda s: s.frames_processed >= 5):
        pass
    stats = live.stats()
    assert 15 < stats.capture_fps < 40
    assert stats.processed_fps > 0 and stats.compute_ms is not None and stats.compute_ms > 0
    assert stats.frames_captured >= stats.frames_processed >= 5
    assert stats.recorded is None
    text = stats.text()
    for part in ("capture", "processed", "compute", "ms", "dropped"):
        assert part in text


def test_slow_compute_drops_old_frames_and_latency_does_not_grow(live, sink, qtbot,
                                                                 monkeypatch):
    real = compute_worker.run_pipeline

    def slow(image, pipeline, **kwargs):
        time.sleep(0.15)
        return real(image, pipeline, **kwargs)

    monkeypatch.setattr(compute_worker, "run_pipeline", slow)
    live.open_synthetic(size=SIZE)
    wait_processed(qtbot, sink, 6)
    stats = live.stats()
    assert stats.frames_dropped > 5
    assert stats.processed_fps < 8 < stats.capture_fps
    assert stats.compute_ms >= 150
    # Each frame computed was the newest one when compute became free: the gap to the
    # capture never exceeds the frames that arrive during one computation (plus slack).
    gaps = [b.seq - a.seq for (a, _), (b, _) in zip(sink.processed, sink.processed[1:],
                                                     strict=False)]
    assert max(gaps) <= 10
    newest = live.capture.stats().frames_captured
    assert newest - sink.processed[-1][0].seq <= 10
    # Never more than one frame in the worker at a time.
    assert len(sink.frames) - len(sink.processed) <= 1


def test_parameter_edits_apply_to_the_next_frame_without_restarting(live, sink, qtbot):
    live.open_synthetic(size=SIZE)
    wait_processed(qtbot, sink, 2)
    capture = live.capture
    assert sink.processed[-1][1].result.layers[0].pooled[0].shape == (60, 80)
    sink.pipeline = edge_pipeline(pool="none", mode="gray")
    qtbot.waitUntil(lambda: sink.processed[-1][1].request.pipeline is sink.pipeline,
                    timeout=TIMEOUT)
    result = sink.processed[-1][1].result
    assert result.input.shape == (1, 120, 160)
    assert live.capture is capture and capture.is_alive()


def test_stop_then_start_again(live, sink, qtbot):
    live.open_synthetic(size=SIZE)
    wait_processed(qtbot, sink, 2)
    capture = live.capture
    live.stop()
    assert live.state is LiveState.IDLE and live.capture is None
    assert not capture.is_alive()
    last = live.current_frame
    assert last is not None  # the last frame stays
    live.open_synthetic(size=SIZE)
    wait_processed(qtbot, sink, 2)
    assert live.capture is not capture and live.state is LiveState.RUNNING


def test_long_lived_objects_skip_garbage_collection_only_while_streaming(live, sink, qtbot):
    assert gc.get_freeze_count() == 0
    live.open_synthetic(size=SIZE)
    wait_processed(qtbot, sink, 2)
    frozen = gc.get_freeze_count()
    assert frozen > 1000  # Qt, pyqtgraph and numba objects: out of every full collection
    live.open_synthetic(size=SIZE)  # a new source replaces the stream: frozen once, not twice
    qtbot.waitUntil(lambda: live.capture is not None and live.processed >= 2, timeout=TIMEOUT)
    assert gc.get_freeze_count() < 2 * frozen
    live.stop()
    assert gc.get_freeze_count() == 0  # back to the collector, cycles made meanwhile too



@pytest.mark.parametrize("then", ["open another", "stop"])
def test_a_source_superseded_while_opening_is_closed(live, sink, qtbot, then):
    from workbench.sources import SyntheticSource

    first, second = SyntheticSource(SIZE), SyntheticSource(SIZE)
    live.open_source(first)
    deadline = time.monotonic() + 5
    while not first.is_open and time.monotonic() < deadline:
        time.sleep(0.005)  # no event processing: its "opened" signal stays queued
    if then == "stop":
        live.stop()
        qtbot.wait(100)
        assert not live.streaming
    else:
        live.open_source(second)
        wait_processed(qtbot, sink, 2)
        assert live.source is second
    qtbot.waitUntil(lambda: not first.is_open, timeout=TIMEOUT)


# ----------------------------------------------------------------------------- video files

def test_video_plays_at_its_rate_to_the_end(live, sink, qtbot, videos):
    with qtbot.waitSignal(live.sigEnded, timeout=TIMEOUT):
        live.open_video(videos["good"])
    assert live.state is LiveState.ENDED
    assert live.frame_count == 20 and live.record_fps() == pytest.approx(FPS)
    indices = [f.index for f, _ in sink.processed]
    assert indices == sorted(indices) and indices[-1] == 19
    assert [decode_index(f.image) for f in sink.frames] == [f.index for f in sink.frames]
    first, last = sink.frames[0], sink.frames[-1]
    elapsed = last.timestamp - first.timestamp
    assert elapsed == pytest.approx((last.index - first.index) / FPS, abs=0.25)


def test_pause_step_and_seek(live, sink, qtbot, videos):
    live.open_video(videos["good"])
    wait_processed(qtbot, sink, 2)
    live.pause()
    assert live.state is LiveState.PAUSED
    qtbot.waitUntil(lambda: not live._compute.busy, timeout=TIMEOUT)
    qtbot.wait(150)
    shown = live.current_frame.index
    qtbot.wait(200)
    assert live.current_frame.index == shown  # paused: nothing new
    live.step()
    qtbot.waitUntil(lambda: live.current_frame.index == shown + 1, timeout=TIMEOUT)
    live.seek(12)
    qtbot.waitUntil(lambda: live.current_frame.index == 12, timeout=TIMEOUT)
    assert decode_index(live.current_frame.image) == 12
    assert live.state is LiveState.PAUSED
    live.resume()
    qtbot.waitUntil(lambda: live.current_frame.index > 13, timeout=TIMEOUT)


def test_loop_wraps_and_play_at_the_end_restarts(live, sink, qtbot, videos):
    with qtbot.waitSignal(live.sigEnded, timeout=TIMEOUT):
        live.open_video(videos["good"])
    live.resume()  # at the end, play starts again from the first frame
    qtbot.waitUntil(lambda: live.current_frame.index < 5, timeout=TIMEOUT)
    live.set_loop(True)
    qtbot.waitUntil(lambda: live.current_frame.index >= 17, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: live.current_frame.index < 5, timeout=TIMEOUT)
    assert live.state is LiveState.RUNNING


@pytest.mark.parametrize("name", ["missing", "garbage", "truncated", "empty"])
def test_unreadable_video_reports_and_changes_nothing(live, sink, qtbot, videos, name):
    live.open_synthetic(size=SIZE)
    wait_processed(qtbot, sink, 2)
    capture = live.capture
    with qtbot.waitSignal(live.sigError, timeout=TIMEOUT) as blocker:
        live.open_video(videos[name])
    message = blocker.args[0]
    assert videos[name].name in message
    assert live.capture is capture and capture.is_alive()
    assert live.state is LiveState.RUNNING
    wait_processed(qtbot, sink, 2)  # still streaming


# ----------------------------------------------------------------------------- faults

def test_missing_camera_names_the_device_and_the_controller_stays_usable(live, sink, qtbot):
    with qtbot.waitSignal(live.sigError, timeout=TIMEOUT) as blocker:
        live.open_camera(97)
    assert "Camera 97" in blocker.args[0] and "could not be opened" in blocker.args[0]
    assert live.state is LiveState.IDLE and not live.streaming
    live.open_synthetic(size=SIZE)
    wait_processed(qtbot, sink, 2)


def test_a_stalled_source_is_stopped_within_a_second_and_the_last_frame_kept(
        live, sink, qtbot, tmp_path):
    source = StallingSource(good=8)
    try:
        live.open_source(source)
        qtbot.waitUntil(lambda: source.reads > 8, timeout=TIMEOUT)
        stalled_at = time.monotonic()
        capture = live.capture
        live.start_recording(tmp_path / "unplugged.mp4", RecordTarget("input"))
        with qtbot.waitSignal(live.sigError, timeout=3000) as blocker:
            pass
        assert time.monotonic() - stalled_at < 1.5
        assert "Camera 7" in blocker.args[0] and "stopped" in blocker.args[0]
        assert live.state is LiveState.IDLE and live.capture is None
        assert not capture.is_alive()
        assert live.current_frame is not None and live.current_frame.index <= 7
        assert live.recording is None
        # Reconnecting is possible.
        live.open_synthetic(size=SIZE)
        wait_processed(qtbot, sink, 2)
    finally:
        source.release.set()


# ----------------------------------------------------------------------------- recording

def test_recording_the_input_gives_a_video_of_the_frames(live, sink, qtbot, tmp_path,
                                                          videos):
    path = tmp_path / f"input{EXT}"
    live.set_loop(False)
    live.open_video(videos["good"])
    qtbot.waitUntil(lambda: live.current_frame is not None and live.current_frame.index >= 2,
                    timeout=TIMEOUT)
    live.pause()
    live.seek(0)
    qtbot.waitUntil(lambda: live.current_frame is not None and live.current_frame.index == 0,
                    timeout=TIMEOUT)
    recordings = []
    live.sigRecordingChanged.connect(recordings.append)
    assert live.start_recording(path, RecordTarget("input"))
    assert recordings == [path] and live.recording is not None
    with qtbot.waitSignal(live.sigEnded, timeout=TIMEOUT):
        live.resume()
    # The end of the video stops and finishes the recording.
    assert live.recording is None and live.stop_recording() is None
    assert recordings[-1] is None
    assert count_frames(path) == (19, SIZE)  # frames 1..19 after the seek
    assert "Recorded 19 frames" in sink.infos[-1]


@pytest.mark.parametrize("kind", ["map", "input_and_map", "montage"])
def test_recording_maps(live, sink, qtbot, tmp_path, kind):
    path = tmp_path / f"{kind}{EXT}"
    live.open_synthetic(size=SIZE)
    wait_processed(qtbot, sink, 1)
    target = RecordTarget(kind, "pooled", 1)
    assert live.start_recording(path, target)
    wait_processed(qtbot, sink, 6)
    assert live.stop_recording() == path
    frames, size = count_frames(path)
    assert frames >= 6
    outcome = sink.processed[-1][1]
    expected = compose_frame(target, outcome.result, outcome.request.pipeline.layers[0],
                             map_style(ViewOptions()))
    height, width = expected.shape[:2]
    assert size == (width - width % 2, height - height % 2)
    if kind == "map":
        assert size == (80, 60)


def test_recording_never_overwrites_unless_asked(live, sink, qtbot, tmp_path):
    path = tmp_path / f"taken{EXT}"
    path.write_bytes(b"keep me")
    live.open_synthetic(size=SIZE)
    wait_processed(qtbot, sink, 1)
    assert not live.start_recording(path, RecordTarget("input"))
    assert "already exists" in sink.errors[-1]
    assert path.read_bytes() == b"keep me"
    assert live.start_recording(path, RecordTarget("input"), overwrite=True)
    wait_processed(qtbot, sink, 3)
    live.stop_recording()
    assert count_frames(path)[0] >= 3


def test_shutdown_while_streaming_and_recording_finishes_the_file(compute, qtbot, tmp_path):
    live = LiveController(compute)
    sink = Sink(compute, live, edge_pipeline())
    path = tmp_path / f"closing{EXT}"
    live.open_synthetic(size=SIZE)
    wait_processed(qtbot, sink, 1)
    live.start_recording(path, RecordTarget("montage"))
    wait_processed(qtbot, sink, 4)
    live.shutdown()
    assert live.recording is None and not live.streaming
    frames, size = count_frames(path)
    assert frames >= 4 and size is not None
    assert not list(tmp_path.glob(".closing.*"))  # no partial file left behind


# ----------------------------------------------------------------------------- drawing

def test_recorded_maps_use_the_window_colours():
    values = np.array([[0.0, 1.0], [2.0, 4.0]], np.float32)
    style = map_style(ViewOptions("gray", "minmax"))
    rgb = colour_map(values, style)
    assert rgb.dtype == np.uint8 and rgb.shape == (2, 2, 3)
    assert rgb[0, 0].tolist() == [0, 0, 0] and rgb[1, 1].tolist() == [255, 255, 255]
    assert rgb[0, 1, 0] == 64  # floor(1 * 256 / 4), pyqtgraph's lookup
    signed = map_style(ViewOptions("gray", "symmetric"))
    diverging = colour_map(values - 2, signed)
    assert diverging[1, 0].tolist() == lookup_table("CET-D1")[128].tolist()  # zero: middle


def test_montage_lays_out_the_input_and_every_map():
    pipeline = edge_pipeline()
    image = image_to_chw(coded_frame(3), "rgb")
    result = run_pipeline(image, pipeline)
    style = map_style(ViewOptions())
    montage = compose_frame(RecordTarget("montage"), result, pipeline.layers[0], style)
    # Input row, then one row of two filters x (conv, pooled): 4 columns, 2 rows.
    assert montage.shape[1] == 8 + 4 * (MONTAGE_CELL + 8)
    tile_height = MONTAGE_CELL * 120 // 160  # the 4:3 maps are fitted to the cell width
    assert montage.shape[0] == 8 + 2 * (18 + tile_height + 8)
    single = compose_frame(RecordTarget("map", "conv", 0), result, pipeline.layers[0], style)
    assert single.shape == (120, 160, 3)
    assert compose_frame(RecordTarget("map", "conv", 5), result, pipeline.layers[0],
                         style) is None
    np.testing.assert_array_equal(input_rgb(image), coded_frame(3))
    with pytest.raises(ValueError, match="raw frames"):
        compose_frame(RecordTarget("input"), result, pipeline.layers[0], style)
    with pytest.raises(ValueError, match="kind"):
        RecordTarget("everything")


def test_stats_text_and_time_format():
    stats = LiveStats(30.0, 29.84, 4.21, 300, 290, 10, 12)
    assert stats.text() == ("capture 30.0 fps · processed 29.8 fps · compute 4.2 ms · "
                            "dropped 10 · ● rec 12")
    assert "compute –" in LiveStats().text()
    assert format_time(62.5) == "1:02.50" and format_time(0) == "0:00.00"


# ----------------------------------------------------------------------------- panel

@pytest.fixture
def panel(live, qtbot):
    widget = LivePanel(live)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_panel_starts_the_pattern_and_shows_the_numbers(panel, live, sink, qtbot):
    assert panel.kind == STILL and not panel.transport.isVisible()
    assert not panel.start_button.isEnabled()
    panel.source_combo.setCurrentIndex(panel.source_combo.findData(SYNTHETIC))
    panel.source_combo.activated.emit(panel.source_combo.currentIndex())
    wait_processed(qtbot, sink, 2)
    assert panel.kind == SYNTHETIC and panel.transport.isVisible()
    assert not panel.seek_slider.isVisible()  # endless pattern: nothing to seek
    assert panel.start_button.text() == "Stop"
    qtbot.waitUntil(lambda: "processed" in panel.stats_label.text(), timeout=TIMEOUT)
    assert panel.stats_label.isVisibleTo(panel)
    panel.play_button.click()
    assert live.state is LiveState.PAUSED and panel.play_button.text() == "Play"
    panel.start_button.click()
    assert live.state is LiveState.IDLE and panel.start_button.text() == "Start"
    panel.start_button.click()  # start again: the same source kind
    wait_processed(qtbot, sink, 2)


def test_panel_video_controls(panel, live, sink, qtbot, videos, monkeypatch):
    monkeypatch.setattr(file_prompts, "ask_open_path",
                        lambda *args: (str(videos["good"]), ""))
    panel.choose_source(VIDEO)
    wait_processed(qtbot, sink, 2)
    assert panel.kind == VIDEO and panel.video_label.text() == "clip.mp4"
    assert panel.seek_slider.isVisible() and panel.seek_slider.maximum() == 19
    panel.step_button.click()
    assert live.state is LiveState.PAUSED
    panel.seek_slider.setValue(15)
    qtbot.waitUntil(lambda: live.current_frame.index == 15, timeout=TIMEOUT)
    assert panel.position_label.text().startswith("frame 16 / 20 · 0:00.")
    panel.loop_check.setChecked(True)
    assert live.loop and live.source.loop


def test_panel_camera_errors_name_the_device(panel, live, qtbot, monkeypatch):
    messages = []
    panel.sigMessage.connect(lambda text, kind: messages.append((text, kind)))
    monkeypatch.setattr("workbench.gui.live.panel.list_cameras", lambda: [])
    panel.choose_source(CAMERA)
    assert "No camera found" in messages[-1][0]
    assert not live.streaming and live.state is LiveState.IDLE
    panel.camera_combo.setEditText("98")
    assert panel.camera_index() == 98 and panel.resolution() == Size(640, 480)
    with qtbot.waitSignal(live.sigError, timeout=TIMEOUT):
        panel.start_button.click()
    text, kind = messages[-1]
    assert kind == "error" and "Camera 98 could not be opened" in text
    assert panel.start_button.text() == "Start" and panel.start_button.isEnabled()


def test_panel_records_through_the_save_dialog(panel, live, sink, qtbot, tmp_path,
                                              monkeypatch):
    target = tmp_path / "clip"  # no suffix: the recording format's is added
    existing = tmp_path / f"clip{EXT}"
    existing.write_bytes(b"old")
    asked = []
    monkeypatch.setattr(file_prompts, "ask_save_path", lambda *args: (str(target), ""))
    monkeypatch.setattr(file_prompts, "confirm_overwrite",
                        lambda parent, paths: asked.append(paths) or False)
    panel.choose_source(SYNTHETIC)
    wait_processed(qtbot, sink, 1)
    panel.record_button.click()
    assert asked == [[existing]] and live.recording is None
    assert existing.read_bytes() == b"old"
    monkeypatch.setattr(file_prompts, "confirm_overwrite", lambda parent, paths: True)
    panel.set_map_names(("vertical", "horizontal"), pooled=True)
    panel.record_kind_combo.setCurrentIndex(panel.record_kind_combo.findData("map"))
    panel.record_map_combo.setCurrentIndex(3)
    assert panel.record_target() == RecordTarget("map", "pooled", 1)
    panel.record_button.click()
    assert live.recording is not None and panel.record_button.text() == "■ Stop recording"
    assert not panel.record_kind_combo.isEnabled()
    wait_processed(qtbot, sink, 3)
    panel.record_action.trigger()
    assert live.recording is None and panel.record_button.text() == "● Record…"
    frames, size = count_frames(existing)
    assert frames >= 3 and size == (320, 240)  # the pattern streams at 640x480


def test_freeze_hands_over_the_frame_on_screen(panel, live, sink, qtbot):
    panel.choose_source(SYNTHETIC)
    wait_processed(qtbot, sink, 2)
    with qtbot.waitSignal(live.sigFrozen, timeout=TIMEOUT) as blocker:
        panel.freeze_button.click()
    frame, title = blocker.args
    assert frame is sink.frames[-1]
    assert title == f"frozen frame {frame.index} of Synthetic pattern"
    assert not live.streaming and not panel.freeze_button.isEnabled()


def test_choosing_still_image_stops_the_stream(panel, live, sink, qtbot):
    panel.choose_source(SYNTHETIC)
    wait_processed(qtbot, sink, 1)
    with qtbot.waitSignal(panel.sigStillRequested, timeout=TIMEOUT):
        panel.choose_source(STILL)
    assert not live.streaming and panel.kind == STILL



# ----------------------------------------------------------------------------- the window

@pytest.fixture
def live_window(open_window, settle):
    window = open_window(pipeline=edge_pipeline(), image="sample:astronaut")
    settle(window)
    return window


def window_results(window):
    outcomes = []
    window.sigResultShown.connect(outcomes.append)
    return outcomes


def test_window_streams_the_pattern_and_shows_live_numbers(live_window, qtbot):
    window = live_window
    outcomes = window_results(window)
    window.live_panel.synthetic_action.trigger()
    qtbot.waitUntil(lambda: len(outcomes) >= 3, timeout=TIMEOUT)
    assert "— Synthetic pattern —" in window.windowTitle()
    a, b = outcomes[-2].result.layers[0], outcomes[-1].result.layers[0]
    assert a.activated[0].shape == (480, 640) and not np.array_equal(a.activated[0],
                                                                     b.activated[0])
    shown = window.views.cell("conv", 0).data
    assert any(shown is o.result.layers[0].activated[0] for o in outcomes[-2:])
    assert window.views.input_cell.title_text == "Input — 480x640 RGB"
    assert window.session.input.image.pixels is window.live.current_frame.image
    label = window.live_panel.stats_label
    qtbot.waitUntil(lambda: "processed" in label.text(), timeout=TIMEOUT)
    assert label.isVisibleTo(window) and "dropped" in label.text()
    assert [a.text() for a in window.menuBar().actions()].count("S&ources") == 1


def test_window_edits_apply_to_the_next_frame(live_window, qtbot):
    window = live_window
    outcomes = window_results(window)
    window.live_panel.choose_source(SYNTHETIC)
    qtbot.waitUntil(lambda: len(outcomes) >= 2, timeout=TIMEOUT)
    capture = window.live.capture
    combo = window.params.input_mode
    combo.setCurrentIndex(combo.findData("gray"))
    qtbot.waitUntil(lambda: outcomes[-1].result.input.shape[0] == 1, timeout=TIMEOUT)
    count = len(outcomes)
    qtbot.waitUntil(lambda: len(outcomes) >= count + 2, timeout=TIMEOUT)
    assert all(o.result.input.shape == (1, 480, 640) for o in outcomes[count:])
    assert window.live.capture is capture and capture.is_alive()


def test_window_plays_a_video_and_rejects_a_broken_one(live_window, qtbot, videos,
                                                       monkeypatch):
    window = live_window
    outcomes = window_results(window)
    monkeypatch.setattr(file_prompts, "ask_open_path", lambda *args: (str(videos["good"]), ""))
    window.live_panel.open_video_action.trigger()
    qtbot.waitUntil(lambda: len(outcomes) >= 3, timeout=TIMEOUT)
    assert window.live_panel.kind == VIDEO
    assert outcomes[-1].result.input.shape == (3, 120, 160)
    capture = window.live.capture
    monkeypatch.setattr(file_prompts, "ask_open_path",
                        lambda *args: (str(videos["truncated"]), ""))
    with qtbot.waitSignal(window.live.sigError, timeout=TIMEOUT):
        window.live_panel.open_video_action.trigger()
    assert "truncated.mp4" in window.message_bar.text
    assert window.live.capture is capture and window.live_panel.video_label.text() == "clip.mp4"


def test_window_without_a_camera_says_so_and_stays_usable(live_window, qtbot, monkeypatch):
    window = live_window
    monkeypatch.setattr("workbench.gui.live.panel.list_cameras", lambda: [])
    window.live_panel.camera_action.trigger()
    assert "No camera found" in window.message_bar.text
    window.live_panel.camera_combo.setEditText("42")
    with qtbot.waitSignal(window.live.sigError, timeout=TIMEOUT):
        window.live_panel.start_button.click()
    assert "Camera 42 could not be opened" in window.message_bar.text
    assert not window.live.streaming
    assert window.open_sample("vertical_line_8x8")  # still usable


def test_window_keeps_the_last_frame_when_the_camera_is_unplugged(live_window, qtbot):
    window = live_window
    outcomes = window_results(window)
    source = StallingSource(good=6)
    try:
        window.live.open_source(source)
        qtbot.waitUntil(lambda: source.reads > 6, timeout=TIMEOUT)
        stalled_at = time.monotonic()
        qtbot.waitUntil(lambda: "stopped" in window.message_bar.text, timeout=3000)
        assert time.monotonic() - stalled_at < 1.5
        assert "Camera 7" in window.message_bar.text
        assert not window.live.streaming and window.live_panel.start_button.text() == "Start"
        qtbot.waitUntil(lambda: not window.compute.busy, timeout=TIMEOUT)
        last = window.live.current_frame
        np.testing.assert_array_equal(window.views.input_cell.data,
                                      image_to_chw(last.image, "rgb").transpose(1, 2, 0))
        assert outcomes[-1].result.input.shape == (3, 120, 160)
    finally:
        source.release.set()


def test_window_records_and_closing_finishes_the_file(open_window, qtbot, tmp_path,
                                                      monkeypatch):
    window = open_window(pipeline=edge_pipeline(), image="sample:astronaut")
    path = tmp_path / f"window{EXT}"
    monkeypatch.setattr(file_prompts, "ask_save_path", lambda *args: (str(path), ""))
    outcomes = window_results(window)
    window.live_panel.choose_source(SYNTHETIC)
    qtbot.waitUntil(lambda: len(outcomes) >= 1, timeout=TIMEOUT)
    combo = window.live_panel.record_kind_combo
    combo.setCurrentIndex(combo.findData("montage"))
    window.live_panel.record_action.trigger()
    assert window.live.recording is not None
    count = len(outcomes)
    qtbot.waitUntil(lambda: len(outcomes) >= count + 3, timeout=TIMEOUT)
    window.close()
    assert not window.live.streaming and window.live.recording is None
    assert not window.compute.running
    frames, size = count_frames(path)
    assert frames >= 3 and size[0] > size[1]


def test_freeze_makes_the_frame_the_still_input(live_window, qtbot):
    window = live_window
    outcomes = window_results(window)
    window.live_panel.choose_source(SYNTHETIC)
    qtbot.waitUntil(lambda: len(outcomes) >= 2, timeout=TIMEOUT)
    window.live_panel.freeze_action.trigger()
    frame = window.live.current_frame
    assert not window.live.streaming
    assert window.session.input.image.pixels is frame.image
    assert f"frozen frame {frame.index}" in window.windowTitle()
    combo = window.params.activation
    combo.setCurrentIndex(combo.findData("none"))
    qtbot.waitUntil(lambda: outcomes[-1].pipeline.layers[0].activation == "none",
                    timeout=TIMEOUT)
    np.testing.assert_array_equal(outcomes[-1].result.input, image_to_chw(frame.image, "rgb"))
    assert outcomes[-1].result.layers[0].activated[0].min() < 0  # no ReLU any more


def test_opening_an_image_or_choosing_still_ends_the_stream(live_window, qtbot):
    window = live_window
    outcomes = window_results(window)
    window.live_panel.choose_source(SYNTHETIC)
    qtbot.waitUntil(lambda: len(outcomes) >= 1, timeout=TIMEOUT)
    assert window.open_sample("vertical_line_8x8")
    assert not window.live.streaming and window.live_panel.kind == STILL
    window.live_panel.choose_source(SYNTHETIC)
    qtbot.waitUntil(lambda: window.live.streaming, timeout=TIMEOUT)
    window.live_panel.still_action.trigger()
    assert not window.live.streaming
    assert window.session.input.source == "sample:vertical_line_8x8"
    assert window.session.tensor.shape == (3, 8, 8)


def test_live_benchmark_runs_through_the_window(tmp_path):
    from workbench.gui.live import bench as bench_live

    video = bench_live.write_pattern_video(tmp_path / "pattern.mp4", SIZE, 30)
    run = bench_live.run_size(video, SIZE, seconds=0.6)
    assert run.processed > 0 and run.compute_ms and run.display_ms and run.stalls_ms
    assert run.capture_fps > 0
    table = bench_live.format_runs([run])
    assert "RGB 160x120" in table and "GUI stall" in table


# ----------------------------------------------------------------------------- display

def test_large_maps_are_decimated_for_drawing_only(qtbot):
    from workbench.gui.views.map_views import CellKey, MapCell
    from workbench.render import shrink_for_display

    cell = MapCell(CellKey("conv", 0))
    qtbot.addWidget(cell)
    cell.resize(260, 200)
    cell.show()
    values = np.arange(720 * 1280, dtype=np.float32).reshape(720, 1280)
    look = MapLook("minmax", (0.0, float(values.max())), "gray")
    cell.show_map(values, look)
    cell.view.autoRange(padding=0)
    qtbot.waitUntil(lambda: cell.display_step > 1, timeout=TIMEOUT)
    step = cell.display_step
    drawn = cell.image.image
    assert drawn.shape == (-(-720 // step), -(-1280 // step), 4)
    np.testing.assert_array_equal(cell.displayed_rgb(),
                                  render_map(shrink_for_display(values, step), look))
    assert f"1:{step}" in cell.shown_title  # the scale it is drawn at is said
    bounds = cell.image.mapRectToParent(cell.image.boundingRect())
    assert 1280 <= bounds.width() < 1280 + step and 720 <= bounds.height() < 720 + step
    assert cell.data is values  # hover reads the full-resolution map
    cell.view.setRange(xRange=(0, 40), yRange=(0, 30), padding=0)  # zoom in
    qtbot.waitUntil(lambda: cell.display_step == 1, timeout=TIMEOUT)
    assert cell.image.image.shape == (720, 1280, 4)


def test_a_title_too_long_for_its_cell_falls_back_to_the_short_one(qtbot):
    from workbench.gui.views.map_views import CellKey, MapCell

    cell = MapCell(CellKey("conv", 0))
    qtbot.addWidget(cell)
    cell.resize(420, 300)
    cell.show()
    values = np.zeros((510, 510), np.float32)
    cell.show_map(values, MapLook("minmax", (0.0, 1.0), "gray"))
    cell.view.autoRange(padding=0)
    cell.set_title("Horizontal line — 510x510", "Horizontal line")
    qtbot.waitUntil(lambda: "1:" in cell.shown_title, timeout=TIMEOUT)
    assert cell.shown_title.startswith("Horizontal line — 510x510 · 1:")
    assert cell.title.opts["justify"] == "center"
    cell.resize(190, 200)  # too narrow for the whole title: the name and the scale stay
    qtbot.waitUntil(lambda: "510x510" not in cell.shown_title, timeout=TIMEOUT)
    assert cell.shown_title.startswith("Horizontal line · 1:")
    assert cell.title_text == "Horizontal line — 510x510"  # what the map is, unchanged


def test_an_invalid_pipeline_keeps_the_input_moving(live_window, qtbot):
    from dataclasses import replace

    window = live_window
    window.live_panel.choose_source(SYNTHETIC)
    qtbot.waitUntil(lambda: window.live.processed >= 2, timeout=TIMEOUT)
    pipeline = window.session.pipeline
    layer = replace(pipeline.layers[0], stride=(2, 2))  # 'same' padding needs stride 1
    window.session.set_pipeline(replace(pipeline, layers=(layer,)))
    qtbot.waitUntil(lambda: window.views.error_banner.isVisibleTo(window), timeout=TIMEOUT)
    first = window.views.input_cell.data.copy()
    processed = window.live.processed
    qtbot.waitUntil(lambda: window.live.processed >= processed + 3, timeout=TIMEOUT)
    assert not np.array_equal(window.views.input_cell.data, first)
    assert window.live.streaming and "stride 1" in window.views.error_banner.text()


def test_dropping_a_video_on_the_window_plays_it(live_window, qtbot, videos):
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    window = live_window
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(videos["good"]))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    qtbot.waitUntil(lambda: window.live.processed >= 2, timeout=TIMEOUT)
    assert window.live_panel.kind == VIDEO and window.session.input.source == "sample:astronaut"
