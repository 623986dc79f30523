"""Start-up with broken remembered state, camera input, closing and the error banner."""

import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from workbench.core import default_pipeline, to_json
from workbench.gui.app import build_window
from workbench.gui.settings import WorkbenchSettings, load_settings

REPO = Path(__file__).resolve().parents[2]
RESULT_TIMEOUT_MS = 20_000


def huge_png(path):
    """Write a tiny PNG whose header claims 40000 x 40000 pixels."""
    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", 40000, 40000, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                     + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))
    return path


def pipeline_text(**layer):
    data = json.loads(to_json(default_pipeline()))
    data["layers"][0].update(layer)
    return json.dumps(data)


def write_ini(path, pipeline=None, image=None, recent=None):
    lines = ["[meta]", "format_version=1"]
    if pipeline is not None:
        lines += ["[pipeline]", "json=" + json.dumps(pipeline)]
    if image is not None or recent is not None:
        lines.append("[image]")
        if image is not None:
            lines.append("source=" + str(image))
        if recent is not None:
            lines.append("recent=" + json.dumps(recent))
    path.write_text("\n".join(lines) + "\n")


DEEP = "[" * 100_000 + "]" * 100_000


def bad_settings(name, tmp_path):
    """Return keyword arguments for :func:`write_ini` giving one kind of broken state."""
    if name == "stride":
        return {"pipeline": pipeline_text(stride=[2**70, 1])}
    if name == "groups":
        return {"pipeline": pipeline_text(groups=10**30)}
    if name == "deep-pipeline":
        return {"pipeline": DEEP}
    if name == "deep-recent":
        return {"recent": DEEP}
    if name == "huge-png":
        return {"image": huge_png(tmp_path / "huge.png")}
    if name == "fifo":
        fifo = tmp_path / "pipe.png"
        os.mkfifo(fifo)
        return {"image": fifo}
    raise AssertionError(name)


CASES = ["stride", "groups", "deep-pipeline", "deep-recent", "huge-png", "fifo"]


@pytest.mark.parametrize("case", CASES)
def test_broken_settings_start_with_defaults_and_a_message(case, qtbot, settings_file,
                                                           tmp_path):
    write_ini(settings_file, **bad_settings(case, tmp_path))
    settings, messages = load_settings()
    window = build_window(settings, messages, persist=True)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.session_views.results_shown > 0
                    or bool(window.session.problem), timeout=RESULT_TIMEOUT_MS)
    assert window.session.pipeline.layers[0].stride == (1, 1)
    assert window.session.pipeline.layers[0].groups == 1
    if case in ("stride", "groups"):
        assert "saved filter bank" in window.message_bar.text
        assert str(settings_file) in window.message_bar.text
    if case == "deep-recent":
        assert "recent-files list is invalid" in window.message_bar.text
    if case in ("huge-png", "fifo"):
        assert window.session.input.source == "sample:astronaut"
        assert window.message_bar.text
    window.close()
    # What is saved at close reads back without complaint: the bad state was not kept.
    assert load_settings()[1] == []


def test_a_window_that_fails_to_build_stops_its_thread(qtbot, monkeypatch, settings_file):
    from workbench.session import Session

    original = Session.open_source
    calls = []

    def explode(self, source):
        calls.append(source)
        if len(calls) == 1:
            raise RuntimeError("remembered source exploded")
        return original(self, source)

    monkeypatch.setattr(Session, "open_source", explode)
    window = build_window(WorkbenchSettings(image="sample:camera",
                                            pipeline=default_pipeline()), [], persist=True)
    qtbot.addWidget(window)
    window.show()
    text = window.message_bar.text
    assert "could not be restored" in text and "remembered source exploded" in text
    assert str(settings_file) in text
    assert calls[0] == "sample:camera"
    assert window.compute.running
    window.close()
    # The failed attempt never wrote the settings; the fallback window did, with defaults.
    assert load_settings()[0].image == "sample:astronaut"


