"""image_to_chw: decoded images (uint8, uint16, float; gray, RGB, RGBA) to (C, H, W)."""

import cv2
import numpy as np
import pytest
import reference as ref

from workbench.core import image_to_chw
from workbench.core.image import LUMA_BT601


def _pixel(rgb, dtype=np.uint8) -> np.ndarray:
    return np.array(rgb, dtype=dtype).reshape(1, 1, -1)


def test_uint8_gray_is_scaled_to_unit_range():
    img = np.array([[0, 51, 255]], np.uint8)
    out = image_to_chw(img, "gray")
    ref.assert_float32_c(out, (1, 1, 3))
    np.testing.assert_allclose(out, [[[0, 0.2, 1]]], rtol=1e-6)
    assert out[0, 0, 2] == 1.0


def test_gray_input_in_rgb_mode_is_repeated():
    img = np.arange(12, dtype=np.uint8).reshape(3, 4)
    out = image_to_chw(img, "rgb")
    ref.assert_float32_c(out, (3, 3, 4))
    for channel in out:
        np.testing.assert_array_equal(channel, out[0])
    np.testing.assert_array_equal(image_to_chw(img[:, :, None], "rgb"), out)


def test_uint16_and_float_scales():
    assert image_to_chw(np.array([[65535]], np.uint16), "gray")[0, 0, 0] == 1.0
    floats = np.array([[0.25, -3.0, 7.5]])
    np.testing.assert_array_equal(image_to_chw(floats, "gray")[0], floats)
    np.testing.assert_array_equal(image_to_chw(np.array([[200]], np.uint8), "gray",
                                               scale=1)[0], [[200]])
    np.testing.assert_array_equal(image_to_chw(np.array([[2.0]]), "gray", scale=0.5)[0], [[1]])


@pytest.mark.parametrize(("rgb", "weight"), [((255, 0, 0), LUMA_BT601[0]),
                                             ((0, 255, 0), LUMA_BT601[1]),
                                             ((0, 0, 255), LUMA_BT601[2])])
def test_bt601_luma_of_the_primaries(rgb, weight):
    assert LUMA_BT601 == (0.299, 0.587, 0.114)
    np.testing.assert_allclose(image_to_chw(_pixel(rgb), "gray")[0, 0, 0], weight, rtol=1e-6)
    bgr = _pixel(rgb[::-1])
    np.testing.assert_allclose(image_to_chw(bgr, "gray", bgr=True)[0, 0, 0], weight, rtol=1e-6)


def test_rgb_channels_come_first_and_bgr_is_reordered():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (5, 7, 3)).astype(np.uint8)
    out = image_to_chw(img, "rgb")
    ref.assert_float32_c(out, (3, 5, 7))
    np.testing.assert_allclose(out, img.transpose(2, 0, 1) / 255, rtol=1e-6)
    np.testing.assert_array_equal(image_to_chw(img[:, :, ::-1], "rgb", bgr=True), out)
    np.testing.assert_array_equal(image_to_chw(img[:, :, ::-1], "gray", bgr=True),
                                  image_to_chw(img, "gray"))


def test_rgba_alpha_is_dropped():
    rng = np.random.default_rng(1)
    rgba = rng.integers(0, 256, (4, 4, 4)).astype(np.uint8)
    for mode in ("rgb", "gray"):
        np.testing.assert_array_equal(image_to_chw(rgba, mode), image_to_chw(rgba[:, :, :3], mode))
    rgba16 = rgba.astype(np.uint16) * 257
    np.testing.assert_allclose(image_to_chw(rgba16, "rgb"), image_to_chw(rgba, "rgb"), rtol=1e-6)


def test_gray_matches_opencv_within_rounding():
    rng = np.random.default_rng(2)
    bgr = rng.integers(0, 256, (16, 16, 3)).astype(np.uint8)
    ours = image_to_chw(bgr, "gray", bgr=True)[0] * 255
    theirs = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY).astype(np.float32)  # rounded to uint8
    assert np.abs(ours - theirs).max() <= 0.5 + 1e-3


@pytest.mark.parametrize("layout", ["F", "strided", "reversed"])
def test_any_memory_layout_gives_c_contiguous_float32(layout):
    img = ref.random_values(3, (6, 5, 3), np.uint8)
    out = image_to_chw(ref.with_layout(img, layout), "rgb")
    ref.assert_float32_c(out, (3, 6, 5))
    np.testing.assert_array_equal(out, image_to_chw(img, "rgb"))


def test_other_integer_and_bool_images_are_unscaled():
    np.testing.assert_array_equal(image_to_chw(np.array([[-3, 4]], np.int16), "gray"),
                                  [[[-3, 4]]])
    np.testing.assert_array_equal(image_to_chw(np.array([[True, False]]), "gray"), [[[1, 0]]])


@pytest.mark.parametrize(("img", "mode", "match"), [
    (np.zeros((2, 2), np.uint8), "hsv", "mode must be 'rgb' or 'gray'"),
    (np.zeros((2, 2), np.complex64), "gray", "img must be a uint8, uint16 or float image"),
    (np.array([["a"]]), "gray", "img must be a uint8, uint16 or float image"),
    (np.zeros((0, 3), np.uint8), "gray", "img must not be empty"),
    (np.zeros((2, 2, 2), np.uint8), "rgb", r"img must have shape \(H, W\), \(H, W, 3\)"),
    (np.zeros((1, 2, 2, 3), np.uint8), "rgb", "img must have shape"),
    (np.zeros(5, np.uint8), "gray", "img must have shape"),
])
def test_invalid_images(img, mode, match):
    with pytest.raises(ValueError, match=match):
        image_to_chw(img, mode)
