"""Stacked layers in the window: the layer strip, both layers' maps, explain across the stack."""

import re

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from workbench.core import default_pipeline, explain, run_pipeline
from workbench.gui.actions import file_prompts
from workbench.gui.views.map_views import CellKey
from workbench.session import edits


@pytest.fixture(autouse=True)
def discard_on_close(monkeypatch):
    monkeypatch.setattr(file_prompts, "ask_save_changes",
                        lambda parent, name: file_prompts.DISCARD)


def type_ones_in_middle_column(qtbot, window):
    grid = window.editor.grid
    grid.setFocus()
    grid.setCurrentIndex(grid.model().index(0, 1))
    for _ in range(3):
        qtbot.keyClicks(grid, "1")
        editor = grid.viewport().findChild(QLineEdit)
        assert editor is not None
        qtbot.keyClick(editor, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: grid.viewport().findChild(QLineEdit) is None)


def current(qtbot, window):
    qtbot.waitUntil(lambda: window.session.result_is_current and not window.compute.busy,
                    timeout=20_000)
    return window.session.result


def test_build_type_hover_step_down_undo_save_and_reopen(open_window, qtbot, tmp_path):
    window = open_window(default_pipeline(), image="sample:camera")  # conv(4)+ReLU+max 2x2
    window.layers.actions_by_name["add"].trigger()
    assert window.session.layer_index == 1 and len(window.session.pipeline.layers) == 2
    assert "Added layer 2" in window.statusBar().currentMessage()
    assert window.layers.list.count() == 2 and window.layers.list.currentRow() == 1
    type_ones_in_middle_column(qtbot, window)
    second = window.session.pipeline.layers[1].filters[0]
    np.testing.assert_array_equal(second.weight[0], [[0, 1, 0], [0, 1, 0], [0, 1, 0]])

    shown = current(qtbot, window)
    assert re.search(r"^L1 \d+\.\d ms · L2 \d+\.\d ms  \|  L2: ", window.status.timing_label.text())
    tensor = window.session.tensor
    expected = run_pipeline(tensor, window.session.pipeline)
    np.testing.assert_array_equal(shown.result.layers[1].activated[0],
                                  expected.layers[1].activated[0])
    # The views show layer 2, titled with layer, filter and shape.
    h, w = expected.layers[1].activated[0].shape
    assert window.views.cell("conv", 0).title_text == f"L2 · {second.name} — {h}x{w}"
    assert window.layers.shapes_text == ("input 1×512×512 → conv1 4×510×510 → "
                                         "pool1 4×255×255 → conv2 4×255×255")

    text = window.views.hover(CellKey("conv", 0), 20, 30)
    assert "receptive field rows 38–45, cols 58–65 (8x8)" in text
    rect = window.views.field_rect.rect()
    assert (rect.x(), rect.y(), rect.width(), rect.height()) == (58, 38, 8, 8)
    e = window.views.inspector.explanation
    oracle = explain(window.session.pipeline, tensor, 1, 0, 20, 30, "activated")
    assert e.layer == 1 and [t.channel for t in e.terms] == [0, 1, 2, 3]
    assert e.value == oracle.value == expected.layers[1].activated[0][20, 30]
    assert [t.partial_sum for t in e.terms] == [t.partial_sum for t in oracle.terms]
    html = window.views.inspector.text()
    assert html.count("step down") == 4 and "… and 1 more input maps" in html
    assert ("depends on L1 maps rows 19–21, cols 29–31 (3x3) → input rows 38–45, "
            "cols 58–65 (8x8)") in html

    # Step down into the first map's term: layer 1, its pooled map, pinned.
    window.views.pin(CellKey("conv", 0), 20, 30)
    window.views.inspector.sigStepDown.emit(0)
    assert window.session.layer_index == 0 and window.layers.list.currentRow() == 0
    below = window.views.inspector.explanation
    assert below.layer == 0 and below.stage == "pooled" and window.views.pinned
    term = e.terms[0]
    strongest = np.unravel_index(np.argmax(np.abs(term.products)), term.products.shape)
    assert below.value == term.patch[strongest]
    moved = window.views.cell("conv", 1)
    moved.sigHovered.emit(moved.key, 3, 3)  # the mouse moves on: the pin holds
    assert window.views.inspector.explanation is below

    path = tmp_path / "stack.json"
    assert window.save_workspace(path)
    saved = window.session.pipeline
    while window.session.can_undo:
        window.session.undo()
    assert window.session.pipeline == default_pipeline()
    assert window.layers.list.count() == 1
    window.close()

    reopened = open_window(default_pipeline(), image="sample:camera")
    assert reopened.open_workspace(path)
    assert reopened.session.pipeline == saved
    assert reopened.layers.list.count() == 2
    result = current(qtbot, reopened)
    assert len(result.result.layers) == 2


def test_a_filter_added_to_layer_1_adds_a_slice_to_layer_2(open_window, qtbot):
    window = open_window(default_pipeline(), image="sample:camera")
    window.layers.actions_by_name["add"].trigger()
    window.layers.list.setCurrentRow(0)
    assert window.session.layer_index == 0
    window.bank.add_action.trigger()
    assert [f.channels for f in window.session.pipeline.layers[1].filters] == [5] * 4
    assert "Layer 2: added a zero slice for 'Filter 5' in its 4 filters" in \
        window.statusBar().currentMessage()
    assert len(current(qtbot, window).result.layers) == 2  # it still runs
    window.session.undo()
    assert [f.channels for f in window.session.pipeline.layers[1].filters] == [4] * 4


