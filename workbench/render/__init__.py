"""The picture of a map, shared by the window and every exporter (no Qt).

Levels (:mod:`~workbench.render.levels`), colour tables (:mod:`~workbench.render.colormaps`),
the float-to-RGB mapping (:mod:`~workbench.render.image`), colour bars
(:mod:`~workbench.render.colorbar`) and the labelled montage (:mod:`~workbench.render.montage`).
The window feeds :func:`render_map`'s RGB to its image items and "PNG as displayed" writes
the same array, so the exported picture is the one on screen.
"""

from workbench.render.colorbar import colorbar_image
from workbench.render.colormaps import LOOKUP_TABLES, RED_BLUE_STOPS, lookup_table
from workbench.render.image import (
    MapLook,
    apply_colormap,
    input_look,
    input_view,
    map_look,
    render_input,
    render_map,
    to_indices,
)
from workbench.render.levels import (
    Levels,
    display_data,
    effective_colormap,
    input_levels,
    levels_for,
    shared_levels,
)
from workbench.render.montage import Tile, ascii_title, build_montage
from workbench.render.options import (
    COLOR_MODE_TIPS,
    COLOR_MODES,
    COLORMAPS,
    DEFAULT_DIVERGING,
    DIVERGING_COLORMAPS,
    ViewOptions,
    describe_view,
    scale_mode,
)
from workbench.render.readout import format_value
from workbench.render.shrink import shrink_for_display

__all__ = [
    "COLORMAPS", "COLOR_MODES", "COLOR_MODE_TIPS", "DEFAULT_DIVERGING", "DIVERGING_COLORMAPS",
    "LOOKUP_TABLES", "RED_BLUE_STOPS",
    "Levels", "MapLook", "Tile", "ViewOptions",
    "apply_colormap", "ascii_title", "build_montage", "colorbar_image", "describe_view",
    "display_data", "effective_colormap", "format_value", "input_levels", "input_look",
    "input_view", "levels_for", "lookup_table", "map_look", "render_input", "render_map",
    "scale_mode",
    "shared_levels", "shrink_for_display", "to_indices",
]
