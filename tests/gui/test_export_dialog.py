"""File > Export maps…: the dialog, its preview, and what it writes from the real window."""

import errno
import os

import numpy as np
import pytest
import tifffile
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QProgressDialog

from workbench.core import Filter, Layer, Pipeline, Pool, default_pipeline, run_pipeline
from workbench.gui.actions import file_prompts
from workbench.gui.actions.export_dialog import ExportChoices, ExportMapsDialog
from workbench.io import load_maps_npz, plan_export
from workbench.render import ViewOptions, describe_view, map_look, render_map


def signed_pipeline(activation="relu"):
    """Two gray filters giving signed conv maps, then ``activation`` and 2x2 max pooling."""
    sobel = np.array([[[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]], np.float32)
    blur = np.full((1, 3, 3), 1 / 9, np.float32)
    layer = Layer((Filter("Sobel x", sobel, 0.0), Filter("Blur", blur, -0.1)),
                  activation=activation, pool=Pool("max", (2, 2)))
    return Pipeline("gray", (layer,))


@pytest.fixture
def small_result():
    rng = np.random.default_rng(3)
    image = rng.random((1, 12, 10), dtype=np.float32)
    pipeline = signed_pipeline()
    return run_pipeline(image, pipeline), pipeline


def make_dialog(qtbot, result, pipeline, tmp_path, **choices):
    dialog = ExportMapsDialog(result, pipeline, "cat", ViewOptions(),
                              ExportChoices(folder=str(tmp_path / "out"), **choices))
    qtbot.addWidget(dialog)
    return dialog


def preview_names(dialog):
    return [dialog.preview_list.item(i).text() for i in range(dialog.preview_list.count())]


def test_the_style_line_says_how_maps_are_coloured():
    assert describe_view(ViewOptions("viridis", "minmax")) == "viridis · min-max · scale per map"
    assert describe_view(ViewOptions("red_blue", "abs", True), (0.0, 3.0)) == \
        "red_blue · absolute value · shared scale 0 … 3"
    # Symmetric with a sequential colormap: signed maps are drawn diverging, as the window.
    assert "(signed maps diverging)" in describe_view(ViewOptions("inferno", "symmetric"))


def test_preview_lists_the_planned_names(qtbot, tmp_path, small_result):
    result, pipeline = small_result
    dialog = make_dialog(qtbot, result, pipeline, tmp_path)
    # Default stages with pooling: conv, activated, pooled; every filter; PNG.
    assert preview_names(dialog) == [
        "cat_L1_Sobel_x_conv.png", "cat_L1_Sobel_x_activated.png", "cat_L1_Sobel_x_pooled.png",
        "cat_L1_Blur_conv.png", "cat_L1_Blur_activated.png", "cat_L1_Blur_pooled.png"]
    dialog.set_stages(("input", "pooled"))
    dialog.set_formats(("npy", "npz"))
    dialog.set_filters_checked({1})
    dialog.pattern_edit.setText("{index:02d}-{filter}-{stage}.{ext}")
    dialog.update_preview()
    assert preview_names(dialog) == ["00-gray-input.npy", "02-Blur-pooled.npy", "cat_maps.npz"]
    planned = plan_export(result, pipeline, "cat", dialog.options())
    assert [p.path.name for p in planned] == preview_names(dialog)
    assert "3 files" in dialog.summary_label.text()
    assert dialog.export_button.isEnabled()


@pytest.mark.parametrize(("pattern", "message"), [
    ("{source}_{chanel}.{ext}", "unknown placeholder {chanel}"),
    ("{source}.{ext}", "gives 'cat.png' to both"),
    ("a/{filter}.{ext}", "not allowed in file names"),
])
def test_a_bad_pattern_disables_export_and_says_why(qtbot, tmp_path, small_result, pattern,
                                                    message):
    dialog = make_dialog(qtbot, *small_result, tmp_path)
    dialog.pattern_edit.setText(pattern)
    dialog.update_preview()
    assert not dialog.export_button.isEnabled()
    assert message in dialog.summary_label.text()
    assert dialog.preview_list.count() == 0
    assert not dialog.export()
    assert not (tmp_path / "out").exists()


def test_nothing_ticked_says_what_is_missing(qtbot, tmp_path, small_result):
    dialog = make_dialog(qtbot, *small_result, tmp_path)
    dialog.set_formats(())
    dialog.update_preview()
    assert "tick at least one format" in dialog.summary_label.text()
    dialog.set_formats(("png",))
    dialog._check_all_filters(False)
    dialog.update_preview()
    assert "tick at least one filter" in dialog.summary_label.text()
    dialog.set_stages(("input",))  # the input needs no filter
    dialog.update_preview()
    assert preview_names(dialog) == ["cat_L0_gray_input.png"]


def export_dialog_of(window):
    dialog = window.files.exporter.open_dialog()
    assert dialog is not None and dialog.isVisible()
    return dialog


def test_export_from_the_window_is_bit_exact(open_window, tmp_path, settle):
    window = open_window(signed_pipeline("none"), image="sample:camera")
    window.views.set_options(ViewOptions("viridis", "symmetric", True))
    outcome = settle(window)
    result = outcome.result
    dialog = export_dialog_of(window)
    assert dialog.source == "camera"
    assert dialog.map_view == ViewOptions("viridis", "symmetric", True)
    assert dialog.map_levels == window.views.cells[next(iter(window.views.cells))].levels
    assert "viridis · symmetric around 0 (signed maps diverging) · shared scale" in \
        dialog.style_label.text()
    dialog.folder_edit.setText(str(tmp_path / "maps"))
    dialog.set_stages(("input", "conv", "activated", "pooled"))
    dialog.set_formats(("png", "tiff", "npy", "npz", "png16", "montage"))
    assert dialog.export()
    assert not dialog.isVisible()
    assert "Exported 37 files" in window.statusBar().currentMessage()
    folder = tmp_path / "maps"
    lr = result.layers[0]
    for i, name in enumerate(["Sobel_x", "Blur"]):
        for stage in ("conv", "activated", "pooled"):
            expected = getattr(lr, stage)[i]
            from_npy = np.load(folder / f"camera_L1_{name}_{stage}.npy")
            from_tiff = tifffile.imread(folder / f"camera_L1_{name}_{stage}.tif")
            for back in (from_npy, from_tiff):
                assert back.dtype == np.float32 and back.shape == expected.shape
                assert back.tobytes() == expected.tobytes()
            png = QImage(str(folder / f"camera_L1_{name}_{stage}.png"))
            png = png.convertToFormat(QImage.Format.Format_RGB888)
            pixels = np.frombuffer(png.constBits(), np.uint8).reshape(
                png.height(), png.bytesPerLine())[:, :png.width() * 3]
            np.testing.assert_array_equal(pixels.reshape(png.height(), png.width(), 3),
                                          render_map(expected, map_look(
                                              expected, dialog.map_view, dialog.map_levels)))
    assert np.load(folder / "camera_L0_gray_input.npy").tobytes() == result.input.tobytes()
    archive = load_maps_npz(folder / "camera_maps.npz")
    assert archive.pipeline == window.session.pipeline
    assert archive.maps["L1_Blur_pooled"].tobytes() == lr.pooled[1].tobytes()
    assert (folder / "camera_montage.png").is_file()
    assert window.files.exporter.choices.formats == \
        ("png", "png16", "tiff", "npy", "npz", "montage")


def test_existing_files_are_replaced_only_when_confirmed(open_window, tmp_path, monkeypatch):
    window = open_window(signed_pipeline())
    folder = tmp_path / "maps"
    folder.mkdir()
    old = folder / "vertical_line_8x8_L1_Blur_pooled.npy"
    old.write_bytes(b"old content")
    asked = []

    def refuse(parent, paths):
        asked.append([p.name for p in paths])
        return False

    monkeypatch.setattr(file_prompts, "confirm_overwrite", refuse)
    dialog = export_dialog_of(window)
    dialog.folder_edit.setText(str(folder))
    dialog.set_formats(("npy",))
    dialog.update_preview()
    assert "vertical_line_8x8_L1_Blur_pooled.npy   (exists)" in preview_names(dialog)
    assert "1 already exists" in dialog.summary_label.text()
    assert not dialog.export()
    assert asked == [[old.name]]
    assert old.read_bytes() == b"old content"
    assert sorted(p.name for p in folder.iterdir()) == [old.name]  # nothing else written
    assert dialog.isVisible()

    monkeypatch.setattr(file_prompts, "confirm_overwrite", lambda parent, paths: True)
    assert dialog.export()
    expected = window.session.result.result.layers[0].pooled[1]
    assert np.load(old).tobytes() == expected.tobytes()
    assert len(list(folder.iterdir())) == 6


def test_an_unwritable_folder_is_reported_and_nothing_is_written(open_window, tmp_path):
    window = open_window(signed_pipeline())
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    dialog = export_dialog_of(window)
    dialog.folder_edit.setText(str(blocker / "maps"))
    dialog.set_formats(("npy",))
    assert not dialog.export()
    assert dialog.isVisible()
    assert "Nothing was exported: cannot create the folder" in dialog.error_label.text()
    assert blocker.read_text() == "not a folder"
    dialog.reject()


def test_a_full_disk_leaves_no_file_behind(open_window, tmp_path, monkeypatch):
    window = open_window(signed_pipeline())
    dialog = export_dialog_of(window)
    folder = tmp_path / "maps"
    folder.mkdir()
    dialog.folder_edit.setText(str(folder))
    dialog.set_formats(("tiff", "npy"))
    real_write = os.write
    budget = [3000]

    def write(fd, data):
        if fd <= 2:
            return real_write(fd, data)
        if budget[0] <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        n = real_write(fd, bytes(data[:budget[0]]))
        budget[0] -= n
        return n

    monkeypatch.setattr(os, "write", write)
    assert not dialog.export()
    monkeypatch.setattr(os, "write", real_write)
    assert "the disk is full" in dialog.error_label.text()
    assert list(folder.iterdir()) == []
    dialog.reject()


def test_cancelling_the_progress_writes_nothing(open_window, tmp_path, monkeypatch):
    window = open_window(signed_pipeline())
    dialog = export_dialog_of(window)
    folder = tmp_path / "maps"
    dialog.folder_edit.setText(str(folder))
    dialog.set_formats(("npy", "tiff"))
    calls = []

    def cancel_on_third(self):
        calls.append(1)
        return len(calls) >= 3

    monkeypatch.setattr(QProgressDialog, "wasCanceled", cancel_on_third)
    assert not dialog.export()
    assert "cancelled; nothing was written" in dialog.error_label.text()
    assert not folder.exists()
    dialog.reject()


def test_no_result_yet_says_so(open_window):
    window = open_window(default_pipeline())
    window.session._result = None
    assert window.files.exporter.open_dialog() is None
    assert "no maps to export yet" in window.message_bar.text