@pytest.mark.parametrize("case", ["stride", "groups", "deep-pipeline", "huge-png", "fifo"])
def test_screenshot_start_up_survives_broken_settings(case, tmp_path):
    ini = tmp_path / "settings.ini"
    write_ini(ini, **bad_settings(case, tmp_path))
    out = tmp_path / "out.png"
    env = {**os.environ, "CONV_WORKBENCH_SETTINGS": str(ini), "QT_QPA_PLATFORM": "offscreen",
           "OMP_WAIT_POLICY": "PASSIVE"}
    run = subprocess.run([sys.executable, "-m", "workbench", "--screenshot", str(out)],
                         env=env, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    assert "QThread: Destroyed" not in run.stderr
    assert out.stat().st_size > 1000


def test_screenshot_with_a_huge_png_on_the_command_line(tmp_path):
    ini = tmp_path / "settings.ini"
    write_ini(ini)
    out = tmp_path / "out.png"
    env = {**os.environ, "CONV_WORKBENCH_SETTINGS": str(ini), "QT_QPA_PLATFORM": "offscreen",
           "OMP_WAIT_POLICY": "PASSIVE"}
    run = subprocess.run([sys.executable, "-m", "workbench", "--image",
                          str(huge_png(tmp_path / "huge.png")), "--screenshot", str(out)],
                         env=env, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Traceback" not in run.stderr


# ------------------------------------------------------------------------------ camera

def write_clip(path, frames=30):
    import cv2
    import numpy as np

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), 10, (64, 48))
    assert writer.isOpened()
    for i in range(frames):
        image = np.zeros((48, 64, 3), np.uint8)
        image[:, (2 * i) % 64] = 255
        writer.write(image)
    writer.release()
    return path


def type_camera(qtbot, window, text):
    from PySide6.QtCore import Qt

    combo = window.live_panel.camera_combo
    combo.lineEdit().clear()
    qtbot.keyClicks(combo.lineEdit(), text)
    qtbot.keyClick(combo.lineEdit(), Qt.Key.Key_Return)


@pytest.fixture
def camera_window(open_window, monkeypatch):
    monkeypatch.setattr("workbench.gui.live.panel.list_cameras", lambda: [])
    window = open_window(image="sample:astronaut")
    window.live_panel.camera_action.trigger()
    assert "No camera found" in window.message_bar.text
    return window


def test_typed_camera_number_and_enter_then_start(camera_window, qtbot, monkeypatch):
    import cv2

    window = camera_window
    opened = []

    def closed_capture(index, api):
        opened.append(index)
        return cv2.VideoCapture()  # never opened: no such device

    monkeypatch.setattr("workbench.sources.camera._open_capture", closed_capture)
    type_camera(qtbot, window, "7")
    assert window.live_panel.camera_index() == 7
    with qtbot.waitSignal(window.live.sigError, timeout=RESULT_TIMEOUT_MS):
        window.live_panel.start_button.click()
    assert opened == [7]
    assert "Camera 7 could not be opened" in window.message_bar.text
    assert not window.live.streaming


def test_typed_device_path_of_a_video_streams(camera_window, qtbot, tmp_path):
    window = camera_window
    clip = write_clip(tmp_path / "clip.mp4")
    type_camera(qtbot, window, str(clip))
    assert window.live_panel.camera_device() == str(clip)
    assert window.live_panel.camera_index() is None
    window.live_panel.start_button.click()
    qtbot.waitUntil(lambda: window.live.streaming, timeout=RESULT_TIMEOUT_MS)
    assert window.live.source.index == str(clip)
    window.live.stop()


def test_typed_device_path_that_does_not_exist_says_so(camera_window, qtbot, tmp_path):
    window = camera_window
    missing = tmp_path / "video99"
    type_camera(qtbot, window, str(missing))
    with qtbot.waitSignal(window.live.sigError, timeout=RESULT_TIMEOUT_MS):
        window.live_panel.start_button.click()
    text = window.message_bar.text
    assert f"Camera device {missing} could not be opened" in text
    assert "no such file or device" in text
    assert not window.live.streaming


# ----------------------------------------------------------------------- error banner

def same_padding_stride(window, stride):
    from dataclasses import replace

    pipeline = window.session.pipeline
    layer = replace(pipeline.layers[0], padding_mode="zeros", padding="same", stride=stride)
    window.session.set_pipeline(replace(pipeline, layers=(layer,)))


def test_error_banner_clears_after_the_next_good_result_while_streaming(open_window, qtbot):
    from workbench.gui.live.panel import SYNTHETIC

    window = open_window(image="sample:astronaut")
    window.live_panel.choose_source(SYNTHETIC)
    qtbot.waitUntil(lambda: window.live.processed >= 2, timeout=RESULT_TIMEOUT_MS)
    same_padding_stride(window, (2, 2))
    banner = window.views.error_banner
    qtbot.waitUntil(lambda: banner.isVisibleTo(window), timeout=RESULT_TIMEOUT_MS)
    assert banner.text().count("Cannot compute") == 1
    assert "Cannot compute" not in window.message_bar.text  # one banner, not two
    same_padding_stride(window, (1, 1))
    shown = window.session_views.results_shown
    qtbot.waitUntil(lambda: window.session_views.results_shown > shown + 1,
                    timeout=RESULT_TIMEOUT_MS)
    qtbot.waitUntil(lambda: not banner.isVisibleTo(window), timeout=RESULT_TIMEOUT_MS)
    assert window.session.problem is None
    window.live.stop()


