"""Colour bar images: the colormap of a map as a strip, highest value at the top."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from workbench.render.colormaps import lookup_table


def colorbar_image(colormap: str, length: int = 256, thickness: int = 1
                   ) -> npt.NDArray[np.uint8]:
    """Draw a vertical colour bar: the table's last colour at the top, its first at the bottom.

    Parameters
    ----------
    colormap : str
        A key of :data:`~workbench.render.colormaps.LOOKUP_TABLES`.
    length : int, optional
        Height in pixels, >= 2; every pixel row takes the colour of its level bin.
    thickness : int, optional
        Width in pixels, >= 1.

    Returns
    -------
    numpy.ndarray
        uint8 ``(length, thickness, 3)`` RGB.

    Raises
    ------
    ValueError
        If ``length`` or ``thickness`` is too small, or the colormap is unknown.

    Examples
    --------
    >>> bar = colorbar_image("gray")
    >>> bar.shape, bar[0, 0].tolist(), bar[-1, 0].tolist()
    ((256, 1, 3), [255, 255, 255], [0, 0, 0])
    """
    if length < 2 or thickness < 1:
        raise ValueError(f"a colour bar needs length >= 2 and thickness >= 1, got "
                         f"{length} x {thickness}")
    table = lookup_table(colormap)
    # Row r (from the top) shows the bin of the level at the middle of its pixel.
    t = (length - 0.5 - np.arange(length)) / length
    indices = np.minimum((t * 256).astype(np.intp), 255)
    return np.ascontiguousarray(np.repeat(table[indices][:, np.newaxis, :], thickness, axis=1))
