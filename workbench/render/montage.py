"""A labelled grid of maps in one image, laid out like the window.

The input comes first on its own row, then one row per filter with its stages side by side.
Each tile is scaled to fit a ``cell x cell`` square, as the window fits every map to its view
(nearest-neighbour when enlarging, so map pixels show as blocks; area averaging when
shrinking), and drawn under a title ``name - HxW`` giving the map's true size; a row is as
tall as its tallest tile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

BACKGROUND = (32, 32, 32)
TEXT_COLOUR = (230, 230, 230)
_FONT = cv2.FONT_HERSHEY_SIMPLEX
_FONT_SCALE = 0.4
_TITLE_HEIGHT = 18
_GAP = 8


@dataclass(frozen=True)
class Tile:
    """One map of the montage: an RGB image and its title."""

    title: str
    image: npt.NDArray[np.uint8]


def ascii_title(text: str) -> str:
    """Make a title drawable by OpenCV's Hershey fonts, which have only ASCII glyphs.

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    str
        Dashes become ``-``, ``×`` becomes ``x``, other non-ASCII characters ``?``.

    Examples
    --------
    >>> ascii_title("Sobel x — 255×255")
    'Sobel x - 255x255'
    """
    table = str.maketrans({"—": "-", "–": "-", "×": "x"})
    return "".join(c if c.isascii() and c.isprintable() else "?" for c in text.translate(table))


def _fit(image: npt.NDArray[np.uint8], cell: int) -> npt.NDArray[np.uint8]:
    h, w = image.shape[:2]
    scale = cell / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    if size == (w, h):
        return image
    # Nearest neighbour when enlarging shows the map's pixels as blocks, as the window does.
    interpolation = cv2.INTER_NEAREST if scale > 1 else cv2.INTER_AREA
    return np.asarray(cv2.resize(image, size, interpolation=interpolation), dtype=np.uint8)


def _clip_title(title: str, width: int) -> str:
    text = ascii_title(title)
    while text and cv2.getTextSize(text, _FONT, _FONT_SCALE, 1)[0][0] > width:
        text = text[:-4] + "..." if len(text) > 4 else text[:-1]
    return text


def build_montage(rows: Sequence[Sequence[Tile]], *, cell: int = 256) -> npt.NDArray[np.uint8]:
    """Lay tiles out in rows, each tile fitted into a square cell under its title.

    Parameters
    ----------
    rows : sequence of sequence of Tile
        Rows of tiles (RGB uint8 images of any size); empty rows are skipped.
    cell : int, optional
        Side of a cell in pixels, >= 32.

    Returns
    -------
    numpy.ndarray
        uint8 ``(H, W, 3)`` RGB.

    Raises
    ------
    ValueError
        If there is no tile or ``cell`` is too small.
    """
    if cell < 32:
        raise ValueError(f"cell must be at least 32 pixels, got {cell}")
    rows = [list(r) for r in rows if r]
    if not rows:
        raise ValueError("a montage needs at least one map")
    fitted = [[_fit(tile.image, cell) for tile in row] for row in rows]
    heights = [max(image.shape[0] for image in row) for row in fitted]
    columns = max(len(r) for r in rows)
    width = _GAP + columns * (cell + _GAP)
    height = _GAP + sum(_TITLE_HEIGHT + h + _GAP for h in heights)
    canvas = np.empty((height, width, 3), np.uint8)
    canvas[:] = BACKGROUND
    top = _GAP
    for row, images, row_height in zip(rows, fitted, heights, strict=True):
        for c, (tile, image) in enumerate(zip(row, images, strict=True)):
            left = _GAP + c * (cell + _GAP)
            cv2.putText(canvas, _clip_title(tile.title, cell), (left, top + _TITLE_HEIGHT - 6),
                        _FONT, _FONT_SCALE, TEXT_COLOUR, 1, cv2.LINE_AA)
            h, w = image.shape[:2]
            canvas[top + _TITLE_HEIGHT:top + _TITLE_HEIGHT + h, left:left + w] = image
        top += _TITLE_HEIGHT + row_height + _GAP
    return canvas
