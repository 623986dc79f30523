"""Images, drag-and-drop, recent files, settings across restarts, and the screenshot mode."""

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QImage

from workbench.core import Pipeline, default_pipeline, to_json
from workbench.render import ViewOptions
from workbench.resources import sample_path

REPO = Path(__file__).resolve().parents[2]


def write_image(path, pixels):
    assert cv2.imwrite(str(path), pixels)
    return path


def test_corrupt_image_changes_nothing(open_window, tmp_path, settle):
    window = open_window()
    session = window.session
    before = (session.input.source, session.tensor, session.result, session.pipeline,
              session.can_undo, window.windowTitle())
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    assert not window.open_image(bad)
    settle(window)
    after = (session.input.source, session.tensor, session.result, session.pipeline,
             session.can_undo, window.windowTitle())
    assert all(a is b or a == b for a, b in zip(before, after, strict=True))
    assert "Could not open the image" in window.message_bar.text
    assert "broken.png" in window.message_bar.text
    assert "broken.png" in window.statusBar().currentMessage()
    assert window.settings.recent_files == []
    assert not window.open_image(tmp_path / "missing.png")
    assert window.session.input.source == before[0]


def test_open_16_bit_rgba_and_recent_files(open_window, tmp_path, settle):
    window = open_window()
    deep = write_image(tmp_path / "deep.png", np.full((20, 30), 65535, np.uint16))
    assert window.open_image(deep)
    outcome = settle(window)
    assert outcome.result.input.shape == (1, 20, 30)
    assert outcome.result.input.max() == 1.0
    rgba = np.zeros((10, 12, 4), np.uint8)
    rgba[..., 2] = 255  # red in BGRA
    rgba[..., 3] = 128
    assert window.open_image(write_image(tmp_path / "alpha.png", rgba))
    settle(window)
    np.testing.assert_allclose(window.session.tensor[0], 0.299, rtol=1e-5)  # luma of pure red
    assert window.settings.recent_files == [str(tmp_path / "alpha.png"), str(deep)]
    window.menus.fill_recent_images()
    assert [a.text() for a in window.menus.recent_menu.actions()][:2] == ["alpha.png", "deep.png"]
    window.menus.recent_menu.actions()[1].trigger()
    assert window.session.input.source == str(deep)


@pytest.mark.parametrize(("mode", "pixels"), [
    ("gray", np.random.default_rng(1).integers(0, 65536, (40, 64, 3), dtype=np.uint16)),
    ("rgb", np.random.default_rng(2).integers(0, 65536, (40, 64, 4), dtype=np.uint16)),
])
def test_the_window_computes_what_apply_exports(open_window, tmp_path, settle, mode, pixels):
    from workbench.batch.apply import main as apply_main
    from workbench.io.bank import save_bank
    from workbench.io.maps import STAGES, ExportOptions, load_maps_npz, select_maps

    window = open_window(pipeline=default_pipeline(mode))
    path = write_image(tmp_path / "deep.png", pixels)
    assert window.open_image(path)
    window.session.set_max_side(24)
    outcome = settle(window)
    assert outcome.result.input.shape[1:] == (15, 24)
    bank = save_bank(tmp_path / "bank.json", window.session.pipeline)
    out = tmp_path / "out"
    assert apply_main([str(path), "--bank", str(bank), "--max-side", "24", "--out", str(out),
                       "--format", "npz"]) == 0
    archive = load_maps_npz(out / "deep_maps.npz")
    shown = select_maps(outcome.result, window.session.pipeline, ExportOptions(out, ("npz",),
                                                                             STAGES))
    assert sorted(archive.maps) == sorted(item.key for item in shown)
    for item in shown:
        assert np.array_equal(archive.maps[item.key], item.array), item.key


def test_drop_a_file_onto_the_window(open_window, tmp_path):
    window = open_window()
    path = write_image(tmp_path / "dropped.png", np.zeros((9, 9), np.uint8))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    assert window.session.input.source == str(path)
    assert window.session.tensor.shape == (1, 9, 9)


