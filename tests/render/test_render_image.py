"""The one float-to-RGB mapping, colour tables, colour bars: real values in, pixels out."""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import workbench.render
from workbench.render import (
    COLORMAPS,
    LOOKUP_TABLES,
    MapLook,
    ViewOptions,
    apply_colormap,
    colorbar_image,
    input_look,
    lookup_table,
    map_look,
    render_input,
    render_map,
    to_indices,
)

MODULES = sorted(m.name for m in pkgutil.walk_packages(workbench.render.__path__,
                                                       "workbench.render."))


def test_render_imports_no_qt():
    code = ("import sys, workbench.render; "
            "print(sorted(m for m in ('PySide6', 'pyqtgraph', 'workbench.gui') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"


def test_a_table_for_every_colormap_read_only_256x3_uint8():
    assert list(LOOKUP_TABLES) == list(COLORMAPS)
    for table in LOOKUP_TABLES.values():
        assert table.shape == (256, 3) and table.dtype == np.uint8
        assert not table.flags.writeable


def test_known_colours():
    assert lookup_table("gray")[200].tolist() == [200, 200, 200]
    assert lookup_table("viridis")[0].tolist() == [68, 1, 84]
    assert lookup_table("viridis")[255].tolist() == [253, 231, 37]
    assert lookup_table("inferno")[0].tolist() == [0, 0, 4]
    assert lookup_table("inferno")[255].tolist() == [252, 255, 164]
    assert lookup_table("CET-D1")[0].tolist() == [33, 81, 219]
    assert lookup_table("CET-D1")[255].tolist() == [192, 2, 6]
    red_blue = lookup_table("red_blue")
    assert red_blue[0].tolist() == [5, 48, 97] and red_blue[255].tolist() == [103, 0, 31]
    for key in ("CET-D1", "red_blue"):  # diverging: blue below the middle, red above
        table = lookup_table(key).astype(int)
        assert (table[:100, 2] > table[:100, 0]).all() and (table[156:, 0] > table[156:, 2]).all()
    with pytest.raises(ValueError, match="gray, viridis, inferno, CET-D1, red_blue"):
        lookup_table("jet")


def _pyqtgraph_csv(name: str) -> Path | None:
    spec = importlib.util.find_spec("pyqtgraph")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0], "colors", "maps", f"{name}.csv")
    return path if path.is_file() else None


@pytest.mark.parametrize("name", ["viridis", "inferno"])
def test_tables_equal_pyqtgraphs_bytes(name):
    path = _pyqtgraph_csv(name)
    if path is None:
        pytest.skip("pyqtgraph's colormap files are not installed")
    rows = [line.split(",") for line in path.read_text().splitlines()
            if line.strip() and not line.startswith(";")]
    expected = np.array([[int(255 * float(c) + 0.5) for c in row[:3]] for row in rows])
    np.testing.assert_array_equal(lookup_table(name), expected)


VALUES = np.array([[-4.0, -1.0, 0.0], [1.0, 2.0, 4.0]], np.float32)


@pytest.mark.parametrize(("options", "levels", "indices"), [
    # floor((v - low) * 256 / (high - low)), clipped to 0..255
    (ViewOptions(mode="minmax"), (-4.0, 4.0), [[0, 96, 128], [160, 192, 255]]),
    (ViewOptions(mode="symmetric"), (-4.0, 4.0), [[0, 96, 128], [160, 192, 255]]),
    (ViewOptions(mode="clamp01"), (0.0, 1.0), [[0, 0, 0], [255, 255, 255]]),
    (ViewOptions(mode="abs"), (0.0, 4.0), [[255, 64, 0], [64, 128, 255]]),
])
def test_levels_and_indices_per_mode(options, levels, indices):
    look = map_look(VALUES, options)
    assert look.levels == levels
    assert to_indices(VALUES, look.levels, absolute=look.mode == "abs").tolist() == indices
    expected = lookup_table(look.colormap)[np.array(indices)]  # signed symmetric: CET-D1
    np.testing.assert_array_equal(render_map(VALUES, look), expected)


def test_shared_levels_are_used_as_given():
    look = map_look(VALUES, ViewOptions(), shared=(0.0, 2.0))
    assert look.levels == (0.0, 2.0)
    assert render_map(VALUES, look)[:, :, 0].tolist() == [[0, 0, 0], [128, 255, 255]]


def test_symmetric_puts_zero_at_the_middle_and_picks_a_diverging_map():
    skewed = np.array([[-1.0, 0.0, 3.0]], np.float32)
    look = map_look(skewed, ViewOptions("viridis", "symmetric"))
    assert look == MapLook("symmetric", (-3.0, 3.0), "CET-D1")
    rgb = render_map(skewed, look)
    table = lookup_table("CET-D1")
    assert rgb.tolist() == [[table[85].tolist(), table[128].tolist(), table[255].tolist()]]
    # unsigned maps keep the user's colormap
    assert map_look(np.abs(skewed), ViewOptions("viridis", "symmetric")).colormap == "viridis"


