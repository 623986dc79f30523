"""State that survives closing and reopening the window with the same settings file."""

import cv2
import numpy as np
import pytest

from workbench.core import default_pipeline
from workbench.gui.actions import file_prompts
from workbench.gui.live.panel import STILL
from workbench.gui.settings import LiveChoices, WorkbenchSettings, load_settings, save_settings
from workbench.sources import Size
from workbench.tutorials import get_example


@pytest.fixture(autouse=True)
def discard_on_close(monkeypatch):
    """Windows closed in these tests discard unsaved workspace changes instead of asking."""
    monkeypatch.setattr(file_prompts, "ask_save_changes",
                        lambda parent, name: file_prompts.DISCARD)


def write_video(path, frames=6, size=(32, 24)):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), 10, size)
    for i in range(frames):
        writer.write(np.full((size[1], size[0], 3), 30 * i, np.uint8))
    writer.release()
    return path


def restart(window, open_window):
    window.close()
    return open_window(settings="file", persist=True)


def test_live_choices_survive_a_restart_without_starting_a_stream(open_window, qtbot,
                                                                   tmp_path):
    video = write_video(tmp_path / "clip.mp4")
    first = open_window(settings="file", persist=True)
    panel = first.live_panel
    panel.open_video(video)
    qtbot.waitUntil(lambda: panel.video_path == video, timeout=10_000)
    panel.choose_source(STILL)
    panel.camera_combo.setEditText("3")
    panel.resolution_combo.setCurrentIndex(panel.resolution_combo.findText(str(Size(1280, 720))))
    panel.mirror_check.setChecked(True)
    panel.loop_check.setChecked(True)
    panel.record_kind_combo.setCurrentIndex(panel.record_kind_combo.findData("montage"))

    second = restart(first, open_window)
    panel = second.live_panel
    assert second.settings.live == LiveChoices(3, (1280, 720), True, True, "montage", str(video))
    assert panel.camera_index() == 3
    assert panel.resolution() == (1280, 720)
    assert panel.mirror_check.isChecked() and second.live.mirror
    assert panel.loop_check.isChecked() and second.live.loop
    assert panel.record_target().kind == "montage"
    assert panel.video_path == video and panel.video_label.text() == "clip.mp4"
    # Nothing streams: the window reopens on its still image.
    assert panel.kind == STILL
    assert second.live.source is None
    assert second.session.input.source == "sample:astronaut"


def test_a_resolution_not_listed_is_added_and_a_gone_video_is_not_restored(open_window,
                                                                            tmp_path):
    settings = WorkbenchSettings(image="sample:vertical_line_8x8")
    settings.live = LiveChoices(7, (320, 200), False, False, "map",
                                str(tmp_path / "deleted.mp4"))
    save_settings(settings)
    window = open_window(settings="file", persist=True)
    panel = window.live_panel
    assert panel.camera_index() == 7
    assert panel.resolution() == (320, 200)
    assert panel.record_target().kind == "map"
    assert panel.video_path is None and panel.video_label.text() == "no file"


def test_a_tutorial_example_reopens_as_raw_data_with_its_pipeline(open_window, settle):
    first = open_window(settings="file", persist=True)
    first.raw_data.open_example("depthwise")
    settle(first)
    pipeline = first.session.pipeline
    assert pipeline.input_mode == "raw"

    second = restart(first, open_window)
    example = get_example("depthwise")
    assert second.session.input.raw is not None and second.session.input.raw.name == example.name
    assert second.session.pipeline == pipeline
    assert not second.session.can_undo  # a fresh session
    assert second.session.input.source == "sample:astronaut"  # the still image behind it is kept
    outcome = settle(second)
    assert outcome.result.input.tolist() == example.data.tolist()
    assert [m.tolist() for m in outcome.result.layers[0].pooled] == \
        [e.tolist() for e in example.expected]
    assert second.params.input_mode.currentText() == \
        f"Raw data ({example.data.shape[0]} channels)"


