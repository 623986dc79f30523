"""Reading image files for the window (OpenCV, Qt-free): decode, validate, limit the size."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

DEFAULT_MAX_SIDE = 1024
IMAGE_SUFFIXES: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp",
                                   ".pgm", ".ppm", ".pbm", ".pnm", ".jp2", ".exr", ".hdr")
_DTYPES = (np.uint8, np.uint16, np.float32, np.float64)


class ImageLoadError(ValueError):
    """An image file that cannot be used; the message says which file and why."""


@dataclass(frozen=True, eq=False)
class LoadedImage:
    """A decoded image at full resolution, in gray or RGB(A) channel order.

    ``pixels`` keeps the file's dtype (uint8, uint16 or float); :meth:`limited` gives the
    size-limited copy that is actually computed on.
    """

    pixels: np.ndarray
    path: Path

    @property
    def size(self) -> tuple[int, int]:
        """``(H, W)`` in the file."""
        return int(self.pixels.shape[0]), int(self.pixels.shape[1])

    def limited(self, max_side: int) -> np.ndarray:
        """Return the pixels shrunk to ``max_side`` (see :func:`limit_size`).

        Parameters
        ----------
        max_side : int
            Longest side kept.

        Returns
        -------
        numpy.ndarray
            The pixels, resized if needed.
        """
        return limit_size(self.pixels, max_side)

    def describe(self, max_side: int) -> str:
        """Describe the image in one line, e.g. ``"camera.png — 512x512 uint8 gray"``.

        Sizes are rows x columns (H x W), as everywhere in the window.

        Parameters
        ----------
        max_side : int
            Longest side used, to mention a resize.

        Returns
        -------
        str
            File name, size, dtype and channels, and the size used if it was shrunk.
        """
        channels = 1 if self.pixels.ndim == 2 else self.pixels.shape[2]
        kind = {1: "gray", 3: "RGB", 4: "RGBA"}[channels]
        h, w = self.size
        text = f"{self.path.name} — {h}x{w} {self.pixels.dtype} {kind}"
        if max(h, w) > max_side:
            uh, uw = limited_size((h, w), max_side)
            text += f", shrunk to {uh}x{uw}"
        return text


def read_image(path: str | Path) -> np.ndarray:
    """Decode an image file with OpenCV, keeping bit depth and alpha.

    The file is read with ``cv2.IMREAD_UNCHANGED`` (through ``cv2.imdecode``, which also
    accepts non-ASCII paths) and the channels are reordered from BGR(A) to RGB(A).

    Parameters
    ----------
    path : str or pathlib.Path
        Image file.

    Returns
    -------
    numpy.ndarray
        ``(H, W)``, ``(H, W, 3)`` or ``(H, W, 4)``; uint8, uint16 or float.

    Raises
    ------
    ImageLoadError
        If the file is missing, unreadable, not an image OpenCV can decode, empty, of an
        unsupported dtype or channel count, or holds NaN / infinite values.
    """
    path = Path(path)
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as exc:
        raise ImageLoadError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if data.size == 0:
        raise ImageLoadError(f"cannot open {path.name}: the file is empty")
    img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if img is None:
        raise ImageLoadError(f"cannot open {path.name}: not an image format OpenCV can decode "
                             "(or the file is corrupt)")
    if img.size == 0:
        raise ImageLoadError(f"cannot open {path.name}: the image is empty")
    if img.dtype not in _DTYPES:
        raise ImageLoadError(f"cannot open {path.name}: unsupported pixel type {img.dtype} "
                             "(8-bit, 16-bit and floating-point images are supported)")
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.ndim == 3 and img.shape[2] not in (3, 4):
        raise ImageLoadError(f"cannot open {path.name}: {img.shape[2]} channels "
                             "(gray, RGB and RGBA are supported)")
    if img.dtype.kind == "f" and not np.isfinite(img).all():
        raise ImageLoadError(f"cannot open {path.name}: it contains NaN or infinite values")
    if img.ndim == 3:
        code = cv2.COLOR_BGR2RGB if img.shape[2] == 3 else cv2.COLOR_BGRA2RGBA
        img = cv2.cvtColor(img, code)
    return np.ascontiguousarray(img)


def limit_size(pixels: np.ndarray, max_side: int) -> np.ndarray:
    """Shrink an image so its longer side is at most ``max_side`` (area interpolation).

    Parameters
    ----------
    pixels : numpy.ndarray
        ``(H, W)`` or ``(H, W, C)`` image.
    max_side : int
        Largest allowed side in pixels, >= 1.

    Returns
    -------
    numpy.ndarray
        ``pixels`` itself if it already fits, else a resized copy (aspect ratio kept).

    Raises
    ------
    ValueError
        If ``max_side`` is not a positive integer.

    Examples
    --------
    >>> limit_size(np.zeros((4000, 3000), np.uint8), 1024).shape
    (1024, 768)
    """
    h, w = pixels.shape[:2]
    new_h, new_w = limited_size((h, w), max_side)
    if (new_h, new_w) == (h, w):
        return pixels
    return np.ascontiguousarray(cv2.resize(pixels, (new_w, new_h), interpolation=cv2.INTER_AREA))


def limited_size(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """``(H, W)`` after limiting the longer side to ``max_side``, keeping the aspect ratio.

    Parameters
    ----------
    size : tuple of int
        ``(H, W)``.
    max_side : int
        Largest allowed side, >= 1.

    Returns
    -------
    tuple of int
        The new size (unchanged if it already fits).

    Raises
    ------
    ValueError
        If ``max_side`` is not a positive integer.
    """
    if isinstance(max_side, bool) or not isinstance(max_side, int) or max_side < 1:
        raise ValueError(f"max_side must be a positive integer, got {max_side!r}")
    h, w = size
    if max(h, w) <= max_side:
        return h, w
    scale = max_side / max(h, w)
    return max(1, round(h * scale)), max(1, round(w * scale))


def load_image(path: str | Path) -> LoadedImage:
    """Read an image file for the window.

    Parameters
    ----------
    path : str or pathlib.Path
        Image file.

    Returns
    -------
    LoadedImage
        The full-resolution pixels (gray or RGB(A)) and where they came from.

    Raises
    ------
    ImageLoadError
        See :func:`read_image`.
    """
    return LoadedImage(read_image(path), Path(path))