def test_the_first_impossible_step_is_named(open_window, qtbot):
    window = open_window(default_pipeline(), image="sample:camera")
    window.layers.actions_by_name["add"].trigger()
    window.session.edit(lambda p: edits.replace_layer(p, 1, dilation=(200, 200)))
    assert window.layers.shapes_text.startswith(
        "input 1×512×512 → conv1 4×510×510 → pool1 4×255×255 → conv2 is impossible")
    assert "conv2 is impossible" in window.layers.shapes.text()


def test_layer_buttons_follow_the_selection_and_presets_open(open_window, qtbot):
    window = open_window(default_pipeline(), image="sample:camera")
    actions = window.layers.actions_by_name
    assert not actions["delete"].isEnabled() and not actions["up"].isEnabled()
    actions["add"].trigger()
    assert actions["delete"].isEnabled() and actions["up"].isEnabled()
    assert not actions["down"].isEnabled()
    from PySide6.QtWidgets import QToolButton

    buttons = {b.defaultAction(): b.text() for b in window.layers.findChildren(QToolButton)
               if b.defaultAction() is not None}
    assert buttons[actions["delete"]] == "Delete"  # short on the strip, "De&lete layer" in menus
    assert actions["delete"].text() == "De&lete layer"
    actions["previous"].trigger()
    assert window.session.layer_index == 0
    window.layers.presets.menu().actions()[0].trigger()
    assert [f.name for f in window.session.pipeline.layers[1].filters][0] == "Corner ┌"
    assert len(current(qtbot, window).result.layers) == 2


def test_a_click_pins_a_value_and_a_second_click_or_escape_lets_go(open_window, qtbot):
    window = open_window(default_pipeline(), image="sample:camera")
    cell = window.views.cell("conv", 0)
    cell.sigClicked.emit(cell.key, 5, 6)
    assert window.views.pinned and "Pinned" in window.views.inspector.text()
    cell.sigHovered.emit(cell.key, 9, 9)
    assert window.views.inspector.explanation.conv_y == 5  # held
    cell.sigClicked.emit(cell.key, 5, 6)
    assert not window.views.pinned
    cell.sigHovered.emit(cell.key, 9, 9)
    assert window.views.inspector.explanation.conv_y == 9  # follows the mouse again
    cell.sigClicked.emit(cell.key, 9, 9)
    window.views.inspector.linkActivated.emit("unpin")
    assert not window.views.pinned and "Pinned" not in window.views.inspector.text()


def test_the_bank_shows_and_edits_the_selected_layer(open_window, qtbot):
    from workbench.session.stack_edits import edges_then_corners

    window = open_window(edges_then_corners(), image="sample:camera")
    window.session.select(layer=1)
    names = [window.bank.list.item(i).text() for i in range(window.bank.list.count())]
    assert names == ["Corner ┌", "Corner ┐", "Corner └", "Corner ┘"]
    window.bank.list.item(0).setCheckState(Qt.CheckState.Unchecked)
    first, second = window.session.pipeline.layers
    assert [f.enabled for f in second.filters] == [False, True, True, True]
    assert all(f.enabled for f in first.filters)  # layer 1 untouched
    window.session.select(layer=0)
    assert window.bank.list.item(0).text() == "Dark to bright (x)"


def test_picking_another_layer_lets_go_of_the_pinned_value(open_window, qtbot):
    from workbench.session.stack_edits import edges_then_corners

    window = open_window(edges_then_corners(), image="sample:camera")
    window.session.select(layer=1)
    current(qtbot, window)
    window.views.pin(CellKey("conv", 1), 100, 100)
    assert window.views.pinned
    window.layers.list.setCurrentRow(0)
    assert not window.views.pinned and window.views.inspector.explanation is None
    assert window.status.hover_label.text() == ""
    assert not window.views.field_rect.isVisible()


def test_stepping_down_past_a_disabled_filter_selects_the_map_it_read(open_window, qtbot):
    from dataclasses import replace

    from workbench.session.stack_edits import edges_then_corners

    stack = edges_then_corners()
    first = stack.layers[0]
    stack = replace(stack, layers=(
        replace(first, filters=(replace(first.filters[0], enabled=False), *first.filters[1:])),
        replace(stack.layers[1], filters=tuple(f.with_channels(3)
                                               for f in stack.layers[1].filters))))
    window = open_window(stack, image="sample:camera")
    window.session.select(layer=1)
    current(qtbot, window)
    window.views.pin(CellKey("conv", 0), 60, 60)
    window.views.inspector.sigStepDown.emit(0)  # the first *enabled* map: "Bright to dark (x)"
    assert window.session.selection.filter == 1
    assert window.editor.filter().name == "Bright to dark (x)"
    assert window.views.inspector.explanation.name == "Bright to dark (x)"


def test_copy_as_code_and_export_take_every_layer_from_the_window(open_window, qtbot,
                                                                  tmp_path):
    from PySide6.QtWidgets import QApplication

    from workbench.gui.actions.window_files import export_snapshot
    from workbench.io.maps import ExportOptions, export_maps
    from workbench.session.stack_edits import edges_then_corners

    window = open_window(edges_then_corners(), image="sample:camera")
    current(qtbot, window)
    window.files.bank_io.copy_actions["pytorch"].trigger()
    code = QApplication.clipboard().text()
    assert "conv1 = nn.Conv2d(1, 4, " in code and "conv2 = nn.Conv2d(4, 4, " in code
    window.session.select(layer=1)
    snap = export_snapshot(window.session)
    written = export_maps(snap.result, snap.pipeline, "cam",
                          ExportOptions(tmp_path, ("npz",), ("pooled",)))
    from workbench.io.maps import load_maps_npz

    archive = load_maps_npz(written[0])
    assert {key.split("_")[0] for key in archive.maps} >= {"L1", "L2"}
