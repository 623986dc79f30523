"""GUI test setup: offscreen Qt, a temporary settings file, and a leak check.

The platform variable must be set before the QApplication exists, so it is set here at
import time. Every test gets its own settings file. The autouse ``no_leaks`` fixture fails a
test that leaves a QThread running or a top-level window open (and cleans up after it, so one
leak does not fail the tests that follow).
"""

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"

import weakref  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QThread  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

_started_threads: "weakref.WeakSet[QThread]" = weakref.WeakSet()
_original_start = QThread.start


def _recording_start(self, *args, **kwargs):
    _started_threads.add(self)
    return _original_start(self, *args, **kwargs)


QThread.start = _recording_start


@pytest.fixture(autouse=True)
def settings_file(tmp_path, monkeypatch):
    """Point ``CONV_WORKBENCH_SETTINGS`` at a fresh file for each test."""
    path = tmp_path / "settings.ini"
    monkeypatch.setenv("CONV_WORKBENCH_SETTINGS", str(path))
    return path


def _running_threads():
    threads = []
    for thread in list(_started_threads):
        try:
            if thread.isRunning():
                threads.append(thread)
        except RuntimeError:  # the C++ object is gone, so the thread is too
            pass
    return threads


def _open_windows():
    # QWindow, not QApplication.topLevelWidgets(): converting that widget list touched a
    # widget Qt was tearing down (a segfault in about one full run in four, offscreen).
    # Every shown top-level widget has a QWindow, so nothing visible is missed.
    app = QApplication.instance()
    if app is None:
        return []
    return [w for w in app.topLevelWindows() if w.isVisible()]


@pytest.fixture(autouse=True)
def no_leaks(qapp):
    """Fail the test if it leaves a QThread running or a top-level window open."""
    yield
    qapp.processEvents()
    windows = _open_windows()
    threads = _running_threads()
    for window in windows:
        window.close()
    for thread in threads:
        thread.quit()
        thread.wait(5000)
    qapp.processEvents()
    problems = [f"window left open: {w.objectName() or type(w).__name__} {w.title()!r}"
                for w in windows]
    problems += [f"thread left running: {t.objectName() or type(t).__name__}" for t in threads]
    if problems:
        pytest.fail("; ".join(problems))


RESULT_TIMEOUT_MS = 20_000


@pytest.fixture
def open_window(qtbot):
    """Open a ``MainWindow``, wait for its first maps and close it after the test.

    Called as ``open_window(pipeline=None, image="sample:vertical_line_8x8",
    persist=False, settings=None)``; with ``settings="file"`` the window reads the
    settings file like a normal start.
    """
    from workbench.gui.main_window import MainWindow
    from workbench.gui.settings import WorkbenchSettings

    def open_(pipeline=None, image="sample:vertical_line_8x8", persist=False, settings=None,
              wait=True):
        if settings == "file":
            window = MainWindow(persist=persist)
        else:
            if settings is None:
                settings = WorkbenchSettings(image=image)
                if pipeline is not None:
                    settings.pipeline = pipeline
            window = MainWindow(settings, persist=persist)
        qtbot.addWidget(window)
        window.show()
        if wait:
            qtbot.waitUntil(lambda: window.session_views.results_shown > 0,
                            timeout=RESULT_TIMEOUT_MS)
        return window

    return open_


@pytest.fixture
def settle(qtbot):
    """Return ``settle(window)``: wait until every requested computation came back."""

    def settle_(window):
        qtbot.waitUntil(lambda: not window.compute.busy, timeout=RESULT_TIMEOUT_MS)
        return window.session.result

    return settle_
