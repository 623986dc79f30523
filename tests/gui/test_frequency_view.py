"""The kernel editor's frequency response: the drawn picture against numpy's FFT, its caption,
the layer's dilation, the cache and the remembered show/hide switch."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from workbench.core import PRESETS, Filter, default_pipeline
from workbench.gui.kernel_editor import KernelEditor
from workbench.gui.kernel_editor.editor import FREQUENCY_SHOWN_KEY
from workbench.gui.kernel_editor.frequency_view import DFT_SIZE, describe_response, fold_note
from workbench.gui.settings import (
    WorkbenchSettings,
    load_widget_flag,
    save_settings,
    save_widget_flag,
)
from workbench.session import Session
from workbench.session.edits import replace_filters, replace_layer

LAPLACIAN = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], np.float32)


def numpy_response(kernel: np.ndarray, dilation: tuple[int, int] = (1, 1)) -> np.ndarray:
    """The oracle: spread the taps by hand, then numpy's zero-padded, centred |DFT|."""
    kernel = np.asarray(kernel, np.float64)
    dy, dx = dilation
    spread = np.zeros(((kernel.shape[0] - 1) * dy + 1, (kernel.shape[1] - 1) * dx + 1))
    spread[::dy, ::dx] = kernel
    return np.abs(np.fft.fftshift(np.fft.fft2(spread, (DFT_SIZE, DFT_SIZE))))


def shown(editor: KernelEditor) -> np.ndarray:
    """The array the image item draws."""
    image = editor.frequency.image.image
    assert image is not None, "nothing is drawn"
    assert image.dtype == np.float32 and image.shape == (DFT_SIZE, DFT_SIZE)
    return image


def caption(editor: KernelEditor) -> str:
    return editor.frequency.caption.text()


@pytest.fixture
def session() -> Session:
    pipeline = replace_filters(default_pipeline(), 0,
                               [Filter("f", np.zeros((1, 3, 3), np.float32))])
    return Session(pipeline)


@pytest.fixture
def editor(qtbot, session):
    ed = KernelEditor(session)
    qtbot.addWidget(ed)
    ed.resize(420, 560)
    ed.show()
    qtbot.waitExposed(ed)
    ed.activateWindow()
    return ed


def set_kernel(session: Session, kernel: np.ndarray) -> None:
    k = np.asarray(kernel, np.float32)
    session.set_pipeline(replace_filters(session.pipeline, 0,
                                         [Filter("f", k.reshape(1, *k.shape[-2:]))]))


def set_dilation(session: Session, dilation: tuple[int, int]) -> None:
    session.set_pipeline(replace_layer(session.pipeline, 0, dilation=dilation))


def type_in_grid(qtbot, editor: KernelEditor, values: list[str]) -> None:
    """Type the values into the grid from the top-left cell, Tab after each."""
    editor.grid.setFocus()
    editor.grid.setCurrentIndex(editor.grid.model().index(0, 0))
    for text in values:
        for ch in text:
            qtbot.keyClick(QApplication.focusWidget(), ch)
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)


