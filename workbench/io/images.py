"""Image files in: decode, check and size-limit them the one way the window, sources and batch use.

The pixel policy, decided once here:

- bit depth is kept: ``uint8``, ``uint16`` and floating point come back in the file's dtype
  (:func:`workbench.core.image_to_chw` later scales 8 and 16 bit to ``[0, 1]``, so a 16-bit
  file is computed on its 65536 levels everywhere);
- gray files stay gray ``(H, W)``; colour files are RGB ``(H, W, 3)``; palette files are
  expanded to RGB;
- an alpha channel is dropped without compositing (the stored colours are used, as
  :mod:`workbench.core` and :mod:`workbench.sources` do for arrays);
- EXIF orientation is applied, so the pixels are upright as in any image viewer;
- files declaring more than :data:`MAX_PIXELS` pixels are refused, for PNG, JPEG, BMP,
  TIFF and WebP from their header before anything is decoded (whatever the bit depth and
  channels, e.g. 16-bit RGBA);
- only regular files are read (a named pipe or a device is refused before it is opened);
- the size limit shrinks the longer side to ``max_side`` with area interpolation
  (:func:`limit_size`), on the pixels in their own dtype.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from workbench.io.errors import LoadError, require_regular_file

DEFAULT_MAX_SIDE = 1024
"""The window's default longest side of the computed input, in pixels."""

MAX_PIXELS = 100_000_000
"""Largest image accepted (H x W): 100 megapixels, 600 MB as 16-bit RGB."""

IMAGE_SUFFIXES: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp",
                                   ".pgm", ".ppm", ".pbm", ".pnm", ".jp2", ".exr", ".hdr")
"""File name endings treated as images (case-insensitive)."""

# Keep depth and gray, drop alpha, expand palettes, apply EXIF orientation (cv2 skips the
# orientation only for IMREAD_UNCHANGED).
_READ_FLAGS = cv2.IMREAD_ANYDEPTH | cv2.IMREAD_ANYCOLOR
_DTYPES = (np.uint8, np.uint16, np.float32, np.float64)
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# JPEG start-of-frame markers (baseline, progressive, lossless, arithmetic): all but the
# DHT (C4), JPG (C8) and DAC (CC) markers in C0..CF.
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _tiff_size(buf: memoryview) -> tuple[int, int] | None:
    """``(H, W)`` from a classic TIFF's first image directory, or None."""
    n = len(buf)
    order = {b"II": "<", b"MM": ">"}.get(bytes(buf[:2]))
    if order is None or n < 8 or struct.unpack_from(order + "H", buf, 2)[0] != 42:
        return None
    (offset,) = struct.unpack_from(order + "I", buf, 4)
    if offset + 2 > n:
        return None
    (count,) = struct.unpack_from(order + "H", buf, offset)
    found: dict[int, int] = {}
    for i in range(count):
        entry = offset + 2 + 12 * i
        if entry + 12 > n:
            break
        tag, kind = struct.unpack_from(order + "HH", buf, entry)
        if tag in (256, 257) and kind in (3, 4):
            fmt = order + ("H" if kind == 3 else "I")
            found[tag] = int(struct.unpack_from(fmt, buf, entry + 8)[0])
    if 256 in found and 257 in found:
        return found[257], found[256]
    return None


def _webp_size(buf: memoryview) -> tuple[int, int] | None:
    """``(H, W)`` from a WebP file's first chunk (VP8, VP8L or VP8X), or None."""
    n = len(buf)
    if n < 30 or bytes(buf[:4]) != b"RIFF" or bytes(buf[8:12]) != b"WEBP":
        return None
    chunk = bytes(buf[12:16])
    if chunk == b"VP8X":
        width = 1 + int.from_bytes(bytes(buf[24:27]), "little")
        height = 1 + int.from_bytes(bytes(buf[27:30]), "little")
        return height, width
    if chunk == b"VP8L" and buf[20] == 0x2F:
        bits = int.from_bytes(bytes(buf[21:25]), "little")
        return ((bits >> 14) & 0x3FFF) + 1, (bits & 0x3FFF) + 1
    if chunk == b"VP8 " and bytes(buf[23:26]) == b"\x9d\x01\x2a":
        width, height = struct.unpack_from("<HH", buf, 26)
        return height & 0x3FFF, width & 0x3FFF
    return None


class ImageLoadError(LoadError):
    """An image file that cannot be used; the message starts with the file and says why."""


