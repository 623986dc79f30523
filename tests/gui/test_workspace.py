"""Workspaces in the window: save, open, recent files, the title's mark, asking before loss."""

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtGui import QImage

from workbench.core import default_pipeline, to_json
from workbench.gui.actions import file_prompts
from workbench.io import load_workspace
from workbench.render import ViewOptions

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def discard_on_close(monkeypatch):
    """Windows closed after a test discard unsaved changes instead of asking."""
    monkeypatch.setattr(file_prompts, "ask_save_changes",
                        lambda parent, name: file_prompts.DISCARD)


@pytest.fixture
def answers(monkeypatch):
    """Script the modal questions: set ``answers.save_path`` etc.; records what was asked."""

    class Answers:
        save_path = ""
        open_path = ""
        save_changes = file_prompts.CANCEL
        overwrite = False
        asked: list = []

    a = Answers()
    a.asked = []

    def ask_save_path(parent, title, suggestion, filters):
        a.asked.append(("save_path", suggestion))
        return a.save_path, ""

    def ask_open_path(parent, title, folder, filters):
        a.asked.append(("open_path", folder))
        return a.open_path, ""

    def ask_save_changes(parent, name):
        a.asked.append(("save_changes", name))
        return a.save_changes

    def confirm_overwrite(parent, paths):
        a.asked.append(("overwrite", [p.name for p in paths]))
        return a.overwrite

    for name, func in (("ask_save_path", ask_save_path), ("ask_open_path", ask_open_path),
                       ("ask_save_changes", ask_save_changes),
                       ("confirm_overwrite", confirm_overwrite)):
        monkeypatch.setattr(file_prompts, name, func)
    return a


def write_image(path, value=90, shape=(30, 40)):
    assert cv2.imwrite(str(path), np.full(shape, value, np.uint8))
    return path


def shown_title(window):
    return window.files.workspace.shown_title()


def test_save_change_and_reopen_restores_everything(open_window, tmp_path, settle, answers):
    window = open_window(image="sample:camera")
    ws = window.files.workspace
    image = write_image(tmp_path / "photo.png")
    window.open_image(image)
    window.bank.add_preset("sharpen")
    window.params.max_side.setValue(300)
    window.views.set_options(ViewOptions("inferno", "abs", True))
    saved_pipeline = window.session.pipeline
    path = tmp_path / "session.json"
    answers.save_path = str(tmp_path / "session")  # the .json is added
    assert window.isWindowModified()
    ws.save_action.trigger()
    assert answers.asked == [("save_path", "workspace.json")]
    assert ws.path == path and not window.isWindowModified()
    assert load_workspace(path).pipeline == saved_pipeline
    assert '"path": "photo.png"' in path.read_text()  # relative to the workspace file
    assert "[*]" in window.windowTitle()
    assert shown_title(window) == "session.json — photo.png — Conv Workbench"

    # Change the pipeline, the image and the view; each marks the workspace modified.
    window.bank.add_preset("gabor")
    assert window.isWindowModified()
    assert shown_title(window) == "session.json* — photo.png — Conv Workbench"
    window.open_sample("coffee")
    window.views.set_options(ViewOptions("gray", "minmax", False))
    window.params.max_side.setValue(64)

    assert ws.open(path)
    assert window.session.pipeline == saved_pipeline
    assert not window.session.can_undo
    assert window.session.input.source == str(image)
    assert window.session.input.max_side == 300
    assert window.views.options == ViewOptions("inferno", "abs", True)
    assert not window.isWindowModified()
    assert shown_title(window) == "session.json — photo.png — Conv Workbench"
    assert settle(window).result.input.shape == (1, 30, 40)
    assert ws.recent == [str(path)]

    # Ctrl+S now saves to the same file without asking.
    answers.asked.clear()
    window.bank.add_preset("box_blur_3")
    ws.save_action.trigger()
    assert answers.asked == []
    assert load_workspace(path).pipeline == window.session.pipeline


def test_undoing_back_to_the_saved_state_clears_the_mark(open_window, tmp_path):
    window = open_window()
    ws = window.files.workspace
    assert ws.save_to(tmp_path / "w.json")
    window.bank.add_preset("sharpen")
    assert window.isWindowModified()
    window.session.undo()
    assert not window.isWindowModified()
    window.session.redo()
    assert window.isWindowModified()


