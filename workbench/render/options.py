"""How the user asked maps to be coloured: colormap, scaling mode and shared levels."""

from __future__ import annotations

from dataclasses import dataclass

# Mode key -> menu title; the order is the menu order.
COLOR_MODES: dict[str, str] = {
    "minmax": "Min-max",
    "symmetric": "Symmetric around 0",
    "clamp01": "Clamp to [0, 1]",
    "abs": "Absolute value",
}
COLOR_MODE_TIPS: dict[str, str] = {
    "minmax": "Stretch each map from its smallest to its largest value; a diverging colormap "
              "is centred on 0 (-m..m) instead, so its middle colour always means zero.",
    "symmetric": "Centre the scale on zero (-m..m) so the sign is visible; signed maps use a "
                 "diverging colormap.",
    "clamp01": "Show values in [0, 1]; everything below is black and above is white.",
    "abs": "Show the magnitude |value|, from 0 to the largest magnitude.",
}

# Colormap key -> menu title; the tables are in workbench.render.colormaps.
COLORMAPS: dict[str, str] = {
    "gray": "Gray",
    "viridis": "Viridis",
    "inferno": "Inferno",
    "CET-D1": "Diverging (CET-D1)",
    "red_blue": "Red-blue",
}
DIVERGING_COLORMAPS: frozenset[str] = frozenset({"CET-D1", "red_blue"})
DEFAULT_DIVERGING = "CET-D1"


@dataclass(frozen=True)
class ViewOptions:
    """How maps are coloured: colormap key, colour mode and whether levels are shared.

    Parameters
    ----------
    colormap : str, optional
        A key of :data:`COLORMAPS`.
    mode : str, optional
        A key of :data:`COLOR_MODES`.
    shared : bool, optional
        One colour scale for every map of the shown layer instead of one per map.

    Raises
    ------
    ValueError
        If ``colormap`` or ``mode`` is unknown.
    """

    colormap: str = "gray"
    mode: str = "minmax"
    shared: bool = False

    def __post_init__(self) -> None:
        if self.colormap not in COLORMAPS:
            raise ValueError(f"colormap must be one of {tuple(COLORMAPS)}, got {self.colormap!r}")
        if self.mode not in COLOR_MODES:
            raise ValueError(f"colour mode must be one of {tuple(COLOR_MODES)}, "
                             f"got {self.mode!r}")


def scale_mode(options: ViewOptions) -> str:
    """Return the scaling actually used: min-max with a diverging colormap is centred on 0.

    A diverging colormap's middle colour reads as zero; stretched from min to max it would
    sit at mid-range instead. So ``"minmax"`` becomes ``"symmetric"`` (levels ``±max|v|``)
    for a diverging colormap; every other choice is kept (clamp and abs say otherwise).

    Parameters
    ----------
    options : ViewOptions
        The colour options.

    Returns
    -------
    str
        A key of :data:`COLOR_MODES`.

    Examples
    --------
    >>> scale_mode(ViewOptions("red_blue", "minmax"))
    'symmetric'
    >>> scale_mode(ViewOptions("viridis", "minmax"))
    'minmax'
    """
    if options.mode == "minmax" and options.colormap in DIVERGING_COLORMAPS:
        return "symmetric"
    return options.mode


def describe_view(options: ViewOptions, levels: tuple[float, float] | None = None) -> str:
    """Say briefly how maps are coloured, e.g. for the export dialog.

    Parameters
    ----------
    options : ViewOptions
        The colour options.
    levels : tuple of float, optional
        The shared levels in use, if any.

    Returns
    -------
    str
        E.g. ``"viridis · min-max · scale per map"``.

    Examples
    --------
    >>> describe_view(ViewOptions("viridis", "symmetric", True), (-2.0, 2.0))
    'viridis · symmetric around 0 (signed maps diverging) · shared scale -2 … 2'
    """
    modes = {"minmax": "min-max" + (" (diverging: centred on 0)"
                                    if options.colormap in DIVERGING_COLORMAPS else ""),
             "symmetric": "symmetric around 0"
                          + ("" if options.colormap in DIVERGING_COLORMAPS
                             else " (signed maps diverging)"),
             "clamp01": "clamped to 0..1", "abs": "absolute value"}
    if levels is None:
        scale = "scale per map"
    else:
        low, high = levels
        scale = f"shared scale {low:.4g} … {high:.4g}"
    return f"{options.colormap} · {modes[options.mode]} · {scale}"
