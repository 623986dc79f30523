import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from workbench.core import PRESETS
from workbench.core.kernel_ops import (
    MAX_KERNEL_SIZE,
    flip,
    format_kernel,
    format_value,
    he_uniform,
    normalise,
    parse_kernel_text,
    resize_kernel,
    rotate90,
    scale,
    transpose,
    zeros_like,
)

SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float32)
A23 = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.float32)
RGB = np.stack([A23, 10 * A23, -A23])  # (3, 2, 3)


def _kernels(max_channels: int = 3, max_side: int = MAX_KERNEL_SIZE):
    elements = st.floats(width=32, allow_nan=False, allow_infinity=False)
    shapes = st.one_of(
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=max_side),
        st.tuples(st.integers(1, max_channels), st.integers(1, max_side),
                  st.integers(1, max_side)),
    )
    return hnp.arrays(np.float32, shapes, elements=elements)


# ---------------------------------------------------------------- edits

def test_normalise_gaussian_sums_to_one():
    out = normalise([[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    assert out.dtype == np.float32 and out.shape == (3, 3)
    np.testing.assert_array_equal(out[1], [0.125, 0.25, 0.125])
    assert out.sum() == pytest.approx(1.0)


def test_normalise_3d_divides_by_the_total_over_channels():
    out = normalise(np.ones((3, 2, 2)))
    np.testing.assert_allclose(out, np.full((3, 2, 2), 1 / 12), rtol=1e-7)


@pytest.mark.parametrize("kernel", [SOBEL_X, np.zeros((2, 2)), PRESETS["gabor"].kernel])
def test_normalise_zero_sum_raises(kernel):
    with pytest.raises(ValueError, match="^cannot normalise: the weights sum to 0$"):
        normalise(kernel)


def test_normalise_negative_sum_flips_signs():
    np.testing.assert_array_equal(normalise([[-1, -3]]), [[0.25, 0.75]])


def test_scale():
    np.testing.assert_array_equal(scale(SOBEL_X, -0.5)[1], [1, 0, -1])
    out = scale(np.zeros((2, 2)), -1)
    assert not np.signbit(out).any(), "no negative zeros"
    with pytest.raises(ValueError, match="factor must be a finite number"):
        scale(SOBEL_X, float("nan"))
    with pytest.raises(ValueError, match="overflows float32"):
        scale([[3e38]], 10)


def test_transpose_2d_and_3d():
    np.testing.assert_array_equal(transpose(SOBEL_X), PRESETS["sobel_y"].kernel)
    out = transpose(RGB)
    assert out.shape == (3, 3, 2)
    np.testing.assert_array_equal(out[1], 10 * A23.T)


@pytest.mark.parametrize(("axis", "expected"), [
    ("horizontal", [[3, 2, 1], [6, 5, 4]]),
    ("vertical", [[4, 5, 6], [1, 2, 3]]),
    ("both", [[6, 5, 4], [3, 2, 1]]),
])
def test_flip(axis, expected):
    np.testing.assert_array_equal(flip(A23, axis), expected)
    np.testing.assert_array_equal(flip(RGB, axis)[2], -np.array(expected))


def test_flip_rejects_unknown_axis():
    with pytest.raises(ValueError, match="axis must be one of"):
        flip(A23, "diagonal")


@pytest.mark.parametrize("times", [-3, -1, 0, 1, 2, 3, 5])
def test_rotate90_matches_numpy_on_the_last_two_axes(times):
    out = rotate90(RGB, times)
    np.testing.assert_array_equal(out, np.rot90(RGB, times, axes=(1, 2)))
    assert out.flags.c_contiguous and out.dtype == np.float32


def test_rotate90_counter_clockwise():
    # The top row [1, 2, 3] becomes the left column read bottom to top.
    np.testing.assert_array_equal(rotate90(A23), [[3, 6], [2, 5], [1, 4]])
    with pytest.raises(ValueError, match="times must be an integer"):
        rotate90(A23, 1.5)


def test_zeros_like():
    out = zeros_like(RGB)
    assert out.shape == (3, 2, 3) and out.dtype == np.float32 and not out.any()


def test_edits_return_new_arrays_and_leave_the_input_alone():
    k = SOBEL_X.copy()
    for out in (scale(k, 1), transpose(k), flip(k, "both"), rotate90(k, 0),
                resize_kernel(k, 3, 3)):
        assert out is not k and not np.shares_memory(out, k)
        assert out.flags.writeable
    np.testing.assert_array_equal(k, SOBEL_X)


def test_edits_reject_bad_kernels():
    with pytest.raises(ValueError, match="kernel must be 2-D"):
        transpose(np.ones(3))
    with pytest.raises(ValueError, match="kernel must be 2-D"):
        flip(np.ones((0, 3)))


# ---------------------------------------------------------------- he_uniform

def test_he_uniform_bounds_seed_and_spread():
    w = he_uniform((64, 15, 15), fan_in=27, rng=1)
    limit = np.sqrt(6 / 27)
    assert w.shape == (64, 15, 15) and w.dtype == np.float32
    assert np.abs(w).max() <= limit
    assert w.std() == pytest.approx(limit / np.sqrt(3), rel=0.03)
    assert abs(w.mean()) < 0.02
    np.testing.assert_array_equal(he_uniform((3, 3), rng=7), he_uniform((3, 3), rng=7))


def test_he_uniform_default_fan_in_is_c_kh_kw():
    w = he_uniform((3, 5, 5), rng=np.random.default_rng(0))
    limit = np.sqrt(6 / 75)
    assert np.abs(w).max() <= limit
    assert np.abs(w).max() > 0.9 * limit


@pytest.mark.parametrize(("shape", "fan_in", "message"), [
    ((3,), None, "shape must be 2 or 3"),
    ((0, 3), None, "shape must be 2 or 3"),
    ((3, 3), 0, "fan_in must be a positive integer"),
])
def test_he_uniform_rejects(shape, fan_in, message):
    with pytest.raises(ValueError, match=message):
        he_uniform(shape, fan_in)


# ---------------------------------------------------------------- resize

def test_resize_3x3_to_5x4_keeps_the_centre():
    k = np.arange(1, 10, dtype=np.float32).reshape(3, 3)
    out = resize_kernel(k, 5, 4)
    assert out.shape == (5, 4)
    assert out[2, 1] == 5  # the centre tap: ((5-1)//2, (4-1)//2)
    np.testing.assert_array_equal(out[1:4, 0:3], k)
    assert out.sum() == k.sum()


def test_resize_shrink_crops_around_the_centre():
    k = np.arange(25, dtype=np.float32).reshape(5, 5)
    np.testing.assert_array_equal(resize_kernel(k, 3, 3), k[1:4, 1:4])
    # 5 -> 2 columns: the centre tap moves from index 2 to index (2 - 1) // 2 = 0
    out = resize_kernel(k, 4, 2)
    np.testing.assert_array_equal(out, k[1:5, 2:4])
    assert out[1, 0] == k[2, 2]


def test_resize_3d_resizes_every_slice():
    out = resize_kernel(RGB, 4, 5)
    assert out.shape == (3, 4, 5)
    # rows 2 -> 4: centre index 0 -> 1; cols 3 -> 5: centre index 1 -> 2
    np.testing.assert_array_equal(out[1, 1:3, 1:4], 10 * A23)
    assert np.count_nonzero(out) == RGB.size


@given(_kernels(max_side=8), st.integers(1, MAX_KERNEL_SIZE), st.integers(1, MAX_KERNEL_SIZE))
@settings(deadline=None)
def test_resize_grow_then_shrink_is_identity(k, extra_rows, extra_cols):
    rows = min(k.shape[-2] + extra_rows, MAX_KERNEL_SIZE)
    cols = min(k.shape[-1] + extra_cols, MAX_KERNEL_SIZE)
    grown = resize_kernel(k, rows, cols)
    assert grown.shape == k.shape[:-2] + (rows, cols)
    assert np.count_nonzero(grown) == np.count_nonzero(k)
    np.testing.assert_array_equal(resize_kernel(grown, *k.shape[-2:]), k)


@pytest.mark.parametrize(("rows", "cols"), [(0, 3), (3, 16), (2.0, 3)])
def test_resize_rejects_sizes(rows, cols):
    with pytest.raises(ValueError, match="must be an integer from 1 to 15"):
        resize_kernel(SOBEL_X, rows, cols)


# ---------------------------------------------------------------- parse

V_LINE = [[0, 1, 0], [0, 1, 0], [0, 1, 0]]


@pytest.mark.parametrize("text", [
    "0 1 0\n0 1 0\n0 1 0",
    "0,1,0\n0,1,0\n0,1,0\n",
    "0\t1\t0\r\n0\t1\t0\r\n0\t1\t0",
    "0 1 0; 0 1 0; 0 1 0;",
    "  0, 1, 0;\n0 ,1 ,0\n 0  1  0  ",
    "[[0. 1. 0.]\n [0. 1. 0.]\n [0. 1. 0.]]",
    "array([[0., 1., 0.],\n       [0., 1., 0.],\n       [0., 1., 0.]], dtype=float32)",
    "np.array([[0, 1, 0], [0, 1, 0], [0, 1, 0]], dtype=np.float32)",
    "[[0, 1, 0], [0, 1, 0], [0, 1, 0]]",
    "tensor([[0., 1., 0.],\n        [0., 1., 0.],\n        [0., 1., 0.]])",
    "[0 1 0; 0 1 0; 0 1 0]",
    "k = [[0, 1, 0], [0, 1, 0], [0, 1, 0]]",
    "[[np.float32(0.0), np.float32(1.0), np.float32(0.0)],"
    " [0, 1, 0], [0, 1.0e0, 0]]",
])
def test_parse_2d_forms(text):
    out = parse_kernel_text(text)
    assert out.dtype == np.float32 and out.shape == (3, 3)
    np.testing.assert_array_equal(out, V_LINE)


def test_parse_numpy_print_of_3d():
    text = str(RGB)
    assert "\n\n" in text  # numpy separates the channels by a blank line
    np.testing.assert_array_equal(parse_kernel_text(text), RGB)
    np.testing.assert_array_equal(parse_kernel_text(repr(RGB)), RGB)


def test_parse_plain_blocks_are_channels():
    out = parse_kernel_text("1 2 3\n4 5 6\n\n10 20 30\n40 50 60\n\n\n-1 -2 -3\n-4 -5 -6\n")
    np.testing.assert_array_equal(out, RGB)


def test_parse_single_channel_3d_block_stays_3d():
    assert parse_kernel_text("[[[1, 2], [3, 4]]]").shape == (1, 2, 2)


def test_parse_row_and_column_vectors():
    np.testing.assert_array_equal(parse_kernel_text("[-1, 0, 1]"), [[-1, 0, 1]])
    np.testing.assert_array_equal(parse_kernel_text("-1; 0; 1"), [[-1], [0], [1]])


def test_parse_exact_values_and_unicode_minus():
    out = parse_kernel_text("-0.0625 \u22120.1 3e-7 1.e-03")
    np.testing.assert_array_equal(out, np.array([[-0.0625, -0.1, 3e-7, 1e-3]], np.float32))


@pytest.mark.parametrize(("text", "message"), [
    ("", "the text is empty"),
    ("   \n\t ", "the text is empty"),
    ("1 2 3\n4 5", "row 2 has 2 values, expected 3"),
    ("[[1, 2, 3], [4, 5]]", "row 2 has 2 values, expected 3"),
    ("1 2\n3", "row 2 has 1 value, expected 2"),
    ("1 abc 3", "'abc' is not a number"),
    ("[[1, x]]", "'x' is not a number"),
    ("1 nan", "'nan' is not a finite number"),
    ("inf", "'inf' is not a finite number"),
    ("1e39", "too large for a float32 weight"),
    ("3.4028236e38", "too large for a float32 weight"),
    ("[[1, 2]", r"unbalanced brackets: 2 '\[' but 1 '\]'"),
    ("[[1, 2], 3]", "numbers and bracketed rows are mixed"),
    ("[[[[1]]]]", "at most 3 nested levels"),
    ("[]", "holds no numbers"),
    ("1 2\n3 4\n\n5 6", "channel 2 has 1 rows, expected 2"),
    ("1 2\n3 4\n\n5 6\n7", "channel 2, row 2 has 1 value, expected 2"),
    ("\n".join(["1 " * 16] * 3), "the kernel is 3x16; at most 15x15"),
    ("\n".join(["1"] * 16), "the kernel is 16x1; at most 15x15"),
])
def test_parse_errors_name_the_problem(text, message):
    with pytest.raises(ValueError, match=message):
        parse_kernel_text(text)


def test_parse_accepts_15x15():
    assert parse_kernel_text(str(np.ones((15, 15)))).shape == (15, 15)


# ---------------------------------------------------------------- format

def test_format_numpy_style_looks_like_numpy():
    k = np.array([[0, 1, 0], [0, -0.5, 0]], dtype=np.float32)
    assert format_kernel(k) == "[[ 0. ,  1. ,  0. ],\n [ 0. , -0.5,  0. ]]"
    # numpy's own repr body is the same text
    assert repr(k).startswith("array(" + format_kernel(k).replace("\n", "\n      "))


def test_format_csv_and_text():
    assert format_kernel(SOBEL_X, "csv") == "-1,0,1\n-2,0,2\n-1,0,1"
    assert format_kernel([[0.0625, -10]], "text") == "0.0625     -10"
    assert format_kernel(RGB, "csv").split("\n\n")[1] == "10,20,30\n40,50,60"


def test_format_3d_numpy_has_blank_lines_between_channels():
    text = format_kernel(RGB)
    assert text.count("\n\n") == 2 and text.startswith("[[[") and text.endswith("]]]")


def test_format_value_is_short_and_exact():
    assert format_value(0.1) == "0.1"
    assert format_value(-0.0625) == "-0.0625"
    assert format_value(-0.0) == "0"
    assert format_value(2.5e-5) == "2.5e-05"
    assert np.float32(float(format_value(1 / 3))) == np.float32(1 / 3)


def test_format_rejects_unknown_style():
    with pytest.raises(ValueError, match="style must be one of"):
        format_kernel(SOBEL_X, "latex")


@pytest.mark.parametrize("style", ["numpy", "csv", "text"])
@given(k=_kernels())
@settings(deadline=None)
def test_format_parse_round_trip_is_exact(style, k):
    back = parse_kernel_text(format_kernel(k, style))
    if style != "numpy" and k.ndim == 3 and k.shape[0] == 1:
        k = k[0]  # one plain block reads back as 2-D
    assert back.shape == k.shape and back.dtype == np.float32
    np.testing.assert_array_equal(back, k)


@given(k=_kernels())
@settings(deadline=None)
def test_numpy_printed_arrays_parse_back(k):
    with np.printoptions(threshold=10_000, floatmode="unique"):
        np.testing.assert_array_equal(parse_kernel_text(str(k)), k)
        np.testing.assert_array_equal(parse_kernel_text(repr(k)), k)


def test_docstring_examples_run():
    import doctest

    from workbench.core import kernel_ops

    result = doctest.testmod(kernel_ops)
    assert result.attempted >= 15 and result.failed == 0
