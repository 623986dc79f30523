"""File names: making user-given names safe for every file system, and name patterns."""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from typing import Any

DEFAULT_PATTERN = "{source}_{layer}_{filter}_{stage}.{ext}"
"""Pattern for one file per map, e.g. ``photo_L1_Sobel_x_conv.png``."""

DEFAULT_BUNDLE_PATTERN = "{source}_{stage}.{ext}"
"""Pattern for the files holding every map (NPZ, montage), e.g. ``photo_montage.png``."""

MAP_FIELDS: tuple[str, ...] = ("source", "layer", "filter", "index", "stage", "ext")
"""Placeholders of a per-map pattern: ``{index}`` is the 1-based filter number (an int)."""

BUNDLE_FIELDS: tuple[str, ...] = ("source", "stage", "ext")
"""Placeholders of a bundle pattern."""

MAX_COMPONENT_BYTES = 80
_MAX_NAME_BYTES = 255
_FORBIDDEN = r'[<>:"/\\|?*\x00-\x1f\x7f]'
_UNSAFE = re.compile(_FORBIDDEN + r"|\s")
_FORBIDDEN_IN_PATTERN = re.compile(_FORBIDDEN)
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
             *(f"LPT{i}" for i in range(1, 10))}


_SURROGATE = re.compile("[\ud800-\udfff]")
"""Lone surrogates: the bytes of a file name that is not valid UTF-8 (``os.fsdecode``)."""


def sanitize_name(name: str, *, max_bytes: int = MAX_COMPONENT_BYTES) -> str:
    r"""Make ``name`` usable as part of a file name on Windows, macOS and Linux.

    Whitespace and the characters ``<>:"/\|?*`` (and control characters) become ``_``,
    runs of ``_`` collapse, leading/trailing dots, spaces and ``_`` are stripped (hidden
    files; Windows drops trailing dots), Windows device names get a ``_`` appended, and the
    result is cut to ``max_bytes`` UTF-8 bytes. Letters of any script are kept; bytes of a
    name that is not valid UTF-8 (lone surrogates from :func:`os.fsdecode`) become ``_``.

    Parameters
    ----------
    name : str
        Any text, e.g. a filter name.
    max_bytes : int, optional
        Longest result in UTF-8 bytes.

    Returns
    -------
    str
        A non-empty safe name (``"unnamed"`` if nothing is left).

    Examples
    --------
    >>> sanitize_name("Sobel x"), sanitize_name("Diagonal \\"), sanitize_name("../etc")
    ('Sobel_x', 'Diagonal', 'etc')
    >>> sanitize_name("con"), sanitize_name("  ")
    ('con_', 'unnamed')
    >>> import os
    >>> sanitize_name(os.fsdecode(b"bad\xffname"))
    'bad_name'
    """
    safe = re.sub("_+", "_", _UNSAFE.sub("_", _SURROGATE.sub("_", name))).strip("._ ")
    encoded = safe.encode("utf-8")
    if len(encoded) > max_bytes:
        safe = encoded[:max_bytes].decode("utf-8", "ignore").rstrip("._ ")
    if not safe:
        return "unnamed"
    if safe.split(".")[0].upper() in _RESERVED:
        safe += "_"
    return safe


def unique_names(names: Iterable[str]) -> list[str]:
    r"""Sanitise names and make them distinct, ignoring case (as Windows and macOS do).

    Parameters
    ----------
    names : iterable of str
        E.g. the filter names of a layer.

    Returns
    -------
    list of str
        Sanitised names; a repeat gets ``_2``, ``_3``... appended.

    Examples
    --------
    >>> unique_names(["Sobel x", "sobel_x", "Diagonal /", "Diagonal \\"])
    ['Sobel_x', 'sobel_x_2', 'Diagonal', 'Diagonal_2']
    """
    out: list[str] = []
    seen: set[str] = set()
    for name in names:
        base = sanitize_name(name)
        candidate, n = base, 1
        while candidate.casefold() in seen:
            n += 1
            candidate = f"{base}_{n}"
        seen.add(candidate.casefold())
        out.append(candidate)
    return out


