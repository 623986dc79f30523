"""The kernel editor: a spreadsheet-like grid of one filter's weights.

Around the grid: the kernel size, the channel slices, the bias, and the edits of
:mod:`workbench.core.kernel_ops` as toolbar actions.

The editor holds no state of its own beyond the :class:`Filter` it shows: every user edit
builds a new ``Filter`` and emits it through ``sigFilterEdited``; the window decides what
to do with it (and undoes by calling :meth:`KernelEditor.set_filter` with an older one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
from PySide6.QtCore import (
    QLocale,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLayoutItem,
    QMenu,
    QSizePolicy,
    QSpinBox,
    QTabBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.core import PRESETS, Filter
from workbench.core import kernel_ops as ops
from workbench.gui.actions.undo_keys import UndoKeysToWindow
from workbench.gui.kernel_editor.cells import (
    RGB_CHANNEL_NAMES,
    display_text,
    weight_sum,
)
from workbench.gui.kernel_editor.frequency_view import FrequencyView
from workbench.gui.kernel_editor.grid import (
    KernelGrid,
    SliceModel,
)
from workbench.gui.settings import load_widget_flag, save_widget_flag
from workbench.session import Session
from workbench.session.edits import replace_filters

FREQUENCY_SHOWN_KEY = "kernel_editor/frequency_response"  # remembered across runs


class _FlowLayout(QLayout):
    """Lays items out left to right and wraps them, so the toolbar fits narrow docks."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 2) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self.setSpacing(spacing)
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, apply=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        margins = self.contentsMargins()
        return size + QSize(margins.left() + margins.right(), margins.top() + margins.bottom())

    def _arrange(self, rect: QRect, *, apply: bool) -> int:
        margins = self.contentsMargins()
        area = rect.adjusted(margins.left(), margins.top(), -margins.right(), -margins.bottom())
        x, y, line_height = area.x(), area.y(), 0
        for item in self._items:
            hint = item.sizeHint()
            if x + hint.width() > area.right() + 1 and line_height > 0:
                x, y, line_height = area.x(), y + line_height + self.spacing(), 0
            if apply:
                item.setGeometry(QRect(x, y, hint.width(), hint.height()))
            x += hint.width() + self.spacing()
            line_height = max(line_height, hint.height())
        return y + line_height - rect.y() + margins.bottom()


