"""Numeric data as a raw pipeline input: ``.npy`` arrays, CSV / text files, WAV audio, text.

Raw data is used as given (input mode ``"raw"``): no colour conversion, no scaling, any
channel count. Everything becomes a float32 ``(C, H, W)`` tensor:

* a 1-D array or a single row of numbers is a ``1 x L`` signal (one channel);
* a 2-D array or rows of numbers is an ``H x W`` map (one channel) — or, with
  ``rows_are_channels``, ``C`` channels of ``1 x L`` (PyTorch's ``Conv1d`` layout);
* a 3-D array, or blocks of rows separated by blank lines, is ``C`` channels.
"""

from __future__ import annotations

import os
import re
import struct
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from workbench.core.arrays import FloatArray
from workbench.core.kernel_ops import format_value, parse_kernel_text
from workbench.io.errors import LoadError, require_regular_file
from workbench.io.formats import npy_header

DATA_SUFFIXES: tuple[str, ...] = (".npy", ".csv", ".txt", ".wav")
MAX_DATA_VALUES = 16_000_000
INLINE_LIMIT = 4096  # workspaces store at most this many values inline


@dataclass(frozen=True, eq=False)
class RawData:
    """A raw input: the tensor and what it is called.

    Parameters
    ----------
    values : numpy.ndarray
        float32 ``(C, H, W)``, read-only.
    name : str
        Shown in titles, e.g. a file name or a tutorial example's name.
    path : str, optional
        The file it was read from (None for typed values and built-in examples).
    rows_are_channels : bool, optional
        Whether the file's rows were read as channels.
    """

    values: FloatArray
    name: str
    path: str | None = None
    rows_are_channels: bool = False

    def __post_init__(self) -> None:
        values = to_chw(self.values)
        values.setflags(write=False)
        object.__setattr__(self, "values", values)

    @property
    def channels(self) -> int:
        """Number of channels C."""
        return int(self.values.shape[0])

    def describe(self) -> str:
        """One line, e.g. ``"values — 2 channels of 1x6"``.

        Returns
        -------
        str
            Name, channels and size (rows x columns).
        """
        c, h, w = self.values.shape
        noun = "channel" if c == 1 else "channels"
        return f"{self.name} — {c} {noun} of {h}x{w}"


