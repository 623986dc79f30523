""""PNG as displayed" is the picture on screen: the window's views and the exporter agree.

Both draw through :func:`workbench.render.render_map`; these tests read what each really
produced (the RGB handed to the view's image item, and the PNG read back from disk) and
compare them pixel for pixel, for every colormap, scaling mode and shared-levels choice.
"""

import itertools

import cv2
import numpy as np
import pytest
from PySide6.QtGui import QImage

from workbench.core import Filter, Layer, Pipeline, Pool
from workbench.gui.actions.window_files import export_snapshot
from workbench.gui.views.value_labels import label_text
from workbench.io import ExportOptions, export_maps
from workbench.render import COLOR_MODES, COLORMAPS, ViewOptions, lookup_table


def signed_pipeline(pool):
    """A signed edge map and a blur with a negative bias, no activation, then ``pool``."""
    sobel = np.array([[[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]], np.float32)
    blur = np.full((1, 3, 3), 1 / 9, np.float32)
    layer = Layer((Filter("Sobel x", sobel, 0.0), Filter("Blur", blur, 0.25)),
                  activation="none", pool=pool)
    return Pipeline("gray", (layer,))


@pytest.fixture
def noise_image(tmp_path):
    """A 40x40 gray image: a gradient with noise (every level band gets pixels)."""
    rng = np.random.default_rng(7)
    ramp = np.linspace(0, 255, 40)[None, :] * np.linspace(0.3, 1, 40)[:, None]
    pixels = np.clip(ramp + rng.normal(0, 25, (40, 40)), 0, 255).astype(np.uint8)
    path = tmp_path / "noise.png"
    cv2.imwrite(str(path), pixels)
    return str(path)


def read_png(path):
    """The PNG's pixels as RGB (a one-channel PNG is gray)."""
    data = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert data is not None and data.dtype == np.uint8
    return np.repeat(data[:, :, None], 3, axis=2) if data.ndim == 2 else data[:, :, ::-1]


def shown_rgb(cell):
    """What the view's image item displays: its fed array and the QImage it made of it."""
    rgb = cell.displayed_rgb()
    assert cell.display_step == 1, "the map is decimated; use a smaller map"
    cell.image.render()  # the QImage pyqtgraph paints; it must not alter our pixels
    qimage = cell.image.qimage.convertToFormat(QImage.Format.Format_RGB888)
    h, w = qimage.height(), qimage.width()
    painted = np.frombuffer(qimage.constBits(), np.uint8).reshape(h, qimage.bytesPerLine())
    np.testing.assert_array_equal(painted[:, :w * 3].reshape(h, w, 3), rgb)
    return rgb


def export_shown(window, folder):
    """Export the shown layer as "PNG as displayed", as File > Export maps does."""
    snap = export_snapshot(window.session)
    options = ExportOptions(folder, ("png",), ("input", "activated", "pooled"),
                            view=snap.view, levels=snap.levels, overwrite=True)
    export_maps(snap.result, snap.pipeline, "x", options)
    return snap


def test_every_colormap_mode_and_shared_choice_exports_the_screen(open_window, settle,
                                                                  noise_image, tmp_path):
    window = open_window(signed_pipeline(Pool("max", (2, 2))), image=noise_image)
    settle(window)
    lr = window.session.result.result.layers[0]
    assert lr.activated[0].min() < 0 < lr.activated[0].max()  # signed and unsigned maps
    assert lr.activated[1].min() > 0
    folder = tmp_path / "maps"
    seen_colormaps = set()
    for colormap, mode, shared in itertools.product(COLORMAPS, COLOR_MODES, (False, True)):
        window.views.set_options(ViewOptions(colormap, mode, shared))
        export_shown(window, folder)
        for i, name in enumerate(["Sobel_x", "Blur"]):
            for stage, key in (("activated", "conv"), ("pooled", "pooled")):
                cell = window.views.cell(key, i)
                expected = shown_rgb(cell)
                got = read_png(folder / f"x_L1_{name}_{stage}.png")
                assert got.shape == expected.shape
                np.testing.assert_array_equal(
                    got, expected, err_msg=f"{name} {stage} with {colormap}, {mode}, "
                                           f"shared={shared}")
                seen_colormaps.add(cell.colormap_key)
        np.testing.assert_array_equal(read_png(folder / "x_L0_gray_input.png"),
                                      shown_rgb(window.views.input_cell))
    assert seen_colormaps == set(COLORMAPS)


def test_shared_levels_in_the_export_are_the_windows(open_window, settle, noise_image):
    window = open_window(signed_pipeline(Pool("max", (2, 2))), image=noise_image)
    settle(window)
    window.views.set_options(ViewOptions("viridis", "minmax", True))
    snap = export_snapshot(window.session)
    assert {cell.levels for cell in window.views.cells.values()} == {snap.levels}


@pytest.mark.parametrize("colormap", ["gray", "viridis"])
@pytest.mark.parametrize("mode", ["minmax", "abs", "symmetric"])
def test_a_positive_global_pool_is_the_same_bright_colour_in_window_and_png(
        open_window, settle, noise_image, tmp_path, colormap, mode):
    window = open_window(signed_pipeline(Pool("global_avg")), image=noise_image)
    settle(window)
    window.views.set_options(ViewOptions(colormap, mode, False))
    pooled = window.session.result.result.layers[0].pooled[1]
    assert pooled.shape == (1, 1) and pooled[0, 0] > 0  # the blur's mean, positive
    export_shown(window, tmp_path)
    on_screen = shown_rgb(window.views.cell("pooled", 1))
    exported = read_png(tmp_path / "x_L1_Blur_pooled.png")
    np.testing.assert_array_equal(exported, on_screen)
    top = lookup_table(colormap)[255]  # a positive constant: the top of the colormap
    assert on_screen[0, 0].tolist() == top.tolist()
    assert on_screen.max() > 0  # not black


@pytest.mark.parametrize("shared", [False, True])
def test_red_blue_min_max_is_centred_on_zero_in_window_bar_and_png(open_window, settle,
                                                                     noise_image, tmp_path,
                                                                     shared):
    window = open_window(signed_pipeline(Pool("none")), image=noise_image)
    settle(window)
    window.views.set_options(ViewOptions("red_blue", "minmax", shared))
    settle(window)
    values = window.session.result.result.layers[0].activated[0]  # Sobel x: both signs
    assert values.min() < 0 < values.max() and abs(values.min()) != abs(values.max())
    cell = window.views.cell("conv", 0)
    if not shared:
        m = float(np.abs(values).max())
        assert cell.levels == pytest.approx((-m, m))
    low, high = cell.levels
    assert low == -high, "white (the middle) is 0, not the middle of min..max"
    cell.update_bar()
    assert tuple(cell.bar.levels()) == pytest.approx((low, high)), "the colour bar shows it"
    export_shown(window, tmp_path)
    exported = read_png(tmp_path / "x_L1_Sobel_x_activated.png")
    np.testing.assert_array_equal(exported, shown_rgb(cell))


@pytest.mark.parametrize(("pool", "shape"), [(Pool("global_avg"), (1, 1)),
                                             (Pool("max", (19, 19)), (2, 2))])
def test_a_tiny_output_is_drawn_as_its_values_not_a_square(open_window, settle, noise_image,
                                                           qtbot, pool, shape):
    window = open_window(signed_pipeline(pool), image=noise_image)
    window.resize(1280, 720)
    settle(window)
    pooled = window.session.result.result.layers[0].pooled[1]
    assert pooled.shape == shape
    cell = window.views.cell("pooled", 1)
    qtbot.waitUntil(lambda: cell.labels.visible, timeout=3000)
    assert cell.shows_values_as_text
    assert cell.labels.texts == [label_text(float(v)) for v in pooled.ravel()]
    assert cell.image.opacity() == 0.0, "no giant coloured square"
    assert cell.bar is not None and not cell.bar.isVisible(), "no colour bar for one value"
    assert all(item.textItem.font().pixelSize() >= 14 for item in cell.labels.items), "large"
    big = window.views.cell("conv", 1)  # the 40x40 map next to it is drawn as colours
    assert not big.shows_values_as_text and big.image.opacity() == 1.0
    assert big.bar.isVisible()
