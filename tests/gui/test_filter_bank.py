"""The filter-bank panel inside the window: bank edits, presets, and views that follow."""

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from workbench.core import PRESETS, get_preset
from workbench.gui.panels.filter_bank import kernel_rgba


def names(window):
    return [f.name for f in window.session.pipeline.layers[0].filters]


def test_add_duplicate_delete_and_views_follow(open_window, settle):
    window = open_window()
    bank = window.bank
    assert names(window) == ["Vertical line", "Horizontal line", "Sobel x", "Sobel y"]
    bank.select(2)
    bank.duplicate_action.trigger()
    assert names(window)[3] == "Sobel x (2)" and bank.selected_index() == 3
    bank.select(3)
    bank.duplicate_action.trigger()  # a copy of a copy counts on, it does not say "copy copy"
    assert names(window)[4] == "Sobel x (3)"
    bank.delete_selected()
    bank.select(3)
    bank.add_action.trigger()
    assert names(window)[4] == "Filter 6" and bank.selected_index() == 4
    assert window.editor.filter().name == "Filter 6"
    settle(window)
    assert len(window.views.cells) == 12
    assert window.views.cell("conv", 3).title_text.startswith("Sobel x (2) — ")
    bank.delete_selected()
    assert bank.selected_index() == 4 and window.editor.filter().name == "Sobel y"
    bank.select(3)
    bank.delete_selected()
    assert names(window) == ["Vertical line", "Horizontal line", "Sobel x", "Sobel y"]
    settle(window)
    assert len(window.views.cells) == 8


def test_many_filters_fit_the_window_and_larger_maps_scroll(open_window, settle, qtbot):
    window = open_window()
    window.bank.select(3)
    for _ in range(8):
        window.bank.add_preset("gaussian_5")  # each goes after the selected (the new) one
    settle(window)
    views = window.views
    assert len(views.cells) == 24
    assert views.cell("conv", 11).title_text.startswith("Gaussian 5x5 8 — ")
    viewport = views.scroll_area.viewport()
    # Fitted: all 12 filters and their pooled maps in view, compact (no colour bars).
    assert views.map_size is None
    assert views.grid_widget.minimumHeight() <= viewport.height()
    cell = views.cell("conv", 11)
    assert cell.compact and cell.bar is not None and not cell.bar.isVisible()
    assert "…" in cell.shown_title and views.shown_map_size >= 64
    fitted = views.shown_map_size
    views.change_map_size(3)  # Ctrl++ three times: the maps grow and the grid scrolls
    assert views.map_size == round(fitted * 1.25 ** 3)
    assert views.shown_map_size > fitted
    assert views.grid_widget.minimumHeight() > viewport.height()
    views.reset_view()  # Ctrl+0: fitted again
    assert views.map_size is None and views.shown_map_size == fitted
    assert views.map_size_label.text() == f"{fitted} px"
    assert "fit the window" in views.map_size_label.toolTip()


def test_unchecking_a_filter_stops_computing_it(open_window, settle):
    window = open_window()
    window.bank.list.item(1).setCheckState(Qt.CheckState.Unchecked)
    result = settle(window).result.layers[0]
    assert result.filter_names == ("Vertical line", "Sobel x", "Sobel y")
    assert not window.session.pipeline.layers[0].filters[1].enabled
    assert len(window.views.cells) == 6


def test_inline_rename(open_window, qtbot, settle):
    window = open_window()
    bank = window.bank
    bank.select(0)
    bank.rename_action.trigger()
    editor = bank.list.findChild(QLineEdit)
    assert editor is not None and editor.text() == "Vertical line"
    editor.selectAll()
    qtbot.keyClicks(editor, "Column")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: names(window)[0] == "Column")
    assert window.editor.filter().name == "Column"
    settle(window)
    assert window.views.cell("conv", 0).title_text.startswith("Column — ")
    bank.list.item(1).setText("Column")  # a duplicate name gets a suffix
    assert names(window)[1] == "Column 2"
    bank.list.item(2).setText("   ")  # an empty name is refused
    assert names(window)[2] == "Sobel x" and bank.list.item(2).text() == "Sobel x"


def test_move_up_down_and_drop_reorder(open_window):
    window = open_window()
    bank = window.bank
    bank.select(0)
    assert not bank.up_action.isEnabled()
    bank.down_action.trigger()
    assert names(window)[:2] == ["Horizontal line", "Vertical line"]
    assert bank.selected_index() == 1
    bank.up_action.trigger()
    assert names(window)[:2] == ["Vertical line", "Horizontal line"]
    # What a drag-and-drop leaves behind: rows moved in the list, then the new order.
    item = bank.list.takeItem(3)
    bank.list.insertItem(0, item)
    bank.list.setCurrentRow(0)
    bank.list.sigOrderDropped.emit([bank.list.item(r).data(Qt.ItemDataRole.UserRole)
                                    for r in range(bank.list.count())])
    assert names(window) == ["Sobel y", "Vertical line", "Horizontal line", "Sobel x"]
    assert [bank.list.item(r).text() for r in range(4)] == names(window)
    window.menus.undo_action.trigger()
    assert names(window)[0] == "Vertical line"


def test_preset_menu_lists_every_preset_with_its_description(open_window):
    window = open_window()
    actions = window.bank.preset_menu.actions()
    assert [a.text() for a in actions] == [p.title for p in PRESETS.values()]
    assert [a.toolTip() for a in actions] == [p.description for p in PRESETS.values()]
    window.bank.select(0)
    actions[[p.key for p in PRESETS.values()].index("laplacian")].trigger()
    added = window.session.pipeline.layers[0].filters[1]
    assert added.name == "Laplacian"
    np.testing.assert_array_equal(added.weight[0], get_preset("laplacian").kernel)


def test_presets_in_rgb_mode_get_three_slices(open_window):
    window = open_window(image="sample:astronaut")
    window.params.input_mode.setCurrentIndex(window.params.input_mode.findData("rgb"))
    window.bank.add_preset("emboss")
    assert window.session.pipeline.layers[0].filters[-1].channels == 3


def test_empty_bank_shows_the_reason(open_window, settle):
    window = open_window()
    for _ in range(4):
        window.bank.delete_selected()
    settle(window)
    assert window.bank.list.count() == 0
    assert window.editor.filter() is None
    assert "no enabled filters" in window.views.error_banner.text()
    window.menus.undo_action.trigger()
    assert window.bank.list.count() == 1


def test_thumbnail_colours_follow_the_sign():
    rgba = kernel_rgba(np.array([[[-1.0, 0.0, 2.0]]]))
    assert rgba.shape == (1, 3, 4) and rgba.dtype == np.uint8
    blue, white, red = rgba[0]
    assert blue[2] > blue[0] and red[0] > red[2] and tuple(white[:3]) == (248, 248, 248)
    assert rgba[0, 0, 2] < 248  # half-strength negative is lighter than full red is dark
