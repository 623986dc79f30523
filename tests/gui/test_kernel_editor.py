import numpy as np
import pytest
from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QLineEdit, QVBoxLayout, QWidget

from workbench.core import PRESETS, Filter, preset_filter
from workbench.core.kernel_ops import parse_kernel_text
from workbench.gui.kernel_editor import (
    KernelEditor,
    cell_colours,
    display_text,
    not_a_number_message,
)

V_LINE = np.array([[0, 1, 0], [0, 1, 0], [0, 1, 0]], dtype=np.float32)
SOBEL_X = PRESETS["sobel_x"].kernel
RAMP = np.arange(1, 10, dtype=np.float32).reshape(3, 3)  # no symmetry: every edit shows
HINT = "type a value like -1, 0.5, 2e-3 or 1/9 (numbers, + - * / and parentheses)"


class Recorder:
    def __init__(self, editor: KernelEditor) -> None:
        self.filters: list[Filter] = []
        self.messages: list[str] = []
        editor.sigFilterEdited.connect(self.filters.append)
        editor.sigMessage.connect(self.messages.append)

    @property
    def last(self) -> Filter:
        assert self.filters, "no filter was emitted"
        return self.filters[-1]


@pytest.fixture
def editor(qtbot):
    ed = KernelEditor()
    qtbot.addWidget(ed)
    ed.resize(420, 420)
    ed.show()
    qtbot.waitExposed(ed)
    ed.activateWindow()
    return ed


def zero_filter(channels: int = 1, shape: tuple[int, int] = (3, 3), name: str = "f") -> Filter:
    return Filter(name, np.zeros((channels, *shape), dtype=np.float32))


def show(ed: KernelEditor, f: Filter, mode: str = "gray") -> Recorder:
    ed.set_filter(f, mode)
    rec = Recorder(ed)
    ed.grid.setFocus()
    ed.grid.setCurrentIndex(ed.grid.model().index(0, 0))
    return rec


def focus() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def type_keys(qtbot, keys) -> None:
    """Type into whatever has focus, as a user does: str chunks and Qt.Key values."""
    for key in keys:
        if isinstance(key, str):
            for ch in key:
                qtbot.keyClick(focus(), ch)
        else:
            qtbot.keyClick(focus(), key)


def cell(ed: KernelEditor, r: int, c: int):
    return ed.grid.model().index(r, c)


def select(ed: KernelEditor, top: int, left: int, bottom: int, right: int) -> None:
    sel = QItemSelection(cell(ed, top, left), cell(ed, bottom, right))
    ed.grid.selectionModel().select(sel, QItemSelectionModel.SelectionFlag.ClearAndSelect)


# ---------------------------------------------------------------- typing

def test_type_vertical_line_kernel_with_tab_and_enter(editor, qtbot):
    rec = show(editor, zero_filter())
    type_keys(qtbot, ["0", Qt.Key.Key_Tab, "1", Qt.Key.Key_Tab, "0", Qt.Key.Key_Tab,
                      "0", Qt.Key.Key_Tab, "1", Qt.Key.Key_Tab, "0", Qt.Key.Key_Tab,
                      "0", Qt.Key.Key_Tab, "1", Qt.Key.Key_Tab, "0", Qt.Key.Key_Return])
    # Typing a 0 over a 0 changes nothing: one emission per typed 1.
    assert len(rec.filters) == 3
    f = rec.last
    assert f.name == "f" and f.enabled and f.bias == 0.0
    assert f.weight.shape == (1, 3, 3) and f.weight.dtype == np.float32
    np.testing.assert_array_equal(f.weight[0], V_LINE)
    np.testing.assert_array_equal(editor.grid.model().values, V_LINE)
    assert editor.grid.currentIndex().row() == 2  # Enter on the last row stays there


def test_typing_replaces_content_and_enter_moves_down(editor, qtbot):
    rec = show(editor, Filter("f", RAMP))
    type_keys(qtbot, ["-0.0625", Qt.Key.Key_Return])
    assert rec.last.weight[0, 0, 0] == np.float32(-0.0625)
    assert (editor.grid.currentIndex().row(), editor.grid.currentIndex().column()) == (1, 0)
    type_keys(qtbot, ["2e-3", Qt.Key.Key_Enter])
    assert rec.last.weight[0, 1, 0] == np.float32(0.002)
    assert editor.grid.currentIndex().row() == 2
    assert len(rec.filters) == 2


