"""A printable worksheet: the input, the kernel and blank output cells; the answers overleaf.

Written as a two-page PDF (Qt's PDF writer) or as two PNG files (``name.png`` and
``name-answers.png``). Grids up to :data:`MAX_GRID` cells a side list every number; a larger
input is drawn as a picture and the sheet asks for the output size instead of its values.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QMarginsF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
)

from workbench.core import Layer
from workbench.render import format_value, render_input

MAX_GRID = 16  # cells a side up to which every number is printed
PNG_SIZE = (1240, 1754)  # A4 at 150 dpi
PAGE_MARGIN_MM = 15.0


@dataclass(frozen=True)
class Worksheet:
    """What one worksheet shows.

    Parameters
    ----------
    title : str
        Heading, e.g. the tutorial example's name.
    image : numpy.ndarray
        ``(H, W)`` input channel the kernel reads (the first of the filter's channels).
    kernel : numpy.ndarray
        ``(kH, kW)`` weights of that channel.
    bias : float
        The filter's bias.
    layer : Layer
        Stride, padding, dilation, activation, pooling (for the parameter line).
    output : numpy.ndarray
        ``(H_out, W_out)`` feature map after the activation (the answers).
    pooled : numpy.ndarray or None
        Pooled map when the layer pools.
    channels : int
        Input channels the filter reads (the sheet says when only the first is printed).
    """

    title: str
    image: np.ndarray
    kernel: np.ndarray
    bias: float
    layer: Layer
    output: np.ndarray
    pooled: np.ndarray | None = None
    channels: int = 1

    def parameter_line(self) -> str:
        """Say the layer's settings in one line of words."""
        layer = self.layer
        parts = [f"stride {layer.stride[0]}×{layer.stride[1]}"]
        if isinstance(layer.padding, str):
            parts.append(f"padding '{layer.padding}'")
        elif any(layer.padding):
            parts.append(f"padding {layer.padding[0]}×{layer.padding[1]} "
                         f"({layer.padding_mode})")
        if layer.dilation != (1, 1):
            parts.append(f"dilation {layer.dilation[0]}×{layer.dilation[1]}")
        if layer.flip:
            parts.append("true convolution (kernel flipped)")
        if layer.activation != "none":
            parts.append(f"then {layer.activation}")
        if layer.pool.kind != "none":
            parts.append(f"then {layer.pool.kind} pooling")
        return ", ".join(parts)


def _draw_grid(painter: QPainter, left: float, top: float, values: np.ndarray | None,
               shape: tuple[int, int], cell: float, shade: bool = False) -> float:
    """Draw a grid of ``shape`` cells with ``values`` (or blank); return its bottom."""
    rows, cols = shape
    painter.save()
    font = QFont(painter.font())
    if font.pixelSize() > 0:  # numbers shrink with their cells (a 16x16 grid)
        font.setPixelSize(max(int(min(font.pixelSize(), cell * 0.42)), 5))
        painter.setFont(font)
    peak = float(np.abs(values).max()) if values is not None and values.size else 0.0
    for r in range(rows):
        for c in range(cols):
            rect = QRectF(left + c * cell, top + r * cell, cell, cell)
            if shade and values is not None and peak > 0:
                level = int(255 - 90 * abs(float(values[r, c])) / peak)
                painter.fillRect(rect, QColor(level, level, 255) if values[r, c] >= 0
                                 else QColor(255, level, level))
            painter.setPen(QPen(QColor(60, 60, 60), 1))
            painter.drawRect(rect)
            if values is not None:
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter,
                                 format_value(float(values[r, c])))
    painter.restore()
    return top + rows * cell


