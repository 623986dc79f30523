"""Predict, then reveal: the classroom bar that hides the answers and asks for them.

While the bar is open the maps (and, for a size question, every output size the window
shows) are hidden. The app picks a cell of the selected filter's map, or the student does,
the student types the value (or the size) and presses Check; a wrong answer says how it is
wrong, Reveal shows the maps again and explains the value in the inspector. A teacher can
export the example as a worksheet with an answer key.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.appearance import set_kind
from workbench.session import Session
from workbench.tutorials.quiz import Question, ask_shape, ask_value


class ClassroomBar(QWidget):
    """Ask one question at a time about the selected filter's output.

    Parameters
    ----------
    session : Session
        The state (the answers come from its current result).
    parent : QWidget, optional
        Qt parent.

    Signals
    -------
    sigHide(bool, bool)
        Hide (True) or show the maps, and the output sizes.
    sigExplain(str, int, int, int)
        Explain a revealed value: stage, enabled filter, row, column.
    """

    sigHide = Signal(bool, bool)
    sigExplain = Signal(str, int, int, int)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("classroomBar")
        self._session = session
        self.question: Question | None = None
        self.revealed = False
        self._rng = np.random.default_rng()
        self.export_worksheet: Callable[[], object] | None = None

        self.kind = QComboBox()
        self.kind.addItem("a value", "value")
        self.kind.addItem("the output size", "shape")
        self.kind.setToolTip("What the student is asked for")
        self.stage = QComboBox()
        self.stage.addItem("feature map", "conv")
        self.stage.addItem("pooled map", "pooled")
        self.stage.setToolTip("Ask about the map after the activation, or after the pooling")
        self.hide_maps = QCheckBox("Hide &maps")
        self.hide_maps.setChecked(True)
        self.hide_maps.setToolTip("Hide the maps until the answer is revealed (the input "
                                  "stays visible)")
        self.hide_maps.toggled.connect(lambda _: self._emit_hide())
        self.new_button = QPushButton("&New question")
        self.new_button.setToolTip("Pick a random cell of the selected filter's map")
        self.new_button.clicked.connect(self.new_question)
        self.pick_y, self.pick_x = QSpinBox(), QSpinBox()
        for box, axis in ((self.pick_y, "row"), (self.pick_x, "column")):
            box.setPrefix("y " if axis == "row" else "x ")
            box.setToolTip(f"The output {axis} to ask about")
        self.ask_button = QPushButton("As&k this cell")
        self.ask_button.setToolTip("Ask about the cell (y, x) chosen here")
        self.ask_button.clicked.connect(self.ask_chosen_cell)
        self.question_label = QLabel()
        self.question_label.setWordWrap(True)
        self.answer = QLineEdit()
        self.answer.setPlaceholderText("your answer, e.g. 3, 1/9 or 6x6")
        self.answer.setToolTip("Numbers, fractions and + - * / are accepted")
        self.answer.returnPressed.connect(self.check)
        self.check_button = QPushButton("&Check")
        self.check_button.setToolTip("Check the answer (Enter)")
        self.check_button.clicked.connect(self.check)
        self.reveal_button = QPushButton("&Reveal")
        self.reveal_button.setToolTip("Show the maps and explain the value")
        self.reveal_button.clicked.connect(self.reveal)
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        self.worksheet_button = QPushButton("&Worksheet…")
        self.worksheet_button.setToolTip("Export the input, kernel and blank output as a PDF "
                                         "or PNG, with the answer key on a second page")
        self.worksheet_button.clicked.connect(self._on_worksheet)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Leave predict-then-reveal: the maps come back (Esc)")
        close.clicked.connect(self.close_bar)

        # Three short rows, so the bar fits the maps' column of a 1280 px window.
        top, middle, bottom = QHBoxLayout(), QHBoxLayout(), QHBoxLayout()
        for row in (top, middle, bottom):
            row.setContentsMargins(0, 0, 0, 0)
            row.setSpacing(4)
        top.addWidget(QLabel("<b>Predict, then reveal</b> — ask"))
        for widget in (self.kind, QLabel("of the"), self.stage):
            top.addWidget(widget)
        top.addStretch(1)
        top.addWidget(close)
        middle.addWidget(self.question_label, 2)
        middle.addWidget(self.answer, 1)
        middle.addWidget(self.check_button)
        middle.addWidget(self.reveal_button)
        for control in (self.new_button, self.pick_y, self.pick_x, self.ask_button,
                        self.hide_maps):
            bottom.addWidget(control)
        bottom.addStretch(1)
        bottom.addWidget(self.worksheet_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        for row in (top, middle, bottom):
            layout.addLayout(row)
        layout.addWidget(self.verdict)
        shortcut = QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close_bar)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.kind.currentIndexChanged.connect(lambda _: self.new_question())
        self.stage.currentIndexChanged.connect(lambda _: self.new_question())
        # A question is about the maps it was asked on: when the kernel, the parameters, the
        # input, the layer or the filter change, the next result asks a new one.
        self._stale = False
        session.pipeline_changed.connect(lambda _: self._mark_stale())
        session.selection_changed.connect(lambda _: self._mark_stale())
        session.input_changed.connect(
            lambda state: None if state.kind == "frame" else self._mark_stale())
        session.result_changed.connect(lambda _: self._on_result())
        self.hide()

    def _mark_stale(self) -> None:
        if self.isVisible() and self.question is not None:
            self._stale = True
            self.question_label.setText("The example changed: a new question follows…")

    def _on_result(self) -> None:
        if self._stale and self.isVisible() and self._session.result_is_current:
            self._stale = False
            self._ask(None)
            self._show_verdict("The example changed, so this is a new question.", "info")

    # ------------------------------------------------------------ asking

    def _target(self) -> tuple[int, int] | None:
        session = self._session
        shown = session.result
        if shown is None:
            return None
        if session.layer_index >= len(shown.result.layers) or session.selected_map < 0:
            return None
        return session.layer_index, session.selected_map

    def open_bar(self) -> None:
        """Show the bar, hide the answers and ask a first question."""
        self.show()
        self.new_question()
        self.answer.setFocus(Qt.FocusReason.OtherFocusReason)

    def close_bar(self) -> None:
        """Hide the bar and show the maps and sizes again."""
        self.hide()
        self.question = None
        self.sigHide.emit(False, False)

    def new_question(self) -> None:
        """Ask about a random cell (or the size) of the selected filter's map."""
        self._ask(None)

    def ask_chosen_cell(self) -> None:
        """Ask about the cell chosen in the y / x boxes."""
        self._ask((self.pick_y.value(), self.pick_x.value()))

    def _ask(self, cell: tuple[int, int] | None) -> None:
        target = self._target()
        shown = self._session.result
        if target is None or shown is None:
            self.question = None
            self.question_label.setText("Nothing to ask yet: the maps are still being "
                                        "computed, or the layer has no enabled filter.")
            return
        layer_index, filter_index = target
        layer = shown.pipeline.layers[layer_index]
        stage = self.stage.currentData()
        self.stage.setEnabled(layer.pool.kind != "none")
        shape_question = self.kind.currentData() == "shape"
        # Their ranges are the map's size: a size question must not show them.
        for widget in (self.pick_y, self.pick_x, self.ask_button):
            widget.setEnabled(not shape_question)
        if shape_question:
            self.question = ask_shape(shown.result, layer, layer_index, filter_index, stage)
        else:
            try:
                self.question = ask_value(shown.result, layer, layer_index, filter_index,
                                          stage, cell=cell, rng=self._rng)
            except ValueError:  # a cell picked on a larger map: ask a random one instead
                self.question = ask_value(shown.result, layer, layer_index, filter_index,
                                          stage, rng=self._rng)
        maps = shown.result.layers[layer_index]
        size = (maps.pooled if self.question.stage == "pooled" else maps.activated)[
            filter_index].shape
        for box, limit in ((self.pick_y, size[0]), (self.pick_x, size[1])):
            box.blockSignals(True)
            box.setRange(0, limit - 1)
            box.blockSignals(False)
        if self.question.kind == "value":
            self.pick_y.setValue(self.question.y)
            self.pick_x.setValue(self.question.x)
        self.revealed = False
        self.question_label.setText(self.question.text)
        self.answer.clear()
        self._show_verdict("", "")
        self._emit_hide()

    def _emit_hide(self) -> None:
        if self.isHidden():
            return
        hidden = not self.revealed
        shape_question = self.question is not None and self.question.kind == "shape"
        self.sigHide.emit(hidden and (self.hide_maps.isChecked() or shape_question),
                          hidden and shape_question)

    # ------------------------------------------------------------ answering

    def check(self) -> None:
        """Check the typed answer; a right one reveals and explains."""
        if self.question is None:
            return
        verdict = self.question.check(self.answer.text())
        self._show_verdict(verdict.message if verdict.correct else
                           f"Not quite: {verdict.message}. Try again, or Reveal.",
                           "info" if verdict.correct else "warning")
        if verdict.correct:
            self._reveal()

    def reveal(self) -> None:
        """Show the answer, the maps, and how the value comes about."""
        if self.question is None:
            return
        q = self.question
        answer = (f"{q.answer[0]} × {q.answer[1]}" if isinstance(q.answer, tuple)
                  else f"{q.answer:.6g}")
        self._show_verdict(f"The answer is {answer}.", "info")
        self._reveal()

    def _reveal(self) -> None:
        self.revealed = True
        self._emit_hide()
        q = self.question
        if q is not None and q.kind == "value":
            self.sigExplain.emit(q.stage, q.filter, q.y, q.x)

    def _show_verdict(self, text: str, kind: str) -> None:
        self.verdict.setText(text)
        set_kind(self.verdict, "tone", "error" if kind == "warning" else "")

    def _on_worksheet(self) -> None:
        if self.export_worksheet is not None:
            self.export_worksheet()
