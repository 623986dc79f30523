from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from workbench.io.colormaps import COLORMAPS, apply_colormap, colormap
from workbench.io.display import (
    DisplayStyle,
    display_levels,
    render,
    render_input,
    to_indices,
    to_unit,
)


def test_tables_are_read_only_256x3_uint8() -> None:
    assert list(COLORMAPS) == ["gray", "viridis", "inferno", "diverging"]
    for table in COLORMAPS.values():
        assert table.shape == (256, 3) and table.dtype == np.uint8
        assert not table.flags.writeable


def test_known_colours() -> None:
    assert colormap("gray")[200].tolist() == [200, 200, 200]
    assert colormap("viridis")[0].tolist() == [68, 1, 84]
    assert colormap("viridis")[255].tolist() == [253, 231, 37]
    assert colormap("inferno")[0].tolist() == [0, 0, 4]
    assert colormap("inferno")[255].tolist() == [252, 255, 164]
    div = colormap("diverging")
    assert div[0].tolist() == [33, 102, 172]
    assert div[127].tolist() == div[128].tolist() == [247, 247, 247]
    assert div[255].tolist() == [178, 24, 43]
    # blue side is bluer than red, red side redder than blue
    assert (div[:127, 2] > div[:127, 0]).all() and (div[129:, 0] > div[129:, 2]).all()


def _pyqtgraph_csv(name: str) -> Path | None:
    spec = importlib.util.find_spec("pyqtgraph")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0], "colors", "maps", f"{name}.csv")
    return path if path.is_file() else None


@pytest.mark.parametrize("name", ["viridis", "inferno"])
def test_tables_equal_pyqtgraphs_bytes(name: str) -> None:
    path = _pyqtgraph_csv(name)
    if path is None:
        pytest.skip("pyqtgraph's colormap files are not installed")
    rows = [line.split(",") for line in path.read_text().splitlines()
            if line.strip() and not line.startswith(";")]
    expected = np.array([[int(255 * float(c) + 0.5) for c in row[:3]] for row in rows])
    np.testing.assert_array_equal(colormap(name), expected)


def test_unknown_colormap_and_bad_indices() -> None:
    with pytest.raises(ValueError, match="gray, viridis, inferno, diverging"):
        colormap("jet")
    with pytest.raises(ValueError, match="uint8"):
        apply_colormap(np.zeros((2, 2), np.int64), "gray")


def test_style_validation() -> None:
    with pytest.raises(ValueError, match="display mode"):
        DisplayStyle("log")
    with pytest.raises(ValueError, match="colormap"):
        DisplayStyle(colormap="jet")
    with pytest.raises(ValueError, match="low < high"):
        DisplayStyle(levels=(1.0, 1.0))
    assert DisplayStyle(levels=(0, 2)).levels == (0.0, 2.0)


VALUES = np.array([[-4.0, -1.0, 0.0], [1.0, 2.0, 4.0]], np.float32)


@pytest.mark.parametrize(("style", "levels", "indices"), [
    (DisplayStyle("minmax"), (-4.0, 4.0), [[0, 96, 128], [159, 191, 255]]),
    (DisplayStyle("symmetric"), (-4.0, 4.0), [[0, 96, 128], [159, 191, 255]]),
    (DisplayStyle("clamp01"), (0.0, 1.0), [[0, 0, 0], [255, 255, 255]]),
    (DisplayStyle("abs"), (0.0, 4.0), [[255, 64, 0], [64, 128, 255]]),
    (DisplayStyle("minmax", levels=(0.0, 2.0)), (0.0, 2.0), [[0, 0, 0], [128, 255, 255]]),
])
def test_levels_and_indices(style: DisplayStyle, levels, indices) -> None:
    assert display_levels(VALUES, style) == levels
    assert to_indices(VALUES, style).tolist() == indices


def test_symmetric_differs_from_minmax_for_skewed_maps() -> None:
    skewed = np.array([[-1.0, 0.0, 3.0]], np.float32)
    assert display_levels(skewed, DisplayStyle("minmax")) == (-1.0, 3.0)
    assert display_levels(skewed, DisplayStyle("symmetric")) == (-3.0, 3.0)
    assert to_indices(skewed, DisplayStyle("symmetric")).tolist() == [[85, 128, 255]]


def test_constant_nan_and_empty_like_maps() -> None:
    flat = np.full((2, 2), 5.0, np.float32)
    assert to_unit(flat, DisplayStyle("minmax")).tolist() == [[0.0, 0.0], [0.0, 0.0]]
    zeros = np.zeros((2, 2), np.float32)
    assert to_indices(zeros, DisplayStyle("symmetric")).tolist() == [[128, 128], [128, 128]]
    with_nan = np.array([[np.nan, 0.0, 2.0]], np.float32)
    assert display_levels(with_nan, DisplayStyle()) == (0.0, 2.0)
    assert to_indices(with_nan, DisplayStyle()).tolist() == [[0, 0, 255]]
    assert display_levels(np.full((1, 2), np.nan), DisplayStyle()) == (0.0, 0.0)


def test_render_applies_colormap_to_indices() -> None:
    rgb = render(VALUES, DisplayStyle("symmetric", "diverging"))
    assert rgb.shape == (2, 3, 3) and rgb.dtype == np.uint8
    assert rgb[0, 2].tolist() == [247, 247, 247]  # zero is white
    assert rgb[0, 0].tolist() == [33, 102, 172] and rgb[1, 2].tolist() == [178, 24, 43]
    with pytest.raises(ValueError, match="2-D"):
        render(np.zeros((1, 2, 2)), DisplayStyle())


def test_render_input_gray_and_rgb() -> None:
    gray = np.array([[[0.0, 0.5, 1.0, 2.0]]], np.float32)
    assert render_input(gray)[0, :, 0].tolist() == [0, 128, 255, 255]
    rgb = np.stack([np.full((1, 2), v, np.float32) for v in (1.0, 0.5, 0.0)])
    assert render_input(rgb)[0, 0].tolist() == [255, 128, 0]
    with pytest.raises(ValueError, match=r"\(1, H, W\) or \(3, H, W\)"):
        render_input(np.zeros((2, 4, 4)))
