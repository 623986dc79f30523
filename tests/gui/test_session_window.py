"""The window follows the session: the bugs that came from two copies of one truth."""

import numpy as np
from PySide6.QtWidgets import QApplication

from workbench.core import Filter, Layer, Pipeline, Pool
from workbench.gui.views.map_views import CellKey
from workbench.io.data_input import RawData
from workbench.session import edits

TIMEOUT = 20_000


def _wait_current(qtbot, window):
    qtbot.waitUntil(lambda: window.session.result_is_current and not window.compute.busy,
                    timeout=TIMEOUT)


def _one_filter(activation="relu"):
    f = Filter("ones", np.full((1, 3, 3), 0.1, np.float32), 0.05)
    return Pipeline("gray", (Layer((f,), activation=activation),))


def test_inspector_recomputes_on_every_change_without_moving_the_mouse(open_window, qtbot):
    window = open_window(_one_filter("relu"), image="sample:camera")
    _wait_current(qtbot, window)
    window.views.hover(CellKey("conv", 0), 10, 20)
    conv = float(window.session.result.result.layers[0].conv[0][10, 20])
    assert "ReLU → <b>" in window.views.inspector.text()

    window.session.edit(lambda p: edits.replace_layer(p, 0, activation="tanh"))
    assert not window.views.inspector.isEnabled()  # greyed until the new maps arrive
    _wait_current(qtbot, window)
    text = window.views.inspector.text()
    assert "Tanh → <b>" in text and "ReLU" not in text
    assert f"{np.tanh(np.float32(conv)):.4f}"[:5] in text
    assert window.views.inspector.isEnabled()

    window.session.undo()
    _wait_current(qtbot, window)
    assert "ReLU → <b>" in window.views.inspector.text()


def test_a_hover_outside_a_smaller_new_input_is_cleared(open_window, qtbot):
    window = open_window(_one_filter(), image="sample:camera")
    _wait_current(qtbot, window)
    window.views.hover(CellKey("conv", 0), 5, 378)
    assert "x 378" in window.views.hover_text
    window.session.set_frame(np.zeros((240, 320, 3), np.uint8), "clip.mp4")
    _wait_current(qtbot, window)
    assert "x 378" not in window.views.hover_text


def test_tutorial_is_its_own_state_never_under_the_workspace_title(open_window, qtbot,
                                                                   tmp_path):
    window = open_window(_one_filter())
    ws = tmp_path / "ws1.json"
    assert window.save_workspace(ws)
    assert window.windowTitle().startswith("ws1.json")
    window.raw_data.open_example("k3")
    assert window.tutorial_banner.isVisibleTo(window)
    assert window.windowTitle().startswith("Tutorial example: 1-D: k=3")
    assert "ws1.json" not in window.windowTitle()

    window.session.undo()  # undoing back: the user's input and bank, no banner
    assert not window.tutorial_banner.isVisibleTo(window)
    assert window.session.input.kind == "image" and window.windowTitle().startswith("ws1.json")
    window.session.redo()
    assert window.tutorial_banner.isVisibleTo(window)
    window.tutorial_banner.back_button.click()  # back to the user's work in one step
    assert not window.tutorial_banner.isVisibleTo(window)
    assert window.session.pipeline == _one_filter()

    window.raw_data.open_example("k3")
    assert window.open_workspace(ws)  # reopening the workspace leaves the example
    assert not window.tutorial_banner.isVisibleTo(window)
    assert window.session.pipeline == _one_filter()


def test_save_during_a_tutorial_never_overwrites_the_workspace(open_window, qtbot, tmp_path,
                                                               monkeypatch):
    from workbench.gui.actions import file_prompts

    window = open_window(_one_filter())
    ws = tmp_path / "ws1.json"
    assert window.save_workspace(ws)
    before = ws.read_bytes()
    window.raw_data.open_example("k3")
    asked = []
    monkeypatch.setattr(file_prompts, "ask_save_path",
                        lambda *args: (asked.append(args[2]), ("", ""))[1])
    assert not window.files.workspace.save()  # asks for a new name; cancelled
    assert asked and asked[0].endswith("tutorial-k3.json")
    assert ws.read_bytes() == before
    window.session.undo()  # back to the saved state: closing asks nothing
    assert not window.isWindowModified()


def test_two_channel_raw_data_then_undo_is_consistent(open_window, qtbot):
    window = open_window(_one_filter())
    _wait_current(qtbot, window)
    window.session.open_raw(RawData(np.arange(72, dtype=np.float32).reshape(2, 6, 6), "two"))
    _wait_current(qtbot, window)
    window.menus.undo_action.trigger()
    _wait_current(qtbot, window)
    assert window.session.input.raw is None
    assert window.session.pipeline.input_mode == "gray"
    assert window.session.problem is None and not window.views.error_banner.isVisibleTo(window)
    assert window.session.result.result.input.shape[0] == 1


def test_one_reason_per_state_shown_once(open_window, qtbot):
    pipeline = Pipeline("raw", (Layer((Filter("k", np.ones((1, 1, 3), np.float32)),),
                                      padding=(0, 2), padding_mode="reflect",
                                      pool=Pool("max", (4, 4))),))
    window = open_window(_one_filter())
    _wait_current(qtbot, window)
    window.session.open_raw(RawData(np.arange(6, dtype=np.float32), "1x6"), pipeline)
    qtbot.waitUntil(lambda: window.session.problem is not None, timeout=TIMEOUT)
    reason = window.session.problem
    banner = window.views.error_banner.text()
    assert reason in banner
    # The shape panel points to the one reason instead of stating another.
    assert window.params.error_label.text() in ("", "⚠ this layer cannot be computed: see the "
                                                "message above the maps")
    assert reason not in window.params.error_label.text()


def test_failed_copy_as_pytorch_clears_the_clipboard(open_window, qtbot):
    mixed = Pipeline("gray", (Layer((Filter("a", np.ones((1, 3, 3), np.float32)),
                                     Filter("b", np.ones((1, 5, 5), np.float32)))),))
    window = open_window(_one_filter())
    QApplication.clipboard().setText("old code")
    window.session.set_pipeline(mixed)
    assert window.files.bank_io.copy_code("pytorch") is None
    assert QApplication.clipboard().text() != "old code"
    assert "clipboard was cleared" in window.message_bar.text
