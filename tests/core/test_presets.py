"""The preset kernel library: read-only float32 constants with descriptions."""

import dataclasses

import numpy as np
import pytest

from workbench.core import PRESETS, Preset, conv2d, get_preset
from workbench.core import presets as p
from workbench.core.presets import DEFAULT_BANK


@pytest.mark.parametrize("key", PRESETS)
def test_every_preset_is_a_read_only_2d_float32_kernel_with_a_description(key):
    preset = PRESETS[key]
    assert isinstance(preset, Preset)
    assert preset.key == key
    assert isinstance(preset.title, str) and preset.title.strip()
    assert isinstance(preset.description, str) and len(preset.description.strip()) > 10
    kernel = preset.kernel
    assert isinstance(kernel, np.ndarray)
    assert kernel.ndim == 2 and kernel.size > 0
    assert kernel.dtype == np.float32
    assert np.isfinite(kernel).all()
    assert not kernel.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        kernel[0, 0] = 1
    assert get_preset(key) is preset


def test_presets_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        PRESETS["identity"].kernel = p.SOBEL_X  # type: ignore[misc]


def test_unknown_preset_lists_the_keys():
    with pytest.raises(ValueError, match="unknown preset 'sobel'; choose one of identity, "):
        get_preset("sobel")


def test_default_bank_keys_exist():
    assert set(DEFAULT_BANK) <= set(PRESETS)


def test_named_constants_have_their_textbook_values():
    np.testing.assert_array_equal(p.SOBEL_X, [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    np.testing.assert_array_equal(p.VERTICAL_LINE, [[0, 1, 0]] * 3)
    np.testing.assert_array_equal(p.IDENTITY, [[0, 0, 0], [0, 1, 0], [0, 0, 0]])
    np.testing.assert_array_equal(p.LAPLACIAN, [[0, 1, 0], [1, -4, 1], [0, 1, 0]])
    np.testing.assert_allclose(p.GAUSSIAN_5, np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1]) / 256)
    np.testing.assert_allclose(p.GAUSSIAN_3, np.outer([1, 2, 1], [1, 2, 1]) / 16)
    for x_kernel, y_kernel in ((p.SOBEL_X, p.SOBEL_Y), (p.PREWITT_X, p.PREWITT_Y),
                               (p.SCHARR_X, p.SCHARR_Y), (p.VERTICAL_LINE, p.HORIZONTAL_LINE)):
        np.testing.assert_array_equal(y_kernel, x_kernel.T)
    np.testing.assert_array_equal(p.DIAGONAL_UP, np.fliplr(p.DIAGONAL_DOWN))
    assert p.GABOR.shape == (7, 7)


@pytest.mark.parametrize(("key", "total"), [
    ("identity", 1), ("box_blur_3", 1), ("box_blur_5", 1), ("gaussian_3", 1), ("gaussian_5", 1),
    ("sharpen", 1), ("emboss", 1), ("laplacian", 0), ("outline", 0), ("sobel_x", 0),
    ("sobel_y", 0), ("prewitt_x", 0), ("prewitt_y", 0), ("scharr_x", 0), ("scharr_y", 0),
    ("gabor", 0), ("vertical_line", 3), ("horizontal_line", 3), ("diagonal_down", 3),
    ("diagonal_up", 3),
])
def test_kernel_sums(key, total):
    # Blurs keep brightness (sum 1), edge detectors ignore flat areas (sum 0).
    assert float(PRESETS[key].kernel.astype(np.float64).sum()) == pytest.approx(total, abs=1e-6)


def test_identity_copies_and_sobel_finds_a_vertical_edge():
    image = np.zeros((1, 6, 6), np.float32)
    image[0, :, 3:] = 1
    np.testing.assert_array_equal(conv2d(image, p.IDENTITY[None, None], padding=1)[0], image[0])
    edges = conv2d(image, p.SOBEL_X[None, None])[0]
    np.testing.assert_array_equal(edges, [[0, 4, 4, 0]] * 4)
    np.testing.assert_array_equal(conv2d(image, p.SOBEL_Y[None, None])[0], np.zeros((4, 4)))
