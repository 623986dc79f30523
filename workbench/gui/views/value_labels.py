"""Numbers drawn on the pixels of tiny maps, so a 1x4 output reads like a printed tensor.

Only maps of at most :data:`MAX_LABELLED_SIDE` pixels a side are labelled, and the labels
hide while a pixel is too small on screen to hold its number.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF
from PySide6.QtGui import QFont

from workbench.core.kernel_ops import format_value

MAX_LABELLED_SIDE = 16
# Maps of at most this many pixels a side (global pooling's 1x1, a 2x2) are shown as their
# numbers in large text instead of a few giant coloured squares with a colour bar.
TEXT_ONLY_SIDE = 2
BIG_TEXT_COLOR = "#f5f7fa"
MIN_PIXEL_SCREEN_SIZE = 22.0  # screen pixels a map pixel needs before its number shows
CHAR_WIDTH = 7.0  # approximate width of one digit at the label font size, screen pixels


def label_text(value: float) -> str:
    """Write a value compactly for a label: the shortest exact form, else 4 significant digits.

    Parameters
    ----------
    value : float
        The value.

    Returns
    -------
    str
        E.g. ``"12"``, ``"3.25"``, ``"0.3333"``.

    Examples
    --------
    >>> label_text(12.0), label_text(3.25), label_text(1 / 3)
    ('12', '3.25', '0.3333')
    """
    exact = format_value(value)
    return exact if len(exact) <= 6 else f"{value:.4g}"


class ValueLabels:
    """Text items showing every pixel's value on a small map inside a view box.

    Parameters
    ----------
    view : pyqtgraph.ViewBox
        The view the map is drawn in (data coordinates: pixel ``(r, c)`` spans
        ``[c, c + 1] x [r, r + 1]``).
    """

    def __init__(self, view: pg.ViewBox) -> None:
        self.view = view
        self.items: list[pg.TextItem] = []
        self.texts: list[str] = []
        self._font = QFont()
        self._font.setPointSizeF(8.5)
        self._widest = 1
        self.big = False  # text-only: large numbers, the map's colours hidden
        view.sigTransformChanged.connect(self._update_visibility)

    def show_values(self, values: np.ndarray | None, levels: tuple[float, float],
                    big: bool = False) -> None:
        """Label each pixel of a 2-D map, or remove the labels for a large / colour map.

        Parameters
        ----------
        values : numpy.ndarray or None
            The map's real values.
        levels : tuple of float
            The display levels, to pick dark text on bright pixels and light on dark.
        big : bool, optional
            The map is drawn as its values only (a 1x1 or 2x2 output): large light text
            sized to the view, always shown.
        """
        self.big = big
        if values is None or values.ndim != 2 or max(values.shape) > MAX_LABELLED_SIDE:
            self.clear()
            return
        height, width = values.shape
        if len(self.items) != values.size:
            self.clear()
            for _ in range(values.size):
                item = pg.TextItem(anchor=(0.5, 0.5))
                item.setFont(self._font)
                item.setZValue(5)
                self.view.addItem(item, ignoreBounds=True)
                self.items.append(item)
        low, high = levels
        middle = (low + high) / 2
        self.texts = []
        for i, item in enumerate(self.items):
            row, col = divmod(i, width)
            value = float(values[row, col])
            text = label_text(value)
            self.texts.append(text)
            # Bright pixels (upper half of the levels) get dark text.
            bright = value > middle and high > low and not big
            item.setColor("#101317" if bright else BIG_TEXT_COLOR)
            item.setText(text)
            item.setPos(QPointF(col + 0.5, row + 0.5))
        self._widest = max((len(t) for t in self.texts), default=1)
        self._update_visibility()

    def clear(self) -> None:
        """Remove every label."""
        for item in self.items:
            self.view.removeItem(item)
        self.items = []
        self.texts = []

    @property
    def visible(self) -> bool:
        """Whether the labels are shown (the map is small and its pixels large enough)."""
        return bool(self.items) and self.items[0].isVisible()

    def _update_visibility(self) -> None:
        if not self.items:
            return
        try:
            dx, dy = (float(v) for v in self.view.viewPixelSize())
        except (TypeError, ValueError, ZeroDivisionError):
            return
        if dx <= 0 or dy <= 0:
            return
        pixel_w, pixel_h = 1.0 / dx, 1.0 / dy
        if self.big:
            # Digits are about 0.6 em wide: fit the widest number in 80% of a pixel's width.
            size = min(pixel_w * 0.8 / (0.6 * max(self._widest, 1)), pixel_h * 0.45)
            font = QFont(self._font)
            font.setPixelSize(max(10, min(72, int(size))))
            font.setBold(True)
            for item in self.items:
                item.setFont(font)
                item.setVisible(True)
            return
        show = (pixel_h >= MIN_PIXEL_SCREEN_SIZE
                and pixel_w >= max(MIN_PIXEL_SCREEN_SIZE, CHAR_WIDTH * self._widest + 4))
        for item in self.items:
            item.setVisible(show)