def check_pattern(pattern: str, allowed: Iterable[str] = MAP_FIELDS) -> tuple[str, ...]:
    """Validate a file name pattern and return the placeholders it uses.

    Parameters
    ----------
    pattern : str
        ``str.format`` syntax with named placeholders, e.g. ``"{source}_{filter}.{ext}"``;
        format specs such as ``{index:02d}`` are allowed.
    allowed : iterable of str, optional
        The placeholder names that exist.

    Returns
    -------
    tuple of str
        Placeholder names in order of appearance.

    Raises
    ------
    ValueError
        On unknown placeholders (all named in the message), malformed braces, a path
        separator or other character not allowed in file names, or an empty pattern.

    Examples
    --------
    >>> check_pattern("{source}_{filter}.{ext}")
    ('source', 'filter', 'ext')
    >>> check_pattern("{source}_{chanel}_{lyr}.{ext}")
    Traceback (most recent call last):
    ...
    ValueError: unknown placeholders {chanel}, {lyr} in pattern '{source}_{chanel}_{lyr}.{ext}'; \
available: {source}, {layer}, {filter}, {index}, {stage}, {ext}
    """
    allowed = tuple(allowed)
    if not pattern.strip():
        raise ValueError("the file name pattern is empty")
    try:
        parts = list(string.Formatter().parse(pattern))
    except ValueError as exc:
        raise ValueError(f"malformed file name pattern {pattern!r}: {exc}") from None
    fields: list[str] = []
    unknown: list[str] = []
    for literal, field, _spec, conversion in parts:
        if _FORBIDDEN_IN_PATTERN.search(literal):
            raise ValueError(f"file name pattern {pattern!r} contains a character not allowed "
                             "in file names (one of <>:\"/\\|?* or a control character); it "
                             "names files, not folders")
        if field is None:
            continue
        if conversion is not None or field not in allowed:
            shown = "{" + field + (f"!{conversion}" if conversion else "") + "}"
            if shown not in unknown:
                unknown.append(shown)
            continue
        fields.append(field)
    if unknown:
        available = ", ".join("{" + f + "}" for f in allowed)
        noun = "placeholder" if len(unknown) == 1 else "placeholders"
        raise ValueError(f"unknown {noun} {', '.join(unknown)} in pattern {pattern!r}; "
                         f"available: {available}")
    return tuple(fields)


def format_name(pattern: str, values: Mapping[str, Any],
                allowed: Iterable[str] = MAP_FIELDS) -> str:
    """Fill a pattern checked by :func:`check_pattern` and check the result is a file name.

    String values should already be sanitised (see :func:`sanitize_name`).

    Parameters
    ----------
    pattern : str
        The pattern.
    values : mapping
        A value for every allowed placeholder.
    allowed : iterable of str, optional
        The placeholder names that exist.

    Returns
    -------
    str
        The file name.

    Raises
    ------
    ValueError
        If the pattern is invalid, a format spec does not fit its value, or the name is
        empty, ``.``/``..``, or longer than 255 bytes.

    Examples
    --------
    >>> format_name("{source}_{index:02d}.{ext}", {"source": "cat", "index": 3, "ext": "npy",
    ...             "layer": "L1", "filter": "f", "stage": "conv"})
    'cat_03.npy'
    """
    check_pattern(pattern, allowed)
    try:
        name = pattern.format_map(values)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"file name pattern {pattern!r}: {exc}") from None
    name = name.strip()
    if name in ("", ".", "..") or name.startswith("."):
        raise ValueError(f"file name pattern {pattern!r} gives the unusable name {name!r}")
    if len(name.encode("utf-8")) > _MAX_NAME_BYTES:
        raise ValueError(f"file name pattern {pattern!r} gives a name longer than "
                         f"{_MAX_NAME_BYTES} bytes: {name[:60]}...")
    return name