def test_samples_menu(open_window):
    window = open_window()
    samples = next(m for m in window.menuBar().actions() if m.text() == "&Samples").menu()
    camera = next(a for a in samples.actions() if a.text() == "Camera")
    assert "Grayscale photo" in camera.toolTip()
    camera.trigger()
    assert window.session.input.source == "sample:camera"
    assert window.session.tensor.shape == (1, 512, 512)


def test_settings_survive_a_restart(open_window, tmp_path, settle, settings_file):
    first = open_window(settings="file", persist=True, image=None)
    assert first.session.input.source == "sample:astronaut"  # the default start
    image = write_image(tmp_path / "start.png", np.full((40, 50, 3), 90, np.uint8))
    first.open_image(image)
    first.bank.add_preset("gabor")
    first.params.stride.boxes[0].setValue(2)
    first.params.activation.setCurrentIndex(first.params.activation.findData("leaky_relu"))
    first.params.slope.setValue(0.2)
    first.params.max_side.setValue(40)
    first.views.set_options(ViewOptions("viridis", "symmetric", True))
    first.bank.select(1)
    first.resize(1300, 800)
    settle(first)
    pipeline = first.session.pipeline
    first.main_splitter.setSizes([350, 600, 350])
    first_sizes = first.main_splitter.sizes()
    first.views.splitter.setSizes([150, 450])
    views_sizes = first.views.splitter.sizes()
    first.close()
    assert settings_file.is_file()

    second = open_window(settings="file", persist=True)
    assert second.session.pipeline == pipeline
    assert [f.name for f in pipeline.layers[0].filters][1] == "Gabor 7x7"
    assert second.session.input.source == str(image)
    assert second.session.tensor.shape == (1, 32, 40)  # max side 40 applied
    assert second.params.stride.value() == (2, 1)
    assert second.params.activation.currentData() == "leaky_relu"
    assert second.params.slope.value() == 0.2
    assert second.params.max_side.value() == 40
    assert second.views.options == ViewOptions("viridis", "symmetric", True)
    assert second.views.colormap_combo.currentData() == "viridis"
    assert second.bank.selected_index() == 1
    assert second.editor.filter().name == "Gabor 7x7"
    # The offscreen platform trims the frame it fakes, so allow a few pixels.
    assert abs(second.width() - 1300) < 60 and abs(second.height() - 800) < 60
    assert second.main_splitter.sizes()[:2] == first_sizes[:2]
    assert second.views.splitter.sizes()[0] == views_sizes[0]
    assert second.settings.recent_files == [str(image)]


def test_corrupt_settings_fall_back_with_a_message(open_window, settings_file):
    settings_file.write_bytes(b"\x00\x01\x02 not a settings file \xff")
    window = open_window(settings="file", persist=True)
    assert window.session.pipeline == default_pipeline()
    assert window.session.input.source == "sample:astronaut"
    assert "not readable" in window.message_bar.text
    assert window.message_bar.kind == "warning"


def test_missing_last_image_falls_back_to_the_sample(open_window, tmp_path):
    window = open_window(image=str(tmp_path / "gone.png"))
    assert window.session.input.source == "sample:astronaut"
    assert "gone.png" in window.message_bar.text


def test_closing_the_window_joins_the_worker(open_window):
    window = open_window()
    assert window.compute.running
    window.close()
    assert not window.compute.running


def test_workspace_round_trip(open_window, tmp_path, settle):
    first = open_window(image="sample:camera")
    first.bank.add_preset("sharpen")
    first.params.max_side.setValue(200)
    first.views.set_options(ViewOptions("inferno", "abs", True))
    (tmp_path / "pics").mkdir()
    image = write_image(tmp_path / "pics" / "in.png", np.full((30, 40), 7, np.uint8))
    first.open_image(image)
    path = tmp_path / "session.json"
    assert first.save_workspace(path)
    assert '"path": "pics/in.png"' in path.read_text()  # stored relative to the file

    second = open_window()
    second.params.stride.boxes[0].setValue(2)
    assert second.open_workspace(path)
    assert second.session.pipeline == first.session.pipeline
    assert not second.session.can_undo  # a workspace starts a new history
    assert second.session.input.source == str(image)
    assert second.session.input.max_side == 200 and second.params.max_side.value() == 200
    assert second.views.options == ViewOptions("inferno", "abs", True)
    assert settle(second).result.input.shape == (1, 30, 40)

    sample = tmp_path / "sample.json"
    second.open_sample("coffee")
    assert second.save_workspace(sample)
    first.open_workspace(sample)
    assert first.session.input.source == "sample:coffee"


