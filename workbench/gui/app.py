"""Start the window: QApplication set-up, ``run_gui`` and the offscreen screenshot mode."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from workbench.gui.actions import workspace_state
from workbench.gui.actions.model_files import MODEL_SUFFIXES
from workbench.gui.exit_signals import install_exit_signals
from workbench.gui.live.orphans import OrphanRecovery
from workbench.gui.main_window import MainWindow
from workbench.gui.settings import WorkbenchSettings, load_settings, settings_path
from workbench.resources import icon_path

SCREENSHOT_TIMEOUT_S = 120
# Time for the last repaints (colour bars, labels) after the first maps arrive.
SCREENSHOT_SETTLE_MS = 400


def prefer_gui_responsiveness() -> None:
    """Let idle OpenMP threads sleep at once instead of spinning (unless the user chose).

    numba's OpenMP pool otherwise spins for a while after every parallel kernel; on a
    2-core machine that steals the GUI thread's core between the frames of a live stream
    (measured: median compute 36 -> 10 ms, GUI stalls 157 -> 86 ms at 640x480). Must run
    before the first parallel kernel loads the OpenMP runtime, which reads it then.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def make_application() -> QApplication:
    """Return the running QApplication, creating it (with name and icon) if needed.

    Returns
    -------
    QApplication
        The application object.
    """
    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else "conv-workbench"])
        app.setApplicationName("Conv Workbench")
        app.setOrganizationName("conv-workbench")
        # Wayland's app id: matches packaging/linux/<id>.desktop, so the shell finds the icon.
        app.setDesktopFileName("io.github.convworkbench.ConvWorkbench")
        app.setWindowIcon(QIcon(str(icon_path("app.png"))))
    assert isinstance(app, QApplication)
    return app


def _open_camera_unasked(_index: int) -> bool:
    return True


def build_window(settings: WorkbenchSettings, messages: list[str] | tuple[str, ...] = (),
                 persist: bool = True) -> MainWindow:
    """Build the main window; if the remembered state breaks it, start from the defaults.

    Parameters
    ----------
    settings : WorkbenchSettings
        The remembered state (e.g. from :func:`load_settings`).
    messages : sequence of str, optional
        Problems met while reading the settings, shown in the window.
    persist : bool, optional
        Write the settings back when the window closes.

    Returns
    -------
    MainWindow
        The window on ``settings``, or on the defaults with a message saying why. The
        failed state is never saved: the compute thread of the failed attempt is stopped
        and the defaults replace it.
    """
    try:
        return MainWindow(settings, messages, persist=persist)
    except Exception as exc:  # noqa: BLE001 - any bad remembered state must not stop start-up
        reason = str(exc) or type(exc).__name__
        path = settings_path()
        where = "the saved settings" if path is None else f"the settings file {path}"
        note = (f"The window could not be restored from {where} ({type(exc).__name__}: "
                f"{reason}); started with the defaults.")
        defaults = WorkbenchSettings(appearance=settings.appearance)
        return MainWindow(defaults, [*messages, note], persist=persist)


def _take_screenshot(app: QApplication, window: MainWindow, out: Path) -> int:
    status = {"code": 1}

    def grab() -> None:
        app.processEvents()
        if window.grab().save(str(out)):
            status["code"] = 0
            print(f"saved {out}")
        else:
            print(f"error: could not write {out}", file=sys.stderr)
        window.shutdown()  # closing after shutdown never asks about unsaved changes
        window.close()
        app.exit(status["code"])

    def on_result(_outcome: object) -> None:
        # The first run after start-up includes one-off costs (first calls into the JIT
        # code, caches); the picture shows the timings of a second, steady-state run.
        if window.session_views.results_shown == 1:
            window.session_compute.request(urgent=True)
            return
        finish()

    def finish(_message: str = "") -> None:
        window.sigResultShown.disconnect(on_result)
        window.sigComputeFailed.disconnect(finish)  # an error in place is worth a picture too
        QTimer.singleShot(SCREENSHOT_SETTLE_MS, grab)

    def on_timeout() -> None:
        print(f"error: no result within {SCREENSHOT_TIMEOUT_S} s; "
              f"{window.message_bar.text or window.session.problem or ''}", file=sys.stderr)
        window.shutdown()
        window.close()
        app.exit(1)

    window.sigResultShown.connect(on_result)
    window.sigComputeFailed.connect(finish)
    timer = QTimer(window)
    timer.setSingleShot(True)
    timer.timeout.connect(on_timeout)
    timer.start(SCREENSHOT_TIMEOUT_S * 1000)
    app.exec()
    return status["code"]


def run_gui(workspace: str | None = None, image: str | None = None,
            screenshot: str | None = None, size: tuple[int, int] | None = None,
            appearance: str | None = None) -> int:
    """Open the Conv Workbench window and run the event loop.

    Parameters
    ----------
    workspace : str, optional
        Workspace file to start with (a filter bank file is accepted too).
    image : str, optional
        Image to start with instead of the last one.
    screenshot : str, optional
        Render offscreen, save this PNG once the first maps are drawn (or the reason they
        cannot be), and exit. The session is not saved in this mode.
    size : (int, int), optional
        Window width and height, instead of the remembered (or screen-fitted) size.
    appearance : str, optional
        "system", "light" or "dark" instead of the remembered appearance.

    Returns
    -------
    int
        Process exit code: 0 on success, 1 if the screenshot failed, 2 for a bad workspace
        in screenshot mode, 128 + the signal number after SIGTERM, SIGHUP or SIGINT (the
        window is shut down as by Quit: a recording is finished, the settings saved).
    """
    if screenshot and not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    prefer_gui_responsiveness()
    app = make_application()
    settings, messages = load_settings()
    if image:
        settings.image = str(Path(image).resolve())
    if appearance is not None:
        settings.appearance = appearance
    if screenshot:  # nobody to ask: a workspace's camera opens as it did before
        workspace_state.camera_prompt = _open_camera_unasked
    window = build_window(settings, messages, persist=screenshot is None)
    if workspace and Path(workspace).suffix.lower() in MODEL_SUFFIXES:
        window.models.open(workspace, wait=screenshot is not None)  # conv-workbench MODEL
    elif workspace:
        if not window.open_workspace(workspace) and screenshot:
            print(f"error: {window.message_bar.text}", file=sys.stderr)
            window.close()
            return 2
        if image:  # an explicit --image wins over the workspace's source
            window.open_image(image)
    if size is not None:
        window.resize(*size)
    window.show()
    if screenshot:
        return _take_screenshot(app, window, Path(screenshot))
    recovery = OrphanRecovery(window, window.show_message)  # a crash's unfinished recordings
    QTimer.singleShot(0, lambda: recovery.offer([window.live_panel.record_folder]))
    # SIGTERM at logout or `kill` finishes a recording and saves the settings, as Quit does.
    exit_signals = install_exit_signals(app, window.shutdown)
    try:
        return app.exec()
    finally:
        if exit_signals is not None:
            exit_signals.uninstall()