def _page(painter: QPainter, sheet: Worksheet, width: float, height: float,
          answers: bool) -> None:
    unit = width / 100.0  # layout in hundredths of the page width
    heading = QFont(painter.font())
    heading.setPixelSize(max(int(unit * 3.2), 8))
    heading.setBold(True)
    body = QFont(painter.font())
    body.setPixelSize(max(int(unit * 1.9), 6))
    small = QFont(body)
    small.setPixelSize(max(int(unit * 1.5), 6))
    painter.setPen(QColor(0, 0, 0))
    painter.setFont(heading)
    y = unit * 2
    painter.drawText(QRectF(0, y, width, unit * 5), Qt.AlignmentFlag.AlignLeft,
                     ("Answer key — " if answers else "Worksheet — ") + sheet.title)
    y += unit * 6
    painter.setFont(body)
    lines = [f"Convolve the input with the kernel (bias {format_value(sheet.bias)}): "
             f"{sheet.parameter_line()}."]
    if sheet.channels > 1:
        lines.append(f"The filter reads {sheet.channels} input channels; the first is printed "
                     f"here, the answers are for all of them.")
    if not answers:
        lines.append("Write each output value in the empty grid. Name: ______________")
    for line in lines:
        painter.drawText(QRectF(0, y, width, unit * 3), Qt.AlignmentFlag.AlignLeft
                         | Qt.TextFlag.TextWordWrap, line)
        y += unit * 3
    y += unit
    image, kernel = sheet.image, sheet.kernel
    listed = max(image.shape) <= MAX_GRID
    # The input takes at most a quarter of the page's height, so the outputs fit below.
    cell = min(unit * 4.5, width * 0.6 / max(image.shape[1], 1),
               height * 0.25 / max(image.shape[0], 1)) if listed else unit * 4.5
    painter.setFont(heading)
    painter.drawText(QRectF(0, y, width, unit * 4), Qt.AlignmentFlag.AlignLeft,
                     f"Input ({image.shape[0]} × {image.shape[1]})")
    y += unit * 4.5
    painter.setFont(small)
    if listed:
        y = _draw_grid(painter, 0, y, image, image.shape, cell)
    else:
        picture = render_input(image[np.newaxis])
        qimage = QImage(np.ascontiguousarray(picture).data, picture.shape[1],
                        picture.shape[0], 3 * picture.shape[1], QImage.Format.Format_RGB888)
        side = width * 0.45
        scale = side / max(image.shape)
        target = QRectF(0, y, image.shape[1] * scale, image.shape[0] * scale)
        painter.drawImage(target, qimage)
        y = target.bottom() + unit
        painter.setFont(body)
        painter.drawText(QRectF(0, y, width, unit * 3), Qt.AlignmentFlag.AlignLeft,
                         "(too large to list every value)")
        y += unit * 3
    y += unit * 2
    painter.setFont(heading)
    painter.drawText(QRectF(0, y, width, unit * 4), Qt.AlignmentFlag.AlignLeft,
                     f"Kernel ({kernel.shape[0]} × {kernel.shape[1]})")
    y += unit * 4.5
    painter.setFont(small)
    y = _draw_grid(painter, 0, y, kernel, kernel.shape, unit * 5.5, shade=True)
    y += unit * 3
    out = sheet.output
    painter.setFont(heading)
    painter.drawText(QRectF(0, y, width, unit * 4), Qt.AlignmentFlag.AlignLeft,
                     f"Output ({out.shape[0]} × {out.shape[1]})" if answers or max(out.shape)
                     <= MAX_GRID else "Output: how many rows and columns? ____ × ____")
    y += unit * 4.5
    painter.setFont(small)
    pooled_rows = 0 if sheet.pooled is None else sheet.pooled.shape[0]
    # Room for the pooled grid below (its rows at half this grid's cell) and headings.
    room = height - y - unit * (12 if pooled_rows else 3)
    if max(out.shape) <= MAX_GRID:
        out_cell = max(min(unit * 5.5, room / max(out.shape[0] + pooled_rows, 1),
                           width * 0.9 / max(out.shape[1], 1)), unit * 1.5)
        y = _draw_grid(painter, 0, y, out if answers else None, out.shape, out_cell)
        y += unit * 3
    if sheet.pooled is not None and max(sheet.pooled.shape) <= MAX_GRID:
        pooled = sheet.pooled
        painter.setFont(heading)
        painter.drawText(QRectF(0, y, width, unit * 4), Qt.AlignmentFlag.AlignLeft,
                         f"After {sheet.layer.pool.kind} pooling "
                         f"({pooled.shape[0]} × {pooled.shape[1]})")
        y += unit * 4.5
        painter.setFont(small)
        pooled_cell = max(min(unit * 5.5, (height - y - unit) / max(pooled.shape[0], 1),
                              width * 0.9 / max(pooled.shape[1], 1)), unit * 1.5)
        _draw_grid(painter, 0, y, pooled if answers else None, pooled.shape, pooled_cell)


def write_worksheet(sheet: Worksheet, path: str | Path) -> list[Path]:
    """Write the worksheet: a two-page PDF, or two PNG files.

    Parameters
    ----------
    sheet : Worksheet
        The content.
    path : str or pathlib.Path
        ``.pdf`` or ``.png``; a PNG's answer key goes to ``<stem>-answers.png``.

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    ValueError
        For another file type.
    OSError
        If a file cannot be written.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix == ".pdf":
        writer = QPdfWriter(str(target))
        writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4),
                                         QPageLayout.Orientation.Portrait,
                                         QMarginsF(PAGE_MARGIN_MM, PAGE_MARGIN_MM,
                                                   PAGE_MARGIN_MM, PAGE_MARGIN_MM),
                                         QPageLayout.Unit.Millimeter))
        writer.setResolution(150)
        writer.setTitle(f"Worksheet — {sheet.title}")
        painter = QPainter(writer)
        if not painter.isActive():
            raise OSError(f"cannot write {target}")
        area = writer.pageLayout().paintRectPixels(writer.resolution())
        _page(painter, sheet, area.width(), area.height(), answers=False)
        writer.newPage()
        _page(painter, sheet, area.width(), area.height(), answers=True)
        painter.end()
        if not target.exists() or target.stat().st_size == 0:
            raise OSError(f"cannot write {target}")
        return [target]
    if suffix == ".png":
        written = []
        for answers, out in ((False, target),
                             (True, target.with_name(f"{target.stem}-answers.png"))):
            image = QImage(QSizeF(*PNG_SIZE).toSize(), QImage.Format.Format_RGB32)
            image.fill(QColor(255, 255, 255))
            painter = QPainter(image)
            margin = PNG_SIZE[0] * 0.06
            painter.translate(margin, margin)
            _page(painter, sheet, PNG_SIZE[0] - 2 * margin, PNG_SIZE[1] - 2 * margin, answers)
            painter.end()
            if not image.save(str(out)):
                raise OSError(f"cannot write {out}")
            written.append(out)
        return written
    raise ValueError(f"a worksheet is a .pdf or .png file, got {target.name!r}")
