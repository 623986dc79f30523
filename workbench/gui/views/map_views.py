"""The image views: the input, then each enabled filter's feature map and pooled map.

Every view shows the RGB pixels :func:`workbench.render.render_map` makes of its map (levels
and colormap decided by :func:`workbench.render.map_look`), the very array "PNG as
displayed" writes; pyqtgraph only places them on screen. Views of the same resolution share
zoom and pan, hovering a pixel reports its value and outlines its receptive field on the
input.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFontMetrics,
    QImage,
    QKeySequence,
    QPen,
    QPixmap,
    QResizeEvent,
    QShortcut,
    QShowEvent,
    QTransform,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGraphicsRectItem,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.core import Layer, Pipeline, PipelineResult, explain_result, receptive_field
from workbench.core.receptive import Window, layer_field, padded_index
from workbench.gui.views.patch_inspector import PatchInspector
from workbench.gui.views.signal_view import SignalView, StemKey
from workbench.gui.views.step_player import SlideMark
from workbench.gui.views.titles import ACTIVATION_TITLES, POOL_TITLES
from workbench.gui.views.value_labels import TEXT_ONLY_SIDE, ValueLabels
from workbench.render import (
    COLOR_MODE_TIPS,
    COLOR_MODES,
    COLORMAPS,
    MapLook,
    ViewOptions,
    colorbar_image,
    format_value,
    input_look,
    input_view,
    map_look,
    render_map,
    shared_levels,
    shrink_for_display,
)
from workbench.session import Session

VIEW_BACKGROUND = "#1e2024"
SLIDE_PAD_COLOR = "#26c6da"  # padded taps and the image edge in the step-through
SLIDE_PAD_MAX_SIDE = 2048  # larger inputs get the image edge only, not the padded picture
VIEW_FOREGROUND = "#d8dce3"
FIELD_COLOR = "#ffb300"
TITLE_POINT_SIZE = 9.0
# Width taken by the colour bar and margins, height by the title: what a map cannot use.
CELL_CHROME = (56, 30)
COMPACT_CHROME = (8, 44)  # a compact cell: no colour bar (its levels are in the title)
COMPACT_BELOW = 130  # maps narrower than this (screen px) go compact
MIN_FIT_MAP = 64  # "fit to window" shrinks maps to this before the grid scrolls instead
MAP_SIZE_RANGE = (48, 2048)  # the map sizes Larger / Smaller maps may ask for
MAP_SIZE_FACTOR = 1.25  # one step of Larger / Smaller maps
# While a stream runs, colour bars follow the maps at most this often: redrawing 16 bar
# axes for every frame costs more than drawing the maps themselves.
STREAMING_BAR_INTERVAL_S = 0.25
# Maps with at least this many pixels per screen pixel are decimated for drawing only.
MIN_DISPLAY_STEP = 2

pg.setConfigOptions(imageAxisOrder="row-major", background=VIEW_BACKGROUND,
                    foreground=VIEW_FOREGROUND, antialias=False)


def colorbar_pixmap(colormap_key: str) -> QPixmap:
    """Return the colour bar strip of a colormap as pyqtgraph's ColorBarItem lays it out.

    Parameters
    ----------
    colormap_key : str
        A key of :data:`~workbench.render.COLORMAPS`.

    Returns
    -------
    QPixmap
        1 x 256, the lowest level in row 0 (the bar's view has y pointing up).
    """
    strip = np.ascontiguousarray(colorbar_image(colormap_key)[::-1])
    image = QImage(strip.data, 1, strip.shape[0], 3, QImage.Format.Format_RGB888)
    return QPixmap.fromImage(image)  # copies the pixels


@dataclass(frozen=True)
class CellKey:
    """Identifies a view.

    ``stage`` is "input", "conv" or "pooled"; ``index`` the enabled filter's position (0 for
    the input).
    """

    stage: str
    index: int = 0


class _TitleLabel(pg.LabelItem):
    """A title that never widens its cell: text longer than the cell is clipped.

    pyqtgraph's label asks for its text's width as its minimum, which would push a small
    cell's view (and so the map) past the cell's right edge.
    """

    def __init__(self, text: str, **options: str) -> None:
        super().__init__(text, **options)
        self.setFlag(self.GraphicsItemFlag.ItemClipsChildrenToShape)

    def updateMin(self) -> None:  # noqa: N802 (pyqtgraph override)
        height = self.itemRect().height()
        self.setMinimumWidth(0)
        self.setMinimumHeight(height)
        self._sizeHint = {
            Qt.SizeHint.MinimumSize: (0, height),
            Qt.SizeHint.PreferredSize: (0, height),
            Qt.SizeHint.MaximumSize: (-1, -1),
            Qt.SizeHint.MinimumDescent: (0, 0),
        }
        self.updateGeometry()


class MapCell(pg.GraphicsLayoutWidget):
    """One titled image view with an optional colour bar.

    Parameters
    ----------
    key : CellKey
        What it shows.
    colorbar : bool, optional
        Show a colour bar at the right.
    """

    sigHovered = Signal(object, int, int)  # CellKey, row, column; row -1 when leaving
    sigPaddedHovered = Signal(int, int)  # row, column of a padded cell outside the map
    sigClicked = Signal(object, int, int)  # CellKey, row, column of a left click on a pixel

    def __init__(self, key: CellKey, colorbar: bool = True,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        # (top, bottom, left, right) cells around the map that report hovers: the padded
        # border the step-through draws around the input.
        self.padded_margin: tuple[int, int, int, int] = (0, 0, 0, 0)
        self.data: np.ndarray | None = None  # the values, read back on hover
        self.look: MapLook | None = None  # how they are drawn
        self.colormap_key = ""
        self.display_step = 1  # the map is drawn shrunk by this factor
        self.compact = False  # no colour bar: the levels are in the title
        self._title_base = ""
        self._title_short = ""
        self.ci.setContentsMargins(3, 2, 3, 3)
        self.ci.setSpacing(2)
        self.title = _TitleLabel("", size=f"{TITLE_POINT_SIZE:g}pt", color=VIEW_FOREGROUND)
        self.ci.addItem(self.title, row=0, col=0, colspan=2)
        title_font = self.title.item.font()
        title_font.setPointSizeF(TITLE_POINT_SIZE)
        self._title_metrics = QFontMetrics(title_font)
        self.view: pg.ViewBox = self.ci.addViewBox(row=1, col=0, lockAspect=True,
                                                   invertY=True, enableMenu=False)
        self.view.setDefaultPadding(0.0)
        self.image = pg.ImageItem()
        self.view.addItem(self.image)
        self.marker = QGraphicsRectItem()
        pen = QPen(QColor(FIELD_COLOR))
        pen.setCosmetic(True)
        pen.setWidthF(1.5)
        self.marker.setPen(pen)
        self.marker.setZValue(10)
        self.marker.hide()
        self.view.addItem(self.marker, ignoreBounds=True)
        self.bar: pg.ColorBarItem | None = None
        if colorbar:
            self.bar = pg.ColorBarItem(values=(0, 1), width=8, interactive=False,
                                       colorMapMenu=False)
            self.bar.getAxis("right").setWidth(34)
            self.bar.getAxis("right").setStyle(tickTextOffset=3)
            # Not linked with setImageItem: every change of the image's levels would then
            # redraw the bar's axis at once; show_map and update_bar drive both instead.
            self.ci.addItem(self.bar, row=1, col=1)
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        # Redrawn after a zoom or resize, not during it: the view emits this while it
        # measures its items' bounds (autoRange), which a redraw would change under it.
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(0)
        self._redraw_timer.timeout.connect(self._on_view_settled)
        self.view.sigTransformChanged.connect(self._redraw_timer.start)
        self.labels = ValueLabels(self.view)  # every pixel's number on tiny maps

    @property
    def levels(self) -> tuple[float, float]:
        """The levels the map is drawn with."""
        return self.look.levels if self.look is not None else (0.0, 1.0)

    def show_map(self, values: np.ndarray, look: MapLook, update_bar: bool = True) -> None:
        """Display ``values`` as :func:`workbench.render.render_map` draws them with ``look``.

        Parameters
        ----------
        values : numpy.ndarray
            ``(H, W)`` map or ``(H, W, 3)`` RGB input; also read back on hover.
        look : MapLook
            Mode, levels and colormap.
        update_bar : bool, optional
            Show the levels on the colour bar now; otherwise :meth:`update_bar` does later.
        """
        self.data = values
        self.look = look
        self._draw()
        colormap_key = look.colormap if values.ndim == 2 else ""
        if colormap_key != self.colormap_key:
            self.colormap_key = colormap_key
            if self.bar is not None and colormap_key:
                self.bar.bar.setPixmap(colorbar_pixmap(colormap_key))
        # A 1x1 (global pooling) or 2x2 output reads as its numbers: one flat colour square
        # and a colour bar around a single value say nothing. The pixels are still drawn
        # (transparent) so hover, zoom and the exported PNG are unchanged.
        text_only = values.ndim == 2 and max(values.shape) <= TEXT_ONLY_SIDE
        self.image.setOpacity(0.0 if text_only else 1.0)
        if self.bar is not None:
            self.bar.setVisible(not text_only and not self.compact)
        if update_bar:
            self.update_bar()
        self.labels.show_values(values, look.levels, big=text_only)
        if update_bar or not self.compact:  # compact titles hold the levels: throttled too
            self._show_title()

    @property
    def shows_values_as_text(self) -> bool:
        """Whether the map is shown as its numbers (1x1 or 2x2) instead of colours."""
        return self.labels.big and bool(self.labels.items)

    def _step_for_view(self) -> int:
        step = math.floor(self.scale)
        return step if step >= MIN_DISPLAY_STEP else 1

    def _draw(self) -> None:
        """Draw the rendered map, decimated when several of its pixels share a screen pixel.

        A map much larger than its view is shrunk first by
        :func:`workbench.render.shrink_for_display` (each block drawn as its strongest
        value, so thin edges survive; the input averaged), which also spares colouring
        pixels that are never seen. The image keeps the map's size in view coordinates, so
        hover, zoom and receptive-field outlines are unaffected.
        """
        if self.data is None or self.look is None:
            return
        step = self.display_step = self._step_for_view()
        shrunk = shrink_for_display(self.data, step, area=self.key.stage == "input")
        # Opaque RGBA: the same RGB bytes as render_map's RGB, and the faster lookup.
        drawn = render_map(shrunk, self.look, alpha=True)
        # Each drawn pixel covers step x step map pixels, at its true place. The transform
        # is set first: setImage reports the item's bounds to the view, which must already
        # be the map's (else an auto-ranging view zooms to the wrong size).
        self.image.setTransform(QTransform.fromScale(step, step))
        self.image.setImage(drawn, autoLevels=False)

    def displayed_rgb(self) -> np.ndarray | None:
        """Return the RGB pixels handed to the image item (decimated by :attr:`display_step`).

        Returns
        -------
        numpy.ndarray or None
            uint8 ``(h, w, 3)``, or ``None`` before the first map.
        """
        drawn = self.image.image
        return None if drawn is None else np.asarray(drawn)[:, :, :3]

    def _on_view_settled(self) -> None:
        if self.data is not None and self._step_for_view() != self.display_step:
            self._draw()  # zoomed or resized: draw at the new resolution
        self._show_title()

    @property
    def scale(self) -> float:
        """Map pixels per screen pixel (1 at 1:1, 4 when shown at 1:4)."""
        try:
            dx, dy = (float(v) for v in self.view.viewPixelSize())
        except (TypeError, ValueError, ZeroDivisionError):
            return 1.0
        scale = min(dx, dy)  # equal: the aspect is locked
        return scale if math.isfinite(scale) and scale > 0 else 1.0

    def set_compact(self, compact: bool) -> None:
        """Drop the colour bar for a small cell; its levels then show in the title.

        Parameters
        ----------
        compact : bool
            Whether the cell is small (many maps share the view).
        """
        if compact == self.compact:
            return
        self.compact = compact
        if self.bar is not None:
            # A hidden item keeps its room in the layout: the bar leaves it instead.
            if compact:
                self.ci.removeItem(self.bar)
            else:
                self.ci.addItem(self.bar, row=1, col=1)
            self.bar.setVisible(not compact and not self.shows_values_as_text)
        self._show_title()

    def _show_title(self) -> None:
        """Title, scale (below 1:1) and, compact, the colour range on a second line.

        The full title gives way to the short one (the filter's name) when it would not
        fit the cell; what still does not fit is clipped at its end, never its start.
        """
        scale = self.scale
        suffix = f" · 1:{round(scale, 1):g}" if self.data is not None and scale > 1.05 else ""
        room = self.width() - 8
        base = self._title_short if self.compact else self._title_base
        if self._title_width(base + suffix) > room:
            base = self._title_short
        first = base + suffix if base else suffix.removeprefix(" · ")
        fits = self._title_width(first) <= room
        text = first
        if self.compact and self.bar is not None and self.look is not None \
                and not self.shows_values_as_text:  # the colour bar's range, on a 2nd line
            low, high = self.look.levels
            text += f"<br>{format_value(low)} … {format_value(high)}"
        self.title.opts["justify"] = "center" if fits and not self.compact else "left"
        if text != self.shown_title:  # setText re-lays out the whole view
            self.title.setText(text)

    def _title_width(self, text: str) -> int:
        return self._title_metrics.horizontalAdvance(text)

    def update_bar(self) -> None:
        """Show the image's current levels on the colour bar (or a compact title)."""
        if self.bar is not None and tuple(self.bar.levels()) != tuple(self.levels):
            self.bar.setLevels(self.levels)
        if self.compact:
            self._show_title()

    def set_title(self, text: str, short: str = "") -> None:
        """Set the line above the image (the display scale and, compact, levels follow).

        Parameters
        ----------
        text : str
            Plain text.
        short : str, optional
            What a compact cell shows instead (``text`` when empty).
        """
        self._title_base = text
        self._title_short = short or text
        self._show_title()

    @property
    def title_text(self) -> str:
        """The title set (what the map is), without scale or levels."""
        return self._title_base

    @property
    def shown_title(self) -> str:
        """The line above the image as drawn, scale and compact levels included."""
        return str(self.title.text)

    def mark_pixel(self, rect: QRectF | None) -> None:
        """Outline ``rect`` (data coordinates) or hide the outline.

        Parameters
        ----------
        rect : QRectF or None
            Region to outline.
        """
        if rect is None:
            self.marker.hide()
        else:
            self.marker.setRect(rect)
            self.marker.show()

    def scene_pos_of(self, row: int, col: int) -> QPointF:
        """Scene position of the centre of pixel ``(row, col)``.

        Parameters
        ----------
        row, col : int
            Pixel.

        Returns
        -------
        QPointF
            In scene coordinates.
        """
        point: QPointF = self.view.mapViewToScene(QPointF(col + 0.5, row + 0.5))
        return point

    def _on_mouse_moved(self, pos: QPointF) -> None:
        if self.data is None or not self.view.sceneBoundingRect().contains(pos):
            self.sigHovered.emit(self.key, -1, -1)
            return
        point = self.view.mapSceneToView(pos)
        row, col = math.floor(point.y()), math.floor(point.x())
        height, width = self.data.shape[:2]
        top, bottom, left, right = self.padded_margin
        if 0 <= row < height and 0 <= col < width:
            self.sigHovered.emit(self.key, row, col)
        elif -top <= row < height + bottom and -left <= col < width + right:
            self.sigHovered.emit(self.key, -1, -1)
            self.sigPaddedHovered.emit(row, col)  # a padded cell of the step-through
        else:
            self.sigHovered.emit(self.key, -1, -1)

    def _on_mouse_clicked(self, event: object) -> None:
        if self.data is None or event.button() != Qt.MouseButton.LeftButton:  # type: ignore
            return
        point = self.view.mapSceneToView(event.scenePos())  # type: ignore[attr-defined]
        row, col = math.floor(point.y()), math.floor(point.x())
        height, width = self.data.shape[:2]
        if 0 <= row < height and 0 <= col < width:
            self.sigClicked.emit(self.key, row, col)

    def leaveEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        self.sigHovered.emit(self.key, -1, -1)
        super().leaveEvent(event)


@dataclass(frozen=True)
class _GridLayout:
    """How the map grid is laid out."""

    groups: int  # filters side by side
    stacked: bool  # a filter's pooled map under its map instead of beside it
    compact: bool  # cells without colour bars


@dataclass(frozen=True, eq=False)
class _Shown:
    """The result on screen and the pipeline layer that produced it."""

    result: PipelineResult
    layer: Layer
    layer_index: int
    pipeline: Pipeline | None


class MapViewsPanel(QWidget):
    """Input view at the left, a scrollable grid of feature / pooled maps at the right.

    Parameters
    ----------
    session : Session
        Owns the colour options; the panel's option widgets edit them there.
    parent : QWidget, optional
        Qt parent.
    """

    sigHoverText = Signal(str)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self.hover_text = ""
        self._hovered: tuple[CellKey, int, int] | None = None  # re-explained on every result
        self._shown: _Shown | None = None
        self._input: np.ndarray | None = None
        self.cells: dict[CellKey, MapCell] = {}
        self._layout_signature: tuple[object, ...] = ()
        self._layout = _GridLayout(0, False, False)
        self._rows = 0
        self._columns = 1
        self.map_size: int | None = None  # maps' width asked for (screen px); None: fit
        self.shown_map_size = 0  # the maps' width as laid out
        self.raw_input = False  # the input is raw data: its channels are shown stacked
        self._sized = False
        self._splitter_restored = False
        self._zoom_groups: dict[tuple[int, ...], list[MapCell]] = {}
        self._bar_interval = 0.0
        self._bars_updated = 0.0
        self._bar_timer = QTimer(self)
        self._bar_timer.setSingleShot(True)
        self._bar_timer.timeout.connect(self._update_bars)

        self.colormap_combo = QComboBox()
        for key, title in COLORMAPS.items():
            self.colormap_combo.addItem(title, key)
        self.colormap_combo.setToolTip("Colormap of the feature maps (signed maps in symmetric "
                                       "mode use a diverging one).")
        self.mode_combo = QComboBox()
        for key, title in COLOR_MODES.items():
            self.mode_combo.addItem(title, key)
            self.mode_combo.setItemData(self.mode_combo.count() - 1, COLOR_MODE_TIPS[key],
                                        Qt.ItemDataRole.ToolTipRole)
        self.mode_combo.setToolTip("How values are mapped to colours.")
        for combo in (self.colormap_combo, self.mode_combo):  # the bar must fit 1280 px
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(5)
        self.shared_check = QCheckBox("Shared levels")
        self.shared_check.setToolTip("Use one colour scale for all maps (compare strengths) "
                                     "instead of one per map (shows detail in weak maps).")
        self.reset_button = QPushButton("Reset zoom")
        self.reset_button.setToolTip("Show every image whole again (Ctrl+0).")
        self.reset_button.clicked.connect(self.reset_view)
        self.smaller_button = QToolButton()
        self.smaller_button.setText("−")
        self.smaller_button.setToolTip("Smaller maps: more per row (Ctrl+-)")
        self.smaller_button.clicked.connect(lambda: self.change_map_size(-1))
        self.larger_button = QToolButton()
        self.larger_button.setText("+")
        self.larger_button.setToolTip("Larger maps: the grid scrolls (Ctrl++)")
        self.larger_button.clicked.connect(lambda: self.change_map_size(1))
        self.map_size_label = QLabel()
        self.map_size_label.setObjectName("mapSizeLabel")
        self.map_size_label.setMinimumWidth(self.map_size_label.fontMetrics().horizontalAdvance(
            "2048 px"))
        self.map_size_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._set_option_widgets(self.options)
        self.colormap_combo.currentIndexChanged.connect(self._on_option_widgets_changed)
        self.mode_combo.currentIndexChanged.connect(self._on_option_widgets_changed)
        self.shared_check.toggled.connect(self._on_option_widgets_changed)

        bar = QHBoxLayout()
        bar.setContentsMargins(4, 0, 4, 0)
        for text, widget in (("Colormap", self.colormap_combo), ("Scale", self.mode_combo)):
            label = QLabel(text)
            label.setBuddy(widget)
            bar.addWidget(label)
            bar.addWidget(widget)
            bar.addSpacing(4)
        bar.addWidget(self.shared_check)
        bar.addSpacing(4)
        bar.addWidget(self.reset_button)
        bar.addSpacing(4)
        bar.addWidget(self.smaller_button)
        bar.addWidget(self.map_size_label)
        bar.addWidget(self.larger_button)
        bar.addStretch(1)

        self.error_banner = QLabel()
        self.error_banner.setObjectName("computeError")
        self.error_banner.setWordWrap(True)
        self.error_banner.hide()

        self.input_cell = MapCell(CellKey("input"), colorbar=False)
        self.input_cell.set_title("Input")
        self.input_cell.sigHovered.connect(self._on_cell_hovered)
        self.input_cell.sigPaddedHovered.connect(self._on_padded_hovered)
        self.input_cell.view.sigRangeChangedManually.connect(
            lambda _: self._on_range_changed_manually(self.input_cell))
        self.field_rect = QGraphicsRectItem()
        pen = QPen(QColor(FIELD_COLOR))
        pen.setCosmetic(True)
        pen.setWidthF(2.0)
        self.field_rect.setPen(pen)
        self.field_rect.setBrush(QColor(255, 179, 0, 40))
        self.field_rect.setZValue(10)
        self.field_rect.hide()
        self.input_cell.view.addItem(self.field_rect, ignoreBounds=True)
        self._build_slide_items()

        self.grid_widget = QWidget()
        self.grid_widget.setObjectName("mapGrid")
        self.grid = QGridLayout(self.grid_widget)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(3)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setWidget(self.grid_widget)
        self.scroll_area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll_area.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # Alt+4, then arrows scroll

        self.inspector = PatchInspector()
        self.inspector.sigStepDown.connect(self._on_step_down)
        self.inspector.sigUnpin.connect(self.unpin)
        self.pinned = False  # the inspector holds one value while the mouse moves on
        self._stepping = False  # a step down is switching the layer
        unpin = QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.unpin)
        unpin.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.input_column = QSplitter(Qt.Orientation.Vertical)
        self.input_column.setObjectName("inputColumn")
        self.input_column.addWidget(self.input_cell)
        self.input_column.addWidget(self.inspector)
        self.input_column.setStretchFactor(0, 3)
        self.input_column.setStretchFactor(1, 2)
        self.input_column.setChildrenCollapsible(False)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("viewsSplitter")
        self.signal_view = SignalView()
        self.signal_view.sigHovered.connect(self._on_stem_hovered)
        self.signal_scroll = QScrollArea()
        self.signal_scroll.setWidgetResizable(True)
        self.signal_scroll.setWidget(self.signal_view)
        self.signal_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.maps_stack = QStackedWidget()  # the map grid, or stem plots for a 1-D input
        self.maps_stack.addWidget(self.scroll_area)
        self.maps_stack.addWidget(self.signal_scroll)
        self.hidden_note = QLabel("The maps are hidden: predict the answer, then Check or "
                                  "Reveal.")
        self.hidden_note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hidden_note.setWordWrap(True)
        self.maps_stack.addWidget(self.hidden_note)
        self.maps_hidden = False
        self.one_d = False
        self.splitter.addWidget(self.input_column)
        self.splitter.addWidget(self.maps_stack)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(bar)
        layout.addWidget(self.error_banner)
        layout.addWidget(self.splitter, 1)
        session.view_changed.connect(self._on_view_changed)

    # ------------------------------------------------------------ step-through

    def _build_slide_items(self) -> None:
        view = self.input_cell.view
        self.slide_taps = pg.ScatterPlotItem(pxMode=False, symbol="s", size=0.86)
        self.slide_taps.setZValue(12)
        self.slide_border = QGraphicsRectItem()  # the image's own edge, inside the padding
        border_pen = QPen(QColor(SLIDE_PAD_COLOR))
        border_pen.setCosmetic(True)
        border_pen.setStyle(Qt.PenStyle.DashLine)
        self.slide_border.setPen(border_pen)
        self.slide_border.setZValue(11)
        self.slide_padded = pg.ImageItem()  # the padded input, under the image
        self.slide_padded.setOpacity(0.55)
        self.slide_padded.setZValue(-5)
        for item in (self.slide_taps, self.slide_border, self.slide_padded):
            item.hide()
            view.addItem(item, ignoreBounds=True)
        self._slide_pad_key: tuple[object, ...] | None = None
        self.slide_mark: SlideMark | None = None

    def show_slide(self, mark: SlideMark | None, text: str) -> None:
        """Draw one step of the step-through, or clear it.

        The taps are outlined on the input (padded ones in the padding colour, over the
        padded border the padding mode produces), the output cell is marked on its map and
        ``text`` goes into the inspector, which holds it while the mouse moves on.

        Parameters
        ----------
        mark : SlideMark or None
            The step; None clears the drawing and lets the inspector follow the mouse.
        text : str
            Inspector text for the step.
        """
        self.slide_mark = mark
        for other in self._all_cells():
            other.mark_pixel(None)
        if mark is None:
            self.signal_view.mark_step(None)
            for item in (self.slide_taps, self.slide_border, self.slide_padded):
                item.hide()
            self._slide_pad_key = None
            self.input_cell.padded_margin = (0, 0, 0, 0)
            if self.pinned:
                self.unpin()
            self.inspector.show_hint()
            return
        self.field_rect.hide()
        self._hovered = None  # a new result redraws the step, not an old hover
        if mark.on_input and self._input is not None:
            spots = [{"pos": (c + 0.5, r + 0.5),
                      "pen": pg.mkPen(SLIDE_PAD_COLOR if pad else FIELD_COLOR, width=2),
                      "brush": pg.mkBrush(0, 0, 0, 0)}
                     for r, c, pad in zip(mark.rows.tolist(), mark.cols.tolist(),
                                          mark.padded.tolist(), strict=True)]
            self.slide_taps.setData(spots)
            self.slide_taps.show()
            self._show_padding(mark.pad, mark.padding_mode)
        else:  # a later layer reads maps that are not on screen: nothing on the input
            for item in (self.slide_taps, self.slide_border, self.slide_padded):
                item.hide()
            self._slide_pad_key = None
            self.input_cell.padded_margin = (0, 0, 0, 0)
        cell = self.cells.get(CellKey("conv", mark.filter))
        if cell is not None:
            cell.mark_pixel(QRectF(mark.x, mark.y, 1, 1))
        if self.one_d:
            self.signal_view.mark_step(mark)
        if self.maps_hidden:
            return  # predict-then-reveal: the arithmetic would give the answer away
        self.pinned = True  # the step's text stays while the mouse moves
        self.inspector.show_step(text)

    def _show_padding(self, pad: tuple[int, int, int, int], padding_mode: str) -> None:
        assert self._input is not None
        c, h, w = self._input.shape
        top, bottom, left, right = pad
        key = (id(self._input), pad, padding_mode)
        self.input_cell.padded_margin = pad
        if not any(pad) or (self.raw_input and c != 1) or c not in (1, 3) \
                or max(h, w) > SLIDE_PAD_MAX_SIDE:
            self.slide_padded.hide()
            self.slide_border.setVisible(any(pad))
            self.slide_border.setRect(QRectF(0, 0, w, h))
            return
        if key != self._slide_pad_key:
            self._slide_pad_key = key
            widths = ((0, 0), (top, bottom), (left, right))
            if padding_mode == "zeros":
                padded = np.pad(self._input, widths)
            elif padding_mode == "reflect":  # torch's reflect is numpy's reflect
                padded = np.pad(self._input, widths, mode="reflect")
            elif padding_mode == "replicate":
                padded = np.pad(self._input, widths, mode="edge")
            else:  # circular
                padded = np.pad(self._input, widths, mode="wrap")
            look = input_look(self._input)
            self.slide_padded.setImage(np.ascontiguousarray(input_view(padded)),
                                       levels=look.levels, autoLevels=False)
            self.slide_padded.setRect(QRectF(-left, -top, w + left + right, h + top + bottom))
            # Once per padding, so the user can zoom in and step on.
            self.input_cell.view.setRange(
                QRectF(-left, -top, w + left + right, h + top + bottom), padding=0.02)
        self.slide_border.setRect(QRectF(0, 0, w, h))
        self.slide_padded.show()
        self.slide_border.show()

    # ---------------------------------------------------------------- options

    @property
    def options(self) -> ViewOptions:
        """The session's colour options, which the maps are drawn with."""
        return self._session.view_options

    def _set_option_widgets(self, options: ViewOptions) -> None:
        for widget in (self.colormap_combo, self.mode_combo, self.shared_check):
            widget.blockSignals(True)
        self.colormap_combo.setCurrentIndex(self.colormap_combo.findData(options.colormap))
        self.mode_combo.setCurrentIndex(self.mode_combo.findData(options.mode))
        self.shared_check.setChecked(options.shared)
        for widget in (self.colormap_combo, self.mode_combo, self.shared_check):
            widget.blockSignals(False)

    def _on_option_widgets_changed(self) -> None:
        self.set_options(ViewOptions(self.colormap_combo.currentData(),
                                     self.mode_combo.currentData(),
                                     self.shared_check.isChecked()))

    def set_options(self, options: ViewOptions) -> None:
        """Change the session's colour options (the maps redraw when it says so).

        Parameters
        ----------
        options : ViewOptions
            New options.
        """
        if not self._session.set_view_options(options):
            self._set_option_widgets(options)

    def set_colormap(self, colormap: str) -> None:
        """Colour the maps with another colormap, keeping the scale mode.

        Parameters
        ----------
        colormap : str
            A key of :data:`~workbench.render.COLORMAPS`.
        """
        self.set_options(ViewOptions(colormap, self.options.mode, self.options.shared))

    def set_scale_mode(self, mode: str) -> None:
        """Scale the maps another way, keeping the colormap.

        Parameters
        ----------
        mode : str
            A key of :data:`~workbench.render.COLOR_MODES`.
        """
        self.set_options(ViewOptions(self.options.colormap, mode, self.options.shared))

    def _on_view_changed(self, options: ViewOptions) -> None:
        self._set_option_widgets(options)
        self._redraw_maps()

    # ----------------------------------------------------------------- images

    def set_input(self, image_chw: np.ndarray) -> None:
        """Show an input tensor ``(C, H, W)`` (before its maps are computed).

        Parameters
        ----------
        image_chw : numpy.ndarray
            1 or 3 channels, float32.
        """
        previous = None if self._input is None else self._input.shape
        self._input = image_chw
        # Views, not copies: the cell copies only the pixels it draws (MapCell._draw), which
        # matters for every frame of a live stream.
        c, h, w = image_chw.shape
        values = input_view(image_chw, stacked=self.raw_input)
        self.input_cell.show_map(values, input_look(image_chw))
        if self.raw_input:
            # Short: a title wider than the cell widens its view past the visible area.
            self.input_cell.set_title(f"Input — raw, {c} ch × {h}x{w}" if c > 1
                                      else f"Input — raw {h}x{w}")
        else:
            self.input_cell.set_title(f"Input — {h}x{w} {'RGB' if c == 3 else 'gray'}")
        if previous != image_chw.shape:
            self.input_cell.view.autoRange(padding=0)
            self._relink()

    def show_result(self, result: PipelineResult, layer: Layer, layer_index: int = 0,
                    pipeline: Pipeline | None = None) -> None:
        """Show one computed result: the input and layer ``layer_index``'s maps.

        Parameters
        ----------
        result : PipelineResult
            From :func:`workbench.core.run_pipeline`.
        layer : Layer
            The layer that produced the maps (for titles and receptive fields).
        layer_index : int, optional
            Which layer of ``result`` to show.
        pipeline : Pipeline, optional
            The whole stack: values of any layer are then explained back to the input.
        """
        if self._shown is not None and self._shown.layer_index != layer_index \
                and not self._stepping:  # another layer picked: its pixels mean other values
            self._hovered = None
            self.unpin()
            self.inspector.show_hint()
            self.field_rect.hide()
            for other in self._all_cells():
                other.mark_pixel(None)
            self._set_hover_text("")
        self._shown = _Shown(result, layer, layer_index, pipeline)
        self.set_input(result.input)
        lr = result.layers[layer_index]
        pooled = layer.pool.kind != "none"
        keys = [CellKey("conv", i) for i in range(len(lr.filter_names))]
        if pooled:
            keys += [CellKey("pooled", i) for i in range(len(lr.filter_names))]
        for key in [k for k in self.cells if k not in keys]:
            cell = self.cells.pop(key)
            self.grid.removeWidget(cell)
            cell.deleteLater()
        for key in keys:
            if key not in self.cells:
                cell = MapCell(key)
                cell.setMinimumWidth(COMPACT_CHROME[0] + MAP_SIZE_RANGE[0])
                cell.sigHovered.connect(self._on_cell_hovered)
                cell.sigClicked.connect(self._on_cell_clicked)
                cell.view.sigRangeChangedManually.connect(
                    lambda _, c=cell: self._on_range_changed_manually(c))
                self.cells[key] = cell
        self._redraw_maps()
        signature = (pooled, len(lr.filter_names),
                     tuple(m.shape for m in lr.activated), tuple(m.shape for m in lr.pooled))
        if signature != self._layout_signature:
            old_shapes = self._layout_signature[2:] if self._layout_signature else ()
            self._layout_signature = signature
            self._arrange()
            self._relink()
            if old_shapes != signature[2:]:
                self.reset_zoom()
        self._show_signals(result, layer, layer_index)
        self.set_stale(False)
        if self._hovered is not None and self.slide_mark is None:
            self.hover(*self._hovered)

    def _show_signals(self, result: PipelineResult, layer: Layer, layer_index: int) -> None:
        lr = result.layers[layer_index]
        signal = result.input if layer_index == 0 else \
            np.stack(result.layers[layer_index - 1].pooled)
        one_d = (signal.ndim == 3 and signal.shape[1] == 1 and signal.shape[2] > 1
                 and all(m.shape[0] == 1 for m in lr.activated))
        if one_d:
            self.signal_view.show_signals(signal, layer, lr.filter_names, lr.activated,
                                          lr.pooled)
        if one_d != self.one_d:
            self.one_d = one_d
            self._show_stack_page()
            self.input_cell.setVisible(not one_d)  # the stem plots show the input

    def _show_stack_page(self) -> None:
        # A 1-D input stays visible: only its output plots hide.
        self.maps_stack.setCurrentIndex(1 if self.one_d else 2 if self.maps_hidden else 0)
        self.signal_view.set_outputs_hidden(self.maps_hidden)

    def set_maps_hidden(self, hidden: bool) -> None:
        """Hide the maps (predict-then-reveal) or show them again.

        While hidden, nothing that shows an output value stays on screen: the inspector
        and the read-out let go of any output they explained.

        Parameters
        ----------
        hidden : bool
            Hide them.
        """
        if hidden == self.maps_hidden:
            return
        self.maps_hidden = hidden
        if hidden:
            self.unpin()
            self.inspector.show_hint()
            self._set_hover_text("")
            for other in self._all_cells():
                other.mark_pixel(None)
        self._show_stack_page()

    def _on_stem_hovered(self, key: StemKey, index: int) -> None:
        if self.pinned:
            return
        if index < 0:
            self.hover(CellKey("input"), -1, -1)
        elif key.stage == "input":
            self.hover(CellKey("input"), key.index, index)  # stacked raw channels: a row each
        else:
            self.hover(CellKey(key.stage, key.index), 0, index)

    def _maps(self, key: CellKey) -> np.ndarray:
        assert self._shown is not None
        lr = self._shown.result.layers[self._shown.layer_index]
        return (lr.activated if key.stage == "conv" else lr.pooled)[key.index]

    def _redraw_maps(self) -> None:
        if self._shown is None:
            return
        shared = shared_levels([self._maps(k) for k in self.cells], self.options)
        lr = self._shown.result.layers[self._shown.layer_index]
        pool_title = POOL_TITLES.get(self._shown.layer.pool.kind, "").lower()
        wait = self._bars_updated + self._bar_interval - time.monotonic()
        update_bars = wait <= 0
        if update_bars:
            self._bars_updated = time.monotonic()
        elif not self._bar_timer.isActive():
            self._bar_timer.start(math.ceil(wait * 1000))
        for key, cell in self.cells.items():
            values = self._maps(key)
            cell.show_map(values, map_look(values, self.options, shared), update_bars)
            name = lr.filter_names[key.index]
            h, w = values.shape
            prefix = f"L{self._shown.layer_index + 1} · " if len(self._shown.result.layers) > 1 \
                else ""
            if key.stage == "conv":
                cell.set_title(f"{prefix}{name} — {h}x{w}", name)
            else:
                cell.set_title(f"{prefix}{pool_title} pooled — {h}x{w}", "pooled")

    def set_streaming(self, streaming: bool) -> None:
        """Throttle the colour bars while a live stream runs (the maps are never throttled).

        Parameters
        ----------
        streaming : bool
            True: bars follow the maps at most every :data:`STREAMING_BAR_INTERVAL_S`;
            False: at once (and they are brought up to date now).
        """
        self._bar_interval = STREAMING_BAR_INTERVAL_S if streaming else 0.0
        if not streaming:
            self._update_bars()

    def _update_bars(self) -> None:
        self._bar_timer.stop()
        self._bars_updated = time.monotonic()
        for cell in self.cells.values():
            cell.update_bar()

    def _choose_layout(self) -> _GridLayout:
        """Pick how many filters go side by side, whether a pair stacks, and the map size.

        Fitting the window (``map_size`` None), the layout that shows the maps largest
        without scrolling wins, down to :data:`MIN_FIT_MAP`; below that, or with a size
        asked for, the most filters per row that keep the maps that wide, and the grid
        scrolls. Small maps drop their colour bars (compact) to give the pixels the room.
        """
        count = len({k.index for k in self.cells})
        per_filter = 2 if any(k.stage == "pooled" for k in self.cells) else 1
        viewport = self.scroll_area.viewport()
        width, height = max(viewport.width(), 1), max(viewport.height(), 1)
        shapes = [c.data.shape for c in self.cells.values() if c.data is not None]
        if not count or not shapes:
            return _GridLayout(1, False, False)
        aspect = max(h / w for h, w in shapes)
        spacing = self.grid.spacing()
        candidates: list[tuple[_GridLayout, float, float]] = []  # layout, width-bound, fit
        for stacked in (False, True) if per_filter == 2 else (False,):
            for g in range(1, count + 1):
                columns = g if stacked else g * per_filter
                rows = math.ceil(count / g) * (per_filter if stacked else 1)
                for compact in (False, True):
                    chrome = COMPACT_CHROME if compact else CELL_CHROME
                    by_width = (width - spacing * (columns - 1)) / columns - chrome[0]
                    if (by_width < COMPACT_BELOW) != compact:
                        continue
                    by_height = ((height - spacing * (rows - 1)) / rows - chrome[1]) / aspect
                    candidates.append((_GridLayout(g, stacked, compact), by_width,
                                       min(by_width, by_height)))
        if self.map_size is None:
            best: _GridLayout | None = None
            best_size = 0.0
            for layout, _, fit in candidates:
                if fit >= MIN_FIT_MAP and fit > best_size * 1.02:  # fewer columns if ~equal
                    best, best_size = layout, fit
            if best is not None:
                return best
        wanted = self.map_size or COMPACT_BELOW
        wide_enough = [(c[0].groups, not c[0].stacked, c[0]) for c in candidates
                       if c[1] >= wanted]
        if wide_enough:
            return max(wide_enough, key=lambda t: (t[0], t[1]))[2]
        return max(candidates, key=lambda c: c[1])[0]

    def _arrange(self) -> None:
        for cell in self.cells.values():
            self.grid.removeWidget(cell)
        count = len({k.index for k in self.cells})
        per_filter = 2 if any(k.stage == "pooled" for k in self.cells) else 1
        layout = self._layout = self._choose_layout()
        groups, stacked = layout.groups, layout.stacked
        rows_per_filter = per_filter if stacked else 1
        self._rows = math.ceil(count / groups) * rows_per_filter if count else 0
        for i in range(count):
            row, group = divmod(i, groups)
            for j, stage in enumerate(("conv", "pooled")[:per_filter]):
                if stacked:
                    place = (row * per_filter + j, group)
                else:
                    place = (row, group * per_filter + j)
                self.grid.addWidget(self.cells[CellKey(stage, i)], *place)
        self._columns = groups if stacked else groups * per_filter
        # Rows keep their computed height; an empty last row takes what is left over.
        for r in range(max(self.grid.rowCount(), self._rows + 1)):
            self.grid.setRowStretch(r, 0 if r < self._rows else 1)
        for c in range(self.grid.columnCount()):
            self.grid.setColumnStretch(c, 1 if c < self._columns else 0)
        for cell in self.cells.values():
            cell.set_compact(layout.compact)
        self._size_cells()

    def _size_cells(self) -> None:
        """Make rows as tall as the maps need at their size, within the view when fitting."""
        if not self.cells or not self._rows:
            return
        viewport = self.scroll_area.viewport()
        spacing = self.grid.spacing()
        chrome = COMPACT_CHROME if self._layout.compact else CELL_CHROME
        cell_width = (viewport.width() - spacing * (self._columns - 1)) / self._columns
        aspect = max(c.data.shape[0] / c.data.shape[1] for c in self.cells.values()
                     if c.data is not None)
        by_width = cell_width - chrome[0]
        size = by_width if self.map_size is None else min(by_width, self.map_size)
        fill = (viewport.height() - spacing * (self._rows - 1)) // self._rows
        height = int(size * aspect) + chrome[1]
        if self.map_size is None and (fill - chrome[1]) / aspect >= MIN_FIT_MAP:
            height = min(height, fill)  # fitting: every row inside the view
        height = max(height, chrome[1] + 24)
        self.shown_map_size = int(min(size, (height - chrome[1]) / aspect))
        for cell in self.cells.values():
            cell.setFixedHeight(height)
        self.grid_widget.setMinimumHeight(self._rows * height + spacing * (self._rows - 1))
        self._show_map_size()

    def change_map_size(self, steps: int) -> None:
        """Make the maps larger (``steps > 0``) or smaller by :data:`MAP_SIZE_FACTOR` a step.

        Parameters
        ----------
        steps : int
            Steps; the size then stays as asked (the grid scrolls) until :meth:`fit_maps`.
        """
        current = self.map_size or self.shown_map_size or COMPACT_BELOW
        size = round(current * MAP_SIZE_FACTOR ** steps)
        size = min(max(size, MAP_SIZE_RANGE[0]), MAP_SIZE_RANGE[1])
        if size == self.map_size:
            return
        self.map_size = size
        if self.cells:
            self._arrange()
        self._show_map_size()

    def fit_maps(self) -> None:
        """Size the maps to show them all in the window again (the default)."""
        self.map_size = None
        if self.cells:
            self._arrange()
        self._show_map_size()

    def _show_map_size(self) -> None:
        size = f"{self.shown_map_size} px" if self.shown_map_size else ""
        self.map_size_label.setText(size)
        self.map_size_label.setToolTip(
            "Map width: sized to fit the window (Ctrl+0 returns to this)"
            if self.map_size is None else
            f"Map width: {self.map_size} px as asked; Ctrl+0 fits them to the window")

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if not self._sized:
            self._sized = True
            width = self.splitter.width()
            if not self._splitter_restored:
                self.splitter.setSizes([int(width * 0.36), width - int(width * 0.36)])
            # Room for a square input and its title; the inspector gets the rest.
            height = self.input_column.height()
            top = min(self.splitter.sizes()[0] + 40, int(height * 0.6))
            self.input_column.setSizes([top, height - top])

    def restore_splitter(self, state: bytes) -> None:
        """Restore the input / maps split saved from :attr:`splitter`.

        Parameters
        ----------
        state : bytes
            From ``splitter.saveState()``; empty or invalid keeps the default split.
        """
        self._splitter_restored = bool(state) and self.splitter.restoreState(state)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        if self.cells:
            if self._choose_layout() != self._layout:
                self._arrange()
            else:
                self._size_cells()

    def _all_cells(self) -> list[MapCell]:
        return [self.input_cell, *self.cells.values()]

    def _relink(self) -> None:
        """Group the views by image size; zooming one of a group zooms the others."""
        self._zoom_groups = {}
        for cell in self._all_cells():
            if cell.data is not None:
                self._zoom_groups.setdefault(cell.data.shape[:2], []).append(cell)

    def _on_range_changed_manually(self, cell: MapCell) -> None:
        # pyqtgraph's own axis links fight the locked aspect ratio of views of different
        # sizes (the ranges grow without end), so only user zooms are copied, one way.
        if cell.data is None:
            return
        x_range, y_range = cell.view.viewRange()
        for other in self._zoom_groups.get(cell.data.shape[:2], []):
            if other is not cell:
                other.view.setRange(xRange=x_range, yRange=y_range, padding=0)

    def reset_view(self) -> None:
        """Fit the maps to the window and show every image whole (View > Reset zoom)."""
        self.fit_maps()
        self.reset_zoom()

    def reset_zoom(self) -> None:
        """Show every image whole."""
        for cell in self._all_cells():
            if cell.data is not None:
                cell.view.autoRange(padding=0)
                cell.view.enableAutoRange()  # and follow the cell's size until a zoom

    # ------------------------------------------------------------------ hover

    def set_error(self, message: str | None) -> None:
        """Show (or clear) why the maps are not up to date.

        Parameters
        ----------
        message : str or None
            The reason; the previous maps stay on screen.
        """
        if message:
            kept = " — showing the last good result" if self._shown is not None else ""
            self.error_banner.setText(f"⚠ Cannot compute: {message}{kept}")
        self.error_banner.setVisible(bool(message))

    def set_stale(self, stale: bool) -> None:
        """Grey the read-out and the inspector while the maps are of an older state.

        Parameters
        ----------
        stale : bool
            The state changed and its result has not come back yet.
        """
        self.inspector.setEnabled(not stale)

    def cell(self, stage: str, index: int = 0) -> MapCell:
        """Return the view of a stage and enabled-filter position.

        Parameters
        ----------
        stage : {"input", "conv", "pooled"}
            Which map.
        index : int, optional
            Enabled filter position.

        Returns
        -------
        MapCell
            The view.

        Raises
        ------
        KeyError
            If no such view is shown.
        """
        return self.input_cell if stage == "input" else self.cells[CellKey(stage, index)]

    def _on_padded_hovered(self, row: int, col: int) -> None:
        self._set_hover_text(self.padded_cell_text(row, col))

    def _on_cell_hovered(self, key: CellKey, row: int, col: int) -> None:
        if not self.pinned:
            self.hover(key, row, col)

    def padded_cell_text(self, row: int, col: int) -> str:
        """Say where a padded cell's value comes from (hovering the padded border).

        Parameters
        ----------
        row, col : int
            Input coordinates outside the image, inside the drawn padding.

        Returns
        -------
        str
            E.g. ``"padded cell (-1, 2): reflect padding copies input (1, 2) = 0.5"``.
        """
        mark = self.slide_mark
        if mark is None or self._input is None:
            return ""
        height, width = self._input.shape[1:]
        mode = mark.padding_mode
        source_row = int(padded_index(np.array([row]), height, mode)[0])
        source_col = int(padded_index(np.array([col]), width, mode)[0])
        where = f"padded cell ({row}, {col})"
        if source_row < 0 or source_col < 0:
            return f"{where}: zero padding, the value is 0"
        values = ", ".join(format_value(float(v))
                           for v in self._input[:, source_row, source_col])
        return f"{where}: {mode} padding copies input ({source_row}, {source_col}) = {values}"


    def _on_cell_clicked(self, key: CellKey, row: int, col: int) -> None:
        if self.pinned and self._hovered == (key, row, col):
            self.unpin()
        else:
            self.pin(key, row, col)

    def pin(self, key: CellKey, row: int, col: int) -> None:
        """Keep explaining one value while the mouse moves on (click it again to let go).

        Parameters
        ----------
        key : CellKey
            The view.
        row, col : int
            The pixel.
        """
        self.pinned = False
        self.pinned = bool(self.hover(key, row, col))
        self.inspector.set_pinned(self.pinned)

    def unpin(self) -> None:
        """Follow the mouse again."""
        self.pinned = False
        self.inspector.set_pinned(False)

    def _on_step_down(self, channel: int) -> None:
        """Go to the map below that term ``channel`` reads, at its strongest real tap."""
        shown, e = self._shown, self.inspector.explanation
        if shown is None or e is None or shown.pipeline is None or e.layer == 0:
            return
        term = next(t for t in e.terms if t.channel == channel)
        strength = np.where(term.inside, np.abs(term.products), -1.0)
        i, j = np.unravel_index(int(np.argmax(strength)), strength.shape)
        row, col = int(term.source_rows[i]), int(term.source_cols[j])
        below = shown.pipeline.layers[e.layer - 1]
        stage = "pooled" if below.pool.kind != "none" else "conv"
        # Pinned first: the re-show of the layer below explains this value, not the mouse.
        self._hovered = (CellKey(stage, channel), row, col)
        self.pinned = True
        bank_index = [i for i, f in enumerate(below.filters) if f.enabled][channel]
        self._stepping = True  # this layer switch keeps the pinned value
        try:
            self._session.select(layer=e.layer - 1, filter=bank_index)
        finally:
            self._stepping = False
        if self._shown is not None and self._shown.layer_index == e.layer - 1:
            self.pin(CellKey(stage, channel), row, col)

    def hover(self, key: CellKey, row: int, col: int) -> str:
        """Report the value at ``(row, col)`` of a view and outline its receptive field.

        Parameters
        ----------
        key : CellKey
            The view.
        row, col : int
            Pixel; -1 clears the read-out.

        Returns
        -------
        str
            The read-out, also emitted as ``sigHoverText``.
        """
        for other in self._all_cells():
            other.mark_pixel(None)
        self.field_rect.hide()
        cell: MapCell | None = self.cells.get(key) if key.stage != "input" \
            else self.input_cell
        if (row < 0 or cell is None or cell.data is None or row >= cell.data.shape[0]
                or col >= cell.data.shape[1]):
            self._hovered = None
            if self.pinned:
                self.unpin()
            self._set_hover_text("")
            return ""
        self._hovered = (key, row, col)
        value = cell.data[row, col]
        if np.ndim(value):
            shown = ", ".join(format_value(float(v)) for v in value)
            text = f"Input  x {col}, y {row}  RGB ({shown})"
        else:
            where = "Input" if key.stage == "input" else self._map_name(key)
            text = f"{where}  x {col}, y {row}  value {format_value(float(value))}"
        cell.mark_pixel(QRectF(col, row, 1, 1))
        if key.stage != "input" and self._shown is not None:
            text += self._outline_field(key, row, col)
            self._explain(key, row, col)
        self._set_hover_text(text)
        return text

    def _outline_field(self, key: CellKey, row: int, col: int) -> str:
        """Outline on the input what a value depends on; return the read-out's words for it."""
        assert self._shown is not None
        shown = self._shown
        layer, k = shown.layer, shown.layer_index
        input_shape = shown.result.input.shape[1:]
        if k == 0 or shown.pipeline is None:
            kernel = layer.enabled_filters[key.index].kernel_size
            conv_shape = self._maps(CellKey("conv", key.index)).shape
            field = layer_field(layer, kernel, conv_shape, input_shape, key.stage, row, col)
            window, inside = field.window, field.inside
            padding = field.touches_padding
        else:
            try:
                y0, y1, x0, x1 = receptive_field(shown.pipeline, k, row, col, key.stage,
                                                 input_shape=(input_shape[0], input_shape[1]))
            except ValueError:
                return ""
            if y1 <= y0 or x1 <= x0:
                return "  ·  reads only padding of a later layer"
            window = Window(y0, x0, y1 - 1, x1 - 1)
            inside = window.clipped(input_shape[0], input_shape[1])
            padding = inside != window
        text = (f"  ·  receptive field rows {window.top}–{window.bottom}, "
                f"cols {window.left}–{window.right} ({window.height}x{window.width})")
        if padding:
            first = shown.pipeline.layers[0] if shown.pipeline is not None else layer
            text += f", partly {first.padding_mode} padding"
        if inside is not None:
            self.field_rect.setRect(QRectF(inside.left, inside.top, inside.width, inside.height))
            self.field_rect.show()
        return text

    def _explain(self, key: CellKey, row: int, col: int) -> None:
        """Show the arithmetic of a conv or pooled pixel in the inspector."""
        assert self._shown is not None
        shown = self._shown
        pipeline = shown.pipeline
        if pipeline is None:
            pipeline = Pipeline("raw", (shown.layer,))
        stage = "activated" if key.stage == "conv" else "pooled"
        try:
            e = explain_result(pipeline, shown.result, shown.layer_index, key.index, row, col,
                               stage)
        except ValueError:
            self.inspector.show_hint()
            return
        input_channels = shown.result.input.shape[0]
        if shown.layer_index > 0:
            below = shown.result.layers[shown.layer_index - 1].filter_names
            names = [f"L{shown.layer_index} {below[t.channel]}" for t in e.terms]
        else:
            names = [("R", "G", "B")[t.channel] if input_channels == 3
                     else f"channel {t.channel + 1}" for t in e.terms]
        self.inspector.show_explanation(e, names, ACTIVATION_TITLES[shown.layer.activation],
                                        POOL_TITLES.get(shown.layer.pool.kind, ""),
                                        shown.layer.padding_mode)

    def _map_name(self, key: CellKey) -> str:
        assert self._shown is not None
        name = self._shown.result.layers[self._shown.layer_index].filter_names[key.index]
        return f"{name} (pooled)" if key.stage == "pooled" else name

    def _set_hover_text(self, text: str) -> None:
        if text != self.hover_text:
            self.hover_text = text
            self.sigHoverText.emit(text)
