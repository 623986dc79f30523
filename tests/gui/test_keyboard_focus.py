"""Keyboard travel through the window: Tab leaves the kernel grid, Alt+1..4 jump to panels."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit

from workbench.gui.actions.menus import FOCUS_TARGETS


def focused():
    return QApplication.focusWidget()


def current(grid):
    index = grid.currentIndex()
    return index.row(), index.column()


def start_in_grid(window, qtbot, row, col):
    window.activateWindow()
    grid = window.editor.grid
    grid.setFocus()
    grid.setCurrentIndex(grid.model().index(row, col))
    qtbot.waitUntil(lambda: focused() is grid, timeout=2000)
    return grid


def test_tab_after_the_last_cell_goes_to_the_bias_then_the_parameters(open_window, qtbot):
    window = open_window()
    grid = start_in_grid(window, qtbot, 2, 1)
    qtbot.keyClick(grid, Qt.Key.Key_Tab)
    assert focused() is grid and current(grid) == (2, 2)
    qtbot.keyClick(grid, Qt.Key.Key_Tab)  # past the last cell: out, not back to (0, 0)
    bias = window.editor.bias_spin
    assert focused() in (bias, bias.lineEdit()), f"focus went to {focused()!r}"
    qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    assert window.params.isAncestorOf(focused()), f"focus went to {focused()!r}"


def test_typing_then_tab_on_the_last_cell_commits_and_leaves(open_window, qtbot):
    window = open_window()
    grid = start_in_grid(window, qtbot, 2, 2)
    for ch in "1/4":
        qtbot.keyClick(focused(), ch)
    assert isinstance(focused(), QLineEdit)
    qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    f = window.session.pipeline.layers[0].filters[window.session.selection.filter]
    assert f.weight[0, 2, 2] == pytest.approx(0.25)
    bias = window.editor.bias_spin
    assert focused() in (bias, bias.lineEdit())
    assert current(grid) == (2, 2)


def test_shift_tab_before_the_first_cell_leaves_backwards(open_window, qtbot):
    window = open_window()
    grid = start_in_grid(window, qtbot, 0, 1)
    qtbot.keyClick(grid, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert focused() is grid and current(grid) == (0, 0)
    qtbot.keyClick(grid, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert focused() is not grid and not grid.isAncestorOf(focused())
    assert current(grid) == (0, 0), "it did not wrap to the last cell"


def test_ctrl_tab_leaves_the_grid_from_any_cell(open_window, qtbot):
    window = open_window()
    grid = start_in_grid(window, qtbot, 1, 1)
    qtbot.keyClick(grid, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    bias = window.editor.bias_spin
    assert focused() in (bias, bias.lineEdit())
    assert current(grid) == (1, 1)


@pytest.mark.parametrize(("number", "name"), list(enumerate(FOCUS_TARGETS, start=1)))
def test_alt_number_moves_the_focus_to_a_panel(open_window, qtbot, number, name):
    window = open_window()
    window.activateWindow()
    action = window.menus.focus_actions[name]
    assert action.shortcut().toString() == f"Alt+{number}"
    other = window.editor.bias_spin if name != "kernel" else window.bank.list
    other.setFocus()
    qtbot.waitUntil(lambda: focused() is not None, timeout=2000)
    action.trigger()
    expected = {"bank": window.bank.list, "kernel": window.editor.grid,
                "parameters": None, "maps": window.views.scroll_area}[name]
    if expected is None:
        assert window.params.isAncestorOf(focused())
    else:
        assert focused() is expected
    listed = dict(window.help.shortcut_list())
    assert listed[action.text().replace("&", "")] == f"Alt+{number}"


def test_focus_shortcuts_do_not_clash(open_window):
    window = open_window()
    seen = {}
    for action in window.findChildren(type(window.menus.undo_action)):
        for key in action.shortcuts():
            text = key.toString()
            if text and action.isEnabled():
                assert seen.setdefault(text, action) is action or \
                    seen[text].text() == action.text(), f"{text} is taken twice"
