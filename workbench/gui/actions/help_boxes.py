"""The Help menu's boxes: the guide, keyboard shortcuts (read from the menus) and About."""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QMessageBox

from workbench import __version__
from workbench.gui.actions.guide import GuideWindow


class HelpBoxes:
    """Non-modal help boxes of one window; a second request replaces the open box.

    Parameters
    ----------
    window : QMainWindow
        Parent; its menu bar lists the shortcuts.
    """

    def __init__(self, window: QMainWindow) -> None:
        self.window = window
        self.info_box: QMessageBox | None = None
        self.guide: GuideWindow | None = None

    def close(self) -> None:
        """Close the open box and the guide, if any."""
        if self.info_box is not None:
            self.info_box.close()
        if self.guide is not None:
            self.guide.close()

    def show_guide(self, open_tutorial: Callable[[str], object]) -> GuideWindow:
        """Show the guide window (non-modal; a second request raises the open one).

        Parameters
        ----------
        open_tutorial : callable
            Loads a tutorial example by key when its link is clicked.

        Returns
        -------
        GuideWindow
            The window shown.
        """
        if self.guide is None:
            self.guide = GuideWindow(open_tutorial, self.window)
        self.guide.show()
        self.guide.raise_()
        self.guide.activateWindow()
        return self.guide


    def shortcut_list(self) -> list[tuple[str, str]]:
        """List the menu commands that have keyboard shortcuts.

        Returns
        -------
        list of (str, str)
            ``(command, keys)`` in menu order, keys in the platform's notation.
        """
        rows: dict[str, str] = {}
        for menu in self.window.menuBar().findChildren(QMenu):
            for action in menu.actions():
                keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText)
                                 for k in action.shortcuts())
                if keys:
                    rows.setdefault(action.text().replace("&", "").rstrip("…"), keys)
        return list(rows.items())

    def show_shortcuts(self) -> None:
        """Show the keyboard shortcuts in a non-modal box."""
        rows = "".join(f"<tr><td>{html.escape(name)}</td><td>&nbsp;&nbsp;<b>"
                       f"{html.escape(keys)}</b></td></tr>" for name, keys in self.shortcut_list())
        grid = ("<p>In the kernel grid: type a number to replace a cell, Enter moves down, "
                "Tab across (after the last cell it moves on to the bias and the parameters, "
                "Ctrl+Tab leaves at once), Delete clears, Ctrl+C / Ctrl+V copy and paste "
                "blocks. Cells take fractions and simple arithmetic: 1/9, -2*0.5, (1+2)/3.</p>")
        self._show_info("Keyboard shortcuts", f"<table>{rows}</table>{grid}")

    def show_about(self) -> None:
        """Show the version and purpose in a non-modal box."""
        self._show_info("About Conv Workbench", (
            f"<h3>Conv Workbench {html.escape(__version__)}</h3>"
            "<p>Type filter weights, set stride, padding, dilation, groups, activation and "
            "pooling, and watch every filter's feature map and pooled map on a photo, video "
            "or webcam, with numbers that match PyTorch's conv2d and pooling.</p>"
            "<p>Built with PySide6, pyqtgraph, NumPy, Numba and OpenCV.</p>"))

    def _show_info(self, title: str, text: str) -> None:
        # Not modal: the window keeps updating, and a second request replaces the box.
        if self.info_box is not None:
            self.info_box.close()
        box = QMessageBox(QMessageBox.Icon.NoIcon, title, text,
                          QMessageBox.StandardButton.Close, self.window)
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setModal(False)
        box.destroyed.connect(lambda _=None, b=box: self._forget_info(b))
        self.info_box = box
        box.show()

    def _forget_info(self, box: QMessageBox) -> None:
        if self.info_box is box:
            self.info_box = None
