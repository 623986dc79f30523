"""Writing float32 values as short decimal text that reads back to the same bits."""

from __future__ import annotations

from typing import Any

import numpy as np


def float32_text(value: Any, *, integers: bool = False) -> str:
    """Return short decimal text that parses (via Python ``float``) to ``value`` as float32.

    NumPy's shortest float32 representation round-trips when parsed straight to float32;
    parsing it as a double first (as Python, JSON and most code do) could in rare cases
    round differently, so that is checked and the exact double text is used instead.

    Parameters
    ----------
    value : float or numpy.float32
        A finite number; it is converted to float32 first.
    integers : bool, optional
        Write whole numbers without a decimal point (``-1`` rather than ``-1.0``).

    Returns
    -------
    str
        E.g. ``"0.1"``, ``"-2.0"`` (or ``"-2"``), ``"1e-08"``.

    Raises
    ------
    ValueError
        If the value is NaN or infinite.

    Examples
    --------
    >>> float32_text(0.1), float32_text(np.float32(1) / 3), float32_text(-2.0, integers=True)
    ('0.1', '0.33333334', '-2')
    """
    v = np.float32(value)
    if not np.isfinite(v):
        raise ValueError(f"cannot write the non-finite value {value!r}")
    if integers and float(v).is_integer() and abs(v) < 2**53:
        return str(int(v))
    text = str(v)  # NumPy's shortest round-tripping float32 text
    if np.float32(float(text)) != v:
        text = repr(float(v))
    return text
