"""SIGTERM / SIGHUP / SIGINT close the running window as Quit does: the recording is finished."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from workbench.sources.recorder import find_orphan_recordings


def write_video(path: Path, frames: int) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 25.0, (64, 48))
    for i in range(frames):
        writer.write(np.full((48, 64, 3), 10 * i, np.uint8))
    writer.release()
    return path


def count_frames(path: Path) -> int:
    cap = cv2.VideoCapture(str(path))
    count = 0
    while cap.read()[0]:
        count += 1
    cap.release()
    return count

_CHILD = textwrap.dedent("""
    import sys
    from PySide6.QtCore import QTimer
    import workbench.gui.app as app_module
    from workbench.gui.live.recording import RecordTarget

    video, target = sys.argv[1], sys.argv[2]
    build = app_module.build_window

    def build_and_record(*args, **kwargs):
        window = build(*args, **kwargs)
        window.live.set_loop(True)
        window.live.open_video(video)

        def start():
            if window.live.current_frame is None:
                QTimer.singleShot(50, start)
                return
            assert window.live.start_recording(target, RecordTarget("input"))
            path = window.live.recording.path
            QTimer.singleShot(1500, lambda: print("RECORDING", path, flush=True))
        QTimer.singleShot(50, start)
        return window

    app_module.build_window = build_and_record
    sys.exit(app_module.run_gui())
""")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_exit_signal_finishes_the_recording(tmp_path: Path, signum: int) -> None:
    video = write_video(tmp_path / "loop.avi", 20)
    out = tmp_path / "out"
    out.mkdir()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "OMP_WAIT_POLICY": "PASSIVE",
           "CONV_WORKBENCH_SETTINGS": str(tmp_path / "settings.ini")}
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(video), str(out / "rec.mp4")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert child.stdout is not None
        line = child.stdout.readline()  # blocks until recording, or EOF if the child died
        assert line.startswith("RECORDING"), child.stderr.read() if child.stderr else line
        path = Path(line.split(" ", 1)[1].strip())
        time.sleep(0.3)
        child.send_signal(signum)
        rc = child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert rc == 128 + signum
    assert path.is_file() and path.parent == out
    assert find_orphan_recordings(out) == []
    assert [p.name for p in out.iterdir()] == [path.name]
    assert count_frames(path) >= 5
    assert (tmp_path / "settings.ini").is_file()  # saved as on Quit


def _killed_while_recording(tmp_path: Path) -> tuple[Path, Path]:
    """Run the window recording a video, SIGKILL it; return the folder and settings file."""
    video = write_video(tmp_path / "loop.avi", 20)
    out = tmp_path / "out"
    out.mkdir()
    settings = tmp_path / "settings.ini"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "OMP_WAIT_POLICY": "PASSIVE",
           "CONV_WORKBENCH_SETTINGS": str(settings)}
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(video), str(out / "rec.mp4")],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                             env=env)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().startswith("RECORDING")
        time.sleep(0.5)
        child.kill()
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    return out, settings


def test_next_start_offers_the_recording_a_kill_left(qtbot, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from workbench.gui.app import build_window
    from workbench.gui.live import orphans
    from workbench.gui.settings import load_settings

    out, settings_file = _killed_while_recording(tmp_path)
    left = find_orphan_recordings(out)
    assert len(left) == 1 and not [p for p in out.iterdir() if not p.name.startswith(".")]
    monkeypatch.setenv("CONV_WORKBENCH_SETTINGS", str(settings_file))
    settings, _messages = load_settings()
    assert Path(settings.live.record_folder) == out  # written when the recording started
    window = build_window(settings, persist=False)
    qtbot.addWidget(window)
    asked: list[list[Path]] = []
    monkeypatch.setattr(orphans, "orphan_prompt",
                        lambda _parent, found: asked.append(found) or orphans.REMOVE)
    try:
        recovery = orphans.OrphanRecovery(window, window.show_message)
        assert recovery.offer([window.live_panel.record_folder]) == orphans.REMOVE
        assert asked == [[left[0].absolute()]]
        assert recovery.worker is not None
        with qtbot.waitSignal(recovery.sigDone, timeout=10_000):
            pass
        assert window.message_bar.text == "Removed 1 unfinished recording(s)."
        assert find_orphan_recordings(out) == [] and list(out.iterdir()) == []
        assert recovery.offer([out]) is None  # nothing left: nothing asked
        assert len(asked) == 1
    finally:
        window.shutdown()


def test_recover_answer_rewrites_a_readable_partial(qtbot, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QWidget

    from workbench.gui.live import orphans

    partial = write_video(tmp_path / ".clip.0123abcd.partial.avi", 12)
    reports: list[tuple[str, str]] = []
    parent = QWidget()
    qtbot.addWidget(parent)
    monkeypatch.setattr(orphans, "orphan_prompt", lambda _parent, _found: orphans.RECOVER)
    recovery = orphans.OrphanRecovery(parent, lambda text, kind: reports.append((text, kind)))
    with qtbot.waitSignal(recovery.sigDone, timeout=60_000):
        assert recovery.offer([tmp_path, None, tmp_path / "missing"]) == orphans.RECOVER
    (text, kind), = reports
    assert kind == "info" and text.startswith("Recovered 1 recording(s): ")
    recovered = Path(text.removeprefix("Recovered 1 recording(s): ").removesuffix("."))
    assert recovered.parent == tmp_path and recovered.stem == "clip"
    assert count_frames(recovered) == 12 and not partial.exists()
