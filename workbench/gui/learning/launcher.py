"""The Learn menu's two windows, created on first use and closed with the main window."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from workbench.gui.learning.cnn_window import CnnWindow
from workbench.gui.learning.detective_window import DetectiveWindow
from workbench.session import Session


class LearningWindows:
    """Opens (and raises) the kernel detective and the CNN trainer.

    Parameters
    ----------
    session : Session
        The main window's session.
    parent : QWidget
        The main window.
    """

    def __init__(self, session: Session, parent: QWidget) -> None:
        self._session, self._parent = session, parent
        self.detective: DetectiveWindow | None = None
        self.cnn: CnnWindow | None = None

    def show_detective(self) -> DetectiveWindow:
        """Show the "Learn a kernel" window.

        Returns
        -------
        DetectiveWindow
            The window (created on first use).
        """
        if self.detective is None:
            self.detective = DetectiveWindow(self._session, self._parent)
        self.detective.show()
        self.detective.raise_()
        self.detective.activateWindow()
        self.detective.start()
        return self.detective

    def show_cnn(self) -> CnnWindow:
        """Show the "Train a small CNN" window.

        Returns
        -------
        CnnWindow
            The window (created on first use).
        """
        if self.cnn is None:
            self.cnn = CnnWindow(self._session, self._parent)
        self.cnn.show()
        self.cnn.raise_()
        self.cnn.activateWindow()
        self.cnn.start()
        return self.cnn

    def shutdown(self) -> None:
        """Stop both training threads and close the windows."""
        for window in (self.detective, self.cnn):
            if window is not None:
                window.shutdown()
                window.close()