def declared_size(data: bytes | bytearray | memoryview | np.ndarray) -> tuple[int, int] | None:
    r"""Read ``(H, W)`` from a PNG, JPEG, BMP, TIFF or WebP header without decoding pixels.

    Parameters
    ----------
    data : bytes-like or numpy.ndarray
        The file's bytes (only the header is looked at; a JPEG is walked segment by
        segment up to its start-of-frame marker).

    Returns
    -------
    tuple of int or None
        The declared size, or ``None`` for other formats and headers that cannot be read
        (the decoder then reports the problem).

    Examples
    --------
    >>> ihdr = (256).to_bytes(4, "big") + (2).to_bytes(4, "big")
    >>> declared_size(b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + ihdr)
    (2, 256)
    """
    # numpy declares ndarray.__buffer__ only for Python >= 3.12; it has the buffer protocol.
    buf = memoryview(data).cast("B")  # type: ignore[arg-type]
    n = len(buf)
    if n >= 24 and bytes(buf[:8]) == _PNG_SIGNATURE and bytes(buf[12:16]) == b"IHDR":
        width, height = struct.unpack_from(">II", buf, 16)
        return int(height), int(width)
    if n >= 26 and bytes(buf[:2]) == b"BM":
        width, height = struct.unpack_from("<ii", buf, 18)
        return abs(int(height)), abs(int(width))  # negative height: rows stored top-down
    if n >= 4 and bytes(buf[:2]) == b"\xff\xd8":
        pos = 2
        while pos + 4 <= n:
            if buf[pos] != 0xFF:
                return None
            marker = buf[pos + 1]
            if marker == 0xFF:  # fill byte
                pos += 1
                continue
            if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # stand-alone markers
                pos += 2
                continue
            (length,) = struct.unpack_from(">H", buf, pos + 2)
            if marker in _JPEG_SOF:
                if pos + 9 > n:
                    return None
                height, width = struct.unpack_from(">HH", buf, pos + 5)
                return int(height), int(width)
            if marker == 0xDA or length < 2:  # scan data before any frame header
                return None
            pos += 2 + length
        return None
    return _tiff_size(buf) or _webp_size(buf)


def _check_pixels(path: Path, size: tuple[int, int], max_pixels: int) -> None:
    h, w = size
    if h * w > max_pixels:
        raise ImageLoadError(path, f"the image is {h}x{w} pixels ({h * w / 1e6:.0f} "
                                   f"megapixels); at most {max_pixels / 1e6:g} megapixels "
                                   "can be opened")


