"""1-D signals drawn as signals: stem plots of the input, the kernel and every output.

A ``(C, 1, L)`` input (a 1-D tutorial example, a CSV column, an audio clip) is shown as stems
on one x axis: the input on top, the kernel under it at its current window, then each
filter's output and pooled output. Every output value is drawn under the centre of the
input window it reads, so the eye can follow the kernel from the signal to its result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Signal
from PySide6.QtWidgets import QWidget

from workbench.core import Layer
from workbench.core.conv import resolve_padding
from workbench.gui.views.step_player import SlideMark, pool_bounds
from workbench.render import format_value

# Stems per plot up to which every value is written above its stem.
MAX_LABELLED = 40
# Longer signals (audio) are drawn as a line: a stem per sample would be a solid block.
MAX_STEMS = 2000
PLOT_HEIGHT = 96  # screen px per plot row
CHANNEL_COLOURS = ("#4fc3f7", "#aed581", "#ffb74d", "#ba68c8", "#e57373", "#90a4ae")
OUTPUT_COLOUR = "#4fc3f7"
POOLED_COLOUR = "#f06292"
KERNEL_COLOUR = "#ffb300"
PAD_COLOUR = "#26c6da"


@dataclass(frozen=True)
class StemKey:
    """Which plot a hovered stem is in: ``stage`` "input", "conv" or "pooled", filter index."""

    stage: str
    index: int = 0


def output_positions(layer: Layer, kernel: tuple[int, int], count: int) -> np.ndarray:
    """Return the input x under the centre of each conv output's window.

    Parameters
    ----------
    layer : Layer
        Stride, padding and dilation.
    kernel : (int, int)
        Kernel rows and columns (rows is 1 for a signal).
    count : int
        Output length.

    Returns
    -------
    numpy.ndarray
        float64 positions, one per output.
    """
    _top, _bottom, left, _right = resolve_padding(layer.padding, kernel, layer.stride,
                                                  layer.dilation)
    stride, dilation = layer.stride[1], layer.dilation[1]
    return np.arange(count) * stride - left + (kernel[1] - 1) * dilation / 2


def pooled_positions(layer: Layer, conv_positions: np.ndarray, pooled_count: int
                     ) -> np.ndarray:
    """Return the input x under the centre of each pooled value's window.

    Parameters
    ----------
    layer : Layer
        The pooling.
    conv_positions : numpy.ndarray
        From :func:`output_positions`.
    pooled_count : int
        Pooled length.

    Returns
    -------
    numpy.ndarray
        float64 positions.
    """
    if layer.pool.kind == "none" or len(conv_positions) == 0:
        return conv_positions[:pooled_count]
    if layer.pool.kind.startswith("global"):
        return np.full(pooled_count, (conv_positions[0] + conv_positions[-1]) / 2)
    starts, ends = pool_bounds(layer, len(conv_positions), pooled_count, 1)
    centres: np.ndarray = (conv_positions[starts] + conv_positions[ends]) / 2
    return centres


class _StemPlot:
    """One plot row: stems from zero to each value, markers, optional value labels."""

    def __init__(self, plot: pg.PlotItem, colour: str) -> None:
        self.plot, self.colour = plot, colour
        self.stems = pg.PlotDataItem(pen=pg.mkPen(colour, width=2), connect="pairs")
        self.dots = pg.ScatterPlotItem(size=7, brush=pg.mkBrush(colour), pen=None)
        self.labels: list[pg.TextItem] = []
        plot.addItem(self.stems)
        plot.addItem(self.dots)
        plot.addItem(pg.InfiniteLine(pos=0, angle=0, pen=pg.mkPen("#5f6670", width=1)))
        self.x = np.zeros(0)
        self.values = np.zeros(0)
        self.as_line = False

    def set_data(self, x: np.ndarray, values: np.ndarray) -> None:
        self.x, self.values = np.asarray(x, np.float64), np.asarray(values, np.float64)
        self.as_line = len(self.x) > MAX_STEMS
        if self.as_line:
            self.stems.setData(self.x, self.values, connect="all")
            self.stems.setDownsampling(auto=True, method="peak")
            self.stems.setClipToView(True)
            self.dots.setData([], [])
        else:
            pairs_x = np.repeat(self.x, 2)
            pairs_y = np.column_stack([np.zeros_like(self.values), self.values]).ravel()
            self.stems.setData(pairs_x, pairs_y, connect="pairs")
            self.stems.setDownsampling(auto=False)
            self.stems.setClipToView(False)
            self.dots.setData(self.x, self.values)
        for label in self.labels:
            self.plot.removeItem(label)
        self.labels = []
        if len(self.x) <= MAX_LABELLED:
            for xi, v in zip(self.x, self.values, strict=True):
                label = pg.TextItem(format_value(float(v)), color="#d8dce3",
                                    anchor=(0.5, 1.0 if v >= 0 else 0.0))
                label.setPos(float(xi), float(v))
                self.plot.addItem(label)
                self.labels.append(label)
        top = float(max(self.values.max(initial=0.0), 0.0))
        bottom = float(min(self.values.min(initial=0.0), 0.0))
        span = (top - bottom) or 1.0
        self.plot.setYRange(bottom - 0.15 * span, top + 0.3 * span, padding=0)

    def nearest(self, x: float) -> int:
        """Index of the stem within half a sample of ``x``, or -1."""
        if len(self.x) == 0:
            return -1
        i = int(np.argmin(np.abs(self.x - x)))
        return i if abs(self.x[i] - x) <= 0.5 else -1


class SignalView(pg.GraphicsLayoutWidget):
    """Stem plots of a 1-D input, the kernel at its window, and each output.

    Parameters
    ----------
    parent : QWidget, optional
        Qt parent.

    Signals
    -------
    sigHovered(StemKey, int)
        The stem under the mouse (its index in that plot); index -1 when none.
    """

    sigHovered = Signal(object, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: dict[StemKey, _StemPlot] = {}
        self.kernel_row: _StemPlot | None = None
        self._highlight: dict[str, pg.ScatterPlotItem] = {}
        self._pad_labels: list[pg.TextItem] = []
        self._placed: list[tuple[pg.GraphicsObject, pg.PlotItem]] = []  # the step's items
        # (input channel, "taps" or "pad") -> the rings of the shown step
        self.ringed: dict[tuple[int, str], pg.ScatterPlotItem] = {}
        self._signature: tuple[object, ...] = ()
        self._shown_length = -1
        self.outputs_hidden = False
        self.input_length = 0
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)

    # ------------------------------------------------------------ building

    def _build(self, channels: int, names: tuple[str, ...], pooled: bool) -> None:
        self.clear()
        self._rows = {}
        self._placed = []
        self._shown_length = -1  # new plots: show the whole signal
        first: pg.PlotItem | None = None

        def add(title: str, key: StemKey | None, colour: str) -> _StemPlot:
            nonlocal first
            plot = self.addPlot(title=title)
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.showGrid(x=True, y=False, alpha=0.15)
            plot.setMouseEnabled(x=True, y=False)
            if first is None:
                first = plot
            else:
                plot.setXLink(first)
            self.nextRow()
            row = _StemPlot(plot, colour)
            if key is not None:
                self._rows[key] = row
            return row

        for c in range(channels):
            add("Input" if channels == 1 else f"Input, channel {c + 1}",
                StemKey("input", c), CHANNEL_COLOURS[c % len(CHANNEL_COLOURS)])
        self.kernel_row = add("Kernel at its window (weights)", None, KERNEL_COLOUR)
        for i, name in enumerate(names):
            add(name, StemKey("conv", i), OUTPUT_COLOUR)
            if pooled:
                add(f"{name}, pooled", StemKey("pooled", i), POOLED_COLOUR)
        rows = channels + 1 + len(names) * (2 if pooled else 1)
        self.setMinimumHeight(rows * PLOT_HEIGHT)
        self._highlight = {}
        for name, colour, size in (("taps", KERNEL_COLOUR, 14), ("pad", PAD_COLOUR, 14),
                                   ("out", KERNEL_COLOUR, 14)):
            item = pg.ScatterPlotItem(size=size, brush=None, pen=pg.mkPen(colour, width=2))
            item.setZValue(20)
            self._highlight[name] = item

    # ------------------------------------------------------------ showing

    def show_signals(self, signal: np.ndarray, layer: Layer, names: tuple[str, ...],
                     activated: tuple[np.ndarray, ...], pooled: tuple[np.ndarray, ...]) -> None:
        """Draw a 1-D input and one layer's outputs.

        Parameters
        ----------
        signal : numpy.ndarray
            ``(C, 1, L)`` input of the layer.
        layer : Layer
            The layer (its geometry places the outputs under their windows).
        names : tuple of str
            One title per enabled filter.
        activated, pooled : tuple of numpy.ndarray
            ``(1, L_out)`` maps per filter (``pooled`` is ignored without pooling).
        """
        channels, _, length = signal.shape
        has_pool = layer.pool.kind != "none"
        signature = (channels, names, has_pool)
        if signature != self._signature:
            self._signature = signature
            self._build(channels, names, has_pool)
        self.input_length = length
        xs = np.arange(length, dtype=np.float64)
        for c in range(channels):
            self._rows[StemKey("input", c)].set_data(xs, signal[c, 0])
        filters = layer.enabled_filters
        for i in range(len(names)):
            kernel = filters[i].kernel_size if i < len(filters) else (1, 1)
            conv_x = output_positions(layer, kernel, activated[i].shape[1])
            self._rows[StemKey("conv", i)].set_data(conv_x, activated[i][0])
            if has_pool:
                pooled_x = pooled_positions(layer, conv_x, pooled[i].shape[1])
                self._rows[StemKey("pooled", i)].set_data(pooled_x, pooled[i][0])
        if filters and self.kernel_row is not None:
            weight = filters[0].weight[0, 0]
            dilation = layer.dilation[1]
            left = resolve_padding(layer.padding, filters[0].kernel_size, layer.stride,
                                   layer.dilation)[2]
            self.kernel_row.set_data(np.arange(len(weight)) * dilation - left, weight)
        self.set_outputs_hidden(self.outputs_hidden)  # new plots keep the hidden state
        if length != self._shown_length:  # keep the user's zoom while the length stays
            self._shown_length = length
            self._rows[StemKey("input", 0)].plot.setXRange(-1.0, length, padding=0.02)

    def set_outputs_hidden(self, hidden: bool) -> None:
        """Hide the output plots (predict-then-reveal); the input and kernel stay.

        Parameters
        ----------
        hidden : bool
            Hide them.
        """
        self.outputs_hidden = hidden
        for key, row in self._rows.items():
            if key.stage != "input":
                row.plot.setVisible(not hidden)

    def values(self, key: StemKey) -> tuple[np.ndarray, np.ndarray]:
        """Return the x positions and values drawn in one plot.

        Parameters
        ----------
        key : StemKey
            The plot.

        Returns
        -------
        (numpy.ndarray, numpy.ndarray)
            Positions and values.
        """
        row = self._rows[key]
        return row.x, row.values

    def mark_step(self, mark: SlideMark | None) -> None:
        """Highlight one step: its taps on the input, the kernel there, its output stem.

        Parameters
        ----------
        mark : SlideMark or None
            The step; None removes the highlight.
        """
        for item, plot in self._placed:
            plot.removeItem(item)
        self._placed = []
        self._pad_labels = []
        self.ringed = {}
        if mark is None or not self._rows:
            return
        cols = mark.cols.astype(np.float64)
        values = mark.values if len(mark.values) else np.zeros(len(cols))
        channels = mark.channels if len(mark.channels) else np.zeros(len(cols), np.int64)
        # Each tap is ringed on the plot of the input channel it reads (groups: its own).
        for channel in dict.fromkeys(channels.tolist()):
            row = self._rows.get(StemKey("input", int(channel)))
            if row is None:
                continue
            mine = channels == channel
            for name, where in (("taps", mine & ~mark.padded), ("pad", mine & mark.padded)):
                if not where.any():
                    continue
                item = pg.ScatterPlotItem(size=14, brush=None, pen=self._highlight[name].opts[
                    "pen"])
                item.setZValue(20)
                item.setData(cols[where], values[where])
                self._place(item, row.plot)
                self.ringed[(int(channel), name)] = item
            for xi, v in zip(cols[mine & mark.padded], values[mine & mark.padded],
                             strict=True):
                label = pg.TextItem(f"pad {format_value(float(v))}", color=PAD_COLOUR,
                                    anchor=(0.5, 1.0 if v >= 0 else 0.0))
                label.setPos(float(xi), float(v))
                self._place(label, row.plot)
                self._pad_labels.append(label)
        if self.kernel_row is not None and len(mark.weights):
            per = len(mark.weights) // max(len(set(mark.channels.tolist())), 1)
            self.kernel_row.set_data(cols[:per], mark.weights[:per])
        first = self._rows.get(StemKey("input", 0))
        if first is not None and len(cols):  # keep the window in view (a long signal)
            (left, right), = first.plot.vb.viewRange()[:1]
            low, high = float(cols.min()) - 1, float(cols.max()) + 1
            if low < left or high > right:
                width = max(right - left, high - low + 2)
                centre = (low + high) / 2
                first.plot.setXRange(centre - width / 2, centre + width / 2, padding=0)
        out = self._rows.get(StemKey("conv", mark.filter))
        if out is not None and 0 <= mark.x < len(out.x):
            self._highlight["out"].setData([out.x[mark.x]], [out.values[mark.x]])
            self._place(self._highlight["out"], out.plot)

    def _place(self, item: pg.GraphicsObject, plot: pg.PlotItem) -> None:
        plot.addItem(item)
        self._placed.append((item, plot))

    # ------------------------------------------------------------ hover

    def _on_mouse_moved(self, pos: QPointF) -> None:
        for key, row in self._rows.items():
            box = row.plot.vb
            if box.sceneBoundingRect().contains(pos):
                x = box.mapSceneToView(pos).x()
                self.sigHovered.emit(key, row.nearest(x))
                return
        self.sigHovered.emit(StemKey("input"), -1)
