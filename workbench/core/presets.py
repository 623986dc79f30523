"""Named kernels everyone meets when learning convolution.

Each kernel is a module constant (2-D float32, read-only) and a :class:`Preset` in
:data:`PRESETS` with a one-line description, in menu order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workbench.core.arrays import FloatArray


def _const(rows: list[list[float]] | np.ndarray) -> FloatArray:
    arr = np.array(rows, dtype=np.float32)
    arr.setflags(write=False)
    return arr


def _gaussian(size: int, sigma: float) -> FloatArray:
    ax = np.arange(size) - (size - 1) / 2
    g = np.exp(-(ax**2) / (2 * sigma**2))
    k = np.outer(g, g)
    return _const(k / k.sum())


def _gabor(size: int = 7, sigma: float = 2.0, theta: float = 0.0, wavelength: float = 4.0,
           gamma: float = 0.5, psi: float = 0.0) -> FloatArray:
    half = size // 2
    y, x = np.mgrid[-half:half + 1, -half:half + 1].astype(np.float64)
    xr = x * np.cos(theta) + y * np.sin(theta)
    yr = -x * np.sin(theta) + y * np.cos(theta)
    k = np.exp(-(xr**2 + (gamma * yr) ** 2) / (2 * sigma**2)) * np.cos(
        2 * np.pi * xr / wavelength + psi)
    return _const(k - k.mean())  # zero mean: flat regions give 0


IDENTITY = _const([[0, 0, 0], [0, 1, 0], [0, 0, 0]])
BOX_BLUR_3 = _const(np.full((3, 3), 1 / 9))
BOX_BLUR_5 = _const(np.full((5, 5), 1 / 25))
GAUSSIAN_3 = _const(np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16)
GAUSSIAN_5 = _const(np.array([[1, 4, 6, 4, 1], [4, 16, 24, 16, 4], [6, 24, 36, 24, 6],
                              [4, 16, 24, 16, 4], [1, 4, 6, 4, 1]]) / 256)
SHARPEN = _const([[0, -1, 0], [-1, 5, -1], [0, -1, 0]])
EMBOSS = _const([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]])
LAPLACIAN = _const([[0, 1, 0], [1, -4, 1], [0, 1, 0]])
OUTLINE = _const([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]])
SOBEL_X = _const([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
SOBEL_Y = _const([[-1, -2, -1], [0, 0, 0], [1, 2, 1]])
PREWITT_X = _const([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]])
PREWITT_Y = _const([[-1, -1, -1], [0, 0, 0], [1, 1, 1]])
SCHARR_X = _const([[-3, 0, 3], [-10, 0, 10], [-3, 0, 3]])
SCHARR_Y = _const([[-3, -10, -3], [0, 0, 0], [3, 10, 3]])
VERTICAL_LINE = _const([[0, 1, 0], [0, 1, 0], [0, 1, 0]])
HORIZONTAL_LINE = _const([[0, 0, 0], [1, 1, 1], [0, 0, 0]])
DIAGONAL_DOWN = _const([[1, 0, 0], [0, 1, 0], [0, 0, 1]])
DIAGONAL_UP = _const([[0, 0, 1], [0, 1, 0], [1, 0, 0]])
GABOR = _gabor()


@dataclass(frozen=True)
class Preset:
    """A named kernel with a one-line description."""

    key: str
    title: str
    kernel: FloatArray
    description: str


PRESETS: dict[str, Preset] = {p.key: p for p in (
    Preset("identity", "Identity", IDENTITY, "Copies the input: the centre tap is 1."),
    Preset("box_blur_3", "Box blur 3x3", BOX_BLUR_3, "Mean of the 3x3 neighbourhood."),
    Preset("box_blur_5", "Box blur 5x5", BOX_BLUR_5, "Mean of the 5x5 neighbourhood."),
    Preset("gaussian_3", "Gaussian 3x3", GAUSSIAN_3, "Binomial blur, weights sum to 1."),
    Preset("gaussian_5", "Gaussian 5x5", GAUSSIAN_5, "Wider binomial blur, weights sum to 1."),
    Preset("sharpen", "Sharpen", SHARPEN, "Boosts the centre against its 4 neighbours."),
    Preset("emboss", "Emboss", EMBOSS, "Relief effect lit from the top left."),
    Preset("laplacian", "Laplacian", LAPLACIAN, "Second derivative: responds to blobs and edges."),
    Preset("outline", "Outline", OUTLINE, "8-neighbour Laplacian: bright outlines on flat areas."),
    Preset("sobel_x", "Sobel x", SOBEL_X, "Horizontal gradient: finds vertical edges."),
    Preset("sobel_y", "Sobel y", SOBEL_Y, "Vertical gradient: finds horizontal edges."),
    Preset("prewitt_x", "Prewitt x", PREWITT_X, "Unweighted horizontal gradient."),
    Preset("prewitt_y", "Prewitt y", PREWITT_Y, "Unweighted vertical gradient."),
    Preset("scharr_x", "Scharr x", SCHARR_X, "Rotation-accurate horizontal gradient."),
    Preset("scharr_y", "Scharr y", SCHARR_Y, "Rotation-accurate vertical gradient."),
    Preset("vertical_line", "Vertical line", VERTICAL_LINE,
           "Sums a 3-pixel column: fires on vertical lines."),
    Preset("horizontal_line", "Horizontal line", HORIZONTAL_LINE,
           "Sums a 3-pixel row: fires on horizontal lines."),
    Preset("diagonal_down", "Diagonal \\", DIAGONAL_DOWN,
           "Fires on lines from top left to bottom right."),
    Preset("diagonal_up", "Diagonal /", DIAGONAL_UP,
           "Fires on lines from bottom left to top right."),
    Preset("gabor", "Gabor 7x7", GABOR, "Oriented band-pass (theta 0, wavelength 4): stripes."),
)}

DEFAULT_BANK: tuple[str, ...] = ("vertical_line", "horizontal_line", "sobel_x", "sobel_y")


def get_preset(key: str) -> Preset:
    """Look a preset up by key.

    Parameters
    ----------
    key : str
        One of ``PRESETS``' keys, e.g. ``"sobel_x"``.

    Returns
    -------
    Preset
        The preset.

    Raises
    ------
    ValueError
        If the key is unknown; the message lists the known keys.

    Examples
    --------
    >>> get_preset("sobel_x").kernel.shape
    (3, 3)
    """
    try:
        return PRESETS[key]
    except KeyError:
        raise ValueError(f"unknown preset {key!r}; choose one of {', '.join(PRESETS)}") from None