def test_typed_values_reopen_inline(open_window, settle, settings_file):
    from workbench.io.data_input import RawData, parse_data_text

    first = open_window(settings="file", persist=True)
    rows = [[r * 6 + c for c in range(6)] for r in range(6)]
    rows[5][5] = 9.5
    values = parse_data_text("\n".join(", ".join(str(v) for v in row) for row in rows))
    first.session.open_raw(RawData(values, "typed values"))
    assert settle(first).result is not None
    second = restart(first, open_window)
    assert "9.5" in settings_file.read_text()
    assert second.session.input.raw.name == "typed values" and second.session.input.raw.path is None
    assert settle(second).result.input.tolist() == [rows]


def test_a_large_data_file_reopens_from_its_path_and_a_gone_one_falls_back(
        open_window, settle, tmp_path, settings_file):
    npy = tmp_path / "big.npy"
    values = np.arange(70 * 70, dtype=np.float32).reshape(70, 70) / 7
    np.save(npy, values)
    first = open_window(settings="file", persist=True)
    assert first.raw_data.open_data(npy)
    settle(first)
    second = restart(first, open_window)
    assert str(npy) in settings_file.read_text()
    assert np.array_equal(settle(second).result.input[0], values)
    assert second.session.pipeline.input_mode == "raw"

    npy.unlink()
    third = restart(second, open_window)
    assert third.session.input.raw is None
    assert third.session.pipeline.input_mode == "gray"
    assert "Could not reopen the numeric input" in third.message_bar.text
    assert "big.npy" in third.message_bar.text
    assert settle(third).result.input.shape[0] == 1


def test_leaving_raw_data_is_remembered_too(open_window, settle):
    first = open_window(settings="file", persist=True)
    first.raw_data.open_example("k3")
    first.open_sample("camera")
    settle(first)
    second = restart(first, open_window)
    assert second.settings.raw is None and second.session.input.raw is None
    assert second.session.pipeline.input_mode == "gray"
    assert second.session.input.source == "sample:camera"


CORRUPT_RAW = [
    "not json",
    '[1, 2]',
    '{\\"kind\\": \\"image\\", \\"path\\": \\"/x.png\\"}',
    '{\\"kind\\": \\"data\\", \\"values\\": \\"1; x\\"}',
    '{\\"kind\\": \\"data\\"}',
]


@pytest.mark.parametrize("raw", CORRUPT_RAW)
def test_corrupt_live_and_raw_values_fall_back_to_the_defaults(open_window, settings_file,
                                                               raw):
    settings_file.write_text(
        "[meta]\nformat_version=1\n"
        "[live]\ncamera_index=-4\nresolution=wide\nmirror=perhaps\nloop=2\n"
        "record_kind=gif\nvideo_path=\n"
        f'[input]\nraw="{raw}"\n')
    settings, messages = load_settings()
    assert settings.live == LiveChoices()
    assert settings.raw is None
    assert any("numeric input is invalid" in m for m in messages)

    window = open_window(settings="file", persist=True)
    panel = window.live_panel
    assert panel.camera_index() is None  # the first camera found will be used
    assert panel.resolution() == LiveChoices().resolution
    assert not panel.mirror_check.isChecked() and not panel.loop_check.isChecked()
    assert panel.record_target().kind == "input"
    assert window.session.input.raw is None and window.session.pipeline == default_pipeline()
    assert "numeric input is invalid" in window.message_bar.text


@pytest.mark.parametrize("resolution", ["0x480", "640x", "640 x 480 x 3", "99999x99999"])
def test_an_invalid_resolution_keeps_the_default(qapp, settings_file, resolution):
    settings_file.write_text(f"[meta]\nformat_version=1\n[live]\nresolution={resolution}\n")
    assert load_settings()[0].live.resolution == LiveChoices().resolution


def test_live_choices_and_raw_round_trip_through_the_file(qapp):
    from workbench.io.workspace import SourceSpec

    original = WorkbenchSettings(live=LiveChoices(2, (800, 600), True, False, "input_and_map",
                                                  "/videos/a, b.mp4"),
                                 raw=SourceSpec("data", name="k3", values="1 2\n3 4"))
    save_settings(original)
    loaded, messages = load_settings()
    assert messages == []
    assert loaded.live == original.live
    assert loaded.raw == original.raw
