"""Keras (channels-last) <-> PyTorch (channels-first) layouts."""

import numpy as np
import pytest
import reference as ref
from hypothesis import given
from hypothesis import strategies as st

from workbench.core import (
    channels_first_to_last,
    channels_last_to_first,
    conv2d,
    weights_from_keras,
    weights_to_keras,
)


@given(shape=st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 3),
                       st.integers(1, 3)), seed=st.integers(0, 2**32 - 1),
       layout=st.sampled_from(ref.LAYOUTS))
def test_conv2d_weights_round_trip(shape, seed, layout):
    kernel = ref.with_layout(ref.random_values(seed, shape, np.float32), layout)
    weight = weights_from_keras(kernel)
    kh, kw, c, f = shape
    ref.assert_float32_c(weight, (f, c, kh, kw))
    for index in np.ndindex(*shape):
        a, b, ci, fi = index
        assert weight[fi, ci, a, b] == kernel[index]
    back = weights_to_keras(weight)
    ref.assert_float32_c(back, shape)
    np.testing.assert_array_equal(back, kernel)


def test_conv1d_weights():
    kernel = np.arange(24, dtype=np.float32).reshape(4, 3, 2)  # (k, C, F)
    weight = weights_from_keras(kernel)
    ref.assert_float32_c(weight, (2, 3, 4))
    np.testing.assert_array_equal(weight[1, 2], kernel[:, 2, 1])
    np.testing.assert_array_equal(weights_to_keras(weight), kernel)


def test_images_round_trip():
    batch = ref.random_values(1, (2, 5, 6, 3), np.float32)  # (N, H, W, C)
    first = channels_last_to_first(batch)
    ref.assert_float32_c(first, (2, 3, 5, 6))
    np.testing.assert_array_equal(first[1, 2], batch[1, :, :, 2])
    np.testing.assert_array_equal(channels_first_to_last(first), batch)
    single = channels_last_to_first(batch[0])
    ref.assert_float32_c(single, (3, 5, 6))
    np.testing.assert_array_equal(channels_first_to_last(single), batch[0])


def test_our_conv_equals_a_channels_last_convolution():
    # Keras' Conv2D(padding="valid") written directly in NHWC / HWCF layout.
    x = ref.random_values(2, (2, 7, 6, 3))
    kernel = ref.random_values(3, (3, 2, 3, 4))
    windows = np.lib.stride_tricks.sliding_window_view(x, (3, 2), axis=(1, 2))
    keras_out = np.einsum("nijcab,abcf->nijf", windows, kernel)
    ours = conv2d(channels_last_to_first(x), weights_from_keras(kernel))
    np.testing.assert_allclose(channels_first_to_last(ours), keras_out, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize(("func", "match"), [
    (weights_from_keras, r"kernel must be Keras Conv2D \(kH, kW, C, F\) or Conv1D"),
    (weights_to_keras, r"weight must be \(F, C, kH, kW\) or \(F, C, k\)"),
    (channels_last_to_first, r"x must be \(H, W, C\) or \(N, H, W, C\)"),
    (channels_first_to_last, r"x must be \(C, H, W\) or \(N, C, H, W\)"),
])
def test_wrong_ndim_is_rejected(func, match):
    for shape in ((3, 3), (1, 1, 1, 1, 1)):
        with pytest.raises(ValueError, match=match):
            func(np.zeros(shape))