def read_image(path: str | os.PathLike[str], *, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode an image file into the pipeline's canonical pixels (see the module policy).

    The bytes are read with :func:`numpy.fromfile` (so non-ASCII paths work on every
    platform) and decoded with ``cv2.imdecode``.

    Parameters
    ----------
    path : str or os.PathLike
        Image file.
    max_pixels : int, optional
        Largest ``H * W`` accepted.

    Returns
    -------
    numpy.ndarray
        Gray ``(H, W)`` or RGB ``(H, W, 3)``; ``uint8``, ``uint16``, ``float32`` or
        ``float64``; C-contiguous.

    Raises
    ------
    ImageLoadError
        If the file is missing, not a regular file, unreadable, empty, too large (by its
        header or once decoded), not an image OpenCV can
        decode, of an unsupported dtype or channel count, or holds NaN / infinite values.
    """
    path = Path(path)
    try:
        require_regular_file(path, ImageLoadError)
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as exc:
        raise ImageLoadError(path, f"cannot read the file: {exc.strerror or exc}") from exc
    if data.size == 0:
        raise ImageLoadError(path, "the file is empty")
    declared = declared_size(data)
    if declared is not None:
        _check_pixels(path, declared, max_pixels)
    try:
        img = cv2.imdecode(data, _READ_FLAGS)
    except cv2.error:  # a few decoders throw on damaged data instead of returning None
        img = None
    if img is None:
        raise ImageLoadError(path, "could not be decoded: not an image format OpenCV reads, "
                                   "or the file is corrupt")
    if img.size == 0:
        raise ImageLoadError(path, "the image is empty")
    _check_pixels(path, (img.shape[0], img.shape[1]), max_pixels)
    if img.dtype not in _DTYPES:
        raise ImageLoadError(path, f"unsupported pixel type {img.dtype} (8-bit, 16-bit and "
                                   "floating-point images are supported)")
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.ndim == 3 and img.shape[2] not in (3, 4):
        raise ImageLoadError(path, f"{img.shape[2]} channels (gray, RGB and RGBA are "
                                   "supported)")
    if img.dtype.kind == "f" and not np.isfinite(img).all():
        raise ImageLoadError(path, "it contains NaN or infinite values")
    if img.ndim == 3:
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB if img.shape[2] == 3 else cv2.COLOR_BGRA2RGB)
    return np.ascontiguousarray(img)


def limited_size(size: tuple[int, int], max_side: int | None) -> tuple[int, int]:
    """``(H, W)`` after limiting the longer side to ``max_side``, keeping the aspect ratio.

    Parameters
    ----------
    size : tuple of int
        ``(H, W)``.
    max_side : int or None
        Largest allowed side, >= 1; ``None`` for no limit.

    Returns
    -------
    tuple of int
        The new size (unchanged if it already fits; never enlarged; sides at least 1).

    Raises
    ------
    ValueError
        If ``max_side`` is not a positive integer or ``None``.

    Examples
    --------
    >>> limited_size((100, 50), 40)
    (40, 20)
    """
    h, w = size
    if max_side is None:
        return h, w
    if isinstance(max_side, bool) or not isinstance(max_side, int) or max_side < 1:
        raise ValueError(f"max_side must be a positive integer, got {max_side!r}")
    if max(h, w) <= max_side:
        return h, w
    scale = max_side / max(h, w)
    return max(1, round(h * scale)), max(1, round(w * scale))


def limit_size(pixels: np.ndarray, max_side: int | None) -> np.ndarray:
    """Shrink an image so its longer side is at most ``max_side`` (area interpolation).

    Parameters
    ----------
    pixels : numpy.ndarray
        ``(H, W)`` or ``(H, W, C)`` image, any dtype OpenCV resizes (the dtype is kept).
    max_side : int or None
        Largest allowed side in pixels, >= 1; ``None`` for no limit.

    Returns
    -------
    numpy.ndarray
        ``pixels`` itself if it already fits, else a C-contiguous resized copy.

    Raises
    ------
    ValueError
        If ``max_side`` is not a positive integer or ``None``.

    Examples
    --------
    >>> limit_size(np.zeros((4000, 3000), np.uint8), 1024).shape
    (1024, 768)
    """
    h, w = pixels.shape[:2]
    new_h, new_w = limited_size((h, w), max_side)
    if (new_h, new_w) == (h, w):
        return pixels
    resized = cv2.resize(pixels, (new_w, new_h), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(resized.reshape((new_h, new_w) + pixels.shape[2:]))


@dataclass(frozen=True, eq=False)
class LoadedImage:
    """Full-resolution pixels and where they came from.

    ``pixels`` are gray ``(H, W)`` or RGB ``(H, W, 3)`` in the file's dtype (uint8, uint16
    or float), as :func:`read_image` gives them; :meth:`limited` gives the size-limited
    pixels that are actually computed on.
    """

    pixels: np.ndarray
    path: Path

    @property
    def size(self) -> tuple[int, int]:
        """``(H, W)`` at full resolution."""
        return int(self.pixels.shape[0]), int(self.pixels.shape[1])

    def limited(self, max_side: int | None) -> np.ndarray:
        """Return the pixels shrunk to ``max_side`` (see :func:`limit_size`).

        Parameters
        ----------
        max_side : int or None
            Longest side kept; ``None`` for no limit.

        Returns
        -------
        numpy.ndarray
            The pixels, resized if needed.
        """
        return limit_size(self.pixels, max_side)

    def describe(self, max_side: int | None) -> str:
        """Describe the image in one line, e.g. ``"camera.png — 512x512 uint8 gray"``.

        Sizes are rows x columns (H x W), as everywhere in the window.

        Parameters
        ----------
        max_side : int or None
            Longest side used, to mention a resize.

        Returns
        -------
        str
            File name, size, dtype and channels, and the size used if it was shrunk.
        """
        channels = 1 if self.pixels.ndim == 2 else self.pixels.shape[2]
        kind = {1: "gray", 3: "RGB", 4: "RGBA"}.get(channels, f"{channels} channels")
        h, w = self.size
        text = f"{self.path.name} — {h}x{w} {self.pixels.dtype} {kind}"
        used = limited_size((h, w), max_side)
        if used != (h, w):
            text += f", shrunk to {used[0]}x{used[1]}"
        return text


def load_image(path: str | os.PathLike[str], *, max_pixels: int = MAX_PIXELS) -> LoadedImage:
    """Read an image file (see :func:`read_image`) and remember where it came from.

    Parameters
    ----------
    path : str or os.PathLike
        Image file.
    max_pixels : int, optional
        Largest ``H * W`` accepted.

    Returns
    -------
    LoadedImage
        The full-resolution pixels and the path.

    Raises
    ------
    ImageLoadError
        See :func:`read_image`.
    """
    return LoadedImage(read_image(path, max_pixels=max_pixels), Path(path))
