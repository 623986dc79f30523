"""The parameter panel: one layer's hyper-parameters and its output-shape arithmetic.

Input mode and size, conv / activation / pooling settings, and the live formulas with the
reason in red when a combination is impossible.
"""

from __future__ import annotations

import html
from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from workbench.core import PADDING_MODES, Pipeline, Pool, layer_geometry
from workbench.gui.views.titles import (
    ACTIVATION_TITLES,
    INPUT_MODE_TITLES,
    PADDING_TITLES,
    POOL_TITLES,
)
from workbench.io.images import DEFAULT_MAX_SIDE
from workbench.session import MAX_SIDE_RANGE, InputState, Selection, Session
from workbench.session.edits import (
    allowed_groups,
    replace_layer,
    set_groups,
    set_input_mode,
)


class PairSpinBox(QWidget):
    """Two spin boxes for a ``(vertical, horizontal)`` pair, e.g. a stride.

    Parameters
    ----------
    minimum, maximum : int
        Range of both values.
    tooltip : str
        Explanation shown on both boxes.
    special : str, optional
        Text shown at the minimum instead of the number (e.g. ``"= size"``).
    """

    sigValueChanged = Signal(tuple)

    def __init__(self, minimum: int, maximum: int, tooltip: str, special: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.boxes = (QSpinBox(), QSpinBox())
        for axis, box in zip(("vertical (rows)", "horizontal (columns)"), self.boxes,
                             strict=True):
            box.setRange(minimum, maximum)
            box.setKeyboardTracking(False)
            box.setToolTip(f"{tooltip} — {axis}.")
            box.setAccelerated(True)
            if special:
                box.setSpecialValueText(special)
            box.valueChanged.connect(self._emit)
        layout.addWidget(self.boxes[0], 1)
        cross = QLabel("×")
        cross.setToolTip("rows × columns")
        layout.addWidget(cross)
        layout.addWidget(self.boxes[1], 1)
        self.setToolTip(f"{tooltip} (rows × columns).")

    def value(self) -> tuple[int, int]:
        """Return the pair ``(vertical, horizontal)``.

        Returns
        -------
        tuple of int
            Current values.
        """
        return self.boxes[0].value(), self.boxes[1].value()

    def setValue(self, value: tuple[int, int]) -> None:  # noqa: N802 (Qt naming)
        """Show ``value`` without emitting.

        Parameters
        ----------
        value : tuple of int
            ``(vertical, horizontal)``.
        """
        for box, v in zip(self.boxes, value, strict=True):
            box.blockSignals(True)
            box.setValue(int(v))
            box.blockSignals(False)

    def _emit(self) -> None:
        self.sigValueChanged.emit(self.value())


def _combo(items: dict[str, str], tooltip: str) -> QComboBox:
    combo = QComboBox()
    for key, title in items.items():
        combo.addItem(title, key)
    combo.setToolTip(tooltip)
    return combo


def _set_combo(combo: QComboBox, key: Any) -> None:
    combo.blockSignals(True)
    combo.setCurrentIndex(max(combo.findData(key), 0))
    combo.blockSignals(False)


def _formula_html(text: str) -> str:
    """Escape a formula so a narrow panel wraps it only before ``/ stride`` and ``= result``."""
    head, sep, result = text.rpartition(" = ")
    if not sep:
        return html.escape(text)

    def glue(part: str) -> str:
        # Non-breaking spaces and hyphens (U+2011): Qt would otherwise break at a minus.
        return html.escape(part).replace(" ", "&nbsp;").replace("-", "&#8209;")

    numerator, slash, rest = head.rpartition(" / ")
    head_html = f"{glue(numerator)} / {glue(rest)}" if slash else glue(head)
    return f"{head_html} = {glue(result)}"


def _set_checked(box: QCheckBox, value: bool) -> None:
    box.blockSignals(True)
    box.setChecked(value)
    box.blockSignals(False)


class ParameterPanel(QWidget):
    """Edit one layer's hyper-parameters and show its output-shape arithmetic.

    Parameters
    ----------
    session : Session
        Edited through undoable steps (bursts of one field coalesce); the panel shows the
        selected layer.
    parent : QWidget, optional
        Qt parent.
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._raw_channels: int | None = None
        self.geometry_text = ""  # the shape arithmetic as plain text

        self.input_mode = _combo(INPUT_MODE_TITLES, "Gray feeds one luminance channel; RGB "
                                 "feeds three, and every filter gets one kernel slice per "
                                 "channel.")
        self.max_side = QSpinBox()
        self.max_side.setRange(*MAX_SIDE_RANGE)
        self.max_side.setSingleStep(64)
        self.max_side.setValue(DEFAULT_MAX_SIDE)
        self.max_side.setSuffix(" px")
        self.max_side.setKeyboardTracking(False)
        self.max_side.setToolTip("Images larger than this are shrunk (area interpolation) so "
                                 "the longer side fits, keeping the maps interactive.")

        self.stride = PairSpinBox(1, 64, "Step between neighbouring output pixels; 2 halves "
                                  "the output size")
        self.padding_kind = _combo(PADDING_TITLES, "valid adds no border, same pads so the "
                                   "output keeps the input size (stride 1 only), explicit "
                                   "pads by the amounts given.")
        self.padding = PairSpinBox(0, 512, "Rows / columns of border added on each side "
                                   "before the convolution")
        self.padding_mode = _combo({m: m for m in PADDING_MODES}, "How the border is filled: "
                                   "zeros, mirrored (reflect), repeated edge (replicate) or "
                                   "wrapped around (circular).")
        self.dilation = PairSpinBox(1, 32, "Spacing between kernel taps; 2 spreads a 3x3 "
                                    "kernel over 5x5 pixels")
        self.groups = QComboBox()
        self.groups.setToolTip("Split input channels and filters into this many independent "
                               "groups; must divide both (only such values are offered).")
        self.flip = QCheckBox("True convolution (flip kernel)")
        self.flip.setToolTip("Rotate each kernel by 180 degrees, turning the deep-learning "
                             "cross-correlation into mathematical convolution.")

        self.activation = _combo(ACTIVATION_TITLES, "Element-wise function applied to every "
                                 "feature map after the convolution.")
        self.slope = QDoubleSpinBox()
        self.slope.setRange(0.0, 1.0)
        self.slope.setDecimals(3)
        self.slope.setSingleStep(0.01)
        self.slope.setKeyboardTracking(False)
        self.slope.setToolTip("Leaky ReLU multiplies negative values by this slope instead "
                              "of zeroing them.")

        self.pool_kind = _combo(POOL_TITLES, "Downsampling after the activation: each output "
                                "pixel summarises a window (global: the whole map).")
        self.pool_size = PairSpinBox(1, 64, "Height and width of the pooling window")
        self.pool_stride = PairSpinBox(0, 64, "Step between pooling windows; '= size' uses "
                                       "the window size (no overlap)", special="= size")
        self.pool_padding = PairSpinBox(0, 32, "Implicit border of the pooling window, at most "
                                        "half its size")
        self.ceil_mode = QCheckBox("Ceil mode")
        self.ceil_mode.setToolTip("Round the number of pooling windows up, so a partial window "
                                  "at the right/bottom edge is kept.")

        self.geometry_label = QLabel()
        self.geometry_label.setObjectName("geometryLabel")
        self.geometry_label.setTextFormat(Qt.TextFormat.RichText)
        self.geometry_label.setWordWrap(True)
        self.geometry_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.geometry_label.setToolTip("Output size of the convolution and of the pooling, with "
                                       "the formula PyTorch uses; sizes are rows × columns "
                                       "(H × W).")
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setPointSizeF(max(mono.pointSizeF() - 1.5, 7.0))
        self.geometry_label.setFont(mono)
        self.error_label = QLabel()
        self.error_label.setObjectName("errorLabel")
        self.error_label.setWordWrap(True)
        self.error_label.setProperty("tone", "error")  # coloured by the appearance
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()

        input_box = QGroupBox("Input")
        form = self._form(input_box)
        form.addRow("Channels", self.input_mode)
        form.addRow("Max side", self.max_side)
        conv_box = QGroupBox("Convolution")
        form = self._form(conv_box)
        form.addRow("Stride", self.stride)
        form.addRow("Padding", self.padding_kind)
        form.addRow("Pad amount", self.padding)
        form.addRow("Pad mode", self.padding_mode)
        form.addRow("Dilation", self.dilation)
        form.addRow("Groups", self.groups)
        form.addRow(self.flip)
        act_box = QGroupBox("Activation")
        form = self._form(act_box)
        form.addRow("Function", self.activation)
        form.addRow("Slope", self.slope)
        pool_box = QGroupBox("Pooling")
        form = self._form(pool_box)
        form.addRow("Kind", self.pool_kind)
        form.addRow("Size", self.pool_size)
        form.addRow("Stride", self.pool_stride)
        form.addRow("Padding", self.pool_padding)
        form.addRow(self.ceil_mode)
        shape_box = QGroupBox("Output shape")
        shape_layout = QVBoxLayout(shape_box)
        shape_layout.setContentsMargins(8, 4, 8, 6)
        shape_layout.addWidget(self.geometry_label)
        shape_layout.addWidget(self.error_label)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for box in (input_box, conv_box, act_box, pool_box, shape_box):
            layout.addWidget(box)
        layout.addStretch(1)

        for form in self.findChildren(QFormLayout):
            for row in range(form.rowCount()):
                label = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
                field = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
                label_widget = label.widget() if label is not None else None
                field_widget = field.widget() if field is not None else None
                if label_widget is not None and field_widget is not None:
                    label_widget.setToolTip(field_widget.toolTip())

        self._connect()
        session.pipeline_changed.connect(self._on_pipeline_changed)
        session.input_changed.connect(self._on_input_changed)
        session.selection_changed.connect(self._on_selection_changed)
        session.result_changed.connect(lambda _: self._update_geometry())
        self._on_input_changed(session.input)

    @property
    def error_text(self) -> str:
        """The session's one reason the current state cannot be computed ("" when fine)."""
        return self._session.problem or ""

    @property
    def _layer(self) -> int:
        return self._session.layer_index

    @property
    def _input_size(self) -> tuple[int, int] | None:
        """``(H, W)`` entering the selected layer: the input's, or the previous layer's maps."""
        layer = self._layer
        if layer == 0:
            tensor = self._session.tensor
            return None if tensor is None else (int(tensor.shape[1]), int(tensor.shape[2]))
        shown = self._session.result
        if shown is None or len(shown.result.layers) < layer:
            return None
        maps = shown.result.layers[layer - 1].pooled
        return (int(maps[0].shape[0]), int(maps[0].shape[1])) if maps else None

    @property
    def _kernel(self) -> tuple[int, int] | None:
        selection = self._session.selection
        filters = self._session.pipeline.layers[selection.layer].filters
        if not 0 <= selection.filter < len(filters) or not filters[selection.filter].enabled:
            return None
        return filters[selection.filter].kernel_size

    @staticmethod
    def _form(box: QGroupBox) -> QFormLayout:
        form = QFormLayout(box)
        form.setContentsMargins(8, 4, 8, 6)
        form.setVerticalSpacing(4)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        return form

    # ------------------------------------------------------------------ edits

    def _edit_layer(self, key: str, **changes: Any) -> None:
        self._session.edit(lambda p: replace_layer(p, self._layer, **changes), coalesce_key=key)

    def _edit_pool(self, key: str, **changes: Any) -> None:
        pool = replace(self._session.pipeline.layers[self._layer].pool, **changes)
        self._edit_layer(key, pool=pool)

    def _connect(self) -> None:
        self.input_mode.currentIndexChanged.connect(lambda _: self._session.edit(
            lambda p: set_input_mode(p, self.input_mode.currentData())))
        self.max_side.valueChanged.connect(self._session.set_max_side)
        self.stride.sigValueChanged.connect(lambda v: self._edit_layer("stride", stride=v))
        self.padding_kind.currentIndexChanged.connect(lambda _: self._on_padding_edited())
        self.padding.sigValueChanged.connect(lambda _: self._on_padding_edited())
        self.padding_mode.currentIndexChanged.connect(lambda _: self._edit_layer(
            "padding_mode", padding_mode=self.padding_mode.currentData()))
        self.dilation.sigValueChanged.connect(
            lambda v: self._edit_layer("dilation", dilation=v))
        self.groups.currentIndexChanged.connect(lambda _: self._on_groups_edited())
        self.flip.toggled.connect(lambda v: self._edit_layer("flip", flip=v))
        self.activation.currentIndexChanged.connect(lambda _: self._edit_layer(
            "activation", activation=self.activation.currentData()))
        self.slope.valueChanged.connect(
            lambda v: self._edit_layer("slope", negative_slope=v))
        self.pool_kind.currentIndexChanged.connect(lambda _: self._edit_pool(
            "pool_kind", kind=self.pool_kind.currentData()))
        self.pool_size.sigValueChanged.connect(lambda v: self._edit_pool("pool_size", size=v))
        self.pool_stride.sigValueChanged.connect(self._on_pool_stride_edited)
        self.pool_padding.sigValueChanged.connect(
            lambda v: self._edit_pool("pool_padding", padding=v))
        self.ceil_mode.toggled.connect(lambda v: self._edit_pool("ceil_mode", ceil_mode=v))

    def _on_padding_edited(self) -> None:
        kind = self.padding_kind.currentData()
        padding = self.padding.value() if kind == "explicit" else kind
        self._edit_layer("padding", padding=padding)

    def _on_groups_edited(self) -> None:
        groups = self.groups.currentData()
        if groups is not None:
            self._session.edit(lambda p: set_groups(p, self._layer, int(groups)))

    def _on_pool_stride_edited(self, value: tuple[int, int]) -> None:
        size = self._session.pipeline.layers[self._layer].pool.size
        stride = None if value == (0, 0) else tuple(v or s for v, s in zip(value, size,
                                                                          strict=True))
        self._edit_pool("pool_stride", stride=stride)

    # --------------------------------------------------------------- display

    def _on_input_changed(self, state: InputState) -> None:
        # Raw data has its own channel count, so gray / RGB are not offered while it is shown.
        channels = state.raw.channels if state.raw is not None else None
        if channels != self._raw_channels:
            self._raw_channels = channels
            self.input_mode.blockSignals(True)
            index = self.input_mode.findData("raw")
            if index >= 0:
                self.input_mode.removeItem(index)
            if channels is not None:
                noun = "channel" if channels == 1 else "channels"
                self.input_mode.addItem(f"Raw data ({channels} {noun})", "raw")
            self.input_mode.blockSignals(False)
        self.max_side.blockSignals(True)
        self.max_side.setValue(state.max_side)
        self.max_side.blockSignals(False)
        self._on_pipeline_changed(self._session.pipeline)

    def _on_selection_changed(self, _selection: Selection) -> None:
        self._on_pipeline_changed(self._session.pipeline)

    def _on_pipeline_changed(self, pipeline: Pipeline) -> None:
        layer = pipeline.layers[self._layer]
        raw = self._raw_channels is not None
        _set_combo(self.input_mode, "raw" if raw else pipeline.input_mode)
        self.input_mode.setEnabled(self._layer == 0 and not raw)
        maps_below = len(pipeline.layers[self._layer - 1].enabled_filters) if self._layer else 0
        self.input_mode.setToolTip(
            "Gray or RGB input (layer 1 reads it)" if self._layer == 0 and not raw else
            "Raw data sets its own channels" if raw else
            f"Layer {self._layer + 1} reads the {maps_below} maps of layer {self._layer}; "
            "the image channels are chosen on layer 1")
        self.stride.setValue(layer.stride)
        padding_kind = layer.padding if isinstance(layer.padding, str) else "explicit"
        _set_combo(self.padding_kind, padding_kind)
        if not isinstance(layer.padding, str):
            self.padding.setValue(layer.padding)
        self.padding.setEnabled(padding_kind == "explicit")
        _set_combo(self.padding_mode, layer.padding_mode)
        self.dilation.setValue(layer.dilation)
        self._fill_groups(pipeline)
        _set_checked(self.flip, layer.flip)
        _set_combo(self.activation, layer.activation)
        self.slope.blockSignals(True)
        self.slope.setValue(layer.negative_slope)
        self.slope.blockSignals(False)
        self.slope.setEnabled(layer.activation == "leaky_relu")
        pool: Pool = layer.pool
        _set_combo(self.pool_kind, pool.kind)
        self.pool_size.setValue(pool.size)
        self.pool_stride.setValue((0, 0) if pool.stride is None else pool.stride)
        self.pool_padding.setValue(pool.padding)
        _set_checked(self.ceil_mode, pool.ceil_mode)
        windowed = pool.kind in ("max", "avg", "min")
        for widget in (self.pool_size, self.pool_stride, self.pool_padding, self.ceil_mode):
            widget.setEnabled(windowed)
        self._update_geometry()

    def _fill_groups(self, pipeline: Pipeline) -> None:
        current = pipeline.layers[self._layer].groups
        allowed = allowed_groups(pipeline, self._layer)
        self.groups.blockSignals(True)
        self.groups.clear()
        for g in allowed:
            self.groups.addItem(str(g), g)
        if current not in allowed:
            self.groups.addItem(f"{current} (invalid)", current)
        self.groups.setCurrentIndex(self.groups.findData(current))
        self.groups.blockSignals(False)
        self.groups.setEnabled(len(allowed) > 1 or current not in allowed)

    def _update_geometry(self) -> None:
        layer = self._session.pipeline.layers[self._layer]
        error = None
        if self._input_size is None:
            lines = ["no input yet"]
        elif not layer.filters:
            lines = ["no filters"]
        else:
            geo = layer_geometry(layer, *self._input_size, kernel=self._kernel)
            error = geo.error
            h, w = self._input_size
            k = self._kernel or (layer.enabled_filters or layer.filters)[0].kernel_size
            lines = [f"input {h}×{w}, kernel {k[0]}×{k[1]}"]
            if geo.conv_formulas[0]:
                impossible = " (impossible)" if min(geo.conv_size) < 1 else ""
                lines.append(f"conv → {geo.conv_size[0]}×{geo.conv_size[1]}{impossible}")
                lines += geo.conv_formulas
            if geo.pool_formulas and layer.pool.kind != "none":
                lines.append(f"pool → {geo.pool_size[0]}×{geo.pool_size[1]}")
                lines += geo.pool_formulas
        self.geometry_text = "\n".join(lines)
        self.geometry_label.setText("<br>".join(
            _formula_html(t) if " = " in t else f"<b>{html.escape(t)}</b>" for t in lines))
        # The reason itself is the session's (one per state), shown above the maps.
        self.error_label.setText("⚠ this layer cannot be computed: see the message above the "
                                 "maps" if error else "")
        self.error_label.setVisible(bool(error))

    def focusable_widgets(self) -> list[QWidget]:
        """Return the panel's widgets that Tab reaches, in focus-chain order."""
        found: list[QWidget] = []
        widget = self.nextInFocusChain()
        while widget is not None and widget is not self and len(found) < 500:
            if (self.isAncestorOf(widget) and widget.isEnabled()
                    and widget.focusPolicy() & Qt.FocusPolicy.TabFocus
                    and widget.focusProxy() is None):
                found.append(widget)
            widget = widget.nextInFocusChain()
        return found

    def focus_first(self) -> None:
        """Give the keyboard focus to the first visible parameter (View > Go to > Parameters)."""
        for widget in self.focusable_widgets():
            if widget.isVisibleTo(self):
                widget.setFocus(Qt.FocusReason.ShortcutFocusReason)
                return
