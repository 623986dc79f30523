import numpy as np
import pytest

from workbench.render import (
    COLORMAPS,
    DIVERGING_COLORMAPS,
    ViewOptions,
    display_data,
    effective_colormap,
    format_value,
    input_levels,
    levels_for,
    lookup_table,
    map_look,
    render_map,
    scale_mode,
    shared_levels,
    to_indices,
)

SIGNED = np.array([[-2.0, 0.5], [1.0, np.nan]], np.float32)


@pytest.mark.parametrize(("mode", "expected"), [
    ("minmax", (-2.0, 1.0)),
    ("symmetric", (-2.0, 2.0)),
    ("clamp01", (0.0, 1.0)),
    ("abs", (0.0, 2.0)),
])
def test_levels_per_mode_ignore_nan(mode, expected):
    assert levels_for([SIGNED], mode) == expected


def test_shared_levels_cover_every_map():
    maps = [np.array([[0.0, 1.0]]), np.array([[-3.0, 0.5]])]
    assert levels_for(maps, "minmax") == (-3.0, 1.0)
    assert levels_for(maps, "symmetric") == (-3.0, 3.0)


@pytest.mark.parametrize(("mode", "expected"), [
    ("minmax", (0.0, 1.0)), ("symmetric", (-1.0, 1.0)), ("abs", (0.0, 1.0))])
def test_constant_and_empty_maps_get_a_usable_range(mode, expected):
    assert levels_for([np.zeros((3, 3))], mode) == expected
    assert levels_for([np.full((2, 2), np.nan)], mode) == (0.0, 1.0)


def test_unknown_mode_is_rejected():
    with pytest.raises(ValueError, match="colour mode must be one of"):
        levels_for([SIGNED], "log")


def test_display_data_is_float32_c_order_and_abs_in_abs_mode():
    data = np.asfortranarray(np.array([[-1.0, 2.0]], np.float64))
    shown = display_data(data, "abs")
    assert shown.dtype == np.float32 and shown.flags.c_contiguous
    np.testing.assert_array_equal(shown, [[1.0, 2.0]])
    np.testing.assert_array_equal(display_data(data, "minmax"), [[-1.0, 2.0]])


def test_signed_maps_in_symmetric_mode_use_a_diverging_colormap():
    assert effective_colormap("viridis", "symmetric", -1.0) == "CET-D1"
    assert effective_colormap("red_blue", "symmetric", -1.0) == "red_blue"
    assert effective_colormap("viridis", "symmetric", 0.0) == "viridis"
    assert effective_colormap("viridis", "minmax", -1.0) == "viridis"


def test_view_options_validate():
    assert set(COLORMAPS) >= {"gray", "viridis", "inferno", "CET-D1", "red_blue"}
    with pytest.raises(ValueError, match="colormap must be one of"):
        ViewOptions(colormap="jet")
    with pytest.raises(ValueError, match="colour mode must be one of"):
        ViewOptions(mode="log")


def test_format_value():
    assert format_value(3.0) == "3"
    assert format_value(0.123456) == "0.1235"
    assert format_value(-15000.0) == "-1.5e+04"


@pytest.mark.parametrize(("value", "expected"), [(4.5, (0.0, 4.5)), (-2.0, (-2.0, 0.0))])
def test_a_constant_map_spans_from_zero_so_it_is_not_drawn_black(value, expected):
    # A 1x1 global-pool map holds one value; min-max would collapse to one end.
    assert levels_for([np.full((1, 1), value)], "minmax") == expected


def test_shared_levels_only_when_asked():
    maps = [np.array([[0.0, 1.0]]), np.array([[-3.0, 0.5]])]
    assert shared_levels(maps, ViewOptions(shared=False)) is None
    assert shared_levels([], ViewOptions(shared=True)) is None
    assert shared_levels(maps, ViewOptions(mode="abs", shared=True)) == (0.0, 3.0)


@pytest.mark.parametrize(("image", "expected"), [
    (np.array([[[0.2, 0.9]]]), (0.0, 1.0)),
    (np.array([[[-3.0, 5.0]]]), (-3.0, 5.0)),
    (np.full((1, 2, 2), 7.0), (7.0, 8.0)),
    (np.array([[[np.nan, 2.0, np.inf]]]), (2.0, 3.0)),  # non-finite values ignored
    (np.full((1, 2, 2), np.nan), (0.0, 1.0)),
])
def test_input_levels(image, expected):
    assert input_levels(image) == expected


@pytest.mark.parametrize("colormap", sorted(DIVERGING_COLORMAPS))
@pytest.mark.parametrize("shared", [False, True])
def test_diverging_colormaps_with_min_max_are_centred_on_zero(colormap, shared):
    values = np.array([[-1.0, 0.0], [3.0, 2.0]], np.float32)  # min-max would centre on 1
    options = ViewOptions(colormap, "minmax", shared)
    assert scale_mode(options) == "symmetric"
    look = map_look(values, options, shared_levels([values], options))
    assert look.levels == (-3.0, 3.0)
    rgb = render_map(values, look)
    middle = lookup_table(look.colormap)[128]
    assert rgb[0, 1].tolist() == middle.tolist(), "zero is the colormap's middle colour"
    assert rgb[1, 0].tolist() == lookup_table(look.colormap)[255].tolist()
    # -1 is a third of the way down from the middle, not the bottom as min-max would make it
    assert to_indices(values, look.levels)[0, 0] == 85


@pytest.mark.parametrize("mode", ["clamp01", "abs", "symmetric"])
def test_other_scalings_are_kept_with_a_diverging_colormap(mode):
    assert scale_mode(ViewOptions("red_blue", mode)) == mode
    assert scale_mode(ViewOptions("viridis", "minmax")) == "minmax"
    assert map_look(np.array([[1.0, 3.0]]), ViewOptions("viridis", "minmax")).levels == (1.0, 3.0)