def test_save_as_asks_before_replacing_another_file(open_window, tmp_path, answers):
    window = open_window()
    ws = window.files.workspace
    other = tmp_path / "other.json"
    other.write_text("precious")
    answers.save_path = str(other)
    assert not ws.save_as()
    assert answers.asked[-1] == ("overwrite", ["other.json"])
    assert other.read_text() == "precious" and ws.path is None
    answers.overwrite = True
    assert ws.save_as()
    assert load_workspace(other).pipeline == window.session.pipeline
    answers.asked.clear()
    assert ws.save_as()  # saving as its own file again: no question
    assert [kind for kind, _ in answers.asked] == ["save_path"]


@pytest.mark.parametrize(("content", "reason"), [
    ('{"format": "conv-workbench-workspace", "schema_ver', "not valid JSON"),
    ('{"format": "conv-workbench-workspace", "schema_version": 1, "source": {"kind": "tape"}}',
     "source kind must be one of"),
    ('{"format": "conv-workbench-workspace", "schema_version": 1, "source": {"kind": "sample",'
     ' "sample_key": "camera"}, "pipeline": {"schema_version": 1, "layers": [{"stride": 0}]}}',
     "pipeline"),
    ("\x00\x01", "not valid JSON"),
])
def test_a_corrupt_workspace_changes_nothing(open_window, tmp_path, content, reason):
    window = open_window()
    ws = window.files.workspace
    assert ws.save_to(tmp_path / "good.json")
    window.bank.add_preset("sharpen")
    session = window.session
    before = (session.pipeline, session.input.source, window.views.options,
              session.input.max_side, window.windowTitle(), window.isWindowModified(), ws.path,
              list(ws.recent), session.can_undo)
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    assert not ws.open(bad)
    after = (session.pipeline, session.input.source, window.views.options,
             session.input.max_side, window.windowTitle(), window.isWindowModified(), ws.path,
             list(ws.recent), session.can_undo)
    assert all(a is b or a == b for a, b in zip(before, after, strict=True))
    assert "Could not open the workspace" in window.message_bar.text
    assert "bad.json" in window.message_bar.text and reason in window.message_bar.text


def test_a_bank_file_opens_but_stays_untitled(open_window, tmp_path):
    window = open_window()
    ws = window.files.workspace
    assert ws.save_to(tmp_path / "w.json")
    bank = tmp_path / "bank.json"
    bank.write_text(to_json(default_pipeline("rgb")))
    assert ws.open(bank)
    assert window.session.pipeline == default_pipeline("rgb")
    assert ws.path is None and window.isWindowModified()
    assert shown_title(window).startswith("Untitled*")


def test_opening_with_unsaved_changes_asks(open_window, tmp_path, answers):
    window = open_window()
    ws = window.files.workspace
    target = tmp_path / "target.json"
    assert ws.save_to(target)
    window.bank.add_preset("sharpen")
    changed = window.session.pipeline
    answers.open_path = str(target)
    answers.save_changes = file_prompts.CANCEL
    assert not ws.open_dialog()
    assert answers.asked == [("save_changes", "target.json")]
    assert window.session.pipeline is changed

    answers.save_changes = file_prompts.DISCARD
    assert ws.open_dialog()
    assert window.session.pipeline != changed and not window.isWindowModified()

    window.bank.add_preset("gabor")
    with_gabor = window.session.pipeline
    answers.save_changes = file_prompts.SAVE
    assert ws.open_dialog()
    assert load_workspace(target).pipeline == window.session.pipeline == with_gabor


def test_recent_workspaces(open_window, tmp_path, answers):
    window = open_window()
    ws = window.files.workspace
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    assert ws.save_to(first) and ws.save_to(second)
    assert ws.recent == [str(second), str(first)]
    assert ws.recent_menu.isEnabled()
    actions = ws.recent_menu.actions()
    assert [a.text() for a in actions[:2]] == ["second.json", "first.json"]
    actions[1].trigger()
    assert ws.path == first and ws.recent[0] == str(first)
    first.unlink()
    assert not ws.open_recent(str(first))
    assert "does not exist any more" in window.message_bar.text
    assert ws.recent == [str(second)]


def test_closing_asks_only_for_an_open_workspace_with_changes(open_window, tmp_path, answers):
    window = open_window()
    window.bank.add_preset("sharpen")
    assert window.isWindowModified()
    assert window.files.workspace.may_discard_changes(closing=True)
    assert answers.asked == []  # an untitled session is remembered by the settings
    path = tmp_path / "w.json"
    assert window.files.workspace.save_to(path)
    window.bank.add_preset("gabor")
    answers.save_changes = file_prompts.CANCEL
    assert not window.files.workspace.may_discard_changes(closing=True)
    answers.save_changes = file_prompts.SAVE
    assert window.files.workspace.may_discard_changes(closing=True)
    assert load_workspace(path).pipeline == window.session.pipeline

    # Closing the window itself: Cancel keeps it open and running, Discard closes it.
    window.bank.add_preset("box_blur_3")
    answers.asked.clear()
    answers.save_changes = file_prompts.CANCEL
    window.close()
    assert answers.asked == [("save_changes", "w.json")]
    assert window.isVisible() and window.compute.running
    answers.save_changes = file_prompts.DISCARD
    window.close()
    assert not window.isVisible() and not window.compute.running
    assert load_workspace(path).pipeline != window.session.pipeline  # discarded


