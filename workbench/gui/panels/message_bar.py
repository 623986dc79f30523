"""An inline, dismissable message strip for file and settings problems.

Used instead of modal dialogs, which would block the window (and the tests).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from workbench.gui.appearance import set_kind

KINDS = ("error", "warning", "info")


class MessageBar(QFrame):
    """A coloured line of text with a close button, hidden until :meth:`show_message`.

    Parameters
    ----------
    parent : QWidget, optional
        Qt parent.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBar")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss this message")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 3, 3, 3)
        layout.addWidget(self.label, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.kind = "info"
        self.hide()

    @property
    def text(self) -> str:
        """The message shown ("" when hidden)."""
        return self.label.text() if not self.isHidden() else ""

    def show_message(self, text: str, kind: str = "error") -> None:
        """Show ``text``; a new message replaces the previous one.

        Parameters
        ----------
        text : str
            Plain text.
        kind : {"error", "warning", "info"}, optional
            Colour scheme.
        """
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        self.kind = kind
        set_kind(self, "kind", kind)  # coloured by the appearance's style sheet
        self.label.setText(text)
        self.show()