def test_arrows_and_shift_tab_move_and_commit(editor, qtbot):
    rec = show(editor, zero_filter())
    type_keys(qtbot, [Qt.Key.Key_Right, Qt.Key.Key_Down, "7", Qt.Key.Key_Down])
    np.testing.assert_array_equal(rec.last.weight[0, :, 1], [0, 7, 0])
    assert (editor.grid.currentIndex().row(), editor.grid.currentIndex().column()) == (2, 1)
    type_keys(qtbot, ["3"])
    qtbot.keyClick(focus(), Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert rec.last.weight[0, 2, 1] == 3
    assert editor.grid.currentIndex().column() == 0


def test_fractions_and_arithmetic_are_typed_as_their_value(editor, qtbot):
    rec = show(editor, zero_filter())
    type_keys(qtbot, ["1/9", Qt.Key.Key_Tab, "-2*0.5", Qt.Key.Key_Tab, "(1+2)/3", Qt.Key.Key_Tab,
                      ".5", Qt.Key.Key_Tab, "1e-3", Qt.Key.Key_Return])
    w = rec.last.weight[0]
    assert w[0, 0] == np.float32(1 / 9), "1/9 must not become 19"
    np.testing.assert_array_equal(w[0, 1:], [-1.0, 1.0])
    assert w[1, 0] == np.float32(0.5) and w[1, 1] == np.float32(1e-3)


@pytest.mark.parametrize(("typed", "reason"), [
    ("1/0", "'1/0' divides by zero"),
    ("2**3", "'2**3' is not a number"),
    ("1e999", "'1e999' is not a finite number"),
])
def test_bad_arithmetic_is_refused_with_its_reason(editor, qtbot, typed, reason):
    rec = show(editor, Filter("f", RAMP))
    type_keys(qtbot, [typed, Qt.Key.Key_Return])
    assert isinstance(focus(), QLineEdit), "refused text stays in the editor to be fixed"
    assert rec.filters == [] and rec.messages[-1].startswith(reason)
    qtbot.keyClick(focus(), Qt.Key.Key_Escape)
    np.testing.assert_array_equal(editor.filter().weight[0], RAMP)


def test_paste_a_grid_of_fractions(editor):
    rec = show(editor, zero_filter())
    QApplication.clipboard().setText("1/9 1/9 1/9\n1/9 1/9 1/9\n1/9 1/9 (1+2)/27")
    editor.paste()
    np.testing.assert_allclose(rec.last.weight[0], np.full((3, 3), 1 / 9), rtol=1e-6)


def test_edit_mode_shows_the_exact_value(editor, qtbot):
    show(editor, Filter("f", np.full((3, 3), 1 / 3, dtype=np.float32)))
    qtbot.keyClick(editor.grid, Qt.Key.Key_F2)
    line = focus()
    assert isinstance(line, QLineEdit)
    assert np.float32(float(line.text())) == np.float32(1 / 3)
    assert editor.grid.model().index(0, 0).data() == "0.3333"


def test_letters_are_refused_with_a_hint(editor, qtbot):
    rec = show(editor, Filter("f", RAMP))
    qtbot.keyClicks(editor.grid, "abc")
    assert rec.filters == []
    assert rec.messages[0] == not_a_number_message("a") == f"'a' is not a number — {HINT}"
    np.testing.assert_array_equal(editor.grid.model().values, RAMP)
    assert not isinstance(focus(), QLineEdit), "no editor opened for a letter"


def test_letters_inside_the_cell_editor_are_refused(editor, qtbot):
    rec = show(editor, Filter("f", RAMP))
    type_keys(qtbot, ["4", "x"])
    line = focus()
    assert isinstance(line, QLineEdit) and line.text() == "4"
    assert rec.messages[-1] == f"'4x' is not a number — {HINT}"
    type_keys(qtbot, [Qt.Key.Key_Return])
    assert len(rec.filters) == 1 and rec.last.weight[0, 0, 0] == 4


def test_incomplete_number_keeps_the_editor_open(editor, qtbot):
    rec = show(editor, Filter("f", RAMP))
    type_keys(qtbot, ["-", Qt.Key.Key_Return])
    assert isinstance(focus(), QLineEdit), "'-' is not a value yet: keep editing"
    assert rec.filters == [] and "'-' is not a number" in rec.messages[-1]
    type_keys(qtbot, ["1e39", Qt.Key.Key_Return])
    assert rec.filters == [] and "too large" in rec.messages[-1]
    qtbot.keyClick(focus(), Qt.Key.Key_Escape)
    np.testing.assert_array_equal(editor.filter().weight[0], RAMP)


def test_delete_and_backspace_clear_selected_cells(editor, qtbot):
    rec = show(editor, Filter("f", RAMP))
    select(editor, 0, 0, 0, 2)
    qtbot.keyClick(editor.grid, Qt.Key.Key_Delete)
    assert len(rec.filters) == 1
    np.testing.assert_array_equal(rec.last.weight[0], [[0, 0, 0], [4, 5, 6], [7, 8, 9]])
    select(editor, 1, 1, 2, 1)
    qtbot.keyClick(editor.grid, Qt.Key.Key_Backspace)
    np.testing.assert_array_equal(rec.last.weight[0], [[0, 0, 0], [4, 0, 6], [7, 0, 9]])
    assert len(rec.filters) == 2


def test_undo_keys_reach_the_window_while_a_cell_is_edited(qtbot):
    window = QWidget()
    qtbot.addWidget(window)
    ed = KernelEditor()
    QVBoxLayout(window).addWidget(ed)
    triggered: list[str] = []
    for name, seq in (("undo", QKeySequence.StandardKey.Undo),
                      ("redo", QKeySequence("Ctrl+Shift+Z"))):
        action = QAction(name, window)
        action.setShortcut(seq)
        action.triggered.connect(lambda _=False, n=name: triggered.append(n))
        window.addAction(action)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: window.isActiveWindow())
    show(ed, Filter("f", RAMP))
    type_keys(qtbot, ["5"])
    line = focus()
    assert isinstance(line, QLineEdit)
    qtbot.keyClick(line, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(line, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    assert triggered == ["undo", "redo"]
    assert line.text() == "5", "the cell editor did not undo its own typing"
    qtbot.keyClick(line, Qt.Key.Key_Escape)
    ed.grid.setFocus()
    qtbot.keyClick(ed.grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert triggered == ["undo", "redo", "undo"]
    for spin in (ed.bias_spin, ed.rows_spin, ed.scale_spin):
        spin.setFocus()
        spin.lineEdit().selectAll()
        qtbot.keyClicks(spin.lineEdit(), "3")
        qtbot.keyClick(spin.lineEdit(), Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        assert triggered[-1] == "undo" and len(triggered) == 4
        assert spin.lineEdit().text().endswith("3"), "the spin box kept its text"
        triggered.pop()


# ---------------------------------------------------------------- size

def test_resize_3x3_to_5x4_keeps_the_centre(editor):
    rec = show(editor, Filter("f", RAMP))
    editor.rows_spin.setValue(5)
    editor.cols_spin.setValue(4)
    assert len(rec.filters) == 2
    w = rec.last.weight[0]
    assert w.shape == (5, 4)
    np.testing.assert_array_equal(w[1:4, 0:3], RAMP)
    assert w[2, 1] == 5  # centre tap of 5x4 is ((5-1)//2, (4-1)//2)
    assert w.sum() == RAMP.sum()
    assert editor.grid.model().rowCount() == 5 and editor.grid.model().columnCount() == 4


def test_resize_down_to_1x1_and_up_to_15x15(editor):
    rec = show(editor, Filter("f", RAMP))
    editor.resize_kernel(1, 1)
    np.testing.assert_array_equal(rec.last.weight, [[[5]]])
    editor.resize_kernel(15, 15)
    assert rec.last.weight.shape == (1, 15, 15) and rec.last.weight[0, 7, 7] == 5
    assert editor.rows_spin.maximum() == 15 and editor.rows_spin.minimum() == 1
    assert editor.rows_spin.value() == 15 and len(rec.filters) == 2


# ---------------------------------------------------------------- clipboard

def test_paste_numpy_printed_block(editor, qtbot):
    rec = show(editor, zero_filter())
    QApplication.clipboard().setText(str(np.array(SOBEL_X)))  # "[[-1.  0.  1.]\n [-2. ..."
    qtbot.keyClick(editor.grid, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert len(rec.filters) == 1
    np.testing.assert_array_equal(rec.last.weight[0], SOBEL_X)


def test_paste_block_of_another_size_resizes(editor):
    rec = show(editor, zero_filter(3), "rgb")
    editor.same_check.setChecked(False)
    editor.set_channel(1)
    QApplication.clipboard().setText("1, 2, 3, 4, 5\n6 7 8 9 10\n")
    editor.paste()
    w = rec.last.weight
    assert w.shape == (3, 2, 5)
    np.testing.assert_array_equal(w[1], [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]])
    assert not w[0].any() and not w[2].any()


def test_paste_3d_block_fills_all_channels(editor):
    rec = show(editor, zero_filter(3), "rgb")
    block = np.stack([SOBEL_X, SOBEL_X.T, -SOBEL_X])
    QApplication.clipboard().setText(repr(block))
    editor.paste()
    np.testing.assert_array_equal(rec.last.weight, block)
    assert not editor.same_check.isChecked(), "slices now differ"


def test_paste_single_value_fills_selected_cells(editor):
    rec = show(editor, zero_filter())
    select(editor, 1, 0, 1, 2)
    QApplication.clipboard().setText("0.25")
    editor.paste()
    np.testing.assert_array_equal(rec.last.weight[0], [[0, 0, 0], [0.25] * 3, [0, 0, 0]])


@pytest.mark.parametrize(("text", "message"), [
    ("1 2 3\n4 5", "cannot paste: row 2 has 2 values, expected 3"),
    ("hello", "cannot paste: 'hello' is not a number"),
    ("[[[1]], [[2]]]", "cannot paste: the block has 2 channels, this filter has 1"),
])
def test_bad_paste_changes_nothing(editor, text, message):
    rec = show(editor, Filter("f", RAMP))
    QApplication.clipboard().setText(text)
    editor.paste()
    assert rec.filters == [] and rec.messages == [message]


def test_copy_whole_slice_parses_back(editor, qtbot):
    f = Filter("f", np.array([[0.1, -0.0625, 1 / 3], [2, 1e-5, -7]], dtype=np.float32))
    rec = show(editor, f)
    qtbot.keyClick(editor.grid, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    text = QApplication.clipboard().text()
    assert text.startswith("[[")
    np.testing.assert_array_equal(parse_kernel_text(text), f.weight[0])
    assert rec.filters == [] and rec.messages == ["copied the 2×3 kernel"]


def test_copy_selection(editor, qtbot):
    show(editor, Filter("f", RAMP))
    select(editor, 1, 1, 2, 2)
    qtbot.keyClick(editor.grid, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    np.testing.assert_array_equal(parse_kernel_text(QApplication.clipboard().text()),
                                  [[5, 6], [8, 9]])


# ---------------------------------------------------------------- toolbar actions

def test_normalise(editor):
    rec = show(editor, Filter("f", [[1, 2, 1], [2, 4, 2], [1, 2, 1]]))
    editor.edit_actions["normalise"].trigger()
    assert len(rec.filters) == 1
    np.testing.assert_array_equal(rec.last.weight[0, 1], [0.125, 0.25, 0.125])
    assert editor.sum_label.text() == "sum = 1"


def test_normalise_zero_sum_shows_message_and_changes_nothing(editor):
    rec = show(editor, Filter("f", SOBEL_X))
    editor.edit_actions["normalise"].trigger()
    assert rec.filters == []
    assert rec.messages[0].startswith("cannot normalise: the weights sum to 0")
    np.testing.assert_array_equal(editor.filter().weight[0], SOBEL_X)


@pytest.mark.parametrize(("key", "expected"), [
    ("transpose", RAMP.T),
    ("rotate", np.rot90(RAMP)),
    ("flip_h", RAMP[:, ::-1]),
    ("flip_v", RAMP[::-1, :]),
    ("zero", np.zeros((3, 3))),
])
def test_geometry_and_zero_actions(editor, qtbot, key, expected):
    rec = show(editor, Filter("f", RAMP, bias=0.5, enabled=False))
    editor.edit_actions[key].trigger()
    assert len(rec.filters) == 1
    f = rec.last
    assert (f.name, f.bias, f.enabled) == ("f", 0.5, False)
    np.testing.assert_array_equal(f.weight[0], expected)


def test_toolbar_button_click(editor, qtbot):
    from PySide6.QtWidgets import QToolButton

    rec = show(editor, Filter("f", RAMP))
    button = next(b for b in editor.findChildren(QToolButton) if b.text() == "Transpose")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    np.testing.assert_array_equal(rec.last.weight[0], RAMP.T)


def test_rotate_rectangular_kernel_updates_the_size(editor):
    rec = show(editor, Filter("f", np.ones((2, 5), np.float32)))
    editor.rotate()
    assert rec.last.weight.shape == (1, 5, 2)
    assert (editor.rows_spin.value(), editor.cols_spin.value()) == (5, 2)


def test_scale_by_the_factor_box(editor):
    rec = show(editor, Filter("f", SOBEL_X))
    editor.scale_spin.setValue(-0.5)
    editor.edit_actions["scale"].trigger()
    np.testing.assert_array_equal(rec.last.weight[0], SOBEL_X * -0.5)
    assert editor.scale_spin.text() == "× -0.5"


def test_random_is_he_uniform(editor):
    rec = show(editor, zero_filter(3, (5, 5)), "rgb")
    editor.same_check.setChecked(False)
    editor.edit_actions["random"].trigger()
    w = rec.last.weight
    limit = np.sqrt(6 / 75)
    assert np.abs(w[0]).max() <= limit and np.abs(w[0]).max() > 0.5 * limit
    assert len(np.unique(w[0])) == 25
    assert not w[1].any(), "only the slice shown"


def test_preset_menu_fills_and_resizes(editor):
    rec = show(editor, zero_filter())
    titles = [a.text() for a in editor.preset_menu.actions()]
    assert titles == [p.title for p in PRESETS.values()]
    gabor = next(a for a in editor.preset_menu.actions() if a.text() == "Gabor 7x7")
    assert gabor.toolTip().startswith(PRESETS["gabor"].description)
    gabor.trigger()
    assert len(rec.filters) == 1
    np.testing.assert_array_equal(rec.last.weight[0], PRESETS["gabor"].kernel)
    assert editor.rows_spin.value() == 7


def test_every_action_emits_once(editor):
    editor.set_filter(Filter("f", RAMP), "gray")
    rec = Recorder(editor)
    QApplication.clipboard().setText("1 2\n3 4")
    for key in ("normalise", "scale", "transpose", "flip_h", "flip_v", "rotate", "random",
                "paste", "zero"):
        before = len(rec.filters)
        editor.edit_actions[key].trigger()
        assert len(rec.filters) == before + 1, key
    editor.load_preset("sharpen")
    assert len(rec.filters) == 10
    editor.edit_actions["zero"].trigger()
    assert len(rec.filters) == 11
    editor.edit_actions["zero"].trigger()  # zeroing zeros changes nothing: no emission
    assert len(rec.filters) == 11


# ---------------------------------------------------------------- channels

def test_rgb_same_for_all_edits_every_slice(editor, qtbot):
    rec = show(editor, preset_filter("sobel_x", 3), "rgb")
    assert [editor.channel_tabs.tabText(i) for i in range(3)] == ["R", "G", "B"]
    assert editor.same_check.isChecked(), "identical slices start linked"
    type_keys(qtbot, ["9", Qt.Key.Key_Return])
    w = rec.last.weight
    assert len(rec.filters) == 1
    assert (w[:, 0, 0] == 9).all()
    np.testing.assert_array_equal(w[0], w[1])
    np.testing.assert_array_equal(w[0], w[2])


def test_rgb_without_same_edits_only_the_current_slice(editor, qtbot):
    rec = show(editor, preset_filter("sobel_x", 3), "rgb")
    editor.same_check.setChecked(False)
    assert rec.filters == [], "unticking changes no weights"
    editor.set_channel(1)
    assert editor.current_channel() == 1
    editor.grid.setFocus()
    editor.grid.setCurrentIndex(cell(editor, 0, 0))
    type_keys(qtbot, ["9", Qt.Key.Key_Return])
    w = rec.last.weight
    assert w[1, 0, 0] == 9
    np.testing.assert_array_equal(w[0], SOBEL_X)
    np.testing.assert_array_equal(w[2], SOBEL_X)
    assert "sum = 10" in editor.sum_label.text() and "all = 10" in editor.sum_label.text()


def test_ticking_same_copies_the_current_slice(editor):
    f = Filter("f", np.stack([SOBEL_X, SOBEL_X.T, np.zeros((3, 3))]))
    rec = show(editor, f, "rgb")
    assert not editor.same_check.isChecked()
    editor.set_channel(1)
    np.testing.assert_array_equal(editor.grid.model().values, SOBEL_X.T)
    editor.same_check.setChecked(True)
    assert len(rec.filters) == 1
    np.testing.assert_array_equal(rec.last.weight, np.stack([SOBEL_X.T] * 3))


def test_deeper_inputs_are_named_channel_k(editor):
    show(editor, zero_filter(4), "maps")
    assert [editor.channel_tabs.tabText(i) for i in range(4)] == [
        "channel 1", "channel 2", "channel 3", "channel 4"]
    show(editor, zero_filter(1))
    assert not editor.channel_row.isVisible()


# ---------------------------------------------------------------- set_filter and bias

def test_set_filter_emits_nothing(editor, qtbot):
    with qtbot.assertNotEmitted(editor.sigFilterEdited):
        with qtbot.assertNotEmitted(editor.sigMessage):
            editor.set_filter(preset_filter("sobel_x", 3), "rgb")
            editor.set_filter(Filter("g", np.ones((1, 5, 4)), bias=-2.5), "gray")
            editor.set_filter(Filter("g", np.ones((1, 2, 2)), bias=1.0), "gray")
            editor.set_filter(None, "gray")
            editor.set_filter(preset_filter("gabor", 3), "rgb")
    assert editor.rows_spin.value() == 7


def test_none_shows_an_empty_disabled_editor(editor):
    editor.set_filter(None, "gray")
    assert editor.grid.model().rowCount() == 0
    assert not editor.grid.isEnabled() and not editor.bias_spin.isEnabled()
    assert not any(a.isEnabled() for a in editor.edit_actions.values())
    rec = Recorder(editor)
    editor.paste()
    editor.normalise()
    assert rec.filters == []


def test_undo_by_set_filter_restores_the_view(editor, qtbot):
    rec = show(editor, Filter("f", RAMP))
    editor.transpose()
    editor.set_filter(Filter("f", RAMP), "gray")  # the window undoes
    np.testing.assert_array_equal(editor.grid.model().values, RAMP)
    assert editor.filter() == Filter("f", RAMP) and len(rec.filters) == 1


def test_bias_edit_emits(editor, qtbot):
    rec = show(editor, Filter("f", SOBEL_X, bias=0.0))
    line = editor.bias_spin.lineEdit()
    editor.bias_spin.setFocus()
    line.selectAll()
    qtbot.keyClicks(line, "0.5")
    assert rec.filters == [], "no emission while typing"
    qtbot.keyClick(line, Qt.Key.Key_Return)
    assert len(rec.filters) == 1
    assert rec.last.bias == 0.5
    np.testing.assert_array_equal(rec.last.weight[0], SOBEL_X)
    assert editor.bias_spin.text() == "0.5"


# ---------------------------------------------------------------- looks

def test_cell_tints_are_diverging(editor):
    show(editor, Filter("f", SOBEL_X))
    model = editor.grid.model()
    neg = model.index(1, 0).data(Qt.ItemDataRole.BackgroundRole).color()
    pos = model.index(1, 2).data(Qt.ItemDataRole.BackgroundRole).color()
    zero = model.index(1, 1).data(Qt.ItemDataRole.BackgroundRole).color()
    assert neg.blue() > 150 and neg.red() < 100  # -2 of max 2: saturated blue
    assert pos.red() > 150 and pos.blue() < 100
    assert min(zero.red(), zero.green(), zero.blue()) > 240
    light_neg = model.index(0, 0).data(Qt.ItemDataRole.BackgroundRole).color()
    assert light_neg.blue() > light_neg.red() > neg.red()  # -1: paler blue
    # readable text: white on saturated cells, dark on pale ones
    assert model.index(1, 0).data(Qt.ItemDataRole.ForegroundRole).color().lightness() > 200
    assert model.index(1, 1).data(Qt.ItemDataRole.ForegroundRole).color().lightness() < 60


def test_cell_colours_and_text_helpers():
    bg, fg = cell_colours(0.0, 0.0)
    assert bg.red() == bg.green() == bg.blue()
    bg, fg = cell_colours(-3.0, 1.0)  # clipped to full blue
    assert (bg.red(), bg.green(), bg.blue()) == (30, 80, 200) and fg.lightness() == 255
    assert display_text(-0.0625) == "-0.0625"
    assert display_text(1 / 9) == "0.1111"
    assert display_text(-0.0) == "0"


def test_tooltip_is_exact(editor):
    show(editor, Filter("f", np.full((3, 3), 1 / 3, np.float32)))
    tip = editor.grid.model().index(1, 1).data(Qt.ItemDataRole.ToolTipRole)
    assert tip == "row 1, column 1 (centre tap): 0.33333334"


@pytest.mark.parametrize(("key", "mode", "channels", "width"), [
    ("sobel_x", "gray", 1, 360),
    ("gabor", "rgb", 3, 560),
    ("gabor", "rgb", 3, 360),
])
def test_renders_without_cramped_cells(qtbot, key, mode, channels, width, tmp_path):
    ed = KernelEditor()
    qtbot.addWidget(ed)
    ed.set_filter(preset_filter(key, channels), mode)
    ed.resize(width, max(ed.heightForWidth(width), ed.minimumSizeHint().height()))
    ed.show()
    qtbot.waitExposed(ed)
    image = ed.grab()
    assert image.width() == width
    assert image.save(str(tmp_path / f"kernel_editor_{key}_{width}.png"))
    metrics = ed.grid.fontMetrics()
    cell = ed.grid.cell_size()
    assert cell.width() >= metrics.horizontalAdvance("-0.0625") + 8
    assert cell.height() >= metrics.height() + 6
    groups = ed.tool_area.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
    assert len(groups) == 4  # value edits, presets + clipboard, frequency switch, geometry
    for group in groups:
        assert ed.tool_area.rect().contains(group.geometry()), "toolbar group clipped"
    if width >= 560:
        assert not ed.grid.horizontalScrollBar().isVisible(), "a 7x7 grid fits in 560 px"


def test_set_filter_while_editing_drops_the_typed_text(editor, qtbot):
    rec = show(editor, Filter("f", RAMP))
    type_keys(qtbot, ["42"])
    assert isinstance(focus(), QLineEdit)
    editor.set_filter(Filter("g", SOBEL_X), "gray")  # e.g. the window undid or switched
    qtbot.wait(10)
    assert editor.grid.state() != editor.grid.State.EditingState
    assert not isinstance(focus(), QLineEdit)
    assert rec.filters == []
    np.testing.assert_array_equal(editor.grid.model().values, SOBEL_X)


def test_window_echoing_every_edit_back(editor, qtbot):
    """The window answers each edit with set_filter, inside the emission."""
    editor.set_filter(preset_filter("sobel_x", 3), "rgb")
    seen: list[Filter] = []

    def window_applies(f: Filter) -> None:
        seen.append(f)
        editor.set_filter(f, "rgb")

    editor.sigFilterEdited.connect(window_applies)
    editor.grid.setFocus()
    editor.grid.setCurrentIndex(cell(editor, 0, 0))
    type_keys(qtbot, ["5", Qt.Key.Key_Tab, "6", Qt.Key.Key_Return])
    editor.rows_spin.setValue(4)
    editor.transpose()
    assert len(seen) == 4
    assert seen[-1].weight.shape == (3, 3, 4)
    assert editor.filter() == seen[-1]
    np.testing.assert_array_equal(seen[1].weight[:, 0, :2], [[5, 6]] * 3)


def test_window_renaming_inside_the_emission(editor, qtbot):
    """A window that answers with a different filter mid-commit must not break editing."""
    from dataclasses import replace

    editor.set_filter(Filter("f", RAMP), "gray")
    editor.sigFilterEdited.connect(
        lambda f: editor.set_filter(replace(f, name=f.name + "'"), "gray"))
    editor.grid.setFocus()
    editor.grid.setCurrentIndex(cell(editor, 0, 0))
    type_keys(qtbot, ["7", Qt.Key.Key_Return, "8", Qt.Key.Key_Return])
    f = editor.filter()
    assert f.name == "f''"
    np.testing.assert_array_equal(f.weight[0, :2, 0], [7, 8])
