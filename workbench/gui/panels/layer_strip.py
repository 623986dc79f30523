"""The layer strip: the stack's layers, which one the panels edit, and the shape arithmetic."""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.core import Pipeline
from workbench.gui.appearance import tones
from workbench.gui.qt_actions import make_action
from workbench.session import InputState, Selection, Session
from workbench.session.stack_edits import STACK_PRESETS, layer_summary, stack_steps

ROW_HEIGHT = 22


class LayerStrip(QWidget):
    """List the layers; add, duplicate, delete and reorder them; pick the one to edit.

    Parameters
    ----------
    session : Session
        Owns the stack and the selected layer.
    parent : QWidget, optional
        Qt parent.
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self.list = QListWidget()
        self.list.setObjectName("layerList")
        self.list.setToolTip("The layers of the network, input first. The filter bank, kernel "
                             "and parameters edit the selected one (Ctrl+PgUp / Ctrl+PgDown).")
        self.list.currentRowChanged.connect(self._on_row_changed)

        self.actions_by_name: dict[str, QAction] = {}
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.setSpacing(2)
        for name, text, tip, shortcut, slot in (
            ("add", "&Add layer", "Add a layer after the selected one: identity kernels "
             "copying its maps, ready to edit", "Ctrl+Shift+N", session.add_layer),
            ("duplicate", "D&uplicate layer", "Insert a copy of the selected layer after it",
             "Ctrl+Shift+D", session.duplicate_layer),
            ("delete", "De&lete layer", "Delete the selected layer (the next one is refitted to "
             "the maps it then reads)", "Ctrl+Shift+Del", session.delete_layer),
            ("up", "▲", "Move the selected layer towards the input", "Ctrl+Shift+Up",
             lambda: session.move_layer(-1)),
            ("down", "▼", "Move the selected layer towards the output", "Ctrl+Shift+Down",
             lambda: session.move_layer(1)),
            ("previous", "&Previous layer", "Edit the layer before", "Ctrl+PgUp",
             lambda: self._step(-1)),
            ("next", "&Next layer", "Edit the layer after", "Ctrl+PgDown",
             lambda: self._step(1)),
        ):
            action = make_action(self, text, slot, shortcut, tip,
                                 context=Qt.ShortcutContext.WindowShortcut, tip_shows_key=True)
            self.addAction(action)
            self.actions_by_name[name] = action
            if name in ("previous", "next"):
                continue
            # Menus show the text ("&Add layer"), the strip's buttons the short icon text.
            action.setIconText({"add": "Add", "duplicate": "Duplicate", "delete": "Delete"}
                               .get(name, text))
            button = QToolButton()
            button.setDefaultAction(action)
            button.setAutoRaise(True)
            bar.addWidget(button)
        self.presets = QToolButton()
        self.presets.setText("Teaching stacks")
        self.presets.setToolTip("Replace the pipeline by a small teaching stack (undoable)")
        self.presets.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu("&Teaching stacks", self.presets)
        for key, (title, _build) in STACK_PRESETS.items():
            def open_preset(key: str = key) -> None:
                session.open_stack_preset(key)
            menu.addAction(title, open_preset)
        self.presets.setMenu(menu)
        bar.addStretch(1)
        bar.addWidget(self.presets)

        self.shapes = QLabel()
        self.shapes.setObjectName("stackShapes")
        self.shapes.setWordWrap(True)
        self.shapes.setTextFormat(Qt.TextFormat.RichText)
        self.shapes.setToolTip("Output shape after every step of the stack (maps × rows × "
                               "columns); the first impossible step is named in red.")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.list)
        layout.addLayout(bar)
        layout.addWidget(self.shapes)

        self._plain = ""
        self._shapes_key: tuple[object, object] = (None, None)
        session.pipeline_changed.connect(self._on_pipeline_changed)
        session.selection_changed.connect(self._on_selection_changed)
        session.input_changed.connect(self._on_input_changed)
        self._on_pipeline_changed(session.pipeline)

    @property
    def shapes_text(self) -> str:
        """The shape arithmetic as plain text."""
        return self._plain

    def _step(self, delta: int) -> None:
        self._session.select(layer=self._session.layer_index + delta)

    def _on_row_changed(self, row: int) -> None:
        if row >= 0 and row != self._session.layer_index:
            self._session.select(layer=row, filter=0, channel=0)

    def _on_pipeline_changed(self, pipeline: Pipeline) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for k, layer in enumerate(pipeline.layers):
            item = QListWidgetItem(f"Layer {k + 1}: {layer_summary(layer)}")
            item.setToolTip(f"Layer {k + 1}: click to edit its filters and parameters")
            self.list.addItem(item)
        self.list.setCurrentRow(self._session.layer_index)
        self.list.blockSignals(False)
        rows = min(max(len(pipeline.layers), 2), 5)
        self.list.setFixedHeight(rows * ROW_HEIGHT + 6)
        count = len(pipeline.layers)
        self.actions_by_name["delete"].setEnabled(count > 1)
        self._on_selection_changed(self._session.selection)
        self._update_shapes()

    def _on_selection_changed(self, selection: Selection) -> None:
        if self.list.currentRow() != selection.layer:
            self.list.blockSignals(True)
            self.list.setCurrentRow(selection.layer)
            self.list.blockSignals(False)
        count = len(self._session.pipeline.layers)
        self.actions_by_name["up"].setEnabled(selection.layer > 0)
        self.actions_by_name["down"].setEnabled(selection.layer < count - 1)
        self.actions_by_name["previous"].setEnabled(selection.layer > 0)
        self.actions_by_name["next"].setEnabled(selection.layer < count - 1)

    def _on_input_changed(self, state: InputState) -> None:
        self._update_shapes()

    def _update_shapes(self) -> None:
        tensor = self._session.tensor
        key = (self._session.pipeline, None if tensor is None else tensor.shape)
        if key == self._shapes_key:
            return  # the next frame of a stream: the same arithmetic
        self._shapes_key = key
        if tensor is None or tensor.ndim != 3:
            self._plain = ""
            self.shapes.setText("")
            return
        steps, problem = stack_steps(self._session.pipeline, tensor.shape)
        self._plain = " → ".join(steps) + (f" → {problem}" if problem else "")
        text = " → ".join(html.escape(s) for s in steps)
        t = tones(self)
        if problem:
            text += f" → <span style='color:{t.error}'>{html.escape(problem)}</span>"
        self.shapes.setText(f"<span style='color:{t.muted}'>{text}</span>")

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        """Redraw the shape line in the new colours when the appearance changes."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "_shapes_key"):
            self._shapes_key = (None, None)
            self._update_shapes()