class _CompactSpinBox(QDoubleSpinBox):
    """A double spin box that shows ``2`` and ``0.25``, not ``2.0000`` and ``0.2500``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        locale = QLocale.c()  # "0.5" everywhere, whatever the desktop's decimal comma
        locale.setNumberOptions(QLocale.NumberOption.OmitGroupSeparator)
        self.setLocale(locale)

    def textFromValue(self, value: float) -> str:
        text = f"{value:.{self.decimals()}f}".rstrip("0").rstrip(".")
        return "0" if text in ("", "-0") else text


class KernelEditor(QWidget):
    """Edit one filter's weights and bias.

    Parameters
    ----------
    session : Session, optional
        When given, the editor shows the session's selected filter and commits every edit
        to it as an undoable step; without one it only emits ``sigFilterEdited``.
    parent : QWidget, optional
        Parent widget.

    Notes
    -----
    Value edits (typing, Delete, paste, normalise, scale, zero, random, preset) change
    the channel slice shown, or every slice when "same for all channels" is ticked.
    Geometric edits (size, transpose, flip, rotate) move taps and so apply to every slice:
    all slices of a filter share one shape.
    """

    sigFilterEdited = Signal(object)  # the new Filter
    sigMessage = Signal(str)

    def __init__(self, session: Session | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._filter: Filter | None = None
        self._input_mode = "gray"
        self._channel = 0
        self._dilation = (1, 1)  # the layer's: the frequency response is of the spread taps
        self._rng = np.random.default_rng()
        self._undo_filter = UndoKeysToWindow(self)
        self._session = session
        self._build()
        self._refresh()
        if session is not None:
            session.selection_changed.connect(self._show_selected)
            session.pipeline_changed.connect(self._show_selected)
            self.sigFilterEdited.connect(self._commit_to_session)
            self._show_selected()

    def _show_selected(self, _changed: object = None) -> None:
        assert self._session is not None
        selection, pipeline = self._session.selection, self._session.pipeline
        filters = pipeline.layers[selection.layer].filters
        f = filters[selection.filter] if 0 <= selection.filter < len(filters) else None
        mode = pipeline.input_mode if selection.layer == 0 else "maps"
        # set_filter returns early for an unchanged filter, so a new dilation alone is drawn
        # by the _refresh_frequency below.
        self._dilation = pipeline.layers[selection.layer].dilation
        self.set_filter(f, mode)
        if f is not None and selection.channel != self._channel:
            self.set_channel(selection.channel)
        self._refresh_frequency()

    def _commit_to_session(self, f: Filter) -> None:
        assert self._session is not None
        selection = self._session.selection
        filters = list(self._session.pipeline.layers[selection.layer].filters)
        if 0 <= selection.filter < len(filters):
            filters[selection.filter] = f
            self._session.set_pipeline(replace_filters(self._session.pipeline,
                                                       selection.layer, filters))

    # ------------------------------------------------------------ construction

    def _build(self) -> None:
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.rows_spin = self._size_spin("Kernel height (rows), 1 to 15. Values stay centred.")
        self.cols_spin = self._size_spin("Kernel width (columns), 1 to 15. Values stay centred.")
        size_row = QHBoxLayout()
        size_row.addWidget(self.title, 1)
        size_row.addWidget(QLabel("size"))
        size_row.addWidget(self.rows_spin)
        size_row.addWidget(QLabel("×"))
        size_row.addWidget(self.cols_spin)

        self.channel_tabs = QTabBar()
        self.channel_tabs.setExpanding(False)
        self.channel_tabs.setDrawBase(False)
        self.channel_tabs.setUsesScrollButtons(True)
        self.channel_tabs.setToolTip("Input channel whose kernel slice the grid shows.")
        self.channel_tabs.currentChanged.connect(self._on_channel_changed)
        self.same_check = QCheckBox("same for all channels")
        self.same_check.setToolTip("Edits apply to every channel slice. Ticking it copies "
                                   "the slice shown to all the others.")
        self.same_check.toggled.connect(self._on_same_toggled)
        self.channel_row = QWidget()
        channel_layout = QHBoxLayout(self.channel_row)
        channel_layout.setContentsMargins(0, 0, 0, 0)
        channel_layout.addWidget(self.channel_tabs, 1)
        channel_layout.addWidget(self.same_check)

        self.edit_actions: dict[str, QAction] = {}
        self.scale_spin = _CompactSpinBox()
        self.scale_spin.setRange(-1000.0, 1000.0)
        self.scale_spin.setDecimals(4)
        self.scale_spin.setValue(2.0)
        self.scale_spin.setSingleStep(0.5)
        self.scale_spin.setPrefix("× ")
        self.scale_spin.setToolTip("Factor for Scale.")
        self._pass_undo(self.scale_spin)

        self.preset_menu = QMenu(self)
        self.preset_menu.setToolTipsVisible(True)
        for preset in PRESETS.values():
            act = self.preset_menu.addAction(preset.title)
            act.setToolTip(f"{preset.description} ({preset.kernel.shape[0]}×"
                           f"{preset.kernel.shape[1]})")
            act.triggered.connect(lambda _=False, key=preset.key: self.load_preset(key))
        self.preset_button = QToolButton()
        self.preset_button.setText("Preset ▾")
        self.preset_button.setToolTip("Fill the kernel with a named kernel (and take its size).")
        self.preset_button.setMenu(self.preset_menu)
        self.preset_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.preset_button.setStyleSheet("QToolButton::menu-indicator { image: none; }")

        self.tool_area = QWidget()
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.tool_area.setSizePolicy(policy)
        flow = _FlowLayout(self.tool_area, spacing=6)
        self.frequency_action = QAction("Frequency response", self)
        self.frequency_action.setCheckable(True)
        self.frequency_action.setToolTip(
            "Show the kernel's frequency response under the grid: the magnitude of its 2-D "
            "DFT (zero-padded to 64×64, zero frequency in the middle, axes in cycles/pixel). "
            "A blur passes the middle (low-pass), a Laplacian the edges (high-pass); the "
            "layer's dilation folds it (aliasing).")
        self.frequency_button = QToolButton()
        self.frequency_button.setDefaultAction(self.frequency_action)
        self.frequency_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)

        # Groups that wrap as wholes: value edits, named kernels + clipboard, the frequency
        # view's switch, geometry.
        for group in (
            [self._button("normalise", "Normalise", "Divide by the sum so the weights sum to "
                          "1 (with 'same for all', the sum over all channels).",
                          self.normalise),
             self._button("scale", "Scale", "Multiply the weights by the factor on the right.",
                          self.scale),
             self.scale_spin,
             self._button("zero", "Zero", "Set the weights to 0.", self.zero),
             self._button("random", "Random", "He-uniform random weights: U(±√(6 / fan_in)), "
                          "fan_in = C·kH·kW, like Keras' HeUniform initialiser.",
                          self.randomise)],
            [self.preset_button,
             self._button("copy", "Copy", "Copy the selected cells, or the whole slice, as a "
                          "numpy array (Ctrl+C in the grid).", self.copy),
             self._button("paste", "Paste", "Paste a block of numbers: rows of values, CSV or "
                          "numpy's [[...]]; a block of another size resizes the kernel "
                          "(Ctrl+V in the grid).", self.paste)],
            [self.frequency_button],
            [self._button("transpose", "Transpose", "Swap rows and columns (all channels).",
                          self.transpose),
             self._button("flip_h", "Flip ↔", "Mirror left-right (all channels).",
                          lambda: self.flip("horizontal")),
             self._button("flip_v", "Flip ↕", "Mirror top-bottom (all channels).",
                          lambda: self.flip("vertical")),
             self._button("rotate", "Rotate ↺", "Rotate 90° counter-clockwise (all channels).",
                          self.rotate)],
        ):
            box = QWidget()
            row = QHBoxLayout(box)
            row.setContentsMargins(0, 0, 0, 0)
            row.setSpacing(2)
            for widget in group:
                row.addWidget(widget)
            flow.addWidget(box)

        self.grid = KernelGrid()
        self._model = SliceModel(self.grid)
        self.grid.setModel(self._model)
        self._model.sigCellsEdited.connect(self._on_cells_edited)
        self._model.sigMessage.connect(self.sigMessage)
        self.grid.sigMessage.connect(self.sigMessage)
        self.grid.sigClear.connect(self.clear_selection)
        self.grid.sigCopy.connect(self.copy)
        self.grid.sigPaste.connect(self.paste)

        self.bias_spin = _CompactSpinBox()
        self.bias_spin.setRange(-1e6, 1e6)
        self.bias_spin.setDecimals(6)
        self.bias_spin.setSingleStep(0.1)
        self.bias_spin.setKeyboardTracking(False)
        self.bias_spin.setToolTip("Bias: added to every output value of this filter.")
        self.bias_spin.setMinimumWidth(90)
        self.bias_spin.valueChanged.connect(self._on_bias_changed)
        self._pass_undo(self.bias_spin)
        self.sum_label = QLabel()
        self.sum_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        footer = QHBoxLayout()
        footer.addWidget(QLabel("bias"))
        footer.addWidget(self.bias_spin)
        footer.addStretch(1)
        footer.addWidget(self.sum_label)

        self.frequency = FrequencyView()
        shown = load_widget_flag(FREQUENCY_SHOWN_KEY, True)
        self.frequency.setVisible(shown)
        self.frequency_action.setChecked(shown)
        self.frequency_action.toggled.connect(self._on_frequency_toggled)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(size_row)
        layout.addWidget(self.channel_row)
        layout.addWidget(self.tool_area)
        layout.addWidget(self.grid, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addLayout(footer)
        # Spare height goes to the frequency view first (up to its picture's height).
        layout.addWidget(self.frequency, 100)
        layout.addStretch(1)
        self.setMinimumWidth(360)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        layout = self.layout()
        assert layout is not None  # set in __init__
        margins = layout.contentsMargins()
        self.grid.fit_width(event.size().width() - margins.left() - margins.right())

    def _pass_undo(self, spin: QSpinBox | QDoubleSpinBox) -> None:
        # A spin box hands shortcut and key events to its line edit by direct call, past
        # any filter on the line edit, so filter the spin box itself as well.
        spin.installEventFilter(self._undo_filter)
        spin.lineEdit().installEventFilter(self._undo_filter)

    def _size_spin(self, tip: str) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(1, ops.MAX_KERNEL_SIZE)
        spin.setKeyboardTracking(False)  # typing "12" must not resize to 1 on the way
        spin.setToolTip(tip)
        spin.valueChanged.connect(self._on_size_changed)
        self._pass_undo(spin)
        return spin

    def _button(self, key: str, label: str, tip: str, slot: Callable[[], None]) -> QToolButton:
        action = QAction(label, self)
        action.setToolTip(tip)
        action.triggered.connect(lambda _=False: slot())
        self.edit_actions[key] = action
        button = QToolButton()
        button.setDefaultAction(action)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        return button

    # ------------------------------------------------------------ public API

    def filter(self) -> Filter | None:
        """Return the filter shown (after the last edit)."""
        return self._filter

    def current_channel(self) -> int:
        """Index of the channel slice the grid shows."""
        return self._channel

    def set_channel(self, channel: int) -> None:
        """Show channel slice ``channel`` (no signal)."""
        self.channel_tabs.setCurrentIndex(channel)

    def set_dilation(self, dilation: tuple[int, int]) -> None:
        """Draw the frequency response with the taps ``(vertical, horizontal)`` apart.

        With a session the editor follows the selected layer's dilation by itself.

        Parameters
        ----------
        dilation : tuple of int
            The layer's dilation.
        """
        self._dilation = (int(dilation[0]), int(dilation[1]))
        self._refresh_frequency()

    def set_filter(self, f: Filter | None, input_mode: str) -> None:
        """Show a filter without emitting anything.

        Parameters
        ----------
        f : Filter or None
            The filter; ``None`` shows an empty, disabled editor.
        input_mode : str
            ``"rgb"`` labels the slices of a 3-channel filter R, G, B; anything else
            (``"gray"``, or e.g. ``"maps"`` for a deeper layer) labels them "channel k".
        """
        previous = self._filter
        if f is not None and previous is not None and f == previous \
                and input_mode == self._input_mode:
            self._filter = f
            return
        self.grid.cancel_edit()
        self._filter = f
        self._input_mode = input_mode
        if f is not None:
            identical = bool((f.weight == f.weight[:1]).all())
            if not identical:
                self._set_same(False)
            elif previous is None or previous.name != f.name \
                    or previous.channels != f.channels:
                self._set_same(f.channels > 1)
            if self._channel >= f.channels or (previous is not None
                                               and previous.name != f.name):
                self._channel = 0
        self._refresh()

    # ------------------------------------------------------------ actions

    def normalise(self) -> None:
        """Divide the slice (or, with "same for all", the whole filter) by its sum."""
        if self._filter is None:
            return
        w = self._weight()
        try:
            if self._same():
                w = ops.normalise(w)
            else:
                w[self._channel] = ops.normalise(w[self._channel])
        except ValueError as exc:
            self.sigMessage.emit(f"{exc} — normalise needs a kernel whose weights do not "
                                 "cancel out")
            return
        self._commit(w)

    def scale(self, factor: float | None = None) -> None:
        """Multiply the weights by ``factor`` (default: the factor box)."""
        f = self.scale_spin.value() if factor is None else factor
        try:
            self._edit_slices(lambda k: ops.scale(k, f))
        except ValueError as exc:
            self.sigMessage.emit(str(exc))

    def zero(self) -> None:
        """Set the weights to 0."""
        self._edit_slices(ops.zeros_like)

    def randomise(self) -> None:
        """He-uniform random weights with fan_in = C·kH·kW."""
        if self._filter is None:
            return
        c, kh, kw = self._filter.weight.shape
        self._edit_slices(lambda k: ops.he_uniform((kh, kw), fan_in=c * kh * kw, rng=self._rng))

    def load_preset(self, key: str) -> None:
        """Fill the slice (or every slice with "same for all") with a preset kernel."""
        preset = PRESETS[key]
        self._replace_slice(preset.kernel)
        if self._filter is not None:
            self.sigMessage.emit(f"{preset.title}: {preset.description}")

    def transpose(self) -> None:
        """Swap rows and columns of every slice."""
        self._edit_all(ops.transpose)

    def flip(self, axis: str) -> None:
        """Mirror every slice, ``"horizontal"`` (left-right) or ``"vertical"``."""
        self._edit_all(lambda w: ops.flip(w, axis))

    def rotate(self) -> None:
        """Rotate every slice by 90° counter-clockwise."""
        self._edit_all(ops.rotate90)

    def resize_kernel(self, rows: int, cols: int) -> None:
        """Resize the kernel to ``rows x cols``, keeping the values centred."""
        self._edit_all(lambda w: ops.resize_kernel(w, rows, cols))

    def clear_selection(self) -> None:
        """Set the selected cells to 0."""
        self._set_cells(self.grid.selected_cells(), 0.0)

    def copy(self) -> None:
        """Copy the selected block, or the whole slice, to the clipboard as a numpy array."""
        if self._filter is None:
            return
        block = self._filter.weight[self._channel]
        cells = self.grid.selected_cells()
        if len(cells) > 1:
            rows = [r for r, _ in cells]
            cols = [c for _, c in cells]
            block = block[min(rows):max(rows) + 1, min(cols):max(cols) + 1]
        QApplication.clipboard().setText(ops.format_kernel(block, "numpy"))
        what = "selection" if len(cells) > 1 else self._slice_name()
        self.sigMessage.emit(f"copied the {block.shape[0]}×{block.shape[1]} {what}")

    def paste(self) -> None:
        """Paste a block of numbers from the clipboard.

        One number goes into every selected cell; a 2-D block replaces the slice (or all
        slices), resizing the kernel to it; a 3-D block with one slice per channel
        replaces the whole filter.
        """
        if self._filter is None:
            return
        text = QApplication.clipboard().text()
        try:
            block = ops.parse_kernel_text(text)
        except ValueError as exc:
            self.sigMessage.emit(f"cannot paste: {exc}")
            return
        if block.ndim == 3 and block.shape[0] == 1:
            block = block[0]
        if block.ndim == 2 and block.shape == (1, 1):
            self._set_cells(self.grid.selected_cells(), float(block[0, 0]))
            return
        if block.ndim == 2:
            self._replace_slice(block)
            self.sigMessage.emit(f"pasted a {block.shape[0]}×{block.shape[1]} block")
            return
        channels = self._filter.channels
        if block.shape[0] != channels:
            self.sigMessage.emit(f"cannot paste: the block has {block.shape[0]} channels, "
                                 f"this filter has {channels}")
            return
        if self._same() and not bool((block == block[:1]).all()):
            self._set_same(False)
        self._commit(block)
        self.sigMessage.emit(f"pasted {channels} channels of {block.shape[1]}×{block.shape[2]}")

    # ------------------------------------------------------------ edit plumbing

    def _weight(self) -> np.ndarray:
        assert self._filter is not None
        return np.array(self._filter.weight, dtype=np.float32)

    def _same(self) -> bool:
        return self.same_check.isChecked() and self._filter is not None \
            and self._filter.channels > 1

    def _set_same(self, on: bool) -> None:
        self.same_check.blockSignals(True)
        self.same_check.setChecked(on)
        self.same_check.blockSignals(False)

    def _edit_slices(self, edit: Callable[[np.ndarray], np.ndarray]) -> None:
        """Apply a shape-keeping edit to the slice shown, or to all with "same for all"."""
        if self._filter is None:
            return
        w = self._weight()
        new = edit(w[self._channel])
        if self._same():
            w[:] = new
        else:
            w[self._channel] = new
        self._commit(w)

    def _edit_all(self, edit: Callable[[np.ndarray], np.ndarray]) -> None:
        if self._filter is None:
            return
        self._commit(edit(self._weight()))

    def _replace_slice(self, block: np.ndarray) -> None:
        if self._filter is None:
            return
        w = self._weight()
        if block.shape != w.shape[1:]:
            w = ops.resize_kernel(w, *block.shape)
        if self._same():
            w[:] = block
        else:
            w[self._channel] = block
        self._commit(w)

    def _set_cells(self, cells: list[tuple[int, int]], value: float) -> None:
        if not cells:
            return

        def put(k: np.ndarray) -> np.ndarray:
            k = k.copy()
            rows, cols = zip(*cells, strict=True)
            k[list(rows), list(cols)] = value
            return k

        self._edit_slices(put)

    def _commit(self, weight: np.ndarray | None = None, bias: float | None = None) -> None:
        """Emit the edited filter once, unless nothing changed."""
        if self._filter is None:
            return
        new = replace(self._filter,
                      weight=self._filter.weight if weight is None else weight,
                      bias=self._filter.bias if bias is None else bias)
        if new == self._filter:
            self._refresh_controls()  # e.g. a bias spin box rounding back to the same value
            return
        self._filter = new
        self._refresh()
        self.sigFilterEdited.emit(new)

    # ------------------------------------------------------------ reactions

    def _on_cells_edited(self, cells: list[tuple[int, int]], value: float) -> None:
        self._set_cells(cells, value)

    def _on_size_changed(self, _value: int) -> None:
        if self._filter is None:
            return
        rows, cols = self.rows_spin.value(), self.cols_spin.value()
        if (rows, cols) != self._filter.kernel_size:
            self.resize_kernel(rows, cols)

    def _on_channel_changed(self, index: int) -> None:
        if index < 0 or self._filter is None:
            return
        self._channel = index
        self._refresh_grid()
        self._refresh_sum()
        self._refresh_frequency()
        if self._session is not None:
            self._session.select(channel=index)

    def _on_same_toggled(self, on: bool) -> None:
        if on and self._filter is not None and self._filter.channels > 1:
            w = self._weight()
            w[:] = w[self._channel]
            self._commit(w)
            self.sigMessage.emit(f"edits now apply to all {self._filter.channels} channels")

    def _on_bias_changed(self, value: float) -> None:
        if self._filter is not None:
            self._commit(bias=value)

    def _on_frequency_toggled(self, shown: bool) -> None:
        self.frequency.setVisible(shown)
        save_widget_flag(FREQUENCY_SHOWN_KEY, shown)
        self._refresh_frequency()

    # ------------------------------------------------------------ refresh

    def _slice_name(self) -> str:
        if self._filter is None or self._filter.channels == 1:
            return "kernel"
        if self._input_mode == "rgb" and self._filter.channels == 3:
            return f"{RGB_CHANNEL_NAMES[self._channel]} slice"
        return f"channel {self._channel + 1} slice"

    def _refresh(self) -> None:
        self._refresh_controls()
        self._refresh_grid()
        self._refresh_sum()
        self._refresh_frequency()

    def _refresh_frequency(self) -> None:
        if not self.frequency_action.isChecked():
            return  # drawn when shown again
        f = self._filter
        self.frequency.show_kernel(None if f is None else f.weight[self._channel],
                                   self._dilation)

    def _refresh_controls(self) -> None:
        f = self._filter
        enabled = f is not None
        for widget in (self.rows_spin, self.cols_spin, self.channel_tabs, self.same_check,
                       self.scale_spin, self.preset_button, self.grid, self.bias_spin):
            widget.setEnabled(enabled)
        for action in self.edit_actions.values():
            action.setEnabled(enabled)
        widgets = (self.rows_spin, self.cols_spin, self.bias_spin, self.channel_tabs)
        for w in widgets:
            w.blockSignals(True)
        try:
            if f is None:
                self.title.setText("no filter selected")
                self.bias_spin.setValue(0.0)
                while self.channel_tabs.count():
                    self.channel_tabs.removeTab(0)
                self.channel_row.setVisible(False)
                return
            c, kh, kw = f.weight.shape
            self.title.setText(f"{f.name}  ·  {c}×{kh}×{kw}" if c > 1 else
                               f"{f.name}  ·  {kh}×{kw}")
            self.title.setToolTip(f"Filter {f.name!r}: {c} input channel(s), "
                                  f"{kh} rows × {kw} columns")
            self.rows_spin.setValue(kh)
            self.cols_spin.setValue(kw)
            self.bias_spin.setValue(f.bias)
            names = (list(RGB_CHANNEL_NAMES) if self._input_mode == "rgb" and c == 3
                     else [f"channel {i + 1}" for i in range(c)])
            if [self.channel_tabs.tabText(i) for i in range(self.channel_tabs.count())] \
                    != names:
                while self.channel_tabs.count():
                    self.channel_tabs.removeTab(0)
                for name in names:
                    self.channel_tabs.addTab(name)
            self.channel_tabs.setCurrentIndex(self._channel)
            self.channel_row.setVisible(c > 1)
        finally:
            for w in widgets:
                w.blockSignals(False)

    def _refresh_grid(self) -> None:
        f = self._filter
        current = self.grid.currentIndex()
        where = (current.row(), current.column()) if current.isValid() else (0, 0)
        if f is None:
            self._model.set_values(np.zeros((0, 0), np.float32), 0.0)
            return
        reshaped = self._model.values.shape != f.weight.shape[1:]
        self._model.set_values(f.weight[self._channel], float(np.abs(f.weight).max()))
        self.grid.update_cell_size()
        if reshaped or not current.isValid():
            kh, kw = f.kernel_size
            index = self._model.index(min(where[0], kh - 1), min(where[1], kw - 1))
            self.grid.setCurrentIndex(index)

    def _refresh_sum(self) -> None:
        f = self._filter
        if f is None:
            self.sum_label.setText("")
            return
        here = weight_sum(f.weight[self._channel])
        if f.channels == 1:
            self.sum_label.setText(f"sum = {display_text(here)}")
            self.sum_label.setToolTip(f"Sum of the weights: {here!r}. The gain on a flat "
                                      "input.")
            return
        total = weight_sum(f.weight)
        self.sum_label.setText(f"sum = {display_text(here)}  ·  all = {display_text(total)}")
        self.sum_label.setToolTip(f"Sum of this slice's weights: {here!r}; over all "
                                  f"{f.channels} channels: {total!r} (the gain on a flat input).")
