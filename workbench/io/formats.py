"""Encoding maps into file bytes (in memory) and reading raw arrays back.

Encoders return ``bytes`` so every file goes through :mod:`workbench.io.atomic` in one
write. Readers raise :class:`~workbench.io.errors.LoadError` naming the file on corrupt or
truncated content.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
import zlib
from pathlib import Path
from typing import IO, Any

import cv2
import numpy as np
import numpy.typing as npt
import tifffile

from workbench.io.errors import LoadError, require_regular_file

PNG16_MAX = 65535
PNG16_MAPPING = "value = min + (max - min) * pixel / 65535"
"""How a 16-bit PNG pixel maps back to the float value (written in each sidecar JSON)."""


def _png(image: npt.NDArray[Any]) -> bytes:
    """PNG bytes of a 2-D gray or ``(H, W, 3)`` image in OpenCV's BGR order."""
    ok, buf = cv2.imencode(".png", image)
    if not ok:
        raise ValueError(f"OpenCV could not encode an image of shape {image.shape} as PNG")
    return buf.tobytes()


def png_rgb_bytes(rgb: npt.NDArray[np.uint8]) -> bytes:
    """Encode an RGB image as PNG.

    Parameters
    ----------
    rgb : numpy.ndarray
        uint8 ``(H, W, 3)`` RGB.

    Returns
    -------
    bytes
        The PNG file.
    """
    return _png(np.ascontiguousarray(rgb[:, :, ::-1]))


def png8_bytes(rgb: npt.NDArray[np.uint8], *, gray: bool = False) -> bytes:
    """Encode a rendered 8-bit image as PNG; gray images as one channel.

    Parameters
    ----------
    rgb : numpy.ndarray
        uint8 ``(H, W, 3)`` RGB, e.g. from :func:`workbench.render.render_map`.
    gray : bool, optional
        The three channels are equal (the ``gray`` colormap): write one channel, whose
        values are the colour-table indices.

    Returns
    -------
    bytes
        The PNG file.
    """
    if gray:
        return _png(np.ascontiguousarray(rgb[:, :, 0]))
    return png_rgb_bytes(rgb)


def png16_bytes(values: Any) -> tuple[bytes, dict[str, Any]]:
    """Encode a 16-bit PNG, min-max scaled to 0..65535, and return the scale to undo it.

    PNG written by OpenCV cannot carry the scale, so it goes in a sidecar JSON (see
    :data:`PNG16_MAPPING`). A constant map is all zeros with ``min == max``.

    Parameters
    ----------
    values : array_like
        ``(H, W)`` map, or ``(1|3, H, W)`` input tensor (RGB becomes a colour PNG; one range
        over all channels).

    Returns
    -------
    data : bytes
        The PNG file.
    scale : dict
        ``{"min", "max", "mapping", "shape", "dtype"}`` for the sidecar JSON; ``min`` and
        ``max`` are the exact float32 extremes.
    """
    arr = np.asarray(values, dtype=np.float32)
    finite = arr[np.isfinite(arr)]
    low = float(finite.min()) if finite.size else 0.0
    high = float(finite.max()) if finite.size else 0.0
    if high > low:
        t = (arr.astype(np.float64) - low) / (high - low)
    else:
        t = np.zeros(arr.shape)
    pixels = np.round(np.clip(np.nan_to_num(t, nan=0.0), 0.0, 1.0) * PNG16_MAX).astype(np.uint16)
    if pixels.ndim == 3:
        pixels = pixels[0] if pixels.shape[0] == 1 else pixels[::-1].transpose(1, 2, 0)
    scale = {"min": low, "max": high, "mapping": PNG16_MAPPING, "shape": list(arr.shape),
             "dtype": "float32"}
    return _png(np.ascontiguousarray(pixels)), scale


def png16_sidecar(png_name: str, scale: dict[str, Any]) -> bytes:
    """Encode the JSON written next to a 16-bit PNG.

    Parameters
    ----------
    png_name : str
        The PNG's file name (recorded in the JSON).
    scale : dict
        From :func:`png16_bytes`.

    Returns
    -------
    bytes
        UTF-8 JSON.
    """
    return (json.dumps({"file": png_name, **scale}, indent=2) + "\n").encode("utf-8")


def tiff_bytes(values: Any) -> bytes:
    """Encode a float32 TIFF holding the exact values.

    Parameters
    ----------
    values : array_like
        ``(H, W)`` map or ``(C, H, W)`` tensor.

    Returns
    -------
    bytes
        The TIFF file; :func:`read_array` gives the same array back.
    """
    buf = io.BytesIO()
    tifffile.imwrite(buf, np.ascontiguousarray(values, dtype=np.float32),
                     photometric="minisblack")
    return buf.getvalue()


def npy_bytes(values: Any) -> bytes:
    """Encode one array as an NPY file (dtype kept).

    Parameters
    ----------
    values : array_like
        Any array.

    Returns
    -------
    bytes
        The NPY file.
    """
    buf = io.BytesIO()
    np.save(buf, np.asarray(values), allow_pickle=False)
    return buf.getvalue()


def npz_bytes(arrays: dict[str, Any]) -> bytes:
    """Encode arrays as an uncompressed NPZ archive.

    Parameters
    ----------
    arrays : dict
        Key -> array; strings are stored as 0-d unicode arrays (no pickling needed).

    Returns
    -------
    bytes
        The NPZ file.
    """
    buf = io.BytesIO()
    np.savez(buf, **{k: np.asarray(v) for k, v in arrays.items()})  # type: ignore[arg-type]
    return buf.getvalue()


