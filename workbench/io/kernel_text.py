"""One kernel as text: CSV, or whitespace-separated rows as ImageJ's Process > Filters > Convolve.

Reading (both formats): one kernel row per line; blank lines are ignored; a first line with
no number at all is a header and skipped (ImageJ's text reader does the same with column
titles). Every row must have the same number of values, all finite numbers. Writing gives
whole numbers without a decimal point (as ImageJ does) and other values as the shortest
text that reads back to the same float32.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from workbench.core.kernel_ops import parse_value
from workbench.io.atomic import write_text
from workbench.io.errors import LoadError, require_regular_file
from workbench.io.float_text import float32_text

KERNEL_TEXT_FORMATS: tuple[str, ...] = ("csv", "txt")
# Only tells a header line (no number at all) from a row; every value is read by the core's
# parse_value, the one reader of typed weights (and its one float32 bound).
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def format_for(path: str | os.PathLike[str]) -> str:
    """Pick the text format from a file name: ``.csv`` -> ``csv``, anything else ``txt``.

    Parameters
    ----------
    path : str or os.PathLike
        The file name.

    Returns
    -------
    str
        ``"csv"`` or ``"txt"``.
    """
    return "csv" if Path(path).suffix.lower() == ".csv" else "txt"


def format_kernel(kernel: Any, fmt: str = "txt") -> str:
    r"""Write a 2-D kernel as text.

    Parameters
    ----------
    kernel : array_like
        ``(kH, kW)`` numbers (a ``(1, kH, kW)`` filter weight is accepted too).
    fmt : {"txt", "csv"}, optional
        Space- or comma-separated.

    Returns
    -------
    str
        One line per row, ending with a newline.

    Raises
    ------
    ValueError
        If the kernel is not 2-D, empty or not finite, or the format is unknown.

    Examples
    --------
    >>> print(format_kernel([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]), end="")
    -1 0 1
    -2 0 2
    -1 0 1
    >>> format_kernel([[0.5, 0.25]], "csv")
    '0.5,0.25\n'
    """
    if fmt not in KERNEL_TEXT_FORMATS:
        raise ValueError(f"kernel text format must be one of {KERNEL_TEXT_FORMATS}, got {fmt!r}")
    with np.errstate(over="ignore"):  # too-large values become inf, refused below
        arr = np.asarray(kernel, dtype=np.float32)
    if arr.ndim == 3 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 2 or arr.size == 0:
        raise ValueError(f"a kernel must be a non-empty 2-D array, got shape {arr.shape}")
    sep = "," if fmt == "csv" else " "
    return "".join(sep.join(float32_text(v, integers=True) for v in row) + "\n" for row in arr)


def parse_kernel(text: str, fmt: str | None = None) -> npt.NDArray[np.float32]:
    r"""Read a 2-D kernel from text.

    Parameters
    ----------
    text : str
        The text (see the module description for the rules).
    fmt : {"txt", "csv"}, optional
        Separator: whitespace or commas; by default commas if the text has any.

    Returns
    -------
    numpy.ndarray
        float32 ``(kH, kW)``.

    Raises
    ------
    ValueError
        Naming the line (1-based, counting blank lines) and column of a value that is not
        a finite number, a row whose length differs from the first, or an empty text.

    Examples
    --------
    >>> parse_kernel("0 1 0\n1 -4 1\n0 1 0\n").tolist()
    [[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]]
    >>> parse_kernel("a,b\n1,2\n3\n")
    Traceback (most recent call last):
    ...
    ValueError: line 3 has 1 value but line 2 has 2
    """
    if fmt is None:
        fmt = "csv" if "," in text else "txt"
    if fmt not in KERNEL_TEXT_FORMATS:
        raise ValueError(f"kernel text format must be one of {KERNEL_TEXT_FORMATS}, got {fmt!r}")
    rows: list[list[float]] = []
    first_line = first_row = 0
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        cells = [c.strip() for c in line.split(",")] if fmt == "csv" else line.split()
        if not rows and not first_line and not any(_NUMBER.fullmatch(c) for c in cells):
            first_line = number  # a header row of titles
            continue
        row = []
        for column, cell in enumerate(cells, 1):
            if not cell:
                raise ValueError(f"line {number}, column {column}: an empty value is not a "
                                 "number")
            try:
                row.append(parse_value(cell))
            except ValueError as exc:
                raise ValueError(f"line {number}, column {column}: {exc}") from None
        if rows and len(row) != len(rows[0]):
            noun = "value" if len(row) == 1 else "values"
            raise ValueError(f"line {number} has {len(row)} {noun} but line {first_row} "
                             f"has {len(rows[0])}")
        if not rows:
            first_row = number
        rows.append(row)
    if not rows:
        raise ValueError("no numbers found; a kernel is rows of numbers")
    return np.array(rows, dtype=np.float32)


def load_kernel(path: str | os.PathLike[str], fmt: str | None = None
                ) -> npt.NDArray[np.float32]:
    """Read a kernel from a CSV or text file.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    fmt : {"txt", "csv"}, optional
        Defaults to the file extension (``.csv`` or text).

    Returns
    -------
    numpy.ndarray
        float32 ``(kH, kW)``.

    Raises
    ------
    LoadError
        If the content is invalid; the message names the file, line and column.
    OSError
        If the file cannot be read.
    """
    require_regular_file(path)
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LoadError(path, "not a text file (not UTF-8)") from None
    try:
        return parse_kernel(text, fmt or format_for(path))
    except ValueError as exc:
        raise LoadError(path, str(exc)) from None


def save_kernel(path: str | os.PathLike[str], kernel: Any, fmt: str | None = None, *,
                overwrite: bool = False) -> Path:
    """Write a kernel to a CSV or text file.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    kernel : array_like
        ``(kH, kW)``.
    fmt : {"txt", "csv"}, optional
        Defaults to the file extension.
    overwrite : bool, optional
        Replace an existing file.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    ValueError
        If the kernel is not a finite 2-D array.
    FileExistsError
        If the file exists and ``overwrite`` is false.
    ExportError
        If it cannot be written (nothing is left behind).
    """
    return write_text(path, format_kernel(kernel, fmt or format_for(path)), overwrite=overwrite)
