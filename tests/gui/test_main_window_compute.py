"""The window end to end: typing a kernel, parameters, errors in place, undo, hover."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLineEdit,
)

from workbench.core import Layer, Pipeline, Pool, default_pipeline
from workbench.gui.appearance import tones
from workbench.gui.views.map_views import CellKey
from workbench.render import ViewOptions

VERTICAL_ROWS = [0, 0, 3, 3, 0, 0]


def bare_pipeline(pool="none"):
    """No filters, no activation: the window starts with an empty bank."""
    return Pipeline("gray", (Layer((), activation="none", pool=Pool(pool, (2, 2))),))


def type_column_of_ones(qtbot, window):
    """Type 1 into the middle column of the selected 3x3 filter, cell by cell."""
    grid = window.editor.grid
    grid.setFocus()
    grid.setCurrentIndex(grid.model().index(0, 1))
    for _ in range(3):
        qtbot.keyClicks(grid, "1")
        editor = grid.viewport().findChild(QLineEdit)
        assert editor is not None, "typing a digit opens the cell editor"
        assert editor.text() == "1"
        qtbot.keyClick(editor, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: grid.viewport().findChild(QLineEdit) is None)


@pytest.fixture
def typed_window(open_window, qtbot, settle):
    """A window over the 8x8 vertical-line sample with the vertical-line kernel typed in."""
    window = open_window(bare_pipeline(), wait=False)
    window.bank.add_action.trigger()
    f = window.editor.filter()
    assert f is not None and f.kernel_size == (3, 3) and not f.weight.any()
    type_column_of_ones(qtbot, window)
    settle(window)
    return window


def test_typed_vertical_line_kernel_gives_the_textbook_map(typed_window):
    window = typed_window
    weight = window.session.pipeline.layers[0].filters[0].weight
    np.testing.assert_array_equal(weight[0], [[0, 1, 0], [0, 1, 0], [0, 1, 0]])
    fmap = window.session.result.result.layers[0].activated[0]
    assert fmap.shape == (6, 6)
    assert fmap.dtype == np.float32
    for row in fmap:
        np.testing.assert_array_equal(row, VERTICAL_ROWS)
    shown = window.views.cell("conv", 0)
    np.testing.assert_array_equal(shown.data, fmap)
    assert shown.title_text == "Filter 1 — 6x6"
    assert ("pooled", 0) not in {(k.stage, k.index) for k in window.views.cells}


def test_typed_kernel_with_max_pooling(open_window, qtbot, settle):
    window = open_window(bare_pipeline("max"), wait=False)
    window.bank.add_action.trigger()
    type_column_of_ones(qtbot, window)
    result = settle(window).result.layers[0]
    for row in result.activated[0]:
        np.testing.assert_array_equal(row, VERTICAL_ROWS)
    np.testing.assert_array_equal(result.pooled[0], [[0, 3, 0]] * 3)
    assert window.views.cell("pooled", 0).title_text == "max pooled — 3x3"


def test_same_padding_keeps_the_input_size(typed_window, settle):
    window = typed_window
    combo = window.params.padding_kind
    combo.setCurrentIndex(combo.findData("same"))
    fmap = settle(window).result.layers[0].activated[0]
    assert fmap.shape == (8, 8)
    np.testing.assert_array_equal(fmap[0], [0, 0, 0, 2, 2, 0, 0, 0])
    np.testing.assert_array_equal(fmap[3], [0, 0, 0, 3, 3, 0, 0, 0])
    assert "H_out = floor((8 + 2*1 - 1*(3-1) - 1) / 1) + 1 = 8" in window.params.geometry_text


def test_impossible_stride_and_padding_shows_why_and_keeps_the_last_maps(typed_window, settle):
    window = typed_window
    window.params.padding_kind.setCurrentIndex(window.params.padding_kind.findData("same"))
    good = settle(window)
    window.params.stride.boxes[1].setValue(2)
    settle(window)
    assert "padding='same' requires stride 1" in window.params.error_text
    label = window.params.error_label
    assert label.property("tone") == "error"  # drawn in the appearance's error colour
    assert label.palette().color(label.foregroundRole()).name() == tones(label).error
    assert window.views.error_banner.isVisibleTo(window)
    assert "showing the last good result" in window.views.error_banner.text()
    assert window.session.result is good
    assert window.views.cell("conv", 0).data.shape == (8, 8)
    window.params.stride.boxes[1].setValue(1)
    settle(window)
    assert window.params.error_text == ""
    assert not window.views.error_banner.isVisibleTo(window)


def test_kernel_too_large_for_the_input_is_reported(open_window, settle):
    window = open_window(image="sample:digit_one_4x4")
    window.bank.select(0)
    window.editor.rows_spin.setValue(5)
    window.editor.cols_spin.setValue(5)
    settle(window)
    assert "smaller than the dilated kernel" in window.params.error_text
    assert window.session.result.result.layers[0].activated[0].shape == (2, 2)


def test_invalid_groups_value_shows_its_reason(open_window, settle):
    window = open_window(image="sample:astronaut")
    window.params.input_mode.setCurrentIndex(window.params.input_mode.findData("rgb"))
    # Three enabled filters so that groups=3 divides both the 3 channels and the bank.
    window.bank.list.item(3).setCheckState(Qt.CheckState.Unchecked)
    settle(window)
    groups = window.params.groups
    assert [groups.itemData(i) for i in range(groups.count())] == [1, 3]
    groups.setCurrentIndex(groups.findData(3))
    good = settle(window)
    assert window.session.pipeline.layers[0].groups == 3
    assert {f.channels for f in window.session.pipeline.layers[0].filters} == {1}
    assert good.result is not None
    window.bank.list.item(3).setCheckState(Qt.CheckState.Checked)
    settle(window)
    assert "groups=3 must divide the number of enabled filters (4)" in window.params.error_text
    assert window.params.groups.currentText() == "3 (invalid)"
    assert window.session.result is good
    assert len(window.views.cells) == 6  # still the three filters' maps and pooled maps


def test_undo_restores_the_kernel_grid_and_the_map(typed_window, qtbot, settle):
    window = typed_window
    qtbot.keyClick(window.editor.grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    settle(window)
    model = window.editor.grid.model()
    assert model.index(2, 1).data(Qt.ItemDataRole.EditRole) in ("0", 0, 0.0)
    np.testing.assert_array_equal(window.editor.filter().weight[0],
                                  [[0, 1, 0], [0, 1, 0], [0, 0, 0]])
    np.testing.assert_array_equal(window.session.result.result.layers[0].activated[0][0],
                                  [0, 0, 2, 2, 0, 0])
    window.menus.undo_action.trigger()
    window.menus.undo_action.trigger()
    settle(window)
    assert not window.editor.filter().weight.any()
    qtbot.keyClick(window.editor.grid, Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.editor.filter().weight.sum() == 1
    qtbot.keyClick(window.editor.grid, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert window.editor.filter().weight.sum() == 2
    window.menus.redo_action.trigger()
    fmap = settle(window).result.layers[0].activated[0]
    np.testing.assert_array_equal(fmap[0], VERTICAL_ROWS)
    assert not window.menus.redo_action.isEnabled()


def test_undo_covers_parameters_and_bank_edits(open_window, settle):
    window = open_window()
    start = window.session.pipeline
    window.params.activation.setCurrentIndex(window.params.activation.findData("tanh"))
    window.bank.add_preset("laplacian")
    window.bank.delete_selected()
    window.params.pool_kind.setCurrentIndex(window.params.pool_kind.findData("avg"))
    for _ in range(4):
        window.menus.undo_action.trigger()
    assert window.session.pipeline == start
    assert window.params.activation.currentData() == "relu"
    assert window.params.pool_kind.currentData() == "max"
    assert window.bank.list.count() == 4
    assert not window.menus.undo_action.isEnabled()


def test_spin_box_bursts_coalesce_into_one_undo_step(open_window):
    window = open_window()
    box = window.params.dilation.boxes[0]
    for value in (2, 3, 4):
        box.setValue(value)
    assert window.session.pipeline.layers[0].dilation == (4, 1)
    window.menus.undo_action.trigger()
    assert window.session.pipeline.layers[0].dilation == (1, 1)
    assert box.value() == 1


def test_hover_reports_the_value_and_the_receptive_field(typed_window, qtbot):
    window = typed_window
    cell = window.views.cell("conv", 0)
    qtbot.waitUntil(lambda: cell.view.viewRange()[0][1] > 0)
    point = cell.mapFromScene(cell.scene_pos_of(4, 2))
    qtbot.mouseMove(cell.viewport(), point)
    qtbot.waitUntil(lambda: "x 2, y 4" in window.status.hover_label.text())
    text = window.status.hover_label.text()
    assert "Filter 1" in text and "value 3" in text
    assert "receptive field rows 4–6, cols 2–4 (3x3)" in text
    rect = window.views.field_rect
    assert rect.isVisible()
    assert (rect.rect().x(), rect.rect().y(), rect.rect().width(), rect.rect().height()) == \
        (2, 4, 3, 3)
    assert window.views.hover(CellKey("conv", 0), 0, 0).endswith("value 0  ·  receptive "
                                                                   "field rows 0–2, cols 0–2 "
                                                                   "(3x3)")
    assert window.views.hover(CellKey("conv", 0), -1, -1) == ""
    assert window.status.hover_label.text() == ""
    assert not rect.isVisible()


def test_hover_on_a_pooled_map_outlines_the_union_of_windows(open_window, settle):
    layer = default_pipeline().layers[0]
    window = open_window(Pipeline("gray", (layer,)))
    text = window.views.hover(CellKey("pooled", 0), 1, 2)
    assert "Vertical line (pooled)" in text
    assert "receptive field rows 2–5, cols 4–7 (4x4)" in text
    value = window.session.result.result.layers[0].pooled[0][1, 2]
    assert f"value {value:.4g}" in text


def test_hover_on_the_input_reports_rgb(open_window):
    window = open_window(default_pipeline("rgb"), image="sample:astronaut")
    text = window.views.hover(CellKey("input"), 10, 20)
    pixel = window.session.tensor[:, 10, 20]
    assert text.startswith("Input  x 20, y 10  RGB (")
    assert f"{pixel[0]:.4g}" in text


def test_input_mode_switch_converts_every_filter(open_window, settle):
    window = open_window(image="sample:astronaut")
    window.params.input_mode.setCurrentIndex(window.params.input_mode.findData("rgb"))
    outcome = settle(window)
    assert {f.channels for f in window.session.pipeline.layers[0].filters} == {3}
    assert outcome.result.input.shape == (3, 512, 512)
    assert window.views.input_cell.title_text == "Input — 512x512 RGB"
    assert window.editor.channel_tabs.count() == 3


def test_max_side_shrinks_the_input(open_window, settle):
    window = open_window(image="sample:astronaut")
    window.params.max_side.setValue(128)
    outcome = settle(window)
    assert outcome.result.input.shape == (1, 128, 128)
    assert outcome.result.layers[0].activated[0].shape == (126, 126)
    assert "input 128×128, kernel 3×3" in window.params.geometry_text


def test_status_bar_shows_stage_times_and_fps(open_window, settle):
    window = open_window()
    # The default layer (ReLU + 2x2 max pool) runs as one fused pass.
    text = window.status.timing_label.text()
    assert text.startswith("conv+activation+pool ") and "(fused)" in text
    assert text.endswith(" fps")
    assert window.status.warmup_bar.isHidden()
    # Sigmoid is not fused: every stage gets its own time.
    window.params.activation.setCurrentIndex(window.params.activation.findData("sigmoid"))
    settle(window)
    text = window.status.timing_label.text()
    assert text.startswith("conv ") and " ms · activation " in text and " ms · pool " in text
    assert text.endswith(" fps")


def test_view_options_change_levels_and_colormap(open_window, settle):
    window = open_window(image="sample:camera")
    window.params.activation.setCurrentIndex(window.params.activation.findData("none"))
    settle(window)
    cell = window.views.cell("conv", 2)  # Sobel x without ReLU: signed
    window.views.set_options(ViewOptions("viridis", "symmetric", False))
    low, high = cell.levels
    assert low == -high == -float(np.abs(cell.data).max())
    assert cell.colormap_key == "CET-D1"  # signed maps get a diverging colormap
    window.views.set_options(ViewOptions("inferno", "abs", False))
    assert cell.levels == (0.0, float(np.abs(cell.data).max()))
    assert cell.colormap_key == "inferno"
    window.views.set_options(ViewOptions("gray", "clamp01", True))
    assert all(c.levels == (0.0, 1.0) for c in window.views.cells.values())
    window.views.set_options(ViewOptions("gray", "minmax", True))
    every = np.concatenate([c.data.ravel() for c in window.views.cells.values()])
    assert all(c.levels == (float(every.min()), float(every.max()))
               for c in window.views.cells.values())
    assert window.views.mode_combo.currentData() == "minmax"
    assert window.views.shared_check.isChecked()


def test_ctrl_z_in_a_parameter_spin_box_undoes_the_pipeline(open_window, qtbot):
    window = open_window()
    box = window.params.stride.boxes[0]
    box.setValue(3)
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.session.pipeline.layers[0].stride == (1, 1)
    assert box.value() == 1


def test_zoom_follows_across_views_of_the_same_size(open_window):
    window = open_window(image="sample:camera")
    first, second = window.views.cell("conv", 0), window.views.cell("conv", 3)
    pooled = window.views.cell("pooled", 0)
    pooled_range = pooled.view.viewRange()
    first.view.setRange(xRange=(100, 200), yRange=(50, 150), padding=0)
    first.view.sigRangeChangedManually.emit([True, True])  # what a wheel or drag emits
    (x0, x1), (y0, y1) = second.view.viewRange()
    assert x0 <= 100 and x1 >= 200 and y0 <= 50 and y1 >= 150
    assert min(x1 - x0, y1 - y0) == pytest.approx(100, abs=1)
    assert pooled.view.viewRange() == pooled_range  # a different size is not linked
    window.views.reset_zoom()
    (x0, x1), (y0, y1) = second.view.viewRange()
    assert x0 <= 0.5 and x1 >= 509.5 and y0 <= 0.5 and y1 >= 509.5  # the whole map
    assert min(x1 - x0, y1 - y0) == pytest.approx(510, abs=1)  # and no more than needed


def test_inspector_explains_a_feature_map_pixel(typed_window):
    window = typed_window
    inspector = window.views.inspector
    assert "Hover a feature map" in inspector.text()
    window.views.hover(CellKey("conv", 0), 1, 2)
    text = inspector.text()
    assert "<b>Filter 1</b> at x 2, y 1" in text
    assert text.count("×1") == 3 and text.count("×0") == 6  # the typed column of ones
    assert "Σ input × weight = 3<br>+ bias 0 = <b>3</b> (conv)" in text
    assert "ReLU" not in text  # no activation in this pipeline


def test_inspector_follows_groups_flip_and_pooling(open_window, settle):
    window = open_window(image="sample:astronaut")
    window.params.input_mode.setCurrentIndex(window.params.input_mode.findData("rgb"))
    window.bank.list.item(3).setCheckState(Qt.CheckState.Unchecked)
    window.params.groups.setCurrentIndex(window.params.groups.findData(3))
    window.params.flip.setChecked(True)
    window.params.activation.setCurrentIndex(window.params.activation.findData("none"))
    outcome = settle(window)
    window.views.hover(CellKey("conv", 2), 40, 30)  # Sobel x, the third group: blue
    text = window.views.inspector.text()
    assert "B" in text and "R:" not in text
    image = outcome.result.input[2, 40:43, 30:33].astype(np.float64)
    sobel_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    expected = (image * sobel_x[::-1, ::-1]).sum()
    assert outcome.result.layers[0].conv[2][40, 30] == pytest.approx(expected, abs=1e-5)
    assert f"<b>{outcome.result.layers[0].conv[2][40, 30]:.4g}</b> (conv)" in text
    window.views.hover(CellKey("pooled", 0), 3, 4)
    text = window.views.inspector.text()
    window_values = outcome.result.layers[0].activated[0][6:8, 8:10]
    assert "max of these feature-map values" in text
    assert f"= <b>{window_values.max():.4g}</b>" in text


def test_window_shows_before_warm_up_and_reports_its_progress(open_window, qtbot):
    window = open_window(wait=False)
    assert window.isVisible() and not window.compute.warm
    assert not window.status.warmup_bar.isHidden()
    assert window.status.timing_label.text() == "waiting for the first result…"
    qtbot.waitUntil(lambda: window.session_views.results_shown > 0, timeout=20_000)
    assert window.status.warmup_bar.isHidden()
    assert window.status.warmup_bar.maximum() == window.status.warmup_bar.value() == 4


def test_every_parameter_explains_itself(open_window):
    window = open_window()
    panel = window.params
    fields = (panel.findChildren(QComboBox) + panel.findChildren(QCheckBox)
              + panel.findChildren(QAbstractSpinBox))
    assert fields and all(w.toolTip().strip() for w in fields)
    for form in panel.findChildren(QFormLayout):
        for row in range(form.rowCount()):
            label = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            if label is not None:
                assert label.widget().toolTip().strip()


def test_shortcuts_are_unique(open_window):
    window = open_window()
    seen = {}
    for action in window.findChildren(QAction):
        for key in action.shortcuts():
            text = key.toString()
            if action.shortcutContext() == Qt.ShortcutContext.WindowShortcut:
                assert text not in seen or seen[text] is action, f"{text} used twice"
                seen[text] = action
    for text in ("Ctrl+O", "Ctrl+Z", "Ctrl+Shift+Z", "Ctrl+Y", "Ctrl+N", "Ctrl+Del", "Ctrl+Q"):
        assert text in seen, text


def test_impossible_sizes_are_marked_in_the_arithmetic(open_window, settle):
    window = open_window(image="sample:digit_one_4x4")
    window.bank.select(0)
    window.editor.cols_spin.setValue(9)
    settle(window)
    assert "conv → 2×-4 (impossible)" in window.params.geometry_text
    assert "W_out = floor((4 + 2*0 - 1*(9-1) - 1) / 1) + 1 = -4" in window.params.geometry_text
    assert "smaller than the dilated kernel" in window.params.error_text
