"""The window's colour options as a :class:`workbench.io.DisplayStyle`, for "PNG as displayed".

The window and the exporters share the scaling modes (``minmax``, ``symmetric``, ``clamp01``,
``abs``); the colormaps differ in name: the window's two diverging maps (``CET-D1``,
``red_blue``) are exported with the exporters' ``diverging`` table (blue - white - red,
zero at the middle colour). As in the window, signed maps shown symmetric around zero with
a sequential colormap are exported with the diverging one, and shared levels become the
style's fixed levels, computed over the same maps the window shares them across.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from workbench.gui.color_scaling import DIVERGING_COLORMAPS, ViewOptions, levels_for
from workbench.io.display import DisplayStyle

EXPORT_COLORMAPS: dict[str, str] = {"gray": "gray", "viridis": "viridis", "inferno": "inferno",
                                    **{key: "diverging" for key in DIVERGING_COLORMAPS}}
"""Window colormap key -> exporter colormap name."""


def display_style(options: ViewOptions, shown_maps: Sequence[np.ndarray]) -> DisplayStyle:
    """Return the style that renders maps as the window draws them with ``options``.

    Parameters
    ----------
    options : ViewOptions
        The window's colormap, scaling mode and shared-levels choice.
    shown_maps : sequence of numpy.ndarray
        The maps the window shows (its feature and pooled maps): they decide whether the
        maps are signed and, with shared levels, the common range.

    Returns
    -------
    DisplayStyle
        Mode, colormap and, for shared levels, fixed ``(low, high)``.

    Examples
    --------
    >>> signed = [np.array([[-1.0, 2.0]], np.float32)]
    >>> display_style(ViewOptions("viridis", "symmetric", True), signed)
    DisplayStyle(mode='symmetric', colormap='diverging', levels=(-2.0, 2.0))
    """
    colormap = EXPORT_COLORMAPS[options.colormap]
    signed = any(bool((np.asarray(m) < 0).any()) for m in shown_maps)
    if options.mode == "symmetric" and signed and colormap != "diverging":
        colormap = "diverging"
    levels = levels_for(shown_maps, options.mode) if options.shared and shown_maps else None
    return DisplayStyle(options.mode, colormap, levels)


def describe_style(style: DisplayStyle) -> str:
    """Say briefly how a style colours maps, for the export dialog.

    Parameters
    ----------
    style : DisplayStyle
        The style.

    Returns
    -------
    str
        E.g. ``"viridis · min-max · scale per map"``.

    Examples
    --------
    >>> describe_style(DisplayStyle("symmetric", "diverging", (-2.0, 2.0)))
    'diverging · symmetric around 0 · shared scale -2 … 2'
    """
    modes = {"minmax": "min-max", "symmetric": "symmetric around 0", "clamp01": "clamped to 0..1",
             "abs": "absolute value"}
    if style.levels is None:
        scale = "scale per map"
    else:
        low, high = style.levels
        scale = f"shared scale {low:.4g} … {high:.4g}"
    return f"{style.colormap} · {modes[style.mode]} · {scale}"
