"""sliding_steps against the core convolution, and frequency_response against numpy's FFT."""

import numpy as np
import pytest
import reference as ref
from hypothesis import given
from test_conv import ConvCase, conv_cases

from workbench.core import conv1d, conv2d, frequency_response, plan_slide, sliding_steps


@given(conv_cases(2))
def test_every_step_sums_to_the_convolution_output(case: ConvCase):
    x, w, b = case.arrays(np.float32)
    if x.ndim == 4:
        x = x[0]
    try:
        expected = ref.conv2d(x, w, b, **case.kwargs)
    except ValueError:
        with pytest.raises(ValueError):
            next(sliding_steps(x, w, b, **case.kwargs))
        return
    out = conv2d(x, w, b, **case.kwargs)
    steps = list(sliding_steps(x, w, b, **case.kwargs))
    f_count, h_out, w_out = out.shape
    assert len(steps) == f_count * h_out * w_out
    # raster order, filter by filter
    assert [(s.filter, s.y, s.x) for s in steps] == [
        (f, y, xx) for f in range(f_count) for y in range(h_out) for xx in range(w_out)]
    scale = float(np.abs(x).max() * np.abs(w).sum() + 1.0)
    totals = np.array([s.total for s in steps]).reshape(out.shape)
    np.testing.assert_allclose(totals, expected, rtol=1e-5, atol=1e-5 * scale)
    # random access gives the same steps, and index_of finds them
    plan = plan_slide(x, w, b, **case.kwargs)
    assert len(plan) == len(steps) and plan.out_size == (h_out, w_out)
    for i in {0, len(steps) // 3, len(steps) - 1}:
        got, want = plan.step(i), steps[i]
        assert (got.filter, got.y, got.x) == (want.filter, want.y, want.x)
        assert plan.index_of(got.filter, got.y, got.x) == i
        np.testing.assert_array_equal(got.cols, want.cols)
        np.testing.assert_array_equal(got.products, want.products)
        assert got.total == want.total
    assert plan.step(-1).total == steps[-1].total
    with pytest.raises(IndexError):
        plan.step(len(steps))
    with pytest.raises(IndexError):
        plan.index_of(f_count, 0, 0)
    step = steps[len(steps) // 2]
    np.testing.assert_allclose(step.products, step.values * step.weights, rtol=1e-6)
    assert step.partial_sums[-1] + step.bias == pytest.approx(step.total, rel=1e-5,
                                                              abs=1e-5 * scale)
    # a padded tap's value is the one the padding mode gives
    mode = case.kwargs["padding_mode"]
    for s in steps[:50]:
        for t in np.flatnonzero(s.padded):
            if mode == "zeros":
                assert s.values[t] == 0 and s.source_rows[t] == -1
            else:
                assert s.values[t] == x[s.channels[t], s.source_rows[t], s.source_cols[t]]
                assert 0 <= s.source_rows[t] < x.shape[1] and 0 <= s.source_cols[t] < x.shape[2]


def test_seed_004_dilation_takes_every_other_element():
    steps = list(sliding_steps([[1, 2, 3, 4, 5, 6]], [[[2, 2, 2]]], dilation=2))
    assert [s.cols.tolist() for s in steps] == [[0, 2, 4], [1, 3, 5]]
    assert [s.values.tolist() for s in steps] == [[1, 3, 5], [2, 4, 6]]
    assert [s.total for s in steps] == [18.0, 24.0]
    assert conv1d([[1, 2, 3, 4, 5, 6]], [[[2, 2, 2]]], dilation=2).tolist() == [[18.0, 24.0]]


def test_vertical_line_example_cell_0_2_and_reflect_padding():
    image = np.zeros((1, 8, 8), np.float32)
    image[0, :, 3:5] = 1
    line = np.array([[[[0, 1, 0], [0, 1, 0], [0, 1, 0]]]], np.float32)
    step = [s for s in sliding_steps(image, line) if (s.y, s.x) == (0, 2)][0]
    assert step.total == 3.0
    assert step.rows.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert step.cols.tolist() == [2, 3, 4] * 3
    first = next(sliding_steps(image, line, padding=1, padding_mode="reflect"))
    # the top-left window reads padded cells; reflect copies row 1 / column 1 into them
    assert first.padded.tolist() == [True, True, True, True, False, False, True, False, False]
    assert (first.source_rows[0], first.source_cols[0]) == (1, 1)


def test_groups_read_their_own_channels():
    x = np.arange(2 * 4 * 4, dtype=np.float32).reshape(2, 4, 4)
    w = np.ones((2, 1, 2, 2), np.float32)
    steps = list(sliding_steps(x, w, groups=2))
    assert set(steps[0].channels.tolist()) == {0}
    assert set(steps[-1].channels.tolist()) == {1}


@pytest.mark.parametrize("size", [8, 33, 64])
def test_frequency_response_equals_numpy_fft(size):
    rng = np.random.default_rng(size)
    kernel = rng.standard_normal((3, 5)).astype(np.float32)
    mag, fy, fx = frequency_response(kernel, size)
    padded = np.zeros((size, size))
    padded[:3, :5] = kernel
    expected = np.fft.fftshift(np.abs(np.fft.fft2(padded)))
    np.testing.assert_allclose(mag, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(fx, np.fft.fftshift(np.fft.fftfreq(size)), atol=1e-7)
    assert mag.shape == (size, size) and fy.shape == (size,)


def test_blur_is_low_pass_laplacian_high_pass_and_dilation_folds():
    blur, _, f = frequency_response(np.full((3, 3), 1 / 9), 64)
    lap, _, _ = frequency_response([[0, 1, 0], [1, -4, 1], [0, 1, 0]], 64)
    centre, edge = 32, 0  # zero frequency and -0.5 cycles/pixel
    assert blur[centre, centre] == pytest.approx(1.0) and blur[centre, edge] < 0.5
    assert lap[centre, centre] == pytest.approx(0.0, abs=1e-6) and lap[centre, edge] > 3.9
    folded, _, _ = frequency_response(np.full((3, 3), 1 / 9), 64, dilation=2)
    # dilation 2 makes the response repeat: the highest frequency passes like DC
    assert folded[centre, edge] == pytest.approx(folded[centre, centre], rel=1e-5)
    with pytest.raises(ValueError, match="size"):
        frequency_response(np.ones((9, 9)), 8)


@pytest.mark.parametrize("dilation", [(2, 1), (1, 3), (2, 2), 2])
def test_frequency_response_spreads_the_taps_per_axis(dilation):
    rng = np.random.default_rng(7)
    kernel = rng.standard_normal((3, 4)).astype(np.float32)
    dy, dx = (dilation, dilation) if isinstance(dilation, int) else dilation
    spread = np.zeros((2 * dy + 1, 3 * dx + 1))
    spread[::dy, ::dx] = kernel
    mag, _, _ = frequency_response(kernel, 32, dilation=dilation)
    expected = np.fft.fftshift(np.abs(np.fft.fft2(spread, (32, 32))))
    np.testing.assert_allclose(mag, expected, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="dilation"):
        frequency_response(kernel, 32, dilation=(1, 0))