def test_same_padding_is_saved_and_read_back(qapp):
    from dataclasses import replace

    from workbench.gui.settings import save_settings

    pipeline = default_pipeline()
    layer = replace(pipeline.layers[0], padding="same")
    settings = WorkbenchSettings(pipeline=replace(pipeline, layers=(layer,)))
    save_settings(settings)
    loaded, messages = load_settings()
    assert messages == []
    assert loaded.pipeline.layers[0].padding == "same"


# ---------------------------------------------------------------- camera workspaces

def camera_workspace(path, index=3):
    from workbench.io.workspace import SourceSpec, Workspace, save_workspace

    workspace = Workspace(SourceSpec("camera", camera_index=index, size=(320, 240)),
                          default_pipeline(), 512, {})
    save_workspace(path, workspace, overwrite=True)
    return path


@pytest.mark.parametrize("answer", ["Yes", "No"])
def test_a_camera_workspace_asks_before_turning_the_camera_on(answer, open_window, qtbot,
                                                              tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    asked, opened = [], []
    reply = getattr(QMessageBox.StandardButton, answer)
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *args: asked.append(args[2]) or reply)
    window = open_window(image="sample:astronaut")
    monkeypatch.setattr(window.live, "open_camera",
                        lambda index, size, mirror=None: opened.append((index, size)))
    assert window.open_workspace(camera_workspace(tmp_path / "cam.json"))
    assert len(asked) == 1 and "camera 3" in asked[0]
    if answer == "Yes":
        assert opened == [(3, (320, 240))]
    else:
        assert opened == []
        assert "camera 3 was not turned on" in window.message_bar.text
        assert not window.live.streaming


# -------------------------------------------------------------------------- closing

@pytest.mark.parametrize("answer", ["cancel", "discard"])
def test_closing_untitled_with_a_frozen_frame_asks(answer, open_window, qtbot, monkeypatch):
    from dataclasses import replace

    from workbench.gui.actions import file_prompts
    from workbench.gui.live.panel import SYNTHETIC

    asked = []
    reply = {"cancel": file_prompts.CANCEL, "discard": file_prompts.DISCARD}[answer]
    monkeypatch.setattr(file_prompts, "ask_save_changes",
                        lambda parent, name: asked.append(name) or reply)
    window = open_window(image="sample:astronaut", persist=True)
    window.live_panel.choose_source(SYNTHETIC)
    qtbot.waitUntil(lambda: window.live.processed >= 2, timeout=RESULT_TIMEOUT_MS)
    window.live.stop()  # the last frame stays: a frozen frame the settings cannot keep
    qtbot.waitUntil(lambda: not window.live.streaming, timeout=RESULT_TIMEOUT_MS)
    assert window.session.input.kind == "frame"
    assert not window.files.workspace.modified
    assert window.unkept_on_close() is None  # "Untitled" without a change: nothing asked
    pipeline = window.session.pipeline
    window.session.set_pipeline(replace(pipeline, layers=(replace(pipeline.layers[0],
                                                                  stride=(2, 2)),)))
    assert window.files.workspace.modified and window.files.workspace.path is None
    assert window.unkept_on_close() == "the live or frozen video frame"
    closed = window.close()
    assert asked == ["Untitled"]
    assert closed is (answer == "discard")
    assert window.isVisible() is (answer == "cancel")
    if answer == "cancel":
        monkeypatch.setattr(file_prompts, "ask_save_changes",
                            lambda parent, name: file_prompts.DISCARD)
        assert window.close()


def test_closing_untitled_with_an_image_does_not_ask(open_window, monkeypatch):
    from dataclasses import replace

    from workbench.gui.actions import file_prompts

    asked = []
    monkeypatch.setattr(file_prompts, "ask_save_changes",
                        lambda parent, name: asked.append(name) or file_prompts.CANCEL)
    window = open_window(image="sample:astronaut", persist=True)
    pipeline = window.session.pipeline
    window.session.set_pipeline(replace(pipeline, layers=(replace(pipeline.layers[0],
                                                                  stride=(2, 2)),)))
    assert window.files.workspace.modified
    assert window.unkept_on_close() is None
    assert window.close() and asked == []  # the settings file keeps this session
