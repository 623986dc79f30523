"""The kernel's frequency response: the magnitude of its 2-D DFT, and what that shape means.

:func:`workbench.core.frequency_response` computes the picture (zero-padded, centred, axes in
cycles per pixel); :func:`describe_response` reads it back as a sentence — low-pass (a blur
keeps flat areas), high-pass (a Laplacian keeps edges), band-pass, directional — and
:func:`fold_note` says what the layer's dilation does to it (the response repeats: aliasing).
:class:`FrequencyView` draws both beside each other, under the kernel grid.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLayout, QSizePolicy, QWidget

from workbench.core import frequency_response
from workbench.gui.views.map_views import VIEW_BACKGROUND, VIEW_FOREGROUND
from workbench.render import lookup_table

DFT_SIZE = 64
COLORMAP = "inferno"
TICKS = (-0.5, 0.0, 0.5)
VIEW_RANGE = (-0.56, 0.56)
PLOT_SIZE = (124, 100)  # (width, height) in pixels: the 64 x 64 picture with its two axes
TICK_POINT_SIZE = 7.0
CAPTION_MIN_WIDTH = 180
# Reading the shape: magnitudes relative to the peak gain, radii in cycles per pixel.
FLAT_MIN = 0.9  # every frequency within 10 % of the peak: all-pass
LOW_PASS_DC = 0.7  # zero frequency (a flat area) passes at least this well ...
LOW_PASS_HIGH = 0.5  # ... and the high ring at most half as well as zero frequency
NO_DC = 0.1  # zero frequency nearly blocked: high- or band-pass
HIGH_RING = 0.35  # |f| from here out is "fine detail" (0.5 is a checkerboard along an axis)
MID_RING = (0.1, 0.35)
DIRECTION_RING = (0.05, 0.5)
DIRECTIONAL = 1.6  # the strongest orientation passes this many times its perpendicular
# Orientation of the frequency vector (fx, fy) -- y pointing down, as the grid's rows -- and
# the structures it passes: stripes run across it.
ORIENTATIONS = {0: "vertical structures (|)", 45: "rising diagonals (/)",
                90: "horizontal structures (—)", 135: "falling diagonals (\\)"}


def _gain_text(value: float) -> str:
    return f"{value:.3g}"


def describe_response(magnitude: np.ndarray, fy: np.ndarray, fx: np.ndarray) -> str:
    """Say in words what a centred frequency response passes.

    Parameters
    ----------
    magnitude : numpy.ndarray
        ``(len(fy), len(fx))`` magnitudes, zero frequency in the middle, as
        :func:`workbench.core.frequency_response` returns them.
    fy, fx : numpy.ndarray
        Row and column frequencies in cycles per pixel.

    Returns
    -------
    str
        One or two lines: the kind of filter (all-pass, low-pass, high-pass, high-boost,
        band-pass or mixed, judged by the gain at zero frequency against the middle and
        outer rings) and, if one orientation passes clearly better than its perpendicular,
        which structures the kernel prefers.

    Examples
    --------
    >>> from workbench.core import frequency_response
    >>> describe_response(*frequency_response(np.full((3, 3), 1 / 9)))
    'low-pass: passes smooth areas (blur)'
    """
    m = np.asarray(magnitude, dtype=np.float64)
    peak = float(m.max()) if m.size else 0.0
    if not peak > 1e-12:
        return "zero kernel: blocks every frequency (the output is the bias)"
    grid_y, grid_x = np.meshgrid(np.asarray(fy, np.float64), np.asarray(fx, np.float64),
                                 indexing="ij")
    radius = np.hypot(grid_y, grid_x)
    dc = float(m[np.unravel_index(np.argmin(radius), radius.shape)]) / peak
    mid = float(m[(radius > MID_RING[0]) & (radius < MID_RING[1])].mean()) / peak
    high = float(m[radius >= HIGH_RING].mean()) / peak
    if float(m.min()) / peak >= FLAT_MIN:
        kind = f"all-pass: every frequency passes (gain {_gain_text(peak)}), nothing blurs"
    elif dc >= LOW_PASS_DC and high <= LOW_PASS_HIGH * dc:
        kind = "low-pass: passes smooth areas (blur)"
    elif dc <= NO_DC and high >= mid:
        kind = "high-pass: passes edges and fine detail, blocks flat areas"
    elif dc <= NO_DC:
        kind = "band-pass: passes edges of one scale, blocks flat areas and the finest detail"
    elif max(mid, high) >= 2 * dc:
        kind = (f"high-boost: keeps flat areas, amplifies detail up to {_gain_text(1 / dc)}× "
                "more (sharpen)")
    else:
        kind = "mixed: no simple low- or high-pass shape"
    direction = _direction(m, grid_y, grid_x, radius)
    return kind if direction is None else f"{kind}\ndirectional: strongest for {direction}"


def _direction(m: np.ndarray, grid_y: np.ndarray, grid_x: np.ndarray,
               radius: np.ndarray) -> str | None:
    """Name the structures one orientation passes clearly better than its perpendicular."""
    angle = np.degrees(np.arctan2(grid_y, grid_x)) % 180.0
    ring = (radius > DIRECTION_RING[0]) & (radius <= DIRECTION_RING[1])
    means = {}
    for centre in ORIENTATIONS:
        off = np.abs((angle - centre + 90.0) % 180.0 - 90.0)
        means[centre] = float(m[ring & (off < 22.5)].mean())
    best, ratio = None, DIRECTIONAL
    for centre, value in means.items():
        across = means[(centre + 90) % 180]
        if value >= ratio * across and value > 0:
            best, ratio = centre, value / across if across > 0 else np.inf
    return None if best is None else ORIENTATIONS[best]


def fold_note(dilation: tuple[int, int]) -> str:
    """Say how dilation folds the response, or ``""`` for none.

    Parameters
    ----------
    dilation : tuple of int
        ``(vertical, horizontal)`` tap spacing of the layer.

    Returns
    -------
    str
        E.g. ``"dilation 2 folds the response: it repeats 2× per axis (aliasing), a copy
        every 1/2 cycles/pixel"``.

    Examples
    --------
    >>> fold_note((1, 1))
    ''
    >>> fold_note((3, 1))
    'dilation 3×1 folds the response: it repeats 3× along fy (aliasing), a copy every 1/3 cycles/pixel'
    """  # noqa: E501 (a doctest output line)
    dy, dx = dilation
    if (dy, dx) == (1, 1):
        return ""
    if dy == dx:
        return (f"dilation {dy} folds the response: it repeats {dy}× per axis (aliasing), "
                f"a copy every 1/{dy} cycles/pixel")
    parts = [f"{d}× along {axis}" for d, axis in ((dy, "fy"), (dx, "fx")) if d > 1]
    every = ", ".join(f"1/{d}" for d in (dy, dx) if d > 1)
    return (f"dilation {dy}×{dx} folds the response: it repeats {' and '.join(parts)} "
            f"(aliasing), a copy every {every} cycles/pixel")


class FrequencyView(QWidget):
    """The magnitude of a kernel slice's 2-D DFT as a picture, with a caption.

    The picture is ``DFT_SIZE`` x ``DFT_SIZE`` (the kernel zero-padded), zero frequency in
    the middle, both axes in cycles per pixel from -0.5 to 0.5, fy growing downwards like the
    grid's rows. Its levels run from 0 to the peak gain.

    Parameters
    ----------
    parent : QWidget, optional
        Parent widget.

    Notes
    -----
    :meth:`show_kernel` recomputes only when the kernel's values or the dilation changed,
    so calling it on every refresh (a live stream's frames included) costs a comparison.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.computations = 0  # how often a response was computed (the cache's misses)
        self._key: tuple[object, ...] | None = None
        self._magnitude: np.ndarray | None = None
        self.plot = pg.PlotWidget(background=VIEW_BACKGROUND)
        self.plot.setFixedSize(*PLOT_SIZE)
        self.plot.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        item = self.plot.getPlotItem()
        item.setMenuEnabled(False)
        item.hideButtons()
        item.setMouseEnabled(False, False)
        item.setAspectLocked(True)
        item.invertY(True)
        item.getViewBox().setDefaultPadding(0.0)
        item.layout.setContentsMargins(0, 6, 6, 0)  # room for the end ticks
        font = self.font()
        font.setPointSizeF(TICK_POINT_SIZE)
        ticks = [[(t, f"{t:g}") for t in TICKS]]
        for name, label in (("bottom", "fx (cycles/pixel)"), ("left", "fy")):
            axis = item.getAxis(name)
            axis.enableAutoSIPrefix(False)
            axis.setTicks(ticks)
            axis.setStyle(tickFont=font, tickLength=-3, tickTextOffset=1)
            axis.setTextPen(VIEW_FOREGROUND)
            axis.setPen(VIEW_FOREGROUND)
            axis.setLabel(label, size=f"{TICK_POINT_SIZE:g}pt", color=VIEW_FOREGROUND)
        item.getAxis("left").setWidth(34)
        item.getAxis("bottom").setHeight(24)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setLookupTable(lookup_table(COLORMAP))
        item.addItem(self.image)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setTextFormat(Qt.TextFormat.PlainText)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        # Wide enough that the longest caption wraps to a few lines, not to a tall column
        # that would make the editor (and the window) taller than a small screen.
        self.caption.setMinimumWidth(CAPTION_MIN_WIDTH)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.plot, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.caption, 1)
        # The view asks for no height of its own: it fills the room the kernel pane keeps for
        # larger kernels, so showing it takes nothing from the panes above. With less room
        # than the picture needs, only the caption shows (see resizeEvent).
        layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self.setMaximumHeight(PLOT_SIZE[1])
        self.show_kernel(None)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(PLOT_SIZE[0] + CAPTION_MIN_WIDTH, 0)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(PLOT_SIZE[0] + CAPTION_MIN_WIDTH, 0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt override)
        return False  # the caption wraps, but the view's height is the room it is given

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        room = event.size().height() >= PLOT_SIZE[1]
        self.plot.setVisible(room)
        self.caption.setToolTip("" if room else "Make the kernel pane taller (drag the "
                                "splitter above it) to see the picture.")

    def picture_shown(self) -> bool:
        """Return whether the picture has room (else only the caption shows)."""
        return bool(self.plot.isVisibleTo(self))

    def magnitude(self) -> np.ndarray | None:
        """Return the response drawn: float32 ``(DFT_SIZE, DFT_SIZE)``, None with no kernel."""
        return self._magnitude

    def show_kernel(self, kernel: np.ndarray | None, dilation: tuple[int, int] = (1, 1)
                    ) -> None:
        """Draw the response of one kernel slice with the layer's dilation.

        Parameters
        ----------
        kernel : numpy.ndarray or None
            ``(kH, kW)`` weights; None clears the view.
        dilation : tuple of int, optional
            ``(vertical, horizontal)`` spacing of the taps.
        """
        if kernel is None:
            key: tuple[object, ...] = ()
        else:
            k = np.ascontiguousarray(kernel, dtype=np.float32)
            key = (k.shape, k.tobytes(), tuple(dilation))
        if key == self._key:
            return
        self._key = key
        if kernel is None:
            self._magnitude = None
            self.image.clear()
            self.caption.setText("no filter selected")
            self.setToolTip("")
            return
        spread = ((k.shape[0] - 1) * dilation[0] + 1, (k.shape[1] - 1) * dilation[1] + 1)
        if max(spread) > DFT_SIZE:
            self._magnitude = None
            self.image.clear()
            self.caption.setText(f"the dilated kernel ({spread[0]}×{spread[1]}) is larger than "
                                 f"the {DFT_SIZE}×{DFT_SIZE} transform")
            self.setToolTip("")
            return
        magnitude, fy, fx = frequency_response(k, DFT_SIZE, dilation=dilation)
        self.computations += 1
        self._magnitude = magnitude
        peak = float(magnitude.max())
        self.image.setImage(magnitude, autoLevels=False, levels=(0.0, peak if peak > 0 else 1.0))
        step = float(fx[1] - fx[0])
        self.image.setRect(QRectF(float(fx[0]) - step / 2, float(fy[0]) - step / 2,
                                  step * len(fx), step * len(fy)))
        # A little past +-0.5, so that the end ticks' numbers fit inside their axes.
        self.plot.getPlotItem().getViewBox().setRange(xRange=VIEW_RANGE, yRange=VIEW_RANGE,
                                                      padding=0.0)
        # The kind of filter is the kernel's own; dilation only folds that shape.
        own = magnitude if tuple(dilation) == (1, 1) else frequency_response(k, DFT_SIZE)[0]
        text = describe_response(own, fy, fx)
        note = fold_note((int(dilation[0]), int(dilation[1])))
        self.caption.setText(f"{text}\n{note}" if note else text)
        centre = DFT_SIZE // 2
        self.setToolTip(
            "Frequency response: how strongly the kernel passes each spatial frequency "
            "(magnitude of its zero-padded 2-D DFT, zero frequency in the middle, "
            f"{COLORMAP} from 0 to the peak). Centre = flat areas, edges of the picture = "
            "the finest detail (0.5 cycles/pixel: neighbouring pixels alternate).\n"
            f"gain on a flat area: {_gain_text(float(magnitude[centre, centre]))}  ·  "
            f"peak gain: {_gain_text(peak)}")
