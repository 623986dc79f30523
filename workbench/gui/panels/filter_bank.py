"""The filter-bank panel: the list of filters and the actions that edit it.

Each row has an enable box, the name (renamed inline) and a kernel thumbnail; buttons and
shortcuts add, duplicate, delete, reorder and load presets.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QDropEvent, QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.core import PRESETS, Filter, Pipeline, preset_filter
from workbench.gui.qt_actions import make_action
from workbench.session import Selection, Session
from workbench.session.edits import (
    copy_name,
    insert_filter,
    move_filter,
    new_filter,
    reorder_filters,
    replace_filters,
    unique_name,
)

THUMBNAIL_SIZE = 30
_ROLE_INDEX = Qt.ItemDataRole.UserRole


def kernel_rgba(weight: np.ndarray) -> np.ndarray:
    """Colour a kernel for its thumbnail: blue negative, white zero, red positive.

    A multi-channel kernel shows the mean of its slices.

    Parameters
    ----------
    weight : numpy.ndarray
        ``(C, kH, kW)`` or ``(kH, kW)`` weights.

    Returns
    -------
    numpy.ndarray
        ``(kH, kW, 4)`` uint8 RGBA, scaled by the largest magnitude.
    """
    k = np.asarray(weight, dtype=np.float64)
    if k.ndim == 3:
        k = k.mean(axis=0)
    peak = float(np.abs(k).max())
    t = k / peak if peak > 0 else np.zeros_like(k)
    pos, neg = np.clip(t, 0, 1), np.clip(-t, 0, 1)
    white = np.array([248.0, 248.0, 248.0])
    red, blue = np.array([200.0, 30.0, 40.0]), np.array([30.0, 80.0, 200.0])
    rgb = (white * (1 - pos - neg)[..., None] + red * pos[..., None] + blue * neg[..., None])
    alpha = np.full(k.shape + (1,), 255.0)
    return np.ascontiguousarray(np.concatenate([rgb, alpha], axis=2).round().astype(np.uint8))


def kernel_icon(weight: np.ndarray, size: int = THUMBNAIL_SIZE) -> QIcon:
    """Draw a small picture of a kernel, one flat square per weight, with a thin frame.

    Parameters
    ----------
    weight : numpy.ndarray
        ``(C, kH, kW)`` weights.
    size : int, optional
        Icon side in pixels.

    Returns
    -------
    QIcon
        The thumbnail.
    """
    rgba = kernel_rgba(weight)
    h, w = rgba.shape[:2]
    image = QImage(rgba.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()
    scaled = image.scaled(size - 2, size - 2, Qt.AspectRatioMode.KeepAspectRatio,
                          Qt.TransformationMode.FastTransformation)
    canvas = QImage(size, size, QImage.Format.Format_RGBA8888)
    canvas.fill(Qt.GlobalColor.transparent)
    painter = QPainter(canvas)
    x0, y0 = (size - scaled.width()) // 2, (size - scaled.height()) // 2
    painter.drawImage(x0, y0, scaled)
    painter.setPen(Qt.GlobalColor.darkGray)
    painter.drawRect(x0 - 1, y0 - 1, scaled.width() + 1, scaled.height() + 1)
    painter.end()
    return QIcon(QPixmap.fromImage(canvas))


def filter_tooltip(f: Filter) -> str:
    """Hover text for a filter row: name, size, bias and the weights of the first slice.

    Parameters
    ----------
    f : Filter
        The filter.

    Returns
    -------
    str
        Plain text.
    """
    c, kh, kw = f.weight.shape
    rows = "\n".join("  ".join(f"{v:g}" for v in row) for row in f.weight[0])
    slices = f", {c} channel slices (first shown)" if c > 1 else ""
    return f"{f.name}: {kh}x{kw}{slices}, bias {f.bias:g}\n{rows}"


class _BankList(QListWidget):
    """A list whose drag-and-drop reports the new order to the model."""

    sigOrderDropped = Signal(list)  # old indices in their new order

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt override)
        super().dropEvent(event)
        order = [self.item(row).data(_ROLE_INDEX) for row in range(self.count())]
        self.sigOrderDropped.emit(order)


class FilterBankPanel(QWidget):
    """List and edit the filters of the session's selected layer.

    Parameters
    ----------
    session : Session
        Edited in place through undoable steps.
    parent : QWidget, optional
        Qt parent.
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._updating = False
        self.list = _BankList()
        self.list.setObjectName("filterList")
        self.list.setIconSize(QSize(THUMBNAIL_SIZE, THUMBNAIL_SIZE))
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                  | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.list.setSpacing(1)
        self.list.setToolTip("The filters of the layer. Tick to compute a filter, double-click "
                             "(or F2) to rename, drag to reorder.")
        self.list.itemChanged.connect(self._on_item_changed)
        self.list.currentRowChanged.connect(self._on_current_row_changed)
        self.list.sigOrderDropped.connect(self._on_order_dropped)

        self.preset_menu = QMenu("Add preset", self)
        self.preset_menu.setToolTipsVisible(True)
        for preset in PRESETS.values():
            action = self.preset_menu.addAction(preset.title)
            action.setToolTip(preset.description)
            action.setStatusTip(preset.description)
            action.triggered.connect(lambda _=False, key=preset.key: self.add_preset(key))

        self.add_action = self._action("Add", "Add a new 3x3 filter of zeros after the selected "
                                       "one", self.add_filter, "Ctrl+N")
        self.duplicate_action = self._action("Duplicate", "Copy the selected filter",
                                             self.duplicate_selected, "Ctrl+D")
        self.delete_action = self._action("Delete", "Remove the selected filter",
                                          self.delete_selected, "Ctrl+Del")
        self.rename_action = self._action("Rename", "Rename the selected filter",
                                          self.rename_selected, "F2")
        # Alt, because Ctrl+Shift+arrows extend selections in the kernel grid.
        self.up_action = self._action("Up", "Move the selected filter up", self.move_up,
                                      "Alt+Up")
        self.down_action = self._action("Down", "Move the selected filter down",
                                        self.move_down, "Alt+Down")
        # Delete also works on the focused list without the modifier.
        self.list.addAction(self._action("Delete", "", self.delete_selected, "Del",
                                         Qt.ShortcutContext.WidgetShortcut))

        buttons = QHBoxLayout()
        buttons.setSpacing(2)
        for button_action in (self.add_action, None, self.duplicate_action, self.delete_action,
                              self.up_action, self.down_action):
            button = QToolButton()
            if button_action is None:
                button.setText("Preset")
                button.setToolTip("Add a filter from the preset library")
                button.setMenu(self.preset_menu)
                button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
                button.setObjectName("presetButton")
            else:
                button.setDefaultAction(button_action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            buttons.addWidget(button)
        buttons.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self._shown_layer = 0  # the layer whose bank the list shows
        session.pipeline_changed.connect(self._on_pipeline_changed)
        session.selection_changed.connect(self._on_selection_changed)
        self._on_pipeline_changed(session.pipeline)
        self._on_selection_changed(session.selection)

    def _action(self, text: str, tip: str, slot: Callable[[], object], shortcut: str,
                context: Qt.ShortcutContext = Qt.ShortcutContext.WindowShortcut) -> QAction:
        return make_action(self, text, slot, shortcut, tip, context=context, tip_shows_key=True)

    @property
    def _layer(self) -> int:
        return self._session.layer_index

    @property
    def filters(self) -> tuple[Filter, ...]:
        """The bank shown."""
        return self._session.pipeline.layers[self._layer].filters

    def selected_index(self) -> int:
        """Row of the selected filter, -1 if none.

        Returns
        -------
        int
            The row.
        """
        return self.list.currentRow()

    def select(self, row: int) -> None:
        """Select the filter at ``row`` (clamped to the bank).

        Parameters
        ----------
        row : int
            Wanted row.
        """
        self._session.select(filter=row)

    # ------------------------------------------------------------------ edits

    def add_filter(self) -> None:
        """Insert a zero 3x3 filter after the selection and select it."""
        self._insert(new_filter(self._session.pipeline, self._layer))

    def add_preset(self, key: str) -> None:
        """Insert a filter from the preset ``key`` after the selection and select it.

        Parameters
        ----------
        key : str
            A key of :data:`workbench.core.PRESETS`.
        """
        self._insert(preset_filter(key))

    def _insert(self, f: Filter) -> None:
        row = self.selected_index()
        index = None if row < 0 else row + 1
        pipeline, index = insert_filter(self._session.pipeline, self._layer, f, index)
        self._session.set_pipeline(pipeline)
        self.select(index)

    def duplicate_selected(self) -> None:
        """Copy the selected filter (named "... (2)", "(3)" ...) right after it."""
        row = self.selected_index()
        if row < 0:
            return
        original = self.filters[row]
        taken = [f.name for f in self.filters]
        copy = Filter(copy_name(original.name, taken), original.weight,
                      original.bias, original.enabled)
        self._insert(copy)

    def delete_selected(self) -> None:
        """Remove the selected filter; the next one (or the last) becomes selected."""
        row = self.selected_index()
        if row < 0:
            return
        filters = list(self.filters)
        del filters[row]
        self._session.set_pipeline(replace_filters(self._session.pipeline, self._layer, filters))
        self.select(min(row, len(filters) - 1))

    def rename_selected(self) -> None:
        """Open the inline editor on the selected filter's name."""
        item = self.list.currentItem()
        if item is not None:
            self.list.editItem(item)

    def move_up(self) -> None:
        """Move the selected filter one place up."""
        self._move(-1)

    def move_down(self) -> None:
        """Move the selected filter one place down."""
        self._move(1)

    def _move(self, step: int) -> None:
        row = self.selected_index()
        target = row + step
        if row < 0 or not 0 <= target < len(self.filters):
            return
        self._session.set_pipeline(move_filter(self._session.pipeline, self._layer, row, target))
        self.select(target)

    # ---------------------------------------------------------------- signals

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        if self._updating:
            return
        row = self.list.row(item)
        f = self.filters[row]
        name = item.text().strip() or f.name
        enabled = item.checkState() == Qt.CheckState.Checked
        if (name, enabled) == (f.name, f.enabled):
            if item.text() != name:
                self._refresh_item(item, f)
            return
        if name != f.name:
            name = unique_name(name, [g.name for i, g in enumerate(self.filters) if i != row])
        filters = list(self.filters)
        filters[row] = Filter(name, f.weight, f.bias, enabled)
        self._session.set_pipeline(replace_filters(self._session.pipeline, self._layer, filters))

    def _on_order_dropped(self, order: list[int]) -> None:
        selected = self.list.currentItem()
        new_row = self.list.row(selected) if selected is not None else 0
        if order == list(range(len(order))):
            return
        self._session.set_pipeline(reorder_filters(self._session.pipeline, self._layer, order))
        self.select(new_row)

    def _on_current_row_changed(self, row: int) -> None:
        self._update_actions()
        if not self._updating and row >= 0:
            self._session.select(filter=row)

    def _on_selection_changed(self, selection: Selection) -> None:
        if selection.layer != self._shown_layer:  # another layer's bank
            self._on_pipeline_changed(self._session.pipeline)
        self._updating = True
        try:
            self.list.setCurrentRow(selection.filter)
        finally:
            self._updating = False
        self._update_actions()

    def _update_actions(self) -> None:
        row, count = self.selected_index(), self.list.count()
        has = row >= 0
        for action in (self.duplicate_action, self.delete_action, self.rename_action):
            action.setEnabled(has)
        self.up_action.setEnabled(has and row > 0)
        self.down_action.setEnabled(has and row < count - 1)

    def _refresh_item(self, item: QListWidgetItem, f: Filter) -> None:
        item.setText(f.name)
        item.setCheckState(Qt.CheckState.Checked if f.enabled else Qt.CheckState.Unchecked)
        item.setIcon(kernel_icon(f.weight))
        item.setToolTip(filter_tooltip(f))

    def _on_pipeline_changed(self, pipeline: Pipeline) -> None:
        self._shown_layer = self._layer
        filters = pipeline.layers[self._layer].filters
        self._updating = True
        try:
            while self.list.count() > len(filters):
                self.list.takeItem(self.list.count() - 1)
            while self.list.count() < len(filters):
                item = QListWidgetItem()
                item.setFlags(Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
                              | Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsUserCheckable
                              | Qt.ItemFlag.ItemIsDragEnabled)
                self.list.addItem(item)
            for i, f in enumerate(filters):
                item = self.list.item(i)
                item.setData(_ROLE_INDEX, i)
                self._refresh_item(item, f)
            self.list.setCurrentRow(self._session.selection.filter)
        finally:
            self._updating = False
        self._update_actions()