def test_the_saved_file_is_the_documented_format(open_window, tmp_path):
    window = open_window(image="sample:coffee")
    window.views.set_options(ViewOptions("viridis", "symmetric", False))
    assert window.files.workspace.save_to(tmp_path / "w.json")
    data = json.loads((tmp_path / "w.json").read_text())
    assert data["format"] == "conv-workbench-workspace"
    assert data["source"] == {"kind": "sample", "sample_key": "coffee"}
    assert data["view"] == {"colormap": "viridis", "color_mode": "symmetric",
                            "shared_levels": False}
    assert data["max_side"] == window.session.input.max_side


def test_recent_workspaces_survive_a_restart(open_window, tmp_path, settings_file):
    first = open_window(settings="file", persist=True)
    path = tmp_path / "kept.json"
    assert first.save_workspace(path)
    first.close()
    second = open_window(settings="file", persist=True)
    assert second.files.workspace.recent == [str(path)]
    second.files.workspace.fill_recent_menu()
    assert second.files.workspace.recent_menu.actions()[0].text() == "kept.json"


def test_the_file_menu_offers_the_actions_with_their_shortcuts(open_window):
    window = open_window()
    file_menu = next(m for m in window.menuBar().actions() if m.text() == "&File").menu()
    shortcuts = {a.text(): a.shortcut().toString() for a in file_menu.actions()}
    assert shortcuts["&Save workspace"] == "Ctrl+S"
    assert shortcuts["Save workspace &as…"] == "Ctrl+Shift+S"
    assert shortcuts["E&xport maps…"] == "Ctrl+E"
    assert "Open recent wor&kspace" in shortcuts and "Export bank as &NPY" in shortcuts
    edit_menu = next(m for m in window.menuBar().actions() if m.text() == "&Edit").menu()
    assert {"Copy as PyTorch", "Copy as Keras"} <= {a.text() for a in edit_menu.actions()}
    every = [k.toString() for m in window.menuBar().actions() if m.menu()
             for a in m.menu().actions() for k in a.shortcuts()]
    assert len(every) == len(set(every)), "a shortcut is used twice"
    assert [a.text() for a in window.editor.grid.actions()][-2:] == ["&Import kernel…",
                                                                     "E&xport kernel…"]


def run_cli(*args):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("QT_QPA_PLATFORM")
    return subprocess.run([sys.executable, "-m", "workbench", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=180)


def test_the_command_line_opens_a_workspace(open_window, tmp_path, settings_file):
    window = open_window(image="sample:coffee")
    window.bank.add_preset("sharpen")
    path = tmp_path / "cli.json"
    assert window.save_workspace(path)
    out = tmp_path / "shot.png"
    done = run_cli(str(path), "--screenshot", str(out))
    assert done.returncode == 0, done.stderr
    assert QImage(str(out)).width() == 1500
    # An --image on top makes the workspace modified; the screenshot run must not ask.
    image = write_image(tmp_path / "extra.png")
    done = run_cli("--workspace", str(path), "--image", str(image), "--screenshot", str(out))
    assert done.returncode == 0, done.stderr


def test_a_stream_is_saved_and_reopened(open_window, tmp_path, qtbot):
    window = open_window()
    window.live.open_synthetic((64, 48))
    qtbot.waitUntil(lambda: window.live.source is not None, timeout=20_000)
    assert window.isWindowModified()  # the source changed
    path = tmp_path / "stream.json"
    assert window.save_workspace(path)
    assert json.loads(path.read_text())["source"] == {"kind": "synthetic", "size": [64, 48]}
    window.live.stop()
    window.session.show_still()
    assert window.isWindowModified()

    assert window.open_workspace(path)  # the stream opens in the background
    assert not window.isWindowModified()
    qtbot.waitUntil(lambda: window.live.source is not None, timeout=20_000)
    assert window.live.source.size == (64, 48)
    assert not window.isWindowModified()  # once it shows, the state is the file's
    assert "Synthetic pattern" in window.windowTitle()
    window.live.stop()
