"""What a new user does first, driven through the real window: menus, layout, odd settings."""

from collections import Counter

import cv2
import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QShortcut
from PySide6.QtWidgets import QMenu, QSpinBox, QWidget

from workbench.core import run_pipeline


def _spins(pair):
    return pair.findChildren(QSpinBox)


def _set_pair(pair, value):
    for spin in _spins(pair):
        spin.setValue(value)


def _choose(combo, data):
    index = combo.findData(data)
    assert index >= 0, data
    combo.setCurrentIndex(index)


def test_recent_menu_is_usable_after_the_first_image(open_window, tmp_path):
    window = open_window()
    assert not window.menus.recent_menu.isEnabled()  # nothing opened yet
    path = tmp_path / "first.png"
    assert cv2.imwrite(str(path), np.zeros((8, 8), np.uint8))
    assert window.open_image(path)
    # Without showing the menu first: a disabled menu never shows, so it must refill itself.
    assert window.menus.recent_menu.isEnabled()
    assert [a.text() for a in window.menus.recent_menu.actions()][0] == "first.png"


def test_a_long_kernel_row_fits_without_a_scroll_bar(open_window, qapp):
    window = open_window()
    window.editor.cols_spin.setValue(9)
    window.editor.rows_spin.setValue(1)
    qapp.processEvents()
    grid = window.editor.grid
    assert grid.model().columnCount() == 9
    assert grid.width() <= window.editor.width()
    assert not grid.horizontalScrollBar().isVisible()
    assert grid.viewport().width() >= 9 * grid.cell_size().width()


def test_the_kernel_pane_does_not_leave_a_gap_under_the_editor(open_window):
    window = open_window()
    layers_height, bank_height, kernel_height = window.left_splitter.sizes()
    assert 40 < layers_height < 200  # the layer strip: its list, buttons and shapes
    grid = window.editor.grid
    # Room for the wrapped tool buttons and a 7x7 kernel, not much more; the bank gets the rest.
    assert kernel_height < 520
    assert bank_height > kernel_height
    assert not grid.verticalScrollBar().isVisible()
    assert not grid.horizontalScrollBar().isVisible()


def test_a_single_filter_gets_large_maps(open_window, settle, qapp):
    window = open_window(image="sample:astronaut")
    while len(window.bank.filters) > 1:
        window.bank.select(1)
        window.bank.delete_selected()
    settle(window)
    qapp.processEvents()
    conv, pooled = window.views.cell("conv"), window.views.cell("pooled")
    viewport = window.views.scroll_area.viewport()
    # The map and its pooled map stack, each as wide as the grid, instead of two half-width
    # cells with empty space below them.
    assert conv.width() > 0.9 * viewport.width()
    assert pooled.geometry().top() >= conv.geometry().bottom()
    assert conv.height() + pooled.height() > 0.9 * viewport.height()
    assert window.views.grid_widget.minimumHeight() <= viewport.height()


def test_help_has_about_and_a_shortcut_list_and_shortcuts_are_unique(open_window, qapp):
    window = open_window()
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    titles = [a.text() for a in help_menu.actions()]
    assert titles == ["&Guide", "Keyboard shortcuts", "About Conv Workbench"]
    help_menu.actions()[2].trigger()
    assert window.help.info_box.isVisible()
    assert "Conv Workbench 0.1" in window.help.info_box.text()
    help_menu.actions()[1].trigger()
    qapp.processEvents()
    text = window.help.info_box.text()
    for name, keys in [("Open image", "Ctrl+O"), ("Undo", "Ctrl+Z"), ("Quit", "Ctrl+Q")]:
        assert (name, keys) in window.help.shortcut_list()
        assert name in text and keys in text
    window.close()  # closes the box with the window
    qapp.processEvents()
    assert window.help.info_box is None

    keys = [k.toString() for a in window.findChildren(QAction) for k in a.shortcuts()]
    # A key may serve several panels when each shortcut works only inside its own panel
    # (Esc in the maps, the step-through bar, the classroom bar) and the panels are apart.
    scoped: dict[str, list[QWidget]] = {}
    for shortcut in window.findChildren(QShortcut):
        if shortcut.context() == Qt.ShortcutContext.WidgetWithChildrenShortcut:
            scoped.setdefault(shortcut.key().toString(), []).append(shortcut.parent())
        else:
            keys.append(shortcut.key().toString())
    assert [k for k, n in Counter(keys).items() if n > 1] == []
    for key, panels in scoped.items():
        assert key not in keys, f"{key} is also a window-wide shortcut"
        for a in panels:
            for b in panels:
                assert a is b or not (a.isAncestorOf(b) or b.isAncestorOf(a)), key


