"""Maps shrunk for display keep thin features; images are averaged."""

import numpy as np
import pytest

from workbench.render import shrink_for_display


def test_a_one_pixel_edge_survives_any_shrink_factor():
    edge = np.zeros((510, 510), np.float32)
    edge[:, 301] = 2.5  # the house wall's edge in a Sobel x map
    for step in (2, 3, 4, 5, 7):
        shrunk = shrink_for_display(edge, step)
        assert shrunk.shape == (-(-510 // step), -(-510 // step))
        np.testing.assert_array_equal(shrunk[:, 301 // step], 2.5)
        assert np.count_nonzero(shrunk) == shrunk.shape[0]
        # Every-k-th-pixel decimation (what was drawn before) loses it for most k.
        assert (edge[::step, ::step].max() == 0) == (301 % step != 0)


def test_each_block_keeps_its_value_of_largest_magnitude_with_its_sign():
    values = np.array([[1, -4, 0], [2, 3, 9], [0, 0, -1]], np.float32)
    np.testing.assert_array_equal(shrink_for_display(values, 2), [[-4, 9], [0, -1]])
    with_nan = values.copy()
    with_nan[0, 0] = np.nan
    assert np.isnan(shrink_for_display(with_nan, 2)[0, 0])
    assert shrink_for_display(values, 1) is values


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_images_are_averaged_over_the_pixels_inside(dtype):
    image = np.zeros((3, 3, 3), dtype)
    image[0, 0] = 200
    image[2, 2] = 90
    shrunk = shrink_for_display(image, 2)
    assert shrunk.dtype == dtype and shrunk.shape == (2, 2, 3)
    np.testing.assert_allclose(shrunk[:, :, 0], [[50, 0], [0, 90]])
    gray = image[:, :, 0].astype(np.float32)
    np.testing.assert_allclose(shrink_for_display(gray, 2, area=True), [[50, 0], [0, 90]])


@pytest.mark.parametrize(("shape", "step"), [((37, 29), 4), ((16, 16), 2), ((9, 50), 7)])
def test_maps_match_a_block_by_block_oracle(shape, step):
    values = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    values[0, :2] = (2.0, -2.0)  # a tie in magnitude: the maximum is drawn
    expected = np.empty((-(-shape[0] // step), -(-shape[1] // step)), np.float32)
    for r in range(expected.shape[0]):
        for c in range(expected.shape[1]):
            block = values[r * step:(r + 1) * step, c * step:(c + 1) * step].ravel()
            strongest = np.abs(block).max()
            expected[r, c] = block[np.abs(block) == strongest].max()
    np.testing.assert_array_equal(shrink_for_display(values, step), expected)
