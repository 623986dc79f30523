"""Edits on a kernel, and its text form for copy and paste.

Pure functions on a 2-D ``(kH, kW)`` or 3-D ``(C, kH, kW)`` kernel. Each returns a new
float32 C-contiguous array and never modifies its argument. Spatial edits (transpose,
flip, rotate, resize) act on the last two axes, so every channel slice gets the same edit.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal

import numpy as np

from workbench.core.arithmetic import evaluate_arithmetic
from workbench.core.arrays import FLOAT32_OVERFLOW, FloatArray, as_float32

#: Largest kernel side the editor and the parser accept.
MAX_KERNEL_SIZE = 15
FLIP_AXES: tuple[str, ...] = ("both", "horizontal", "vertical")
FORMAT_STYLES: tuple[str, ...] = ("numpy", "csv", "text")


def _kernel(k: Any) -> FloatArray:
    arr = as_float32(k, "kernel")
    if arr.ndim not in (2, 3) or arr.size == 0:
        raise ValueError(f"kernel must be 2-D (kH, kW) or 3-D (C, kH, kW) and not empty, "
                         f"got shape {arr.shape}")
    return arr


def _out(arr: np.ndarray) -> FloatArray:
    # ``+ 0.0`` turns -0.0 into 0.0, so a kernel never shows or copies as "-0".
    return np.ascontiguousarray(arr, dtype=np.float32) + np.float32(0.0)


def normalise(k: Any) -> FloatArray:
    """Divide a kernel by the sum of its weights, so that they sum to 1.

    A 3-D kernel is divided by the sum over all its channels: that sum is the gain of
    the convolution on a flat input.

    Parameters
    ----------
    k : array_like
        Kernel ``(kH, kW)`` or ``(C, kH, kW)``.

    Returns
    -------
    numpy.ndarray
        float32 kernel of the same shape whose weights sum to 1 (up to rounding).

    Raises
    ------
    ValueError
        If the weights sum to 0 (or to less than a millionth of the sum of their
        magnitudes, which is 0 up to float rounding, as for a zero-mean Gabor).

    Examples
    --------
    >>> normalise([[1, 2, 1], [2, 4, 2], [1, 2, 1]])[1]
    array([0.125, 0.25 , 0.125], dtype=float32)
    >>> normalise([[-1, 0, 1]])
    Traceback (most recent call last):
    ...
    ValueError: cannot normalise: the weights sum to 0
    """
    arr = _kernel(k).astype(np.float64)
    total = float(arr.sum())
    if abs(total) <= 1e-6 * float(np.abs(arr).sum()) or total == 0.0:
        raise ValueError("cannot normalise: the weights sum to 0")
    return _out(arr / total)


def scale(k: Any, factor: float) -> FloatArray:
    """Multiply every weight by ``factor``.

    Parameters
    ----------
    k : array_like
        Kernel ``(kH, kW)`` or ``(C, kH, kW)``.
    factor : float
        Finite multiplier.

    Returns
    -------
    numpy.ndarray
        float32 kernel of the same shape.

    Raises
    ------
    ValueError
        If ``factor`` is not a finite number, or the result overflows float32.

    Examples
    --------
    >>> scale([[1, -2]], 0.5)
    array([[ 0.5, -1. ]], dtype=float32)
    """
    try:
        f = float(factor)
    except (TypeError, ValueError):
        raise ValueError(f"factor must be a finite number, got {factor!r}") from None
    if not math.isfinite(f):
        raise ValueError(f"factor must be a finite number, got {factor!r}")
    out = _kernel(k).astype(np.float64) * f
    if np.abs(out).max() >= FLOAT32_OVERFLOW:
        raise ValueError(f"scaling by {f:g} overflows float32")
    return _out(out)


def transpose(k: Any) -> FloatArray:
    """Swap rows and columns of every channel slice.

    Parameters
    ----------
    k : array_like
        Kernel ``(kH, kW)`` or ``(C, kH, kW)``.

    Returns
    -------
    numpy.ndarray
        float32 kernel ``(kW, kH)`` or ``(C, kW, kH)``.

    Examples
    --------
    >>> transpose([[1, 2, 3]]).shape
    (3, 1)
    >>> transpose([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    array([[-1., -2., -1.],
           [ 0.,  0.,  0.],
           [ 1.,  2.,  1.]], dtype=float32)
    """
    return _out(np.swapaxes(_kernel(k), -1, -2))


def flip(k: Any, axis: str = "both") -> FloatArray:
    """Mirror every channel slice.

    Parameters
    ----------
    k : array_like
        Kernel ``(kH, kW)`` or ``(C, kH, kW)``.
    axis : {"both", "horizontal", "vertical"}, optional
        ``"horizontal"`` mirrors left <-> right (reverses each row), ``"vertical"``
        mirrors top <-> bottom (reverses each column), ``"both"`` does both, which is a
        180 degree rotation: the flip that turns a correlation kernel into a convolution
        kernel.

    Returns
    -------
    numpy.ndarray
        float32 kernel of the same shape.

    Raises
    ------
    ValueError
        If ``axis`` is not one of the three names.

    Examples
    --------
    >>> flip([[1, 2], [3, 4]], "horizontal")
    array([[2., 1.],
           [4., 3.]], dtype=float32)
    >>> flip([[1, 2], [3, 4]], "vertical")
    array([[3., 4.],
           [1., 2.]], dtype=float32)
    """
    axes = {"both": (-2, -1), "horizontal": (-1,), "vertical": (-2,)}
    if axis not in axes:
        raise ValueError(f"axis must be one of {FLIP_AXES}, got {axis!r}")
    return _out(np.flip(_kernel(k), axis=axes[axis]))


def rotate90(k: Any, times: int = 1) -> FloatArray:
    """Rotate every channel slice by 90 degrees counter-clockwise, ``times`` times.

    Same as ``np.rot90(k, times, axes=(-2, -1))``; a negative ``times`` rotates clockwise.

    Parameters
    ----------
    k : array_like
        Kernel ``(kH, kW)`` or ``(C, kH, kW)``.
    times : int, optional
        Number of quarter turns.

    Returns
    -------
    numpy.ndarray
        float32 kernel; rows and columns swap for an odd ``times``.

    Raises
    ------
    ValueError
        If ``times`` is not an integer.

    Examples
    --------
    >>> rotate90([[1, 2], [3, 4]])
    array([[2., 4.],
           [1., 3.]], dtype=float32)
    """
    if isinstance(times, bool) or not isinstance(times, (int, np.integer)):
        raise ValueError(f"times must be an integer, got {times!r}")
    return _out(np.rot90(_kernel(k), int(times), axes=(-2, -1)))


def zeros_like(k: Any) -> FloatArray:
    """Return a kernel of zeros with the shape of ``k``.

    Parameters
    ----------
    k : array_like
        Kernel ``(kH, kW)`` or ``(C, kH, kW)``.

    Returns
    -------
    numpy.ndarray
        float32 zeros of the same shape.

    Examples
    --------
    >>> zeros_like(np.ones((3, 2, 2))).shape
    (3, 2, 2)
    """
    return np.zeros(_kernel(k).shape, dtype=np.float32)


def he_uniform(shape: tuple[int, ...], fan_in: int | None = None,
               rng: np.random.Generator | int | None = None) -> FloatArray:
    """Draw random weights with He (Kaiming) uniform initialisation.

    ``U(-limit, limit)`` with ``limit = sqrt(6 / fan_in)``, like Keras'
    ``HeUniform`` initialiser. (Keras' ``Conv2D`` defaults to ``GlorotUniform``, which also
    needs the number of output channels; a single filter only knows its fan-in.)

    Parameters
    ----------
    shape : tuple of int
        ``(kH, kW)`` or ``(C, kH, kW)``, each side >= 1.
    fan_in : int, optional
        Inputs per output value; defaults to ``C * kH * kW`` (the product of ``shape``).
    rng : numpy.random.Generator or int, optional
        Generator or seed; ``None`` draws fresh entropy.

    Returns
    -------
    numpy.ndarray
        float32 weights of the given shape.

    Raises
    ------
    ValueError
        If ``shape`` is not 2 or 3 positive integers or ``fan_in`` is not positive.

    Examples
    --------
    >>> w = he_uniform((3, 3, 3), rng=0)
    >>> w.shape, w.dtype, bool(np.abs(w).max() <= np.sqrt(6 / 27))
    ((3, 3, 3), dtype('float32'), True)
    """
    dims = tuple(shape)
    if len(dims) not in (2, 3) or any(
            isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1 for d in dims):
        raise ValueError(f"shape must be 2 or 3 positive integers, got {shape!r}")
    n_in = math.prod(int(d) for d in dims) if fan_in is None else fan_in
    if isinstance(n_in, bool) or not isinstance(n_in, (int, np.integer)) or n_in < 1:
        raise ValueError(f"fan_in must be a positive integer, got {fan_in!r}")
    limit = math.sqrt(6.0 / int(n_in))
    generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    return _out(generator.uniform(-limit, limit, size=dims))


def _check_side(value: Any, name: str) -> int:
    if (isinstance(value, bool) or not isinstance(value, (int, np.integer))
            or not 1 <= value <= MAX_KERNEL_SIZE):
        raise ValueError(f"{name} must be an integer from 1 to {MAX_KERNEL_SIZE}, got {value!r}")
    return int(value)


def _centred_span(old: int, new: int) -> tuple[slice, slice]:
    # The centre tap sits at (n - 1) // 2, as for PyTorch's "same" padding of an even kernel.
    shift = (new - 1) // 2 - (old - 1) // 2
    src_start = max(0, -shift)
    dst_start = max(0, shift)
    length = min(old - src_start, new - dst_start)
    return slice(src_start, src_start + length), slice(dst_start, dst_start + length)


def resize_kernel(k: Any, rows: int, cols: int) -> FloatArray:
    """Grow or shrink every channel slice to ``rows x cols``, keeping it centred.

    The centre tap -- index ``(n - 1) // 2`` along each axis, the tap PyTorch's ``"same"``
    padding aligns with the output pixel, also for even sizes -- stays the centre tap.
    Growing pads with zeros around the old values (an odd surplus goes to the bottom /
    right); shrinking crops the border. Shrinking back to the old size after growing
    returns the original kernel.

    Parameters
    ----------
    k : array_like
        Kernel ``(kH, kW)`` or ``(C, kH, kW)``.
    rows, cols : int
        New height and width, from 1 to ``MAX_KERNEL_SIZE`` (15).

    Returns
    -------
    numpy.ndarray
        float32 kernel ``(rows, cols)`` or ``(C, rows, cols)``.

    Raises
    ------
    ValueError
        If ``rows`` or ``cols`` is not an integer from 1 to 15.

    Examples
    --------
    >>> resize_kernel([[1, 2, 3], [4, 5, 6], [7, 8, 9]], 5, 4)
    array([[0., 0., 0., 0.],
           [1., 2., 3., 0.],
           [4., 5., 6., 0.],
           [7., 8., 9., 0.],
           [0., 0., 0., 0.]], dtype=float32)
    >>> resize_kernel([[1, 2, 3], [4, 5, 6], [7, 8, 9]], 1, 1)
    array([[5.]], dtype=float32)
    """
    arr = _kernel(k)
    rows = _check_side(rows, "rows")
    cols = _check_side(cols, "cols")
    out = np.zeros(arr.shape[:-2] + (rows, cols), dtype=np.float32)
    src_r, dst_r = _centred_span(arr.shape[-2], rows)
    src_c, dst_c = _centred_span(arr.shape[-1], cols)
    out[..., dst_r, dst_c] = arr[..., src_r, src_c]
    return _out(out)


# ---------------------------------------------------------------- text form

_WRAPPER = re.compile(r"^(?:(?:np|numpy|torch)\.)?(?:array|tensor)\((?P<body>.*)\)$", re.DOTALL)
_TRAILING_KWARGS = re.compile(r"(?:,\s*[A-Za-z_]\w*\s*=\s*[\w.]+)+\s*$")
_SCALAR_WRAPPER = re.compile(r"(?:np|numpy)\.float(?:16|32|64)\(([^()]*)\)")
_ASSIGNMENT = re.compile(r"^[A-Za-z_]\w*\s*=\s*")
_BRACKET_TOKENS = re.compile(r"\[|\]|[^\[\],\s]+")
_VALUE_SEPARATORS = re.compile(r"[\s,]+")
_ARITHMETIC = re.compile(r"[-+*/()]")


def _number(token: str) -> float:
    try:
        value = float(token)
    except ValueError:
        if not _ARITHMETIC.search(token):
            raise ValueError(f"{token!r} is not a number") from None
        value = evaluate_arithmetic(token)  # "1/9", "(1+2)/3": parsed, never eval'd
    if not math.isfinite(value):
        raise ValueError(f"{token!r} is not a finite number")
    if abs(value) >= FLOAT32_OVERFLOW:
        raise ValueError(f"{token!r} is too large for a float32 weight")
    return value


def parse_value(text: str) -> float:
    """Read one weight, as typed into a cell.

    Parameters
    ----------
    text : str
        A number such as ``"-1"``, ``"0.5"`` or ``"2e-3"``, or simple arithmetic
        (``"1/9"``, ``"-2*0.5"``, ``"(1+2)/3"``: numbers, + - * / and parentheses only,
        see :func:`~workbench.core.arithmetic.evaluate_arithmetic`); surrounding spaces and
        a Unicode minus sign are allowed.

    Returns
    -------
    float
        The value, finite and within float32's range.

    Raises
    ------
    ValueError
        ``"'abc' is not a number"``, or the value is not finite or too large for float32.

    Examples
    --------
    >>> parse_value(" -2e-3 ")
    -0.002
    >>> parse_value("1/4")
    0.25
    """
    return _number(str(text).replace("\u2212", "-").strip())


def _row_values(row: str) -> list[float]:
    return [_number(t) for t in _VALUE_SEPARATORS.split(row.strip()) if t]


def _parse_plain(text: str) -> list[list[list[float]]]:
    blocks: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.strip():
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    channels = []
    for block in blocks:
        if not block:
            continue
        rows = [r for r in ";".join(block).split(";") if r.strip()]
        channels.append([_row_values(r) for r in rows])
    return channels


def _parse_brackets(text: str) -> list[Any]:
    opened, closed = text.count("["), text.count("]")
    if opened != closed:
        raise ValueError(f"unbalanced brackets: {opened} '[' but {closed} ']'")
    root: list[Any] = []
    stack = [root]
    for token in _BRACKET_TOKENS.findall(text):
        if token == "[":
            child: list[Any] = []
            stack[-1].append(child)
            stack.append(child)
        elif token == "]":
            if len(stack) == 1:
                raise ValueError("unbalanced brackets: a ']' closes nothing")
            stack.pop()
        else:
            if len(stack) == 1:
                raise ValueError(f"{token!r} is outside the brackets")
            stack[-1].append(_number(token))
    if len(root) != 1:
        raise ValueError(f"expected one bracketed array, found {len(root)}")
    return root[0]  # type: ignore[no-any-return]


def _depth(node: Any) -> int:
    if not isinstance(node, list):
        return 0
    depths = {_depth(child) for child in node}
    if len(depths) > 1:
        raise ValueError("numbers and bracketed rows are mixed at the same level")
    return 1 + (depths.pop() if depths else 0)


def _as_channels(text: str) -> tuple[list[list[list[float]]], bool]:
    """Return the channels' rows and whether the text itself is 3-D."""
    matlab = ";" in text and text.count("[") == 1 and text.count("]") == 1
    if matlab:  # [1 2 3; 4 5 6]
        text = text.replace("[", " ").replace("]", " ")
    if "[" not in text and "]" not in text:
        channels = _parse_plain(text)
        return channels, len(channels) > 1
    tree = _parse_brackets(text)
    depth = _depth(tree)
    if depth == 1:
        return [[tree]], False
    if depth == 2:
        return [tree], False
    if depth == 3:
        return tree, True
    raise ValueError(f"expected at most 3 nested levels of brackets, got {depth}")


def parse_kernel_text(text: str, max_size: int | None = MAX_KERNEL_SIZE) -> FloatArray:
    r"""Read a kernel from pasted text.

    Accepted forms:

    * rows separated by newlines or ``;``, values by spaces, commas or tabs
      (``"0 1 0; 0 1 0"``, CSV, a block copied from a spreadsheet);
    * numpy's printed form ``[[0. 1. 0.] [0. 1. 0.]]``, its repr
      ``array([[...]], dtype=float32)``, PyTorch's ``tensor([[...]])``, Python lists
      ``[[0, 1, 0], [0, 1, 0]]`` and MATLAB's ``[0 1 0; 0 1 0]``;
    * several channels: a 3-level bracketed block (numpy prints blank lines between the
      channels) or plain blocks of rows separated by blank lines.

    Parameters
    ----------
    text : str
        The pasted text. A leading ``name =`` is ignored.
    max_size : int or None, optional
        Largest side allowed (15, the kernel editor's); None for no limit (numeric data).

    Returns
    -------
    numpy.ndarray
        float32 ``(kH, kW)``, or ``(C, kH, kW)`` for a 3-level bracketed block or
        more than one plain block.

    Raises
    ------
    ValueError
        If the text is empty, a token is not a finite number, rows or channels differ in
        length (``"row 2 has 2 values, expected 3"``), brackets do not balance, or a
        side exceeds ``max_size``.

    Examples
    --------
    >>> parse_kernel_text("0 1 0; 0 1 0")
    array([[0., 1., 0.],
           [0., 1., 0.]], dtype=float32)
    >>> parse_kernel_text("[[0. 1. 0.]\n [0. 1. 0.]]").shape
    (2, 3)
    >>> parse_kernel_text("1, 2\n3").shape
    Traceback (most recent call last):
    ...
    ValueError: row 2 has 1 value, expected 2
    """
    body = _ASSIGNMENT.sub("", str(text).replace("\u2212", "-").strip())
    wrapped = _WRAPPER.match(body)
    if wrapped:
        body = _TRAILING_KWARGS.sub("", wrapped.group("body")).strip()
    body = _SCALAR_WRAPPER.sub(r"\1", body)
    if not body:
        raise ValueError("the text is empty: expected rows of numbers")
    channels, is_3d = _as_channels(body)
    if not any(len(row) for rows in channels for row in rows):
        raise ValueError("the text holds no numbers")
    multi = len(channels) > 1
    first = channels[0]
    n_cols = len(first[0])
    for c, rows in enumerate(channels, start=1):
        prefix = f"channel {c}, " if multi else ""
        if len(rows) != len(first):
            raise ValueError(f"channel {c} has {len(rows)} rows, expected {len(first)}")
        for r, row in enumerate(rows, start=1):
            if len(row) != n_cols:
                noun = "value" if len(row) == 1 else "values"
                raise ValueError(f"{prefix}row {r} has {len(row)} {noun}, expected {n_cols}")
    n_rows = len(first)
    if max_size is not None and (n_rows > max_size or n_cols > max_size):
        raise ValueError(f"the kernel is {n_rows}x{n_cols}; at most "
                         f"{max_size}x{max_size} is allowed")
    arr = _out(np.array(channels, dtype=np.float64))
    return arr if is_3d else arr[0]


def _format_value(v: np.float32, *, numpy_style: bool) -> str:
    if v == 0:
        v = np.float32(0.0)
    magnitude = abs(float(v))
    trim: Literal[".", "-"] = "." if numpy_style else "-"
    if magnitude != 0.0 and (magnitude >= 1e16 or magnitude < 1e-4):
        text = np.format_float_scientific(v, unique=True, trim=trim)
    else:
        text = np.format_float_positional(v, unique=True, trim=trim)
    # The shortest float32 digits go through a float64 on the way back in; should that
    # double rounding ever land on the neighbouring float32, print the exact float64.
    if np.float32(float(text)) != v:
        text = repr(float(v))
    return text


def format_value(value: float) -> str:
    """Write one weight with the fewest digits that read back as the same float32.

    Parameters
    ----------
    value : float
        The weight; it is rounded to float32 first.

    Returns
    -------
    str
        E.g. ``"-0.0625"``, ``"1"``, ``"1e-05"``.

    Examples
    --------
    >>> format_value(0.1), format_value(-2.0), format_value(3e-7)
    ('0.1', '-2', '3e-07')
    """
    return _format_value(np.float32(value), numpy_style=False)


def format_kernel(k: Any, style: str = "numpy") -> str:
    """Write a kernel as text that :func:`parse_kernel_text` reads back exactly.

    Every value is written with the fewest digits that identify its float32 value.

    Parameters
    ----------
    k : array_like
        Kernel ``(kH, kW)`` or ``(C, kH, kW)``.
    style : {"numpy", "csv", "text"}, optional
        ``"numpy"``: nested lists like numpy's repr (valid Python, pastes into
        ``np.array(...)``); ``"csv"``: comma-separated rows; ``"text"``: space-aligned
        columns. In the csv and text styles the channels of a 3-D kernel are blocks
        separated by a blank line (so a one-channel 3-D kernel reads back as 2-D).

    Returns
    -------
    str
        The text, without a trailing newline.

    Raises
    ------
    ValueError
        If ``style`` is unknown.

    Examples
    --------
    >>> print(format_kernel([[0, 1, 0], [0, -0.5, 0]]))
    [[ 0. ,  1. ,  0. ],
     [ 0. , -0.5,  0. ]]
    >>> print(format_kernel([[0, 1, 0], [0, -0.5, 0]], "csv"))
    0,1,0
    0,-0.5,0
    """
    if style not in FORMAT_STYLES:
        raise ValueError(f"style must be one of {FORMAT_STYLES}, got {style!r}")
    arr = _kernel(k)
    cube = arr if arr.ndim == 3 else arr[np.newaxis]
    numpy_style = style == "numpy"
    cells = [[[_format_value(v, numpy_style=numpy_style) for v in row] for row in sl]
             for sl in cube]
    if numpy_style:
        # numpy aligns the decimal points: pad the integer part and the fraction apart.
        def split(s: str) -> tuple[str, str]:
            head, dot, tail = s.partition(".")
            return head, dot + tail

        parts = [split(s) for sl in cells for row in sl for s in row]
        head_w = max(len(h) for h, _ in parts)
        tail_w = max(len(t) for _, t in parts)
        lines = [[("[" + ", ".join(h.rjust(head_w) + t.ljust(tail_w)
                                   for h, t in map(split, row)) + "]") for row in sl]
                 for sl in cells]
        if arr.ndim == 2:
            return "[" + ",\n ".join(lines[0]) + "]"
        blocks = ["[" + ",\n  ".join(sl) + "]" for sl in lines]
        return "[" + ",\n\n ".join(blocks) + "]"
    if style == "csv":
        blocks = ["\n".join(",".join(row) for row in sl) for sl in cells]
    else:
        width = max(len(s) for sl in cells for row in sl for s in row)
        blocks = ["\n".join("  ".join(s.rjust(width) for s in row) for row in sl)
                  for sl in cells]
    return "\n\n".join(blocks)