def to_chw(values: object, rows_are_channels: bool = False) -> FloatArray:
    """Turn 1-, 2- or 3-D numbers into a finite float32 ``(C, H, W)`` tensor.

    Parameters
    ----------
    values : array_like
        ``(L,)``, ``(H, W)`` or ``(C, H, W)``.
    rows_are_channels : bool, optional
        Read a 2-D array as ``C`` channels of ``1 x L`` instead of one ``H x W`` map.

    Returns
    -------
    numpy.ndarray
        float32, C-contiguous, a new array.

    Raises
    ------
    ValueError
        If the array is empty, not numeric, not finite, too large or not 1- to 3-D.

    Examples
    --------
    >>> to_chw([1, 2, 3]).shape
    (1, 1, 3)
    >>> to_chw([[1, 2], [3, 4]], rows_are_channels=True).shape
    (2, 1, 2)
    """
    arr = np.asarray(values)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number)
                                   or arr.dtype == np.bool_):
        raise ValueError(f"the data must be numbers, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise ValueError("the data must be real numbers, got complex values")
    if arr.size == 0:
        raise ValueError(f"the data is empty (shape {arr.shape})")
    if arr.size > MAX_DATA_VALUES:
        raise ValueError(f"the data holds {arr.size} values; at most {MAX_DATA_VALUES} are "
                         "allowed")
    if arr.ndim == 1:
        arr = arr[np.newaxis, np.newaxis]
    elif arr.ndim == 2:
        arr = arr[:, np.newaxis] if rows_are_channels else arr[np.newaxis]
    elif arr.ndim != 3:
        raise ValueError(f"the data must be 1-D (L), 2-D (H, W) or 3-D (C, H, W), got "
                         f"{arr.ndim}-D with shape {arr.shape}")
    out = np.array(arr, dtype=np.float32, order="C")
    if not np.isfinite(out).all():
        bad = np.argwhere(~np.isfinite(out))[0]
        raise ValueError(f"the data must be finite numbers; value at (channel, row, column) "
                         f"{tuple(int(i) for i in bad)} is {out[tuple(bad)]}")
    return out + np.float32(0.0)


def parse_data_text(text: str, rows_are_channels: bool = False) -> FloatArray:
    """Read numbers typed or pasted as text (rows, CSV, numpy / PyTorch / list printouts).

    Same forms as :func:`workbench.core.kernel_ops.parse_kernel_text`, without its size
    limit: ``"1 2 3 4 5 6"``, ``"[1, 2, 3]"``, ``"0 1; 1 0"``, blank-line separated
    blocks (channels), ``tensor([[[1., 2.], [10., 20.]]])``.

    Parameters
    ----------
    text : str
        The text.
    rows_are_channels : bool, optional
        Read a single block of rows as channels of ``1 x L`` (a PyTorch ``(N, C, L)``
        printout with N = 1 parses as one block of C rows).

    Returns
    -------
    numpy.ndarray
        float32 ``(C, H, W)``.

    Raises
    ------
    ValueError
        Naming the row (and channel) that is wrong, e.g. ``"row 2 has 1 value, expected 2"``.

    Examples
    --------
    >>> parse_data_text("1 2 3 4 5 6").tolist()
    [[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]]]
    >>> parse_data_text("tensor([[[1., 2.], [10., 20.]]])", rows_are_channels=True).shape
    (2, 1, 2)
    """
    try:
        arr = parse_kernel_text(text, max_size=None)
    except ValueError as exc:
        raise ValueError(_with_line(str(exc), str(text))) from None
    if arr.ndim == 3 and arr.shape[0] == 1 and rows_are_channels:
        arr = arr[0]
    return to_chw(arr, rows_are_channels)


def _with_line(message: str, text: str) -> str:
    """Prefix a bad-token message with the line the token is on (the parser names rows)."""
    match = re.match(r"'(.+)' is not a", message)
    if match:
        token = re.compile(rf"(?<![\w.+-]){re.escape(match.group(1))}(?![\w.+-])")
        for number, line in enumerate(text.splitlines(), start=1):
            if token.search(line):
                return f"line {number}: {message}"
    return message


def format_data_text(values: FloatArray) -> str:
    r"""Write a ``(C, H, W)`` tensor as text :func:`parse_data_text` reads back exactly.

    Parameters
    ----------
    values : numpy.ndarray
        The data.

    Returns
    -------
    str
        Rows of space-separated numbers, channels separated by a blank line.

    Examples
    --------
    >>> format_data_text(np.array([[[1, 2.5]], [[10, 20]]], np.float32))
    '1 2.5\n\n10 20'
    """
    blocks = ["\n".join(" ".join(format_value(float(v)) for v in row) for row in channel)
              for channel in np.asarray(values, np.float32)]
    return "\n\n".join(blocks)


def load_data(path: str | os.PathLike[str], rows_are_channels: bool = False) -> RawData:
    """Read a ``.npy``, ``.csv``, ``.txt`` or ``.wav`` file as a raw input.

    A text file with one column of numbers is a ``1 x L`` signal, as one row is; a WAV
    file gives one ``1 x L`` signal per audio channel (see :func:`read_wav`).

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    rows_are_channels : bool, optional
        Read a 2-D array / a single block of rows as channels of ``1 x L``.

    Returns
    -------
    RawData
        Named after the file.

    Raises
    ------
    LoadError
        If the file is not a regular file, cannot be read or holds no valid numbers; the
        message names the file and, for text, the row.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in DATA_SUFFIXES:
        raise LoadError(path, f"not a data file (expected {', '.join(DATA_SUFFIXES)})")
    try:
        require_regular_file(path)
        if suffix == ".wav":
            values = read_wav(path)
        elif suffix == ".npy":
            with open(path, "rb") as stream:
                try:  # the header is checked first: object arrays need pickle (refused)
                    npy_header(stream, os.fstat(stream.fileno()).st_size)
                    stream.seek(0)
                    arr = np.load(stream, allow_pickle=False)
                except (ValueError, EOFError) as exc:
                    raise ValueError(f"not a plain numeric .npy array ({exc})") from None
            values = to_chw(arr, rows_are_channels)
        else:
            try:
                text = path.read_text(encoding="utf-8-sig")
            except UnicodeDecodeError:
                raise ValueError("not a text file (not UTF-8)") from None
            values = parse_data_text(text, rows_are_channels)
            if values.shape[0] == 1 and values.shape[2] == 1 and values.shape[1] > 1:
                values = values.reshape(1, 1, -1)  # a single column is a signal, like a row
    except LoadError:
        raise
    except OSError as exc:
        raise LoadError(path, exc.strerror or str(exc)) from None
    except (ValueError, MemoryError) as exc:
        raise LoadError(path, str(exc) or "the data does not fit in memory") from None
    return RawData(values, path.name, str(path.resolve()),
                   rows_are_channels or suffix == ".wav")


def read_wav(path: str | os.PathLike[str]) -> FloatArray:
    """Read an uncompressed PCM WAV file as ``(channels, 1, samples)`` in [-1, 1].

    Uses the standard library's :mod:`wave` reader (8-, 16-, 24- and 32-bit integer PCM).

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    numpy.ndarray
        float32, one channel per audio channel (a 1-D signal each).

    Raises
    ------
    ValueError
        If the file is not a regular file (a :class:`LoadError`), not a PCM WAV file, is
        empty or holds more than :data:`MAX_DATA_VALUES` samples.
    OSError
        If it cannot be read.
    """
    require_regular_file(path)
    try:
        with wave.open(os.fspath(path), "rb") as clip:
            channels, width = clip.getnchannels(), clip.getsampwidth()
            frames = clip.getnframes()
            if frames * channels > MAX_DATA_VALUES:
                raise ValueError(f"the clip holds {frames * channels} samples; at most "
                                 f"{MAX_DATA_VALUES} are allowed (cut it shorter)")
            raw = clip.readframes(frames)
    except (wave.Error, EOFError, struct.error) as exc:
        raise ValueError(f"not a PCM WAV file ({exc})") from None
    if width not in (1, 2, 3, 4) or channels < 1:
        raise ValueError(f"unsupported WAV sample width {width * 8} bits")
    count = len(raw) // (width * channels)
    if count == 0:
        raise ValueError("the WAV file holds no samples")
    data = np.frombuffer(raw[:count * width * channels], np.uint8)
    if width == 1:  # 8-bit WAV is unsigned
        samples = (data.astype(np.float32) - 128.0) / 128.0
    elif width == 3:  # little-endian 24-bit: widen to 32 bits, keep the sign
        triples = data.reshape(-1, 3).astype(np.int32)
        ints = triples[:, 0] | (triples[:, 1] << 8) | (triples[:, 2] << 16)
        ints = np.where(ints >= 1 << 23, ints - (1 << 24), ints)
        samples = ints.astype(np.float32) / float(1 << 23)
    else:
        ints = data.view("<i2" if width == 2 else "<i4")
        samples = ints.astype(np.float32) / float(1 << (8 * width - 1))
    return to_chw(samples.reshape(count, channels).T, rows_are_channels=True)
