"""Raw numeric inputs in the window: tutorial examples, Open data, typed values, workspaces."""

import numpy as np
import pytest

from workbench.gui.actions import file_prompts
from workbench.gui.actions.raw_data import TYPED_NAME
from workbench.tutorials import TUTORIAL_EXAMPLES, get_example


@pytest.fixture(autouse=True)
def discard_on_close(monkeypatch):
    """Windows closed after a test discard unsaved changes instead of asking."""
    monkeypatch.setattr(file_prompts, "ask_save_changes",
                        lambda parent, name: file_prompts.DISCARD)


def _maps(outcome):
    return [m.tolist() for m in outcome.result.layers[0].pooled]


@pytest.mark.parametrize("key", [e.key for e in TUTORIAL_EXAMPLES])
def test_each_tutorial_example_gives_the_printed_numbers(open_window, settle, key):
    window = open_window()
    example = get_example(key)
    window.raw_data.example_actions[key].trigger()
    outcome = settle(window)
    assert outcome.pipeline == example.pipeline
    assert outcome.result.input.tolist() == example.data.tolist()
    assert _maps(outcome) == [e.tolist() for e in example.expected]
    assert window.session.pipeline.input_mode == "raw"
    c = example.data.shape[0]
    combo = window.params.input_mode
    assert combo.currentData() == "raw" and not combo.isEnabled()
    assert combo.currentText() == f"Raw data ({c} channel{'s' if c > 1 else ''})"
    assert example.name in window.windowTitle()


def test_the_k3_example_is_readable_on_screen(open_window, settle):
    window = open_window()
    window.raw_data.open_example("k3")
    settle(window)
    cell = window.views.cell("conv", 0)
    assert cell.title_text == "[2, 2, 2] — 1x4"
    assert cell.labels.texts == ["12", "18", "24", "30"]
    assert cell.labels.visible
    assert window.views.cell("input").labels.texts == ["1", "2", "3", "4", "5", "6"]
    assert window.views.hover(cell.key, 0, 2).startswith("[2, 2, 2]  x 2, y 0  value 24")


def test_groups_example_shows_both_channels_stacked(open_window, settle):
    window = open_window()
    window.raw_data.open_example("groups")
    settle(window)
    inp = window.views.cell("input")
    assert inp.title_text == "Input — raw, 2 ch × 1x6"
    assert inp.data.tolist() == [[1, 2, 3, 4, 5, 6], [10, 20, 30, 40, 50, 60]]
    assert window.views.cell("conv", 1).labels.texts == ["40", "80", "120", "160", "200",
                                                          "240"]
    groups = window.params.groups
    assert [groups.itemData(i) for i in range(groups.count())] == [1, 2]
    assert groups.currentData() == 2


def test_opening_an_image_returns_to_gray(open_window, settle):
    window = open_window()
    window.raw_data.open_example("keras_conv1d")
    settle(window)
    assert window.open_sample("camera")
    outcome = settle(window)
    assert window.session.input.raw is None and window.session.pipeline.input_mode == "gray"
    assert window.params.input_mode.findData("raw") == -1
    assert window.params.input_mode.isEnabled()
    assert outcome.result.input.max() <= 1.0
    window.session.undo()  # back to the raw pipeline: the image is still fed as gray
    assert settle(window).result.input.shape[0] == 1


def test_open_data_files(open_window, settle, tmp_path):
    window = open_window()
    path = tmp_path / "signal.csv"
    path.write_text("1, 2, 3, 4, 5, 6\n\n10, 20, 30, 40, 50, 60\n")
    assert window.raw_data.open_data(path)
    settle(window)
    assert window.session.tensor.tolist() == [[[1, 2, 3, 4, 5, 6]], [[10, 20, 30, 40, 50, 60]]]
    # The default bank gets 2 kernel slices per filter for the 2 channels; its 3x3 kernels
    # keep their middle rows for the 1-row signal (said in the message bar, undoable).
    assert {f.channels for f in window.session.pipeline.layers[0].filters} == {2}
    assert window.params.input_mode.currentText() == "Raw data (2 channels)"
    assert window.params.geometry_text.startswith("input 1×6, kernel 1×3")
    assert not window.params.error_text and "middle row" in window.message_bar.text
    window.session.undo()
    assert {f.kernel_size for f in window.session.pipeline.layers[0].filters} == {(3, 3)}
    npy = tmp_path / "ramp.npy"
    np.save(npy, np.arange(36, dtype=np.int16).reshape(6, 6))
    assert window.raw_data.open_data(npy)
    assert settle(window).result.input.tolist() == [np.arange(36).reshape(6, 6).tolist()]
    assert window.session.input.raw.name == "ramp.npy"


