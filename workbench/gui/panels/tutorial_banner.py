"""The banner of a loaded tutorial example, with the way back to the user's own work."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from workbench.session import InputState, Session


class TutorialBanner(QWidget):
    """Shown exactly while the session's input is a tutorial example.

    Parameters
    ----------
    session : Session
        Whose input decides the banner; "Back to your work" leaves the example.
    parent : QWidget, optional
        Qt parent.
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tutorialBanner")
        self._session = session
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.back_button = QPushButton("&Back to your work")
        self.back_button.setToolTip("Leave the tutorial example: your input, filters and "
                                    "parameters from before it come back (undoable).")
        self.back_button.clicked.connect(session.leave_tutorial)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.back_button)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)  # the appearance's colours
        self.suppressed = False
        session.input_changed.connect(self._on_input_changed)
        self._on_input_changed(session.input)

    def set_suppressed(self, suppressed: bool) -> None:
        """Hide the banner while answers are hidden (it quotes the expected output).

        Parameters
        ----------
        suppressed : bool
            Keep it hidden.
        """
        self.suppressed = suppressed
        self._on_input_changed(self._session.input)

    def _on_input_changed(self, _state: InputState) -> None:
        example = self._session.tutorial
        if example is not None:
            self.label.setText(f"<b>Tutorial example: {escape(example.name)}</b> — "
                               f"{escape(example.description)} <i>({escape(example.source)})</i>")
        self.setVisible(example is not None and not self.suppressed)
