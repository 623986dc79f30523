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
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import tifffile

from workbench.io.errors import LoadError

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
        If the file is truncated, corrupt or of another format.
    OSError
        If it cannot be opened (missing, permissions).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".npy":
        data = path.read_bytes()
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


def read_npz(path: str | os.PathLike[str]) -> dict[str, npt.NDArray[Any]]:
    """Read every array of an NPZ archive (no pickled objects).

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    dict
        Key -> array.

    Raises
    ------
    LoadError
        If the archive is truncated or corrupt, or holds pickled objects.
    OSError
        If it cannot be opened.
    """
    path = Path(path)
    data = path.read_bytes()
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}
    except (ValueError, EOFError, OSError, zipfile.BadZipFile, KeyError) as exc:
        raise LoadError(path, f"not a valid NPZ file (truncated or corrupt: {exc})") from None