@pytest.mark.parametrize(("value", "mode", "index"), [
    (4.5, "minmax", 255), (4.5, "abs", 255), (4.5, "symmetric", 255),
    (-2.0, "minmax", 0), (-2.0, "symmetric", 0), (-2.0, "abs", 255),
    (0.0, "minmax", 0), (0.0, "symmetric", 128), (0.0, "abs", 0),
    (0.25, "clamp01", 64),
])
def test_constant_maps_follow_one_rule(value, mode, index):
    # A 1x1 global-pool map: positive is the top colour, negative the bottom, zero the
    # bottom (the middle in symmetric mode, the colour of zero).
    constant = np.full((1, 1), value, np.float32)
    look = map_look(constant, ViewOptions("viridis", mode))
    colour = lookup_table(look.colormap)[index].tolist()
    assert render_map(constant, look)[0, 0].tolist() == colour


def test_nan_inf_and_dtypes():
    values = np.array([[np.nan, -np.inf, np.inf, 1.0]], np.float32)
    assert to_indices(values, (0.0, 2.0)).tolist() == [[0, 0, 255, 128]]
    as_float64 = to_indices(VALUES.astype(np.float64), (-4.0, 4.0))
    assert as_float64.dtype == np.uint8
    assert as_float64.tolist() == to_indices(VALUES, (-4.0, 4.0)).tolist()
    strided = np.asfortranarray(np.tile(VALUES, (2, 2)))[::2, ::3]
    np.testing.assert_array_equal(to_indices(strided, (-4.0, 4.0)),
                                  to_indices(np.ascontiguousarray(strided), (-4.0, 4.0)))


@pytest.mark.parametrize("colormap", list(COLORMAPS))
def test_rgba_has_the_same_rgb_bytes(colormap):
    values = np.random.default_rng(0).normal(size=(17, 23)).astype(np.float32)
    look = map_look(values, ViewOptions(colormap, "minmax"))
    rgb = render_map(values, look)
    rgba = render_map(values, look, alpha=True)
    assert rgb.shape == (17, 23, 3) and rgba.shape == (17, 23, 4)
    assert rgb.flags.c_contiguous and rgba.flags.c_contiguous
    np.testing.assert_array_equal(rgba[:, :, :3], rgb)
    assert (rgba[:, :, 3] == 255).all()
    np.testing.assert_array_equal(rgb, apply_colormap(to_indices(values, look.levels), colormap))


def test_look_validation_and_bad_shapes():
    with pytest.raises(ValueError, match="low < high"):
        MapLook("minmax", (1.0, 1.0), "gray")
    with pytest.raises(ValueError, match="colormap"):
        MapLook("minmax", (0.0, 1.0), "jet")
    with pytest.raises(ValueError, match="colour mode"):
        MapLook("log", (0.0, 1.0), "gray")
    with pytest.raises(ValueError, match="2-D"):
        render_map(np.zeros((1, 2, 2)), MapLook("minmax", (0.0, 1.0), "gray"))
    with pytest.raises(ValueError, match="uint8"):
        apply_colormap(np.zeros((2, 2), np.int64), "gray")


def test_render_input_gray_rgb_and_stacked():
    gray = np.array([[[0.0, 0.5, 1.0, 2.0]]], np.float32)  # beyond 0..1: its own range
    assert render_input(gray)[0, :, 0].tolist() == [0, 64, 128, 255]
    unit = np.array([[[0.0, 0.5, 1.0]]], np.float32)
    assert render_input(unit)[0, :, 0].tolist() == [0, 128, 255]
    rgb = np.stack([np.full((1, 2), v, np.float32) for v in (1.0, 0.5, 0.0)])
    assert render_input(rgb)[0, 0].tolist() == [255, 128, 0]
    frame = np.arange(256, dtype=np.uint8).reshape(16, 16)
    assert (render_input((frame / np.float32(255))[None])[:, :, 0] == frame).all()  # 8-bit kept
    raw = np.arange(12, dtype=np.float32).reshape(2, 2, 3)
    assert render_input(raw).shape == (4, 3, 3)  # 2 channels: stacked downwards
    assert input_look(raw).levels == (0.0, 11.0)
    with pytest.raises(ValueError, match=r"\(C, H, W\)"):
        render_input(np.zeros((4, 4)))


@pytest.mark.parametrize("colormap", list(COLORMAPS))
def test_colour_bar_runs_from_the_last_colour_at_the_top(colormap):
    table = lookup_table(colormap)
    bar = colorbar_image(colormap)
    assert bar.shape == (256, 1, 3) and bar.dtype == np.uint8
    np.testing.assert_array_equal(bar[::-1, 0], table)
    short = colorbar_image(colormap, length=4, thickness=3)
    assert short.shape == (4, 3, 3)
    assert short[0, 0].tolist() == table[224].tolist()
    assert short[3, 2].tolist() == table[32].tolist()
    with pytest.raises(ValueError, match="length"):
        colorbar_image(colormap, length=1)
