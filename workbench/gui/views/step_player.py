"""Step through a convolution: the kernel slides over the input, one output cell per step.

The player walks the selected filter's output cells in raster order (the order of
:func:`workbench.core.sliding_steps`, read with random access through
:func:`workbench.core.plan_slide`). Each step outlines the taps on the input (padded taps
outside the image, in their own style), marks the output cell on the map and writes the
arithmetic into the inspector: value x weight per tap, the running sum, + bias, the
activation and, when the step completes a pooling window, the pooled value.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.core import Layer, SlidePlan, SlideStep, plan_slide
from workbench.core.conv import resolve_padding
from workbench.core.explain import filter_input
from workbench.gui.appearance import tones
from workbench.render import format_value
from workbench.session import InputState, Session, ShownResult
from workbench.tutorials import get_example

# Steps per second offered by the speed box; the first is the default.
SPEEDS = (2, 1, 5, 10, 30, 100)
# Inputs up to this size show every tap's number in the inspector table.
MAX_TABLE_TAPS = 49
MAX_TABLE_CHANNELS = 3


@dataclass(frozen=True)
class SlideMark:
    """What the map views draw for one step.

    ``rows``/``cols`` are the taps' input coordinates (padded ones outside the image),
    ``padded`` marks those; ``filter`` is the enabled filter's position, ``y``/``x`` the
    output cell on its conv map. ``on_input`` is False for a later layer, whose taps read
    maps that are not on screen. ``pad`` is the layer's (top, bottom, left, right) padding
    and ``padding_mode`` what fills it; ``values``, ``weights`` and ``channels`` are the
    taps' input values (padding resolved), weights and input channels.
    """

    rows: np.ndarray
    cols: np.ndarray
    padded: np.ndarray
    filter: int
    y: int
    x: int
    on_input: bool
    pad: tuple[int, int, int, int] = (0, 0, 0, 0)
    padding_mode: str = "zeros"
    values: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    weights: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    channels: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


def _v(value: float) -> str:
    return html.escape(format_value(float(value)))


def step_html(step: SlideStep, kernel: tuple[int, int], index: int, count: int, name: str,
              layer: Layer, activated: float, pooled: tuple[int, int, float] | None,
              channel_names: list[str]) -> str:
    """Describe one step as rich text for the inspector.

    Parameters
    ----------
    step : SlideStep
        The step.
    kernel : (int, int)
        Kernel rows and columns.
    index, count : int
        Its number (0-based) and how many there are.
    name : str
        The filter's name.
    layer : Layer
        Its layer (activation, padding mode, pooling).
    activated : float
        The activated map's value at the output cell.
    pooled : (int, int, float) or None
        The pooled cell this step completes and its value.
    channel_names : list of str
        Name of every input channel of the layer.

    Returns
    -------
    str
        HTML.
    """
    t = tones()
    parts = [f"<b>Step {index + 1} of {count}</b> — {html.escape(name)}, output "
             f"row {step.y}, col {step.x}"]
    channels = list(dict.fromkeys(step.channels.tolist()))
    kh, kw = kernel
    per = kh * kw
    if per <= MAX_TABLE_TAPS:
        for c_index, channel in enumerate(channels[:MAX_TABLE_CHANNELS]):
            sl = slice(c_index * per, (c_index + 1) * per)
            cells = []
            for i in range(per):
                tap = c_index * per + i
                where = f"({step.rows[tap]}, {step.cols[tap]})"
                value = f"<b>{_v(step.values[tap])}</b>"
                if step.padded[tap]:
                    source = ("0 (zero padding)" if step.source_rows[tap] < 0 else
                              f"copy of ({step.source_rows[tap]}, {step.source_cols[tap]})")
                    value = f"<i>{_v(step.values[tap])}</i><br><span style='color:{t.faint}'>" \
                            f"pad: {html.escape(source)}</span>"
                cells.append(f"<td align='center'>{value}<br><span style='color:{t.faint}'>"
                             f"×{_v(step.weights[tap])} = {_v(step.products[tap])}</span>"
                             f"<br><span style='color:{t.faint}'>{where}</span></td>")
            table_rows = ["<tr>" + "".join(cells[r * kw:(r + 1) * kw]) + "</tr>"
                          for r in range(kh)]
            label = channel_names[channel] if channel < len(channel_names) else f"ch {channel}"
            subtotal = float(np.sum(step.products[sl], dtype=np.float64))
            parts.append(f"{html.escape(label)}: Σ = {_v(subtotal)}"
                         "<table cellspacing='0' cellpadding='3' border='1' "
                         "style='border-collapse: collapse;'>" + "".join(table_rows)
                         + "</table>")
        if len(channels) > MAX_TABLE_CHANNELS:
            parts.append(f"… and {len(channels) - MAX_TABLE_CHANNELS} more input channels")
    else:
        parts.append(f"{per} taps per channel × {len(channels)} channels")
    partial = step.partial_sums
    shown = ", ".join(_v(p) for p in partial[:12]) + (" …" if len(partial) > 12 else "")
    parts.append(f"running sum: {shown}")
    parts.append(f"Σ input × weight = {_v(partial[-1])}<br>+ bias {_v(step.bias)} = "
                 f"<b>{_v(step.total)}</b> (conv)")
    if layer.activation != "none":
        parts.append(f"{html.escape(layer.activation)} → <b>{_v(activated)}</b>")
    if pooled is not None:
        py, px, pooled_value = pooled
        parts.append(f"this completes the {html.escape(layer.pool.kind)}-pooling window of "
                     f"pooled cell row {py}, col {px} = <b>{_v(pooled_value)}</b>")
    return "<br>".join(parts)


def pool_bounds(layer: Layer, conv_length: int, pooled_length: int, axis: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """Return the first and last conv index of every pooling window along one axis.

    The same windows as :func:`workbench.core.receptive.pool_window`, for all pooled
    positions at once (a long signal has hundreds of thousands).

    Parameters
    ----------
    layer : Layer
        Supplies the pooling (not "none" or global).
    conv_length, pooled_length : int
        Lengths of the conv map and of the pooled map along ``axis``.
    axis : {0, 1}
        Rows or columns.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        int64 starts and ends, clipped to the conv map.
    """
    pool = layer.pool
    stride, padding = pool.effective_stride[axis], pool.padding[axis]
    starts = np.arange(pooled_length, dtype=np.int64) * stride - padding
    ends = starts + pool.size[axis] - 1
    return np.clip(starts, 0, conv_length - 1), np.clip(ends, 0, conv_length - 1)


def completed_pool_cell(layer: Layer, conv_shape: tuple[int, int],
                        pooled_shape: tuple[int, int], y: int, x: int) -> tuple[int, int] | None:
    """Return the pooled cell whose window ends (in raster order) at conv cell ``(y, x)``.

    Parameters
    ----------
    layer : Layer
        Supplies the pooling.
    conv_shape, pooled_shape : tuple of int
        ``(H, W)`` of the conv map and of the pooled map.
    y, x : int
        Conv-map cell.

    Returns
    -------
    (int, int) or None
        Pooled row and column, or None when no window ends there (or no pooling).
    """
    kind = layer.pool.kind
    if kind == "none":
        return None
    if kind.startswith("global"):
        return (0, 0) if (y, x) == (conv_shape[0] - 1, conv_shape[1] - 1) else None
    ph, pw = pooled_shape
    rows = np.flatnonzero(pool_bounds(layer, conv_shape[0], ph, 0)[1] == y)
    cols = np.flatnonzero(pool_bounds(layer, conv_shape[1], pw, 1)[1] == x)
    return (int(rows[0]), int(cols[0])) if len(rows) and len(cols) else None


class StepPlayer(QWidget):
    """The step-through bar: Play / Pause, Step, Step back, speed, scrubber, go to.

    Parameters
    ----------
    parent : QWidget, optional
        Qt parent.

    Signals
    -------
    sigStep(SlideMark or None, str)
        The step to draw and its inspector text; None and "" when the player closes.
    """

    sigStep = Signal(object, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stepPlayer")
        self._plan: SlidePlan | None = None
        self._shown: ShownResult | None = None
        self._layer_index = 0
        self._filter = 0
        self.index = 0
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._on_tick)

        def button(text: str, tip: str, slot: object) -> QToolButton:
            b = QToolButton()
            b.setText(text)
            b.setToolTip(tip)
            b.clicked.connect(slot)
            return b

        self.back_button = button("◀ Back", "Step back one output cell", self.step_back)
        self.play_button = button("▶ Play", "Slide the kernel on its own",
                                  self.toggle_play)
        self.step_button = button("Step ▶", "One output cell forward", self.step)
        self.row_button = button("Next row", "Jump to the first cell of the next output row",
                                 self.next_row)
        self.speed = QComboBox()
        for speed in SPEEDS:
            self.speed.addItem(f"{speed}/s", speed)
        self.speed.setToolTip("How fast Play slides the kernel (output cells per second)")
        self.speed.currentIndexChanged.connect(self._on_speed_changed)
        self.scrubber = QSlider(Qt.Orientation.Horizontal)
        self.scrubber.setToolTip("Drag to any output cell of the selected filter")
        self.scrubber.setMinimumWidth(60)
        self.scrubber.valueChanged.connect(self.go_to_index)
        self.go_y, self.go_x = QSpinBox(), QSpinBox()
        for box, axis in ((self.go_y, "row"), (self.go_x, "column")):
            box.setPrefix("y " if axis == "row" else "x ")
            box.setToolTip(f"Output {axis} to go to")
            box.setKeyboardTracking(False)
        self.go_button = button("Go", "Go to the output cell (y, x)", self._on_go)
        self.position = QLabel()
        self.position.setToolTip("Step number and the output cell (row, column)")
        close = button("✕", "Close the step-through (Esc)", self.close_player)
        close.setAutoRaise(True)
        # Two rows: the buttons, then the scrubber and "go to", so the bar fits the maps'
        # column of a 1280 px window.
        top, bottom = QHBoxLayout(), QHBoxLayout()
        for row in (top, bottom):
            row.setContentsMargins(0, 0, 0, 0)
            row.setSpacing(4)
        title = QLabel("<b>Step through</b>")
        title.setToolTip("View > Step through the convolution (Ctrl+T)")
        top.addWidget(title)
        for widget in (self.back_button, self.play_button, self.step_button, self.row_button,
                       self.speed):
            top.addWidget(widget)
        top.addWidget(self.position, 1)
        top.addWidget(close)
        bottom.addWidget(self.scrubber, 1)
        for tail in (self.go_y, self.go_x, self.go_button):
            bottom.addWidget(tail)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addLayout(bottom)
        # Only Esc: arrows and Space belong to the focused button, box or slider (Tab
        # reaches every control; Space presses the focused button).
        shortcut = QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close_player)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.hide()

    # ------------------------------------------------------------ state

    @property
    def playing(self) -> bool:
        """Whether Play is sliding the kernel."""
        return self._timer.isActive()

    @property
    def count(self) -> int:
        """Steps of the selected filter (0 without a plan)."""
        if self._plan is None:
            return 0
        h, w = self._plan.out_size
        return h * w

    def set_target(self, shown: ShownResult | None, layer_index: int, filter_index: int
                   ) -> str:
        """Follow a result and the selected layer and filter, keeping the position if it exists.

        Parameters
        ----------
        shown : ShownResult or None
            The result on screen.
        layer_index, filter_index : int
            Layer and enabled-filter position to step through.

        Returns
        -------
        str
            Why there is nothing to step through, "" when there is.
        """
        self._shown, self._layer_index, self._filter = shown, layer_index, filter_index
        self._plan = None
        problem = self._build_plan()
        if problem:
            self.pause()
            self.position.setText(problem)
            self.sigStep.emit(None, "")
            return problem
        self.scrubber.blockSignals(True)
        self.scrubber.setRange(0, self.count - 1)
        self.scrubber.blockSignals(False)
        assert self._plan is not None
        self.go_y.setRange(0, self._plan.out_size[0] - 1)
        self.go_x.setRange(0, self._plan.out_size[1] - 1)
        if self.isVisible():
            self.go_to_index(min(self.index, self.count - 1))
        return ""

    def _build_plan(self) -> str:
        shown = self._shown
        if shown is None:
            return "no result yet"
        pipeline, result = shown.pipeline, shown.result
        if self._layer_index >= min(len(pipeline.layers), len(result.layers)):
            return "no such layer"
        layer = pipeline.layers[self._layer_index]
        filters = layer.enabled_filters
        if not 0 <= self._filter < len(filters):
            return "no filter selected"
        filt = filters[self._filter]
        source, self._first_channel = filter_input(result, pipeline, self._layer_index,
                                                   self._filter)
        self._plan = plan_slide(source, filt.weight[np.newaxis], [filt.bias],
                                stride=layer.stride, padding=layer.padding,
                                dilation=layer.dilation, padding_mode=layer.padding_mode,
                                flip=layer.flip)
        return ""

    # ------------------------------------------------------------ moving

    def open_player(self) -> None:
        """Show the bar and draw the current step."""
        self.show()
        if self._plan is not None:
            self.go_to_index(min(self.index, self.count - 1))
        self.play_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def close_player(self) -> None:
        """Stop, hide the bar and clear the drawing."""
        self.pause()
        self.hide()
        self.sigStep.emit(None, "")

    def go_to_index(self, index: int) -> None:
        """Show step ``index`` of the selected filter.

        Parameters
        ----------
        index : int
            0-based, clipped to the steps there are.
        """
        if self._plan is None or self._shown is None:
            return
        self.index = max(0, min(int(index), self.count - 1))
        h, w = self._plan.out_size
        step = self._plan.step(self.index)
        self.scrubber.blockSignals(True)
        self.scrubber.setValue(self.index)
        self.scrubber.blockSignals(False)
        for box, value in ((self.go_y, step.y), (self.go_x, step.x)):
            box.blockSignals(True)
            box.setValue(value)
            box.blockSignals(False)
        self.position.setText(f"{self.index + 1} / {self.count} · out ({step.y}, {step.x})")
        pipeline, result = self._shown.pipeline, self._shown.result
        layer = pipeline.layers[self._layer_index]
        lr = result.layers[self._layer_index]
        activated = float(lr.activated[self._filter][step.y, step.x])
        pooled = None
        pooled_map = lr.pooled[self._filter]
        cell = completed_pool_cell(layer, (h, w), pooled_map.shape, step.y, step.x)
        if cell is not None:
            pooled = (*cell, float(pooled_map[cell]))
        names = self._channel_names()
        shifted = SlideStep(step.filter, step.y, step.x, step.channels + self._first_channel,
                            step.rows, step.cols, step.padded, step.source_rows,
                            step.source_cols, step.values, step.weights, step.products,
                            step.bias, step.total)
        kernel = layer.enabled_filters[self._filter].kernel_size
        text = step_html(shifted, kernel, self.index, self.count,
                         lr.filter_names[self._filter], layer, activated, pooled, names)
        pad = resolve_padding(layer.padding, kernel, layer.stride, layer.dilation)
        mark = SlideMark(step.rows, step.cols, step.padded, self._filter, step.y, step.x,
                         on_input=self._layer_index == 0, pad=pad,
                         padding_mode=layer.padding_mode, values=step.values,
                         weights=step.weights, channels=shifted.channels)
        self.sigStep.emit(mark, text)

    def _channel_names(self) -> list[str]:
        assert self._shown is not None
        if self._layer_index == 0:
            count = self._shown.result.input.shape[0]
            return ["R", "G", "B"] if count == 3 else [f"channel {i + 1}" for i in range(count)]
        below = self._shown.result.layers[self._layer_index - 1]
        return [f"L{self._layer_index} {name}" for name in below.filter_names]

    def step(self) -> None:
        """One output cell forward (stops Play at the last one)."""
        if self.index + 1 >= self.count:
            self.pause()
            return
        self.go_to_index(self.index + 1)

    def step_back(self) -> None:
        """One output cell back."""
        self.go_to_index(self.index - 1)

    def next_row(self) -> None:
        """Jump to the first cell of the next output row."""
        if self._plan is not None:
            w = self._plan.out_size[1]
            self.go_to_index((self.index // w + 1) * w)

    def _on_go(self) -> None:
        if self._plan is not None:
            self.go_to_index(self.go_y.value() * self._plan.out_size[1] + self.go_x.value())

    def toggle_play(self) -> None:
        """Play or pause."""
        if self.playing:
            self.pause()
        elif self._plan is not None:
            if self.index + 1 >= self.count:
                self.go_to_index(0)
            self._timer.start(int(1000 / self.speed.currentData()))
            self.play_button.setText("⏸ Pause")

    def pause(self) -> None:
        """Stop Play where it is."""
        self._timer.stop()
        self.play_button.setText("▶ Play")

    def _on_speed_changed(self) -> None:
        if self.playing:
            self._timer.setInterval(int(1000 / self.speed.currentData()))

    def _on_tick(self) -> None:
        self.step()


class StepThrough:
    """Keeps a :class:`StepPlayer` on the session's result, layer and selected filter.

    Parameters
    ----------
    session : Session
        The state.
    player : StepPlayer
        The bar.
    draw : callable
        ``draw(mark, text)``: the map views' :meth:`show_slide`.
    blocked : callable, optional
        True while the step-through must not open on its own (predict-then-reveal is on:
        it would show the answers).
    """

    def __init__(self, session: Session, player: StepPlayer,
                 draw: Callable[[SlideMark | None, str], None],
                 blocked: Callable[[], bool] = lambda: False) -> None:
        self.session, self.player = session, player
        self._blocked = blocked
        self._tutorial: str | None = session.input.tutorial
        self._open_on_result = False
        player.sigStep.connect(draw)
        session.result_changed.connect(lambda _shown: self._on_result())
        session.selection_changed.connect(lambda _selection: self.follow())
        session.input_changed.connect(self._on_input_changed)

    def _on_input_changed(self, state: InputState) -> None:
        # A tutorial example that teaches the kernel's motion opens with the step-through.
        if state.tutorial != self._tutorial:
            self._tutorial = state.tutorial
            self._open_on_result = state.tutorial is not None \
                and get_example(state.tutorial).step_through

    def _on_result(self) -> None:
        if self._open_on_result and self.session.result_is_current:
            self._open_on_result = False
            if self._blocked():
                return
            self.player.index = 0  # a new example starts at its first output cell
            self.open()
            return
        self.follow()

    def follow(self, force: bool = False) -> str:
        """Point the player at the session's result, layer and selected filter.

        Parameters
        ----------
        force : bool, optional
            Also while the player is hidden (a hidden player ignores new results).

        Returns
        -------
        str
            Why there is nothing to step through ("" when there is).
        """
        if not force and self.player.isHidden():
            return ""
        session = self.session
        return self.player.set_target(session.result, session.layer_index,
                                      session.selected_map)

    def open(self) -> str:
        """Show the player on the current result.

        Returns
        -------
        str
            Why it cannot open ("" when it did).
        """
        problem = self.follow(force=True)
        if not problem:
            self.player.open_player()
        return problem