def test_typed_weights_redraw_the_response_as_numpy_computes_it(qtbot, editor, session):
    assert editor.frequency.isVisible() and editor.frequency.picture_shown()
    assert editor.frequency_button.isChecked()
    np.testing.assert_array_equal(shown(editor), np.zeros((DFT_SIZE, DFT_SIZE)))
    assert caption(editor).startswith("zero kernel")

    typed = ["1", "2", "3", "-4", "5", "0.5", "7", "8", "-1/9"]
    type_in_grid(qtbot, editor, typed)
    kernel = np.array([1, 2, 3, -4, 5, 0.5, 7, 8, -1 / 9], np.float32).reshape(3, 3)
    np.testing.assert_array_equal(session.pipeline.layers[0].filters[0].weight[0], kernel)
    expected = numpy_response(kernel)
    np.testing.assert_allclose(shown(editor), expected, rtol=1e-5, atol=1e-5)
    assert editor.frequency.image.levels == pytest.approx([0.0, expected.max()], rel=1e-5)
    # zero frequency (a flat area) sits in the middle with gain = the sum of the weights
    assert shown(editor)[DFT_SIZE // 2, DFT_SIZE // 2] == pytest.approx(kernel.sum(), rel=1e-5)

    # one more cell typed: the picture follows at once
    editor.grid.setCurrentIndex(editor.grid.model().index(1, 1))
    qtbot.keyClick(editor.grid, "0")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    kernel[1, 1] = 0
    np.testing.assert_allclose(shown(editor), numpy_response(kernel), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(("key", "words"), [
    ("box_blur_3", "low-pass: passes smooth areas (blur)"),
    ("box_blur_5", "low-pass: passes smooth areas (blur)"),
    ("gaussian_3", "low-pass: passes smooth areas (blur)"),
    ("gaussian_5", "low-pass: passes smooth areas (blur)"),
    ("laplacian", "high-pass: passes edges and fine detail"),
    ("outline", "high-pass: passes edges and fine detail"),
    ("sharpen", "high-boost: keeps flat areas, amplifies detail up to 9× more (sharpen)"),
    ("identity", "all-pass"),
])
def test_caption_names_the_kind_of_filter(editor, key, words):
    editor.load_preset(key)
    text = caption(editor)
    assert text.startswith(words)
    assert "directional" not in text  # these kernels are symmetric under a 90° turn
    np.testing.assert_allclose(shown(editor), numpy_response(PRESETS[key].kernel),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(("key", "kind", "direction"), [
    ("sobel_x", "band-pass", "vertical structures (|)"),
    ("sobel_y", "band-pass", "horizontal structures (—)"),
    ("vertical_line", "low-pass", "vertical structures (|)"),
    ("diagonal_down", "low-pass", "falling diagonals (\\)"),
    ("diagonal_up", "low-pass", "rising diagonals (/)"),
])
def test_caption_names_the_direction_a_kernel_prefers(editor, key, kind, direction):
    editor.load_preset(key)
    first, second = caption(editor).split("\n")
    assert first.startswith(kind)
    assert second == f"directional: strongest for {direction}"


def test_laplacian_typed_in_the_session_is_high_pass(editor, session):
    set_kernel(session, np.full((3, 3), 1 / 9))
    assert caption(editor).startswith("low-pass")
    set_kernel(session, LAPLACIAN)
    assert caption(editor).startswith("high-pass")
    m = shown(editor)
    centre = DFT_SIZE // 2
    assert m[centre, centre] == pytest.approx(0.0, abs=1e-6)  # a flat area gives 0
    assert m[0, 0] == pytest.approx(8.0, rel=1e-6)  # the checkerboard: -4 - 4 (4 + 4)
    np.testing.assert_allclose(m, numpy_response(LAPLACIAN), rtol=1e-5, atol=1e-5)


def test_layer_dilation_folds_the_response(editor, session):
    box = np.full((3, 3), 1 / 9, np.float32)
    set_kernel(session, box)
    computed = editor.frequency.computations
    set_dilation(session, (2, 2))
    assert editor.frequency.computations == computed + 1
    text = caption(editor)
    assert text.startswith("low-pass: passes smooth areas (blur)")  # the taps' own shape
    assert ("dilation 2 folds the response: it repeats 2× per axis (aliasing), a copy every "
            "1/2 cycles/pixel") in text
    m = shown(editor)
    np.testing.assert_allclose(m, numpy_response(box, (2, 2)), rtol=1e-5, atol=1e-5)
    # the fold: the checkerboard at (-0.5, -0.5) now passes exactly like a flat area
    centre = DFT_SIZE // 2
    assert m[centre, centre] == pytest.approx(1.0, rel=1e-6)
    assert m[0, 0] == pytest.approx(1.0, rel=1e-5)
    assert not np.allclose(m, numpy_response(box))

    set_dilation(session, (3, 1))
    assert "dilation 3×1 folds the response: it repeats 3× along fy (aliasing)" in caption(editor)
    np.testing.assert_allclose(shown(editor), numpy_response(box, (3, 1)), rtol=1e-5, atol=1e-5)

    set_dilation(session, (1, 1))
    assert "dilation" not in caption(editor)
    np.testing.assert_allclose(shown(editor), numpy_response(box), rtol=1e-5, atol=1e-5)


def test_a_dilated_kernel_larger_than_the_transform_says_so(editor, session):
    set_dilation(session, (40, 1))  # 3 taps 40 apart span 81 rows > 64
    assert caption(editor) == "the dilated kernel (81×3) is larger than the 64×64 transform"
    assert editor.frequency.magnitude() is None


def test_unchanged_kernel_is_not_recomputed(editor, session):
    set_kernel(session, LAPLACIAN)
    computed = editor.frequency.computations
    drawn = shown(editor).copy()
    # other layer parameters, a new frame, re-selecting: the kernel bytes and dilation are
    # the same, so nothing is computed again
    session.set_pipeline(replace_layer(session.pipeline, 0, stride=(2, 2)))
    session.set_pipeline(replace_layer(session.pipeline, 0, padding_mode="reflect"))
    session.set_frame(np.zeros((16, 16), np.uint8), "frame")
    session.select(filter=0)
    editor.set_filter(session.pipeline.layers[0].filters[0], "gray")
    assert editor.frequency.computations == computed
    np.testing.assert_array_equal(shown(editor), drawn)
    set_kernel(session, LAPLACIAN * 2)
    assert editor.frequency.computations == computed + 1
    np.testing.assert_allclose(shown(editor), 2 * drawn, rtol=1e-6)


def test_the_current_channel_slice_is_shown(qtbot):
    weight = np.stack([np.full((3, 3), 1 / 9), LAPLACIAN, np.eye(3)]).astype(np.float32)
    session = Session(replace_filters(default_pipeline("rgb"), 0, [Filter("f", weight)]))
    ed = KernelEditor(session)
    qtbot.addWidget(ed)
    ed.show()
    np.testing.assert_allclose(shown(ed), numpy_response(weight[0]), rtol=1e-5, atol=1e-5)
    ed.channel_tabs.setCurrentIndex(1)
    assert session.selection.channel == 1
    np.testing.assert_allclose(shown(ed), numpy_response(weight[1]), rtol=1e-5, atol=1e-5)
    assert caption(ed).startswith("high-pass")
    session.select(channel=2)
    np.testing.assert_allclose(shown(ed), numpy_response(weight[2]), rtol=1e-5, atol=1e-5)


def test_switch_hides_the_view_and_is_remembered(qtbot, editor, session, settings_file):
    assert load_widget_flag(FREQUENCY_SHOWN_KEY, True) is True
    qtbot.mouseClick(editor.frequency_button, Qt.MouseButton.LeftButton)
    assert not editor.frequency_action.isChecked()
    assert not editor.frequency.isVisible()
    assert load_widget_flag(FREQUENCY_SHOWN_KEY, True) is False
    # while hidden nothing is computed; shown again, it draws the kernel of now
    computed = editor.frequency.computations
    set_kernel(session, LAPLACIAN)
    assert editor.frequency.computations == computed
    # the window saving its settings keeps the switch
    save_settings(WorkbenchSettings())
    assert load_widget_flag(FREQUENCY_SHOWN_KEY, True) is False

    again = KernelEditor(session)
    qtbot.addWidget(again)
    again.show()
    assert not again.frequency_action.isChecked() and not again.frequency.isVisible()
    again.frequency_action.trigger()
    assert again.frequency.isVisible()
    np.testing.assert_allclose(shown(again), numpy_response(LAPLACIAN), rtol=1e-5, atol=1e-5)
    assert load_widget_flag(FREQUENCY_SHOWN_KEY, False) is True


def test_the_view_takes_only_spare_room(qtbot, editor, session):
    set_kernel(session, LAPLACIAN)
    with_view = editor.minimumSizeHint().height()
    editor.frequency_action.trigger()  # hidden
    # it never asks for height: shown, it adds only the layout's spacing
    assert with_view - editor.minimumSizeHint().height() == editor.layout().spacing()
    editor.frequency_action.trigger()
    # squeezed below the picture's height, the caption alone stays
    editor.resize(420, editor.frequency.geometry().top() + 60)
    qtbot.waitUntil(lambda: not editor.frequency.picture_shown())
    assert editor.frequency.caption.isVisible()
    assert caption(editor).startswith("high-pass")
    editor.resize(420, 600)
    qtbot.waitUntil(editor.frequency.picture_shown)
    np.testing.assert_allclose(shown(editor), numpy_response(LAPLACIAN), rtol=1e-5, atol=1e-5)


def test_in_the_window_typing_and_the_dilation_box_update_the_view(open_window, qtbot):
    window = open_window()
    editor = window.editor
    frequency = editor.frequency
    assert frequency.isVisible() and frequency.picture_shown()
    vertical_line = window.session.pipeline.layers[0].filters[0].weight[0]
    np.testing.assert_allclose(shown(editor), numpy_response(vertical_line), rtol=1e-5,
                               atol=1e-5)
    assert caption(editor) == ("low-pass: passes smooth areas (blur)\n"
                               "directional: strongest for vertical structures (|)")
    # type a 3x3 box blur into the grid
    type_in_grid(qtbot, editor, ["1/9"] * 9)
    box = np.full((3, 3), 1 / 9, np.float32)
    np.testing.assert_allclose(window.session.pipeline.layers[0].filters[0].weight[0], box)
    np.testing.assert_allclose(shown(editor), numpy_response(box), rtol=1e-5, atol=1e-5)
    assert caption(editor) == "low-pass: passes smooth areas (blur)"
    # dilation 2 in the parameter panel folds it
    for spin in window.params.dilation.boxes:
        spin.setValue(2)
    assert window.session.pipeline.layers[0].dilation == (2, 2)
    assert "dilation 2 folds the response" in caption(editor)
    np.testing.assert_allclose(shown(editor), numpy_response(box, (2, 2)), rtol=1e-5,
                               atol=1e-5)
    # undo brings the unfolded response back
    window.menus.undo_action.trigger()
    assert window.session.pipeline.layers[0].dilation == (1, 1)
    np.testing.assert_allclose(shown(editor), numpy_response(box), rtol=1e-5, atol=1e-5)


def test_a_file_holding_only_the_switch_reads_as_settings(settings_file):
    from workbench.gui.settings import load_settings

    save_widget_flag(FREQUENCY_SHOWN_KEY, False)
    settings, messages = load_settings()
    assert messages == []
    assert settings.pipeline == WorkbenchSettings().pipeline


def test_describe_response_on_plain_arrays():
    f = np.fft.fftshift(np.fft.fftfreq(8)).astype(np.float32)
    assert describe_response(np.zeros((8, 8)), f, f).startswith("zero kernel")
    assert describe_response(np.full((8, 8), 2.0), f, f) == (
        "all-pass: every frequency passes (gain 2), nothing blurs")
    # a horizontal difference [1, -1]: |2 sin(pi fx)|, the same on every row
    row = np.abs(2 * np.sin(np.pi * f))
    text = describe_response(np.tile(row, (8, 1)), f, f)
    assert text == ("high-pass: passes edges and fine detail, blocks flat areas\n"
                    "directional: strongest for vertical structures (|)")
    assert fold_note((1, 1)) == ""
    assert fold_note((1, 4)) == ("dilation 1×4 folds the response: it repeats 4× along fx "
                                 "(aliasing), a copy every 1/4 cycles/pixel")