def test_every_menu_command_explains_itself(open_window):
    window = open_window()
    for menu in window.menuBar().findChildren(QMenu):
        for action in menu.actions():
            if action.isSeparator() or action.menu() is not None:
                continue
            assert action.statusTip() or action.toolTip() != action.text().replace("&", ""), \
                f"{menu.title()} > {action.text()} has no tooltip"
    assert window.menus.colormap_actions[window.views.options.colormap].isChecked()
    window.menus.scale_actions["symmetric"].trigger()
    window.menus.colormap_actions["viridis"].trigger()
    assert window.views.options.mode == "symmetric"
    assert window.views.options.colormap == "viridis"
    window.views.colormap_combo.setCurrentIndex(window.views.colormap_combo.findData("gray"))
    assert window.menus.colormap_actions["gray"].isChecked()
    assert not window.menus.colormap_actions["viridis"].isChecked()


def test_odd_parameters_and_impossible_ones_keep_the_last_result(open_window, settle):
    window = open_window(image="sample:camera")
    params = window.params
    _set_pair(params.stride, 2)
    _set_pair(params.dilation, 2)
    outcome = settle(window)
    assert outcome.result.layers[0].activated[0].shape == (254, 254)

    _choose(params.padding_kind, "same")  # same with stride 2: refused, in place
    settle(window)
    assert "same" in params.error_text and "stride" in params.error_text
    assert window.views.error_banner.isVisible()
    assert window.session.result is outcome

    _set_pair(params.stride, 1)
    window.editor.rows_spin.setValue(4)
    window.editor.cols_spin.setValue(4)  # an even kernel with padding "same"
    for mode in ("reflect", "circular"):
        _choose(params.padding_mode, mode)
        assert settle(window).result.layers[0].activated[0].shape == (512, 512)
    assert params.error_text == ""
    _choose(params.activation, "leaky_relu")
    params.slope.setValue(0.2)
    _choose(params.pool_kind, "avg")
    _set_pair(params.pool_size, 3)
    _set_pair(params.pool_padding, 1)
    params.ceil_mode.setChecked(True)
    good = settle(window)
    assert good.result.layers[0].pooled[0].shape == (171, 171)
    assert good.pipeline.layers[0].negative_slope == pytest.approx(0.2)

    _set_pair(params.pool_padding, 2)  # more than half the window
    settle(window)
    assert "half" in params.error_text
    assert window.session.result is good
    _set_pair(params.pool_padding, 0)
    _choose(params.pool_kind, "global_max")
    assert settle(window).result.layers[0].pooled[0].shape == (1, 1)

    window.open_sample("digit_one_4x4")
    _choose(params.padding_kind, "valid")
    window.editor.rows_spin.setValue(7)
    window.editor.cols_spin.setValue(7)
    last = settle(window)
    assert "smaller than the dilated kernel" in params.error_text
    assert window.views.error_banner.isVisible()
    assert last is window.session.result and last.result is not None

    while window.session.can_undo:  # every step undoes, back to the start
        window.menus.undo_action.trigger()
    assert window.session.pipeline.layers[0].stride == (1, 1)
    assert window.session.pipeline.layers[0].pool.kind == "max"


def test_hover_reads_the_numbers_the_core_computes(open_window, settle):
    window = open_window(image="sample:chelsea")
    _choose(window.params.input_mode, "rgb")
    _choose(window.params.activation, "leaky_relu")
    outcome = settle(window)
    reference = run_pipeline(window.session.tensor, window.session.pipeline).layers[0]
    for stage, maps, (row, col) in (("conv", reference.activated, (100, 200)),
                                    ("pooled", reference.pooled, (40, 70))):
        for index, expected in enumerate(maps):
            text = window.views.hover(window.views.cell(stage, index).key, row, col)
            value = float(text.split("value ")[1].split()[0])
            assert value == pytest.approx(float(expected[row, col]), abs=5e-4, rel=1e-3)
    assert outcome.result.input.shape[0] == 3


def test_the_default_bank_fits_the_default_window(open_window, qapp):
    window = open_window(image="sample:astronaut")
    qapp.processEvents()
    views = window.views
    assert len(views.cells) == 8
    assert views.grid_widget.minimumHeight() <= views.scroll_area.viewport().height()
    assert not views.scroll_area.verticalScrollBar().isVisible()
