"""Input normalisation shared by every public core function.

One dtype policy in one place: everything the JIT kernels see is float32 and
C-contiguous, so each kernel compiles exactly one signature and warm-up covers all.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
IntPair = tuple[int, int]

FLOAT32_OVERFLOW: float = float(2**128 - 2**103)
"""The float32 bound: halfway between float32's largest value and ``2**128``.

A number whose magnitude is at least this rounds to infinity as float32; anything smaller
rounds to a finite float32 (at most ``numpy.finfo(numpy.float32).max``). Every parser and
range check of weights uses this one bound.
"""


def as_float32(a: Any, name: str) -> FloatArray:
    """Return ``a`` as a float32 C-contiguous array.

    Parameters
    ----------
    a : array_like
        Real-valued data (bool, integer or floating point).
    name : str
        Parameter name used in error messages.

    Returns
    -------
    numpy.ndarray
        float32, C-contiguous; a view of ``a`` when no conversion is needed.

    Raises
    ------
    ValueError
        If ``a`` is not numeric or is complex.
    """
    try:
        arr = np.asarray(a)
    except (TypeError, ValueError) as exc:  # ragged nested lists, say
        raise ValueError(f"{name} must be a numeric array, got {type(a).__name__}") from exc
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must have a real numeric dtype, got dtype {arr.dtype}")
    # Not np.ascontiguousarray: it turns a 0-d array into shape (1,). Values beyond the
    # float32 range become +-inf, as in torch's float(), without a warning.
    with np.errstate(over="ignore"):
        out = np.asarray(arr, dtype=np.float32, order="C")
    # Numba compiles read-only arrays as a separate signature (seconds of JIT that
    # warm-up does not cover); a copy of a read-only input is far cheaper.
    return out if out.flags.writeable else out.copy()


def pair(value: Any, name: str, *, minimum: int) -> IntPair:
    """Normalise an int or a pair of ints to a pair, checking the lower bound.

    Parameters
    ----------
    value : int or sequence of two ints
        The parameter value.
    name : str
        Parameter name used in error messages.
    minimum : int
        Smallest allowed value for each element.

    Returns
    -------
    tuple of int
        ``(vertical, horizontal)``.

    Raises
    ------
    ValueError
        If the value is not an int or pair of ints, or an element is below ``minimum``.
    """
    kind = "a positive" if minimum == 1 else "a non-negative"
    message = f"{name} must be {kind} integer or pair of integers, got {value!r}"
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(message)
    if isinstance(value, (int, np.integer)):
        items: tuple[Any, ...] = (value, value)
    else:
        try:
            items = tuple(value)
        except TypeError:
            raise ValueError(message) from None
        if len(items) != 2:
            raise ValueError(message)
    out = []
    for item in items:
        if isinstance(item, (bool, np.bool_)) or not isinstance(item, (int, np.integer)):
            raise ValueError(message)
        if item < minimum:
            raise ValueError(message)
        out.append(int(item))
    return out[0], out[1]


def single(value: Any, name: str, *, minimum: int) -> int:
    """Normalise an int or a 1-tuple to an int (1-D parameters).

    Parameters
    ----------
    value : int or sequence of one int
        The parameter value.
    name : str
        Parameter name used in error messages.
    minimum : int
        Smallest allowed value.

    Returns
    -------
    int
        The value.

    Raises
    ------
    ValueError
        If the value is not an int (or 1-tuple) at least ``minimum``.
    """
    if not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_)):
        try:
            (value,) = tuple(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            kind = "a positive" if minimum == 1 else "a non-negative"
            raise ValueError(f"{name} must be {kind} integer, got {value!r}") from None
    return pair(value, name, minimum=minimum)[0]


def batched(x: FloatArray, name: str, spatial_dims: int) -> tuple[FloatArray, bool]:
    """Add a batch axis if missing.

    Parameters
    ----------
    x : numpy.ndarray
        ``(C, *spatial)`` or ``(N, C, *spatial)``.
    name : str
        Parameter name used in error messages.
    spatial_dims : int
        1 for signals, 2 for images.

    Returns
    -------
    x4 : numpy.ndarray
        The array with a batch axis.
    had_batch : bool
        Whether the input already had one (so the caller can drop it again).

    Raises
    ------
    ValueError
        On a wrong number of dimensions or an empty array.
    """
    unbatched = 1 + spatial_dims
    if x.ndim == unbatched:
        x = x[np.newaxis]
        had_batch = False
    elif x.ndim == unbatched + 1:
        had_batch = True
    else:
        axes = "(C, L) or (N, C, L)" if spatial_dims == 1 else "(C, H, W) or (N, C, H, W)"
        raise ValueError(f"{name} must have shape {axes}, got {x.ndim} dimensions {x.shape}")
    if x.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {x.shape}")
    return x, had_batch
