"""Writing float32 values as short decimal text that reads back to the same bits."""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.core.kernel_ops import format_value


def float32_text(value: Any, *, integers: bool = False) -> str:
    """Return short decimal text that parses (via Python ``float``) to ``value`` as float32.

    The digits are :func:`workbench.core.kernel_ops.format_value`'s (the fewest that read
    back, through a double as Python and JSON parse, to the same float32); this adds the
    file formats' choices: non-finite values are refused and whole numbers are written
    with ``.0`` unless ``integers``.

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
    text = format_value(float(v))  # the core's one shortest round-tripping float32 writer
    if not integers and text.lstrip("-").isdigit():
        text += ".0"
    return text