class _NpyHeaderError(ValueError):
    """An NPY header that is unreadable, pickled or declares more data than is stored."""


def npy_header(stream: IO[bytes], available: int) -> tuple[tuple[int, ...], np.dtype[Any]]:
    """Read an NPY header and check it against the bytes that follow, without reading data.

    Parameters
    ----------
    stream : file-like
        Positioned at the start of the NPY data (magic string); left after the header.
    available : int
        Bytes the whole NPY data holds (header included), e.g. a file's or zip member's
        uncompressed size.

    Returns
    -------
    shape : tuple of int
        The declared shape.
    dtype : numpy.dtype
        The declared dtype.

    Raises
    ------
    ValueError
        If the header is unreadable, the dtype holds Python objects (pickles are never
        loaded), or the declared array needs more bytes than ``available``.
    """
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            header = np.lib.format.read_array_header_1_0(stream)
        elif version == (2, 0):
            header = np.lib.format.read_array_header_2_0(stream)
        else:
            raise _NpyHeaderError(f"unsupported NPY format version {version}")
    except _NpyHeaderError:
        raise
    except Exception as exc:  # numpy's header parser raises many types (tokenize.TokenError)
        raise _NpyHeaderError(f"unreadable NPY header ({exc})") from None
    shape, _, dtype = header
    if dtype.hasobject:
        raise _NpyHeaderError("it holds Python objects (pickles), which are never loaded")
    count = 1
    for n in shape:
        count *= int(n)
    needed = count * dtype.itemsize
    if needed > available:
        raise _NpyHeaderError(f"the header declares shape {tuple(shape)} of {dtype} "
                              f"({needed} bytes) but only {available} bytes are stored; "
                              "the file is truncated or corrupt")
    return tuple(int(n) for n in shape), dtype


def read_array(path: str | os.PathLike[str]) -> npt.NDArray[Any]:
    """Read one array from an ``.npy`` or ``.tif``/``.tiff`` file.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    numpy.ndarray
        The stored array, bit for bit.

    Raises
    ------
    LoadError
        If the file is not a regular file, truncated, corrupt, holds pickled objects or is
        of another format.
    OSError
        If it cannot be opened (missing, permissions).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".npy", ".tif", ".tiff"):
        require_regular_file(path)
    if suffix == ".npy":
        data = path.read_bytes()
        try:
            npy_header(io.BytesIO(data), len(data))
        except _NpyHeaderError as exc:
            raise LoadError(path, f"not a valid NPY file: {exc}") from None
        try:
            return np.asarray(np.load(io.BytesIO(data), allow_pickle=False))
        except (ValueError, EOFError, OSError) as exc:
            raise LoadError(path, f"not a valid NPY file (truncated or corrupt: {exc})") \
                from None
    if suffix in (".tif", ".tiff"):
        data = path.read_bytes()
        try:
            return tifffile.imread(io.BytesIO(data))
        except Exception as exc:  # tifffile raises many types on damaged files
            raise LoadError(path, f"not a valid TIFF file (truncated or corrupt: {exc})") \
                from None
    raise LoadError(path, f"unsupported array file type {suffix!r}; use .npy, .tif or .tiff")


MAX_NPZ_BYTES = 1 << 31
"""Largest total uncompressed size of an NPZ archive that is read (2 GiB)."""


def read_npz(path: str | os.PathLike[str], *,
             max_bytes: int = MAX_NPZ_BYTES) -> dict[str, npt.NDArray[Any]]:
    """Read every array of an NPZ archive (no pickled objects).

    Before any array data is inflated, the members' uncompressed sizes (from the zip
    directory) are checked against ``max_bytes`` and each member's NPY header (shape and
    dtype) against its size, so a small "zip bomb" declaring gigabytes is refused at once.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    max_bytes : int, optional
        Largest total uncompressed size accepted.

    Returns
    -------
    dict
        Key (member name without ``.npy``) -> array.

    Raises
    ------
    LoadError
        If the file is not a regular file, the archive is truncated or corrupt, too large
        once unpacked, holds a member that is not an NPY array, or holds pickled objects.
    OSError
        If it cannot be opened.
    """
    path = Path(path)
    require_regular_file(path)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = [i for i in archive.infolist() if not i.is_dir()]
            total = sum(i.file_size for i in infos)
            if total > max_bytes:
                raise LoadError(path, f"the archive unpacks to {total} bytes; at most "
                                      f"{max_bytes} bytes are read")
            for info in infos:
                if not info.filename.endswith(".npy"):
                    raise LoadError(path, f"member {info.filename!r} is not an .npy array")
                with archive.open(info) as stream:
                    try:
                        npy_header(stream, info.file_size)
                    except _NpyHeaderError as exc:
                        raise LoadError(path, f"member {info.filename!r}: {exc}") from None
            arrays: dict[str, npt.NDArray[Any]] = {}
            for info in infos:
                with archive.open(info) as stream:
                    arrays[info.filename[:-4]] = np.lib.format.read_array(
                        stream, allow_pickle=False)
            return arrays
    except LoadError:
        raise
    except (ValueError, EOFError, OSError, zipfile.BadZipFile, KeyError, zlib.error,
            NotImplementedError, RuntimeError) as exc:
        raise LoadError(path, f"not a valid NPZ file (truncated or corrupt: {exc})") from None
