"""conv2d / conv1d against the loop reference and against PyTorch, on drawn parameters."""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import reference as ref
from hypothesis import given
from hypothesis import strategies as st

from workbench.core import PADDING_MODES, avg_pool2d, conv1d, conv2d, max_pool2d, relu


@dataclass
class ConvCase:
    """One drawn convolution: data, weight, bias and keyword arguments (2-D form)."""

    dims: int
    seed: int
    x_shape: tuple[int, ...]
    w_shape: tuple[int, ...]
    bias: bool
    kwargs: dict[str, Any]

    def arrays(self, dtype: Any = np.float64, layout: str = "C",
               w_layout: str = "C") -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        x = ref.with_layout(ref.random_values(self.seed, self.x_shape, dtype), layout)
        w = ref.random_values(self.seed + 1, self.w_shape, np.float32)
        w = ref.with_layout(w, w_layout)
        b = ref.random_values(self.seed + 2, self.w_shape[:1], np.float32) if self.bias else None
        return x, w, b


def _pick_stride(draw: Any, same: bool) -> int:
    # "same" only works with stride 1; keep an occasional stride 2 to exercise the error.
    if same:
        return draw(st.sampled_from([1, 1, 1, 1, 1, 1, 1, 1, 1, 2]))
    return draw(st.integers(1, 4))