def test_a_bank_file_opens_as_a_workspace_too(open_window, tmp_path):
    window = open_window()
    bank = tmp_path / "bank.json"
    bank.write_text(to_json(default_pipeline("rgb")))
    assert window.open_workspace(bank)
    assert window.session.pipeline == default_pipeline("rgb")
    assert window.load_bank_file(bank)


def test_invalid_workspace_changes_nothing(open_window, tmp_path):
    window = open_window()
    before = window.session.pipeline
    bad = tmp_path / "truncated.json"
    bad.write_text('{"format": "conv-workbench-workspace", "schema_ver')
    assert not window.open_workspace(bad)
    assert "truncated.json" in window.message_bar.text
    assert "not valid JSON" in window.message_bar.text
    assert not window.load_bank_file(tmp_path / "missing.json")
    assert "missing.json" in window.message_bar.text
    assert window.session.pipeline is before


def run_cli(*args, env_extra=None):
    env = {**os.environ, "PYTHONPATH": str(REPO), **(env_extra or {})}
    env.pop("QT_QPA_PLATFORM")  # run_gui must pick the offscreen platform itself
    return subprocess.run([sys.executable, "-m", "workbench", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)


def test_screenshot_mode(tmp_path, settings_file):
    workspace = tmp_path / "bank.json"
    workspace.write_text(to_json(default_pipeline("rgb")))
    out = tmp_path / "shot.png"
    done = run_cli("--screenshot", str(out), "--image", str(sample_path("camera")),
                   "--workspace", str(workspace))
    assert done.returncode == 0, done.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1500, 950)
    assert not settings_file.exists()  # screenshot runs do not overwrite the session

    bad = tmp_path / "bad.json"
    bad.write_text("{ nope")
    done = run_cli("--screenshot", str(out), "--workspace", str(bad))
    assert done.returncode == 2
    assert "bad.json" in done.stderr and "not valid JSON" in done.stderr


def test_a_deeper_pipeline_runs_and_the_window_says_what_it_shows(open_window, settle):
    first = default_pipeline()
    second_layer = replace(first.layers[0], filters=tuple(
        f.with_channels(4) for f in first.layers[0].filters[:2]))
    window = open_window(Pipeline("gray", (first.layers[0], second_layer)),
                         image="sample:camera")
    outcome = settle(window)
    assert window.session.layer_index == 0
    assert len(outcome.result.layers) == 2
    assert len(window.views.cells) == 8  # the first layer's maps


def test_quitting_saves_the_session_and_joins_the_worker(tmp_path, settings_file):
    script = (
        "import sys\n"
        "from PySide6.QtCore import QTimer\n"
        "from workbench.gui.app import make_application, run_gui\n"
        "app = make_application()\n"
        "def window():\n"
        "    return next((w for w in app.topLevelWidgets()\n"
        "                 if type(w).__name__ == 'MainWindow'), None)\n"
        "def quit_once_drawn():\n"
        "    if window() is not None and window().session_views.results_shown:\n"
        "        app.quit()\n"
        "poll = QTimer()\n"
        "poll.timeout.connect(quit_once_drawn)\n"
        "poll.start(100)\n"
        "code = run_gui(image=sys.argv[1])\n"
        "window = window()\n"
        "print('worker running:', window.compute.running,\n"
        "      'shown:', window.session_views.results_shown)\n"
        "sys.exit(code)\n")
    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", script, str(sample_path("camera"))], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "worker running: False" in done.stdout
    assert "shown: 0" not in done.stdout
    saved = settings_file.read_text()
    assert "[image]" in saved and f"source={sample_path('camera')}" in saved
