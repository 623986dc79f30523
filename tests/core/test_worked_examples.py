"""Hand-computed examples: exact values, each its own test.

The convolution and pooling examples run on both the core and the loop reference, so the
oracle the property tests rely on is itself pinned to numbers worked out by hand.
"""

import cv2
import numpy as np
import pytest
import reference as ref

from workbench import core
from workbench.core import (
    Filter,
    Layer,
    Pipeline,
    channels_first_to_last,
    channels_last_to_first,
    image_to_chw,
    run_pipeline,
    weights_from_keras,
)
from workbench.core.presets import VERTICAL_LINE
from workbench.resources import sample_path

both = pytest.mark.parametrize("impl", [core, ref], ids=["core", "reference"])

SIGNAL = [[1, 2, 3, 4, 5, 6]]  # one channel


def _twos(k: int) -> np.ndarray:
    return np.full((1, 1, k), 2.0)


def _assert_exact(out: np.ndarray, expected: list) -> None:
    expected = np.asarray(expected, dtype=np.float64)
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out, expected)
    if out.dtype != np.float64:  # the core; the reference returns float64
        ref.assert_float32_c(out, expected.shape)


# ---------------------------------------------------------------- 1-D, all weights 2


@both
def test_kernel_1(impl):
    _assert_exact(impl.conv1d(SIGNAL, _twos(1)), [[2, 4, 6, 8, 10, 12]])


@both
def test_kernel_2(impl):
    _assert_exact(impl.conv1d(SIGNAL, _twos(2)), [[6, 10, 14, 18, 22]])


@both
def test_kernel_3(impl):
    _assert_exact(impl.conv1d(SIGNAL, _twos(3)), [[12, 18, 24, 30]])


@both
def test_kernel_3_padding_1(impl):
    _assert_exact(impl.conv1d(SIGNAL, _twos(3), padding=1), [[6, 12, 18, 24, 30, 22]])


@both
def test_kernel_5_padding_2(impl):
    _assert_exact(impl.conv1d(SIGNAL, _twos(5), padding=2), [[12, 20, 30, 40, 36, 30]])


@both
def test_kernel_3_stride_3(impl):
    _assert_exact(impl.conv1d(SIGNAL, _twos(3), stride=3), [[12, 30]])


@both
def test_kernel_3_dilation_2(impl):
    _assert_exact(impl.conv1d(SIGNAL, _twos(3), dilation=2), [[18, 24]])


# ---------------------------------------------------------------- groups

TWO_CHANNELS = [[1, 2, 3, 4, 5, 6], [10, 20, 30, 40, 50, 60]]


@both
def test_groups_2_one_filter_per_channel(impl):
    weight = np.array([2.0, 4.0]).reshape(2, 1, 1)
    _assert_exact(impl.conv1d(TWO_CHANNELS, weight, groups=2),
                  [[2, 4, 6, 8, 10, 12], [40, 80, 120, 160, 200, 240]])


@both
def test_depthwise_two_filters_per_channel(impl):
    weight = np.array([2.0, 4.0, 6.0, 8.0]).reshape(4, 1, 1)
    _assert_exact(impl.conv1d(TWO_CHANNELS, weight, groups=2),
                  [[2, 4, 6, 8, 10, 12], [4, 8, 12, 16, 20, 24],
                   [60, 120, 180, 240, 300, 360], [80, 160, 240, 320, 400, 480]])


@both
def test_1x1_convolution_mixes_channels(impl):
    # R, G, B planes of a 2x2 image; filter 0 sums them, filter 1 is R - B + 0.5.
    image = np.array([[[1, 2], [3, 4]], [[10, 20], [30, 40]], [[100, 200], [300, 400]]])
    weight = np.array([[1, 1, 1], [1, 0, -1]], dtype=np.float64).reshape(2, 3, 1, 1)
    _assert_exact(impl.conv2d(image, weight, [0.0, 0.5]),
                  [[[111, 222], [333, 444]], [[-98.5, -197.5], [-296.5, -395.5]]])


# ---------------------------------------------------------------- Keras layouts


def test_keras_conv1d():
    signal_keras = np.array([0, 0, 0, 1, 1, 0, 0, 0], dtype=np.float32).reshape(8, 1)
    kernel_keras = np.array([0, 1, 0], dtype=np.float32).reshape(3, 1, 1)  # (k, C, F)
    weight = weights_from_keras(kernel_keras)
    assert weight.shape == (1, 1, 3)
    _assert_exact(core.conv1d(signal_keras.T, weight, [0.0]), [[0, 0, 1, 1, 0, 0]])


def _line_image_keras() -> np.ndarray:
    image = np.zeros((1, 8, 8, 1), dtype=np.float32)  # (N, H, W, C)
    image[0, :, 3:5, 0] = 1
    return image


EXPECTED_LINE_MAP = [[0, 0, 3, 3, 0, 0]] * 6


