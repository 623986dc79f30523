"""Small views the learning windows share: a kernel table, a map picture, a curve plot."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from workbench.render import ViewOptions, map_look, render_map
from workbench.render.colormaps import lookup_table
from workbench.render.readout import format_value

KERNEL_COLORMAP = "CET-D1"


def _cell_colour(value: float, limit: float) -> QColor:
    table = lookup_table(KERNEL_COLORMAP)
    t = 0.5 if limit <= 0 else 0.5 + 0.5 * max(-1.0, min(1.0, value / limit))
    r, g, b = (int(c) for c in table[int(round(t * 255))][:3])
    return QColor(r, g, b)


class KernelTable(QTableWidget):
    """A kernel as numbers on a diverging colour scale (white at 0), optionally editable.

    Parameters
    ----------
    editable : bool, optional
        Let the user type weights; ``on_edit(row, col, value)`` hears them.
    on_edit : callable, optional
        Called with the tap and the typed value.
    """

    def __init__(self, editable: bool = False,
                 on_edit: Callable[[int, int, float], None] | None = None) -> None:
        super().__init__()
        self._on_edit = on_edit
        self._filling = False
        self._hidden = False
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.horizontalHeader().hide()
        self.verticalHeader().hide()
        self.setMinimumSize(150, 150)
        if not editable:
            self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.itemChanged.connect(self._changed)

    def show_kernel(self, weight: np.ndarray | None, *, hidden: bool = False) -> None:
        """Show ``weight`` (2-D), or "?" in every cell when ``hidden``.

        Parameters
        ----------
        weight : numpy.ndarray or None
            The kernel; none clears the table.
        hidden : bool, optional
            Conceal the numbers (the shape stays visible).
        """
        self._filling = True
        try:
            if weight is None:
                self.setRowCount(0)
                self.setColumnCount(0)
                return
            rows, cols = weight.shape
            if (self.rowCount(), self.columnCount()) != (rows, cols):
                self.setRowCount(rows)
                self.setColumnCount(cols)
            limit = float(np.max(np.abs(weight))) if weight.size else 0.0
            editing = self.state() == QAbstractItemView.State.EditingState
            for r in range(rows):
                for c in range(cols):
                    if editing and (r, c) == (self.currentRow(), self.currentColumn()):
                        continue
                    item = self.item(r, c)
                    if item is None:
                        item = QTableWidgetItem()
                        item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                        self.setItem(r, c, item)
                    value = float(weight[r, c])
                    text = f"{value:.4f}"
                    item.setText("?" if hidden else ("0.0000" if text == "-0.0000" else text))
                    colour = QColor(200, 200, 200) if hidden else _cell_colour(value, limit)
                    item.setBackground(QBrush(colour))
                    item.setForeground(QBrush(QColor(20, 20, 20)))
        finally:
            self._filling = False

    def text_at(self, row: int, col: int) -> str:
        """Return the text of one cell.

        Parameters
        ----------
        row, col : int
            The cell.

        Returns
        -------
        str
            Its text, empty if there is none.
        """
        item = self.item(row, col)
        return "" if item is None else item.text()

    def _changed(self, item: QTableWidgetItem) -> None:
        if self._filling or self._on_edit is None:
            return
        try:
            value = float(item.text().replace(",", "."))
        except ValueError:
            self.setToolTip(f"{item.text()!r} is not a number: type a weight like -1.5")
            return
        if not np.isfinite(value):
            return
        self._on_edit(item.row(), item.column(), value)


class MapPicture(pg.GraphicsLayoutWidget):
    """One map drawn through the render module (diverging when it has both signs)."""

    def __init__(self, title: str, mode: str = "minmax", colormap: str = "viridis") -> None:
        super().__init__()
        self._options = ViewOptions(colormap, mode)
        self._plot = self.addPlot(title=title)
        self._plot.hideAxis("left")
        self._plot.hideAxis("bottom")
        self._plot.setAspectLocked(True)
        self._plot.invertY(True)
        self._plot.setMouseEnabled(False, False)
        self._plot.hideButtons()
        self.image = pg.ImageItem()
        self._plot.addItem(self.image)
        self.setMinimumSize(160, 140)
        self._shape: tuple[int, ...] = ()

    def set_title(self, title: str) -> None:
        """Change the caption.

        Parameters
        ----------
        title : str
            New caption.
        """
        self._plot.setTitle(title)

    def show_map(self, values: np.ndarray) -> None:
        """Draw a 2-D map.

        Parameters
        ----------
        values : numpy.ndarray
            The map.
        """
        finite = values[np.isfinite(values)]
        if finite.size == 0 or float(finite.min()) == float(finite.max()):
            rgb = np.full(values.shape + (3,), 128, np.uint8)
        else:
            rgb = render_map(values, map_look(values, self._options))
        self.image.setImage(rgb, autoLevels=False, levels=(0, 255))
        if values.shape != self._shape:
            self._shape = values.shape
            self._plot.autoRange(padding=0)


def format_number(value: float) -> str:
    """Format a number for status lines ("3.2e-06", "0.125").

    Parameters
    ----------
    value : float
        The number.

    Returns
    -------
    str
        Formatted.
    """
    return format_value(value)