def test_open_data_dialog_uses_the_chosen_file(open_window, settle, tmp_path, monkeypatch):
    window = open_window()
    path = tmp_path / "bump.txt"
    path.write_text("0 0 0 1 1 0 0 0\n")
    monkeypatch.setattr(file_prompts, "ask_open_path", lambda *args: (str(path), ""))
    window.raw_data.open_action.trigger()
    settle(window)
    assert window.session.input.raw.name == "bump.txt"
    assert window.session.tensor.tolist() == [[[0, 0, 0, 1, 1, 0, 0, 0]]]


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("ragged.csv", "1 2 3\n4 5\n", "row 2 has 2 values, expected 3"),
    ("words.txt", "one two\n", "not a number"),
    ("empty.csv", "", "empty"),
    ("cube.npy", None, "got 4-D"),
])
def test_bad_data_file_changes_nothing(open_window, settle, tmp_path, name, content, reason):
    window = open_window()
    window.raw_data.open_example("k3")
    before = settle(window)
    pipeline = window.session.pipeline
    path = tmp_path / name
    if content is None:
        np.save(path, np.zeros((1, 2, 3, 4)))
    else:
        path.write_text(content)
    assert not window.raw_data.open_data(path)
    text = window.message_bar.label.text()
    assert name in text and reason in text and "current input is kept" in text
    assert window.session.pipeline == pipeline
    assert window.session.input.raw.name == "1-D: k=3 (PyTorch)"
    assert settle(window) is before


def test_typed_values_dialog(open_window, settle):
    window = open_window()
    dialog = window.raw_data.edit_values()
    assert dialog.text_edit.toPlainText() == "1 2 3 4 5 6"
    dialog.text_edit.setPlainText("1 2 3\n4 x 6")
    dialog.accept()
    assert dialog.isVisible()
    assert "line 2: 'x' is not a number" in dialog.error_bar.label.text()
    assert window.session.input.raw is None
    dialog.reject()
    window.raw_data.open_example("k3")
    settle(window)
    # Reopened, it shows the current values; typed values keep the k=3 filter.
    again = window.raw_data.edit_values()
    assert again.text_edit.toPlainText() == "1 2 3 4 5 6"
    again.text_edit.setPlainText("[2, 4, 6, 8, 10, 12]")
    again.accept()
    assert not again.isVisible()
    outcome = settle(window)
    assert window.session.input.raw.name == TYPED_NAME
    assert outcome.result.input.tolist() == [[[2, 4, 6, 8, 10, 12]]]
    assert _maps(outcome) == [[[24, 36, 48, 60]]]
    # Rows as channels: 2 channels, so the filter gets 2 slices of [2, 2, 2].
    third = window.raw_data.edit_values()
    third.text_edit.setPlainText("1 2 3\n10 20 30")
    third.rows_are_channels.setChecked(True)
    third.accept()
    outcome = settle(window)
    assert outcome.result.input.shape == (2, 1, 3)
    assert _maps(outcome) == [[[132]]]
    assert window.params.input_mode.currentText() == "Raw data (2 channels)"


def test_workspace_round_trip_of_raw_input(open_window, settle, tmp_path):
    window = open_window()
    window.raw_data.open_example("depthwise")
    settle(window)
    path = tmp_path / "depthwise.json"
    assert window.save_workspace(path)
    window.open_sample("camera")
    settle(window)
    assert window.session.input.raw is None
    assert window.open_workspace(path)
    outcome = settle(window)
    example = get_example("depthwise")
    assert window.session.input.raw.name == example.name
    assert window.session.pipeline == example.pipeline
    assert _maps(outcome) == [e.tolist() for e in example.expected]


def test_workspace_of_a_large_data_file_stores_its_path(open_window, settle, tmp_path):
    window = open_window()
    npy = tmp_path / "big.npy"
    values = np.arange(70 * 70, dtype=np.float32).reshape(70, 70) / 7
    np.save(npy, values)
    assert window.raw_data.open_data(npy)
    settle(window)
    path = tmp_path / "big.json"
    assert window.save_workspace(path)
    assert '"path": "big.npy"' in path.read_text() and '"values"' not in path.read_text()
    window.open_sample("camera")
    settle(window)
    assert window.open_workspace(path)
    assert np.array_equal(settle(window).result.input[0], values)