def test_keras_conv2d():
    kernel_keras = VERTICAL_LINE.reshape(3, 3, 1, 1)  # (kH, kW, C, F)
    x = channels_last_to_first(_line_image_keras())
    assert x.shape == (1, 1, 8, 8)
    out = core.conv2d(x, weights_from_keras(kernel_keras), [0.0])
    _assert_exact(out, [[EXPECTED_LINE_MAP]])
    # And back to what Keras itself prints, (N, H, W, F).
    np.testing.assert_array_equal(channels_first_to_last(out)[0, :, :, 0], EXPECTED_LINE_MAP)


def _vertical_line_pipeline() -> Pipeline:
    return Pipeline("gray", (Layer((Filter("vertical line", VERTICAL_LINE),)),))


def test_keras_conv2d_through_run_pipeline():
    x = channels_last_to_first(_line_image_keras())[0]
    result = run_pipeline(x, _vertical_line_pipeline())
    _assert_exact(result.layers[0].conv[0], EXPECTED_LINE_MAP)
    _assert_exact(result.layers[0].pooled[0], EXPECTED_LINE_MAP)  # no activation, no pool


def test_vertical_line_sample_image():
    image = cv2.imread(str(sample_path("vertical_line_8x8")), cv2.IMREAD_UNCHANGED)
    assert image.shape == (8, 8)
    assert image.dtype == np.uint8
    x = image_to_chw(image, "gray")
    _assert_exact(x, channels_last_to_first(_line_image_keras())[0])
    result = run_pipeline(x, _vertical_line_pipeline())
    _assert_exact(result.layers[0].conv[0], EXPECTED_LINE_MAP)


# ---------------------------------------------------------------- pooling

MATRIX = [[[1, 3, 2, 4],
           [5, 6, 1, 2],
           [7, 2, 9, 0],
           [1, 8, 3, 5]]]


@both
def test_max_pool_2x2(impl):
    _assert_exact(impl.max_pool2d(MATRIX, 2), [[[6, 4], [8, 9]]])


@both
def test_min_pool_2x2(impl):
    _assert_exact(impl.min_pool2d(MATRIX, 2), [[[1, 1], [1, 0]]])


@both
def test_avg_pool_2x2(impl):
    _assert_exact(impl.avg_pool2d(MATRIX, 2), [[[3.75, 2.25], [4.5, 4.25]]])


@both
def test_max_pool_3x3_stride_1(impl):
    # The 9 at (2, 2) lies in all four windows; the minima differ.
    _assert_exact(impl.max_pool2d(MATRIX, 3, stride=1), [[[9, 9], [9, 9]]])
    _assert_exact(impl.min_pool2d(MATRIX, 3, stride=1), [[[1, 0], [1, 0]]])


@both
def test_max_pool_2x2_padding_1(impl):
    _assert_exact(impl.max_pool2d(MATRIX, 2, padding=1), [[[1, 3, 4], [7, 9, 2], [1, 8, 5]]])


@both
def test_avg_pool_padding_counts_the_zeros(impl):
    _assert_exact(impl.avg_pool2d(MATRIX, 2, padding=1),
                  [[[0.25, 1.25, 1], [3, 4.5, 0.5], [0.25, 2.75, 1.25]]])


@both
def test_avg_pool_padding_without_the_zeros(impl):
    _assert_exact(impl.avg_pool2d(MATRIX, 2, padding=1, count_include_pad=False),
                  [[[1, 2.5, 4], [6, 4.5, 1], [1, 5.5, 5]]])


@both
def test_max_pool_dilation_2(impl):
    # Taps at rows/columns {0, 2} or {1, 3}: max(1, 2, 7, 9), max(3, 4, 2, 0), ...
    _assert_exact(impl.max_pool2d(MATRIX, 2, stride=1, dilation=2), [[[9, 4], [5, 8]]])


@both
def test_avg_pool_ceil_mode_last_window_clipped(impl):
    # Windows start at -1, 1, 3, 5; the last covers x[5], one padding zero and one
    # position past the padding, which never counts: 6 / 2.
    _assert_exact(impl.avg_pool1d(SIGNAL, 3, stride=2, padding=1, ceil_mode=True), [[1, 3, 5, 3]])
    _assert_exact(impl.avg_pool1d(SIGNAL, 3, stride=2, padding=1, ceil_mode=True,
                                  count_include_pad=False), [[1.5, 3, 5, 6]])


@both
def test_max_pool_ceil_mode_drops_a_window_starting_in_the_padding(impl):
    # Length 5, window 2, stride 2, padding 1: ceil((5 + 2 - 2) / 2) + 1 = 4 windows, but
    # the 4th would start at 5, in the right padding, so PyTorch keeps 3.
    _assert_exact(impl.max_pool1d([[1, 2, 3, 4, 5]], 2, stride=2, padding=1, ceil_mode=True),
                  [[1, 3, 5]])
    _assert_exact(impl.max_pool1d([[1, 2, 3, 4, 5]], 2, stride=2, padding=1), [[1, 3, 5]])
    _assert_exact(impl.max_pool1d([[1, 2, 3, 4, 5, 6]], 4, stride=3, ceil_mode=True),
                  [[4, 6]])


@both
def test_global_pools(impl):
    _assert_exact(impl.global_max_pool2d(MATRIX), [[[9]]])
    _assert_exact(impl.global_avg_pool2d(MATRIX), [[[3.6875]]])  # 59 / 16
