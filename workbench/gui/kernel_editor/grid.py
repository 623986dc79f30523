"""The kernel grid: a spreadsheet-like table of one 2-D slice of a filter's weights."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPen,
    QValidator,
)
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QLineEdit,
    QSizePolicy,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from workbench.core import kernel_ops as ops
from workbench.gui.actions.undo_keys import UndoKeysToWindow, is_undo_redo
from workbench.gui.kernel_editor.cells import (
    PARTIAL_ARITHMETIC,
    PARTIAL_NUMBER,
    STARTS_NUMBER,
    cell_colours,
    display_text,
    not_a_number_message,
    parse_cell,
)


class _NumberValidator(QValidator):
    """Accepts numbers, arithmetic (1/9) and their prefixes while typing; reports the rest."""

    sigRejected = Signal(str)

    def validate(self, text: str, pos: int) -> QValidator.State:
        stripped = text.strip()
        if PARTIAL_NUMBER.fullmatch(stripped) or PARTIAL_ARITHMETIC.fullmatch(stripped):
            # "1/" or "(1+2" is on its way to a value; a finished "1/0" or "2**3" is refused
            # with its reason when the cell is committed (parse_cell), never silently changed.
            try:
                parse_cell(stripped)
            except ValueError:
                return QValidator.State.Intermediate
            return QValidator.State.Acceptable
        self.sigRejected.emit(not_a_number_message(stripped))
        return QValidator.State.Invalid


class SliceModel(QAbstractTableModel):
    """One 2-D slice of the kernel, with the colours and text the grid shows."""

    sigCellsEdited = Signal(object, float)  # [(row, col)], value
    sigMessage = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._values = np.zeros((0, 0), dtype=np.float32)
        self._peak = 0.0
        self._bold = QFont()
        self._bold.setBold(True)

    @property
    def values(self) -> np.ndarray:
        """The slice shown (read-only view)."""
        view = self._values.view()
        view.setflags(write=False)
        return view

    def set_values(self, values: np.ndarray, peak: float) -> None:
        """Show ``values`` (2-D), coloured on the scale ``-peak..peak``."""
        values = np.array(values, dtype=np.float32)
        if values.shape != self._values.shape:
            self.beginResetModel()
            self._values, self._peak = values, peak
            self.endResetModel()
            return
        self._values, self._peak = values, peak
        if values.size:
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(values.shape[0] - 1, values.shape[1] - 1))

    def centre(self) -> tuple[int, int]:
        """Return the centre tap, ``((kH - 1) // 2, (kW - 1) // 2)``."""
        return (self._values.shape[0] - 1) // 2, (self._values.shape[1] - 1) // 2

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else self._values.shape[0]

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else self._values.shape[1]

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemIsEditable)

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        r, c = index.row(), index.column()
        value = float(self._values[r, c])
        if role == Qt.ItemDataRole.DisplayRole:
            return display_text(value)
        if role == Qt.ItemDataRole.EditRole:
            return ops.format_value(value)
        if role == Qt.ItemDataRole.ToolTipRole:
            where = " (centre tap)" if (r, c) == self.centre() else ""
            return f"row {r}, column {c}{where}: {ops.format_value(value)}"
        if role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(cell_colours(value, self._peak)[0])
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(cell_colours(value, self._peak)[1])
        if role == Qt.ItemDataRole.FontRole and (r, c) == self.centre():
            return self._bold
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        return None

    def setData(self, index: QModelIndex | QPersistentModelIndex, value: object,
                role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or role != Qt.ItemDataRole.EditRole:
            return False
        try:
            number = parse_cell(str(value))
        except ValueError as exc:
            self.sigMessage.emit(str(exc))
            return False
        if np.float32(number) != self._values[index.row(), index.column()]:
            self.sigCellsEdited.emit([(index.row(), index.column())], number)
        return True


class _CellDelegate(QStyledItemDelegate):
    """Paints tinted cells and edits them in a validated line edit."""

    sigMove = Signal(str)  # "down", "next", "previous", "leave_next", "leave_previous"
    sigMessage = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._undo_filter = UndoKeysToWindow(self)

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem,
                     index: QModelIndex | QPersistentModelIndex) -> QWidget:
        editor = QLineEdit(parent)
        editor.setFrame(False)
        editor.setAlignment(Qt.AlignmentFlag.AlignCenter)
        validator = _NumberValidator(editor)
        validator.sigRejected.connect(self.sigMessage)
        editor.setValidator(validator)
        editor.installEventFilter(self._undo_filter)
        return editor

    def setEditorData(self, editor: QWidget, index: QModelIndex | QPersistentModelIndex) -> None:
        assert isinstance(editor, QLineEdit)
        editor.setText(str(index.data(Qt.ItemDataRole.EditRole)))

    def setModelData(self, editor: QWidget, model: QAbstractItemModel,
                     index: QModelIndex | QPersistentModelIndex) -> None:
        assert isinstance(editor, QLineEdit)
        model.setData(index, editor.text(), Qt.ItemDataRole.EditRole)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(watched, QLineEdit):
            assert isinstance(event, QKeyEvent)
            moves = {Qt.Key.Key_Return: "down", Qt.Key.Key_Enter: "down",
                     Qt.Key.Key_Tab: "next", Qt.Key.Key_Backtab: "previous"}
            direction = moves.get(Qt.Key(event.key()))
            mods = event.modifiers() & ~(Qt.KeyboardModifier.KeypadModifier
                                         | Qt.KeyboardModifier.ShiftModifier)
            if direction in ("next", "previous") and mods == Qt.KeyboardModifier.ControlModifier:
                direction = "leave_" + direction  # Ctrl+Tab leaves the grid at once
                mods = Qt.KeyboardModifier.NoModifier
            if direction is not None and mods == Qt.KeyboardModifier.NoModifier:
                try:
                    parse_cell(watched.text())
                except ValueError as exc:  # keep editing so the text can be fixed
                    self.sigMessage.emit(str(exc))
                    return True
                self.commitData.emit(watched)
                self.closeEditor.emit(watched, QAbstractItemDelegate.EndEditHint.NoHint)
                self.sigMove.emit(direction)
                return True
        return super().eventFilter(watched, event)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        # Draw the selection as a frame so that the value tint stays visible under it.
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        enabled = bool(opt.state & QStyle.StateFlag.State_Enabled)
        background = index.data(Qt.ItemDataRole.BackgroundRole)
        foreground = index.data(Qt.ItemDataRole.ForegroundRole)
        rect: QRect = opt.rect
        painter.save()
        if isinstance(background, QBrush):
            painter.fillRect(rect, background if enabled else opt.palette.window())
        pen_colour = foreground.color() if isinstance(foreground, QBrush) and enabled else \
            opt.palette.color(opt.palette.ColorGroup.Disabled, opt.palette.ColorRole.Text)
        painter.setPen(pen_colour)
        painter.setFont(opt.font)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, opt.text)
        if opt.state & QStyle.StateFlag.State_Selected:
            # A dark frame with a white lining reads on pale and on saturated cells alike.
            width = 3 if opt.state & QStyle.StateFlag.State_HasFocus else 2
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(opt.palette.color(opt.palette.ColorRole.Highlight).darker(130),
                                width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.SquareCap,
                                Qt.PenJoinStyle.MiterJoin))
            outer = rect.adjusted(width // 2, width // 2, -(width + 1) // 2, -(width + 1) // 2)
            painter.drawRect(outer)
            painter.setPen(QPen(QColor(255, 255, 255), 1))
            painter.drawRect(rect.adjusted(width, width, -width - 1, -width - 1))
        painter.restore()


class KernelGrid(QTableView):
    """The weight grid, driven like a spreadsheet.

    Typing a number replaces a cell, Enter moves down, Tab across (and out after the last
    cell; Ctrl+Tab leaves at once), Delete clears, Ctrl+C / Ctrl+V copy and paste blocks.
    """

    sigClear = Signal()
    sigCopy = Signal()
    sigPaste = Signal()
    sigMessage = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.delegate = _CellDelegate(self)
        self.setItemDelegate(self.delegate)
        self.delegate.sigMove.connect(self.move_current)
        self.delegate.sigMessage.connect(self.sigMessage)
        self.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                             | QAbstractItemView.EditTrigger.EditKeyPressed
                             | QAbstractItemView.EditTrigger.AnyKeyPressed)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setTabKeyNavigation(True)
        self.setWordWrap(False)
        self.setCornerButtonEnabled(False)
        self.horizontalHeader().hide()
        self.verticalHeader().hide()
        self.setGridStyle(Qt.PenStyle.SolidLine)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._room = 0  # width the editor can give the grid; 0 until it is laid out
        self.update_cell_size()

    def update_cell_size(self) -> None:
        """Size cells for values like ``-0.0625`` (and wider ones, if shown)."""
        bold = QFont(self.font())
        bold.setBold(True)
        metrics = QFontMetrics(bold)
        texts = ["-0.0625"]
        model = self.model()
        if model is not None:
            texts += [str(model.index(r, c).data()) for r in range(model.rowCount())
                      for c in range(model.columnCount())]
        width = max(metrics.horizontalAdvance(t) for t in texts) + 16
        columns = model.columnCount() if model is not None else 0
        frame = 2 * self.frameWidth()
        if self._room and columns and columns * width + frame > self._room:
            # A long row (1x9) narrows its cells to fit rather than scroll, down to
            # what its own values need.
            needed = max(metrics.horizontalAdvance(t) for t in texts[1:] or ["0"]) + 8
            width = max(needed, (self._room - frame) // columns)
        height = metrics.height() + 14
        self.horizontalHeader().setMinimumSectionSize(8)
        self.verticalHeader().setMinimumSectionSize(8)
        self.horizontalHeader().setDefaultSectionSize(width)
        self.verticalHeader().setDefaultSectionSize(height)
        for c in range(model.columnCount() if model is not None else 0):
            self.setColumnWidth(c, width)
        for r in range(model.rowCount() if model is not None else 0):
            self.setRowHeight(r, height)
        self.updateGeometry()

    def fit_width(self, width: int) -> None:
        """Narrow the cells of a kernel too wide for ``width`` pixels, if its values allow.

        Parameters
        ----------
        width : int
            Pixels the grid may take.
        """
        if width != self._room:
            self._room = width
            self.update_cell_size()

    def cell_size(self) -> QSize:
        """Width and height of one cell in pixels."""
        return QSize(self.horizontalHeader().defaultSectionSize(),
                     self.verticalHeader().defaultSectionSize())

    def sizeHint(self) -> QSize:
        # The whole grid, so that it shows without scroll bars when there is room.
        model = self.model()
        rows = max(model.rowCount(), 1) if model is not None else 3
        cols = max(model.columnCount(), 1) if model is not None else 3
        cell = self.cell_size()
        frame = 2 * self.frameWidth()
        return QSize(cols * cell.width() + frame, rows * cell.height() + frame)

    def minimumSizeHint(self) -> QSize:
        hint = self.sizeHint()
        cell = self.cell_size()
        frame = 2 * self.frameWidth()
        scroll = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        return QSize(min(hint.width(), 3 * cell.width() + frame + scroll),
                     min(hint.height(), 3 * cell.height() + frame + scroll))

    def selected_cells(self) -> list[tuple[int, int]]:
        """Return the selected ``(row, col)`` pairs, or the current cell if none is selected."""
        cells = sorted({(i.row(), i.column()) for i in self.selectionModel().selectedIndexes()})
        if not cells and self.currentIndex().isValid():
            cells = [(self.currentIndex().row(), self.currentIndex().column())]
        return cells

    def cancel_edit(self) -> None:
        """Close an open cell editor without writing its text."""
        if self.state() == QAbstractItemView.State.EditingState:
            editor = self.indexWidget(self.currentIndex())  # also finds transient editors
            if editor is not None:
                self.closeEditor(editor, QAbstractItemDelegate.EndEditHint.RevertModelCache)

    def move_current(self, direction: str) -> None:
        """Move the current cell ``"down"``, to the ``"next"`` or the ``"previous"`` one.

        Tab past the last cell (Shift+Tab before the first) and ``"leave_next"`` /
        ``"leave_previous"`` (Ctrl+Tab) move the focus out of the grid, to the bias and the
        parameters, instead of wrapping around inside it.
        """
        if direction.startswith("leave_") or self._at_edge(direction):
            QWidget.focusNextPrevChild(self, direction.endswith("next"))
            return
        action = {"down": QAbstractItemView.CursorAction.MoveDown,
                  "next": QAbstractItemView.CursorAction.MoveNext,
                  "previous": QAbstractItemView.CursorAction.MovePrevious}[direction]
        index = self.moveCursor(action, Qt.KeyboardModifier.NoModifier)
        if index.isValid():
            self.setCurrentIndex(index)

    def _at_edge(self, direction: str) -> bool:
        model, current = self.model(), self.currentIndex()
        if model is None or not current.isValid():
            return direction in ("next", "previous")
        if direction == "next":
            return (current.row() == model.rowCount() - 1
                    and current.column() == model.columnCount() - 1)
        if direction == "previous":
            return current.row() == 0 and current.column() == 0
        return False

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: N802, A002 (Qt override)
        # Tab moves across the cells, then out of the grid (Qt's view would wrap around).
        if self._at_edge("next" if next else "previous"):
            return QWidget.focusNextPrevChild(self, next)
        return super().focusNextPrevChild(next)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride:
            assert isinstance(event, QKeyEvent)
            # Claim the grid's own keys from window-wide shortcuts; let undo/redo through.
            if (event.matches(QKeySequence.StandardKey.Copy)
                    or event.matches(QKeySequence.StandardKey.Paste)
                    or (event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)
                        and event.modifiers() == Qt.KeyboardModifier.NoModifier)):
                event.accept()
                return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.state() == QAbstractItemView.State.EditingState:
            super().keyPressEvent(event)
            return
        key = event.key()
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if event.matches(QKeySequence.StandardKey.Copy):
            self.sigCopy.emit()
        elif event.matches(QKeySequence.StandardKey.Paste):
            self.sigPaste.emit()
        elif key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and \
                mods == Qt.KeyboardModifier.NoModifier:
            self.sigClear.emit()
        elif key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab) and \
                mods & Qt.KeyboardModifier.ControlModifier:
            forward = key == Qt.Key.Key_Tab and not mods & Qt.KeyboardModifier.ShiftModifier
            self.move_current("leave_next" if forward else "leave_previous")
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and \
                mods == Qt.KeyboardModifier.NoModifier:
            self.move_current("down")
        elif is_undo_redo(event):
            event.ignore()
        elif (event.text() and event.text().isprintable()
              and not mods & (Qt.KeyboardModifier.ControlModifier
                              | Qt.KeyboardModifier.AltModifier
                              | Qt.KeyboardModifier.MetaModifier)):
            if event.text()[0] in STARTS_NUMBER:
                super().keyPressEvent(event)  # opens the editor with the key typed in
            else:
                self.sigMessage.emit(not_a_number_message(event.text()))
        else:
            super().keyPressEvent(event)
