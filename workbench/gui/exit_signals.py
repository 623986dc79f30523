"""Quit cleanly on SIGTERM, SIGHUP and SIGINT: finish a recording, save the settings, exit.

Python runs a signal handler only between bytecodes of the main thread, and Qt's event
loop is C++: without help a signal waits until the next Python callback, which may be
never in an idle window. :func:`install_exit_signals` gives the handler a wake-up pipe
(``signal.set_wakeup_fd``) watched by a ``QSocketNotifier``, so the handler runs at once
on the GUI thread, and defers the shutdown to the event loop, where closing the window
is safe. The exit code is the shell's ``128 + signal number`` (143 for SIGTERM).
"""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import Callable
from types import FrameType

from PySide6.QtCore import QObject, QSocketNotifier, QTimer
from PySide6.QtWidgets import QApplication

EXIT_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGINT") if hasattr(signal, name))
"""The signals that close the window the way File > Quit does, without asking."""


class ExitSignals(QObject):
    """Turn exit signals into a clean shutdown on the GUI thread.

    Parameters
    ----------
    app : QApplication
        The application whose event loop exits with ``128 + signum``.
    shutdown : callable
        Called once, on the GUI thread, before the loop exits: it must finish what would
        otherwise be lost (the main window's ``shutdown`` finishes a recording).
    """

    def __init__(self, app: QApplication, shutdown: Callable[[], None]) -> None:
        super().__init__(app)
        self._app = app
        self._shutdown = shutdown
        self.received: int | None = None
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        self._previous = {signum: signal.signal(signum, self._on_signal)
                          for signum in EXIT_SIGNALS}

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self.received is not None:
            return  # a second signal while shutting down changes nothing
        self.received = signum
        QTimer.singleShot(0, self._quit)

    def _drain(self) -> None:
        try:
            while self._reader.recv(64):
                pass
        except OSError:  # nothing left to read
            pass

    def _quit(self) -> None:
        signum = self.received if self.received is not None else signal.SIGTERM
        try:
            self._shutdown()
        finally:
            self._app.exit(128 + int(signum))

    def uninstall(self) -> None:
        """Restore the previous handlers and wake-up descriptor."""
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        signal.set_wakeup_fd(self._previous_fd)
        self._notifier.setEnabled(False)
        self._reader.close()
        self._writer.close()


def install_exit_signals(app: QApplication, shutdown: Callable[[], None]) -> ExitSignals | None:
    """Close cleanly on SIGTERM / SIGHUP / SIGINT while the event loop runs.

    Parameters
    ----------
    app : QApplication
        The running application.
    shutdown : callable
        Finishes the window's work (recording, settings) before the loop exits.

    Returns
    -------
    ExitSignals or None
        The installed handlers, or None off the main thread (where Python cannot install
        signal handlers) or on a platform without these signals.
    """
    if not EXIT_SIGNALS or os.name == "nt":
        return None
    try:
        return ExitSignals(app, shutdown)
    except ValueError:  # not the main thread
        return None