@st.composite
def conv_cases(draw: Any, dims: int = 2) -> ConvCase:
    """Shapes and parameters including the awkward ones: even and rectangular kernels,
    dilation, stride > kernel, groups, every padding mode, "same" with even kernels,
    batch or no batch; about one draw in four is invalid (it must then raise)."""
    groups = draw(st.integers(1, 3))
    channels = groups * draw(st.integers(1, 2))
    filters = groups * draw(st.integers(1, 2))
    axes = 2 if dims == 2 else 1
    # Mostly small kernels; now and then up to 7 (the Gabor preset), which the kernels
    # accumulate in several passes.
    kernel = tuple(draw(st.integers(1, 4) | st.integers(5, 7)) for _ in range(axes))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(axes))
    padding_kind = draw(st.sampled_from(["int", "pair", "valid", "same"] if dims == 2
                                        else ["int", "valid", "same"]))
    same = padding_kind == "same"
    stride = tuple(_pick_stride(draw, same) for _ in range(axes))
    padding: Any
    if padding_kind == "int":
        padding = draw(st.integers(0, 3))
        pads = (padding,) * axes
    elif padding_kind == "pair":
        padding = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
        pads = padding
    else:
        padding = padding_kind
        pads = (0,) * axes
    sizes = []
    for k, d, p in zip(kernel, dilation, pads, strict=True):
        span = d * (k - 1) + 1 if not same else 1
        sizes.append(draw(st.integers(max(1, span - 2 * p - 1), span + 7)))
    batch = draw(st.sampled_from([(), (1,), (2,)]))
    kwargs = {"stride": stride[0] if dims == 1 else stride,
              "padding": padding, "dilation": dilation[0] if dims == 1 else dilation,
              "groups": groups, "padding_mode": draw(st.sampled_from(PADDING_MODES)),
              "flip": draw(st.booleans())}
    return ConvCase(dims, draw(st.integers(0, 2**32 - 1)), batch + (channels, *sizes),
                    (filters, channels // groups, *kernel), draw(st.booleans()), kwargs)


def _functions(dims: int) -> tuple[Any, Any]:
    return (conv2d, ref.conv2d) if dims == 2 else (conv1d, ref.conv1d)


def _check_against_reference(case: ConvCase, dtype: Any = np.float64, layout: str = "C",
                             w_layout: str = "C") -> None:
    ours, oracle = _functions(case.dims)
    x, w, b = case.arrays(dtype, layout, w_layout)
    ref.note(f"x {x.dtype} {x.shape}, w {w.shape}, bias {b is not None}, {case.kwargs}")
    try:
        expected = oracle(x, w, b, **case.kwargs)
    except ValueError as exc:
        ref.event("invalid draw")
        with pytest.raises(ValueError):
            ours(x, w, b, **case.kwargs)
        ref.note(f"reference rejects it: {exc}")
        return
    ref.event("valid draw")
    out = ours(x, w, b, **case.kwargs)
    ref.assert_float32_c(out, expected.shape)
    ref.assert_matches(out, expected, ref.conv_tolerance(x, w, b, oracle, **case.kwargs))


@given(conv_cases(2), st.sampled_from(ref.DTYPES), st.sampled_from(ref.LAYOUTS),
       st.sampled_from(ref.LAYOUTS))
def test_conv2d_matches_reference(case, dtype, layout, w_layout):
    _check_against_reference(case, dtype, layout, w_layout)


@given(conv_cases(1), st.sampled_from(ref.DTYPES), st.sampled_from(ref.LAYOUTS))
def test_conv1d_matches_reference(case, dtype, layout):
    _check_against_reference(case, dtype, layout)


@pytest.mark.parametrize("dtype", ref.DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("layout", ref.LAYOUTS)
def test_conv_every_dtype_and_layout(dtype, layout):
    # A fixed awkward case (even, rectangular, dilated, grouped, strided, reflect, batched)
    # in every input dtype and memory layout.
    case = ConvCase(2, 7, (2, 4, 9, 8), (6, 2, 2, 3), True,
                    {"stride": (2, 1), "padding": (1, 2), "dilation": (2, 1), "groups": 2,
                     "padding_mode": "reflect", "flip": False})
    _check_against_reference(case, dtype, layout, layout)
    case_1d = ConvCase(1, 8, (3, 11), (2, 3, 4), True,
                       {"stride": 3, "padding": "valid", "dilation": 2, "groups": 1,
                        "padding_mode": "zeros", "flip": True})
    _check_against_reference(case_1d, dtype, layout, layout)


@pytest.mark.parametrize(("x_shape", "w_shape", "kwargs"), [
    ((3, 41, 53), (8, 3, 5, 5), {"stride": 2, "padding": 2}),
    ((2, 3, 37, 64), (4, 3, 7, 7), {"padding": "same", "padding_mode": "reflect"}),
    ((6, 30, 45), (6, 2, 3, 4), {"groups": 3, "dilation": (2, 3), "stride": (1, 3),
                                 "padding": (3, 1), "flip": True}),
    ((1, 48, 48), (2, 1, 6, 6), {"stride": 4, "padding": 1, "padding_mode": "circular"}),
], ids=["5x5-stride-2", "7x7-same-reflect-batch", "grouped-dilated", "6x6-stride-4"])
def test_larger_images_match_reference(x_shape, w_shape, kwargs):
    x = ref.random_values(12, x_shape, np.float32)
    w = ref.random_values(13, w_shape, np.float32)
    b = ref.random_values(14, w_shape[:1], np.float32)
    expected = ref.conv2d(x, w, b, **kwargs)
    out = conv2d(x, w, b, **kwargs)
    ref.assert_float32_c(out, expected.shape)
    ref.assert_matches(out, expected, ref.conv_tolerance(x, w, b, **kwargs))


@pytest.mark.parametrize("mode", PADDING_MODES)
@pytest.mark.parametrize("kernel", [(2, 2), (2, 3), (4, 1), (3, 3)])
def test_same_padding_keeps_the_size_for_every_mode(mode, kernel):
    x = ref.random_values(3, (2, 5, 6))
    w = ref.random_values(4, (3, 2, *kernel))
    out = conv2d(x, w, padding="same", padding_mode=mode)
    ref.assert_float32_c(out, (3, 5, 6))
    ref.assert_matches(out, ref.conv2d(x, w, padding="same", padding_mode=mode),
                       ref.conv_tolerance(x, w, padding="same", padding_mode=mode))


def test_flip_is_true_convolution():
    # Convolving with a delta gives the kernel itself, not its 180-degree rotation.
    delta = np.zeros((1, 5, 5))
    delta[0, 2, 2] = 1
    kernel = np.arange(9, dtype=np.float32).reshape(1, 1, 3, 3)
    np.testing.assert_array_equal(conv2d(delta, kernel, padding=1, flip=True)[0, 1:4, 1:4],
                                  kernel[0, 0])
    np.testing.assert_array_equal(conv2d(delta, kernel, padding=1)[0, 1:4, 1:4],
                                  kernel[0, 0, ::-1, ::-1])


def test_inputs_are_not_modified():
    x = ref.random_values(5, (2, 6, 6), np.float32)
    w = ref.random_values(6, (2, 2, 3, 3), np.float32)
    x0, w0 = x.copy(), w.copy()
    conv2d(x, w, padding=1, padding_mode="circular", flip=True)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(w, w0)


def test_read_only_inputs_are_accepted():
    x = ref.random_values(5, (1, 6, 6), np.float32)
    w = np.ones((1, 1, 3, 3), np.float32)
    x.setflags(write=False)
    w.setflags(write=False)
    ref.assert_matches(conv2d(x, w), ref.conv2d(x, w), ref.conv_tolerance(x, w))


# ---------------------------------------------------------------- NaN and infinity


def _with_specials(x: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = x.astype(np.float32)
    flat = x.reshape(-1)
    for value in (np.nan, np.inf, -np.inf):
        flat[rng.integers(0, flat.size, 2)] = value
    return x


@given(conv_cases(2))
def test_conv2d_nan_and_inf_propagate_like_the_reference(case):
    x, w, b = case.arrays(np.float32)
    x = _with_specials(x, case.seed)
    try:
        expected = ref.conv2d(x, w, b, **case.kwargs)
    except ValueError:
        return
    ref.assert_matches(conv2d(x, w, b, **case.kwargs), expected,
                       ref.conv_tolerance(x, w, b, **case.kwargs))


# ---------------------------------------------------------------- PyTorch parity


def torch_conv(torch: Any, case: ConvCase, x: np.ndarray, w: np.ndarray,
               b: np.ndarray | None) -> np.ndarray:
    """``torch.nn.Conv{1,2}d`` with the case's padding mode, in float64 on float32 data."""
    kw = case.kwargs
    module_type = torch.nn.Conv2d if case.dims == 2 else torch.nn.Conv1d
    if kw["flip"]:
        w = np.flip(w, axis=tuple(range(2, w.ndim)))
    channels = x.shape[-3] if case.dims == 2 else x.shape[-2]
    module = module_type(channels, w.shape[0], w.shape[2:], stride=kw["stride"],
                         padding=kw["padding"], dilation=kw["dilation"], groups=kw["groups"],
                         bias=b is not None, padding_mode=kw["padding_mode"],
                         dtype=torch.float64)
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(np.array(w, np.float32).astype(np.float64)))
        if b is not None:
            module.bias.copy_(torch.from_numpy(b.astype(np.float64)))
        return module(torch.from_numpy(x.astype(np.float32).astype(np.float64))).numpy()


def _check_against_torch(torch: Any, case: ConvCase, x: np.ndarray | None = None) -> None:
    ours, oracle = _functions(case.dims)
    x0, w, b = case.arrays(np.float32)
    x = x0 if x is None else x
    ref.note(f"x {x.shape}, w {w.shape}, bias {b is not None}, {case.kwargs}")
    try:
        expected = torch_conv(torch, case, x, w, b)
    except (RuntimeError, ValueError) as exc:
        ref.event("torch raises")
        ref.note(f"torch: {exc}")
        with pytest.raises(ValueError):
            ours(x, w, b, **case.kwargs)
        return
    ref.event("torch computes")
    out = ours(x, w, b, **case.kwargs)
    ref.assert_float32_c(out, expected.shape)
    ref.assert_matches(out, expected, ref.conv_tolerance(x, w, b, oracle, **case.kwargs))


# torch warns that it copies the input for "same" with an even kernel; that is its business.
torch_same_warning = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")


@torch_same_warning
@given(case=conv_cases(2))
def test_conv2d_matches_torch(torch, case):
    _check_against_torch(torch, case)


@torch_same_warning
@given(case=conv_cases(1))
def test_conv1d_matches_torch(torch, case):
    _check_against_torch(torch, case)


@torch_same_warning
@given(case=conv_cases(2))
def test_conv2d_nan_and_inf_match_torch(torch, case):
    _check_against_torch(torch, case, _with_specials(case.arrays(np.float32)[0], case.seed))


# ---------------------------------------------------------------- threads


def test_calls_from_many_threads_give_the_serial_results():
    x = ref.random_values(9, (2, 3, 24, 20), np.float32)
    w = ref.random_values(10, (4, 3, 3, 3), np.float32)
    jobs = [lambda: conv2d(x, w, padding="same"), lambda: max_pool2d(x, 3, padding=1),
            lambda: avg_pool2d(x, 2, ceil_mode=True), lambda: relu(x),
            lambda: conv2d(x, w[:3, :1], groups=3, stride=2, dilation=2)] * 8
    serial = [job() for job in jobs]
    with ThreadPoolExecutor(4) as pool:
        threaded = list(pool.map(lambda job: job(), jobs))
    for a, b in zip(serial, threaded, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("stride", [(1, 10**8), (2**63, 1), (2**64, 2**70), (65, 3)])
def test_strides_past_the_input_read_one_row_or_column_without_allocating(stride):
    x = np.arange(64 * 64, dtype=np.float32).reshape(1, 64, 64)
    w = np.ones((1, 1, 3, 3), np.float32)
    out = conv2d(x, w, stride=stride, padding=1)
    expected = ref.conv2d(x, w, stride=tuple(min(s, 10**6) for s in stride), padding=1)
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_huge_strides_match_torch(torch):
    x = np.random.default_rng(0).random((1, 64, 64), dtype=np.float32)
    w = np.ones((1, 1, 3, 3), np.float32)
    expected = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w),
                                          stride=(1, 10**8)).numpy()
    np.testing.assert_allclose(conv2d(x, w, stride=(1, 10**8)), expected, rtol=1e-6)
