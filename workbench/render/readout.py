"""Numbers as the window prints them beside the maps (hover read-out, patch inspector)."""

from __future__ import annotations


def format_value(value: float) -> str:
    """Format a map value for the hover read-out: 4 significant digits.

    Parameters
    ----------
    value : float
        The value.

    Returns
    -------
    str
        E.g. ``"3"``, ``"0.1235"``, ``"-1.5e+04"``.

    Examples
    --------
    >>> format_value(0.123456)
    '0.1235'
    """
    return f"{value:.4g}"
