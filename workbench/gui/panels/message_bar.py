"""An inline, dismissable message strip for file and settings problems.

Used instead of modal dialogs, which would block the window (and the tests).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

_STYLES = {
    "error": ("#fdecea", "#b71c1c", "#f5c2c0"),
    "warning": ("#fff8e1", "#6d4c00", "#ffe082"),
    "info": ("#e8f0fe", "#174ea6", "#c6dafc"),
}


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
        background, color, border = _STYLES[kind]
        self.kind = kind
        self.setStyleSheet(f"#messageBar {{ background: {background}; border: 1px solid "
                           f"{border}; border-radius: 3px; }} #messageBar QLabel "
                           f"{{ color: {color}; }}")
        self.label.setText(text)
        self.show()
