"""Every argument PyTorch rejects raises our ValueError, whose message names the parameter."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from workbench.core import (
    avg_pool1d,
    avg_pool2d,
    conv1d,
    conv2d,
    global_avg_pool2d,
    global_max_pool2d,
    max_pool1d,
    max_pool2d,
    min_pool2d,
)
from workbench.core.arrays import as_float32, batched, pair, single


@dataclass(frozen=True)
class Invalid:
    """A call we must reject, the message it must match, and the same call in PyTorch."""

    id: str
    ours: Callable[[], Any]
    match: str
    theirs: Callable[[Any], Any] | None  # None: torch cannot express it


def ones(*shape: int) -> np.ndarray:
    return np.ones(shape, dtype=np.float32)


def _t(torch: Any, a: np.ndarray) -> Any:
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))


def _torch_conv2d(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None,
                  **kw: Any) -> Callable[[Any], Any]:
    def call(torch: Any) -> Any:
        return torch.nn.functional.conv2d(_t(torch, x), _t(torch, w),
                                          None if b is None else _t(torch, b), **kw)
    return call


def _torch_conv2d_module(x: np.ndarray, w: np.ndarray, **kw: Any) -> Callable[[Any], Any]:
    def call(torch: Any) -> Any:
        module = torch.nn.Conv2d(w.shape[1] * kw.get("groups", 1), w.shape[0], w.shape[2:],
                                 bias=False, **kw)
        return module(_t(torch, x))
    return call


def _torch_conv1d(x: np.ndarray, w: np.ndarray, **kw: Any) -> Callable[[Any], Any]:
    return lambda torch: torch.nn.functional.conv1d(_t(torch, x), _t(torch, w), **kw)


def _torch(name: str, x: np.ndarray, *args: Any, **kw: Any) -> Callable[[Any], Any]:
    return lambda torch: getattr(torch.nn.functional, name)(_t(torch, x), *args, **kw)


X, W = ones(1, 5, 5), ones(1, 1, 3, 3)
X1, W1 = ones(1, 6), ones(1, 1, 3)

CASES = [
    # -- conv2d: shapes
    Invalid("conv2d x 2-D", lambda: conv2d(ones(5, 5), W), r"x must have shape \(C, H, W\)",
            _torch_conv2d(ones(5, 5), W)),
    Invalid("conv2d x 5-D", lambda: conv2d(ones(1, 1, 1, 5, 5), W), "x must have shape",
            _torch_conv2d(ones(1, 1, 1, 5, 5), W)),
    Invalid("conv2d weight 3-D", lambda: conv2d(X, ones(1, 3, 3)), "weight must have shape",
            _torch_conv2d(X, ones(1, 3, 3))),
    Invalid("conv2d channel mismatch", lambda: conv2d(ones(2, 5, 5), W),
            "weight has 1 input channel.*x must have 1 channels.*got 2",
            _torch_conv2d(ones(2, 5, 5), W)),
    Invalid("conv2d bias shape", lambda: conv2d(X, W, ones(2)), r"bias must have shape \(1,\)",
            _torch_conv2d(X, W, ones(2))),
    Invalid("conv2d empty x", lambda: conv2d(ones(1, 0, 5), W), "x must not be empty",
            _torch_conv2d(ones(1, 0, 5), W)),
    Invalid("conv2d empty weight", lambda: conv2d(X, ones(0, 1, 3, 3)),
            "weight must not be empty", _torch_conv2d(X, ones(0, 1, 3, 3))),
    Invalid("conv2d output < 1x1", lambda: conv2d(ones(1, 2, 2), W), "output would be 0x0",
            _torch_conv2d(ones(1, 2, 2), W)),
    Invalid("conv2d dilated kernel too big", lambda: conv2d(X, W, dilation=3),
            "output would be", _torch_conv2d(X, W, dilation=3)),
    # -- conv2d: groups
    Invalid("conv2d groups 0", lambda: conv2d(X, W, groups=0), "groups must be a positive",
            _torch_conv2d(X, W, groups=0)),
    Invalid("conv2d groups not dividing C", lambda: conv2d(ones(3, 5, 5), ones(2, 1, 3, 3),
                                                           groups=2),
            "groups must divide the input channels", _torch_conv2d(ones(3, 5, 5),
                                                                   ones(2, 1, 3, 3), groups=2)),
    Invalid("conv2d groups not dividing F", lambda: conv2d(ones(2, 5, 5), ones(3, 1, 3, 3),
                                                           groups=2),
            "groups must divide the number of filters",
            _torch_conv2d(ones(2, 5, 5), ones(3, 1, 3, 3), groups=2)),
    # -- conv2d: stride, dilation, padding
    Invalid("conv2d stride 0", lambda: conv2d(X, W, stride=0),
            "stride must be a positive integer or pair of integers, got 0",
            _torch_conv2d(X, W, stride=0)),
    Invalid("conv2d stride (1, 0)", lambda: conv2d(X, W, stride=(1, 0)), "stride must be",
            _torch_conv2d(X, W, stride=(1, 0))),
    Invalid("conv2d stride -1", lambda: conv2d(X, W, stride=-1), "stride must be",
            _torch_conv2d(X, W, stride=-1)),
    Invalid("conv2d dilation 0", lambda: conv2d(X, W, dilation=0),
            "dilation must be a positive", _torch_conv2d(X, W, dilation=0)),
    Invalid("conv2d negative padding", lambda: conv2d(X, W, padding=-1),
            "padding must be a non-negative", _torch_conv2d(X, W, padding=-1)),
    Invalid("conv2d negative padding pair", lambda: conv2d(X, W, padding=(1, -1)),
            "padding must be a non-negative", _torch_conv2d(X, W, padding=(1, -1))),
    Invalid("conv2d same with stride 2", lambda: conv2d(X, W, padding="same", stride=2),
            "padding='same' requires stride 1", _torch_conv2d(X, W, padding="same", stride=2)),
    Invalid("conv2d unknown padding string", lambda: conv2d(X, W, padding="full"),
            "padding must be 'valid', 'same'", _torch_conv2d(X, W, padding="full")),
    # -- conv2d: padding modes
    Invalid("conv2d unknown padding_mode", lambda: conv2d(X, W, padding_mode="mirror"),
            "padding_mode must be one of", _torch_conv2d_module(X, W, padding_mode="mirror")),
    Invalid("conv2d reflect padding >= size", lambda: conv2d(ones(1, 3, 3), W, padding=3,
                                                             padding_mode="reflect"),
            "padding_mode='reflect' needs padding smaller than the input size",
            _torch_conv2d_module(ones(1, 3, 3), W, padding=3, padding_mode="reflect")),
    Invalid("conv2d circular padding > size", lambda: conv2d(ones(1, 3, 3), W, padding=4,
                                                             padding_mode="circular"),
            "padding_mode='circular' needs padding at most the input size",
            _torch_conv2d_module(ones(1, 3, 3), W, padding=4, padding_mode="circular")),
    # -- conv2d: dtypes
    Invalid("conv2d string dtype", lambda: conv2d(np.array([[["a"]]]), W),
            "x must have a real numeric dtype", None),
    Invalid("conv2d complex dtype", lambda: conv2d(X.astype(complex), W),
            "x must have a real numeric dtype",
            lambda torch: torch.nn.functional.conv2d(torch.from_numpy(X.astype(np.complex64)),
                                                     _t(torch, W).float())),
    Invalid("conv2d ragged list", lambda: conv2d([[[1, 2], [3]]], W), "x must be a numeric array",
            None),
    Invalid("conv2d object weight", lambda: conv2d(X, np.array([[[[None]]]])),
            "weight must have a real numeric dtype", None),
    # -- conv1d
    Invalid("conv1d x 4-D", lambda: conv1d(ones(1, 1, 1, 6), W1), r"x must have shape \(C, L\)",
            _torch_conv1d(ones(1, 1, 1, 6), W1)),
    Invalid("conv1d weight 4-D", lambda: conv1d(X1, W), "weight must have shape",
            _torch_conv1d(X1, W)),
    Invalid("conv1d stride pair", lambda: conv1d(X1, W1, stride=(1, 1)), "stride must be",
            _torch_conv1d(X1, W1, stride=(1, 1))),
    Invalid("conv1d stride 0", lambda: conv1d(X1, W1, stride=0), "stride must be a positive",
            _torch_conv1d(X1, W1, stride=0)),
    Invalid("conv1d negative padding", lambda: conv1d(X1, W1, padding=-2),
            "padding must be a non-negative", _torch_conv1d(X1, W1, padding=-2)),
    Invalid("conv1d same with stride 2", lambda: conv1d(X1, W1, padding="same", stride=2),
            "padding='same' requires stride 1", _torch_conv1d(X1, W1, padding="same", stride=2)),
    Invalid("conv1d groups not dividing C", lambda: conv1d(ones(3, 6), ones(2, 1, 3), groups=2),
            "groups must divide", _torch_conv1d(ones(3, 6), ones(2, 1, 3), groups=2)),
    Invalid("conv1d kernel longer than signal", lambda: conv1d(ones(1, 2), W1),
            "output would be", _torch_conv1d(ones(1, 2), W1)),
    # -- pooling
    Invalid("max_pool2d padding > half", lambda: max_pool2d(X, 3, padding=2),
            "padding must be at most half the kernel size",
            _torch("max_pool2d", X, 3, padding=2)),
    Invalid("max_pool2d dilated padding > half", lambda: max_pool2d(X, 2, padding=2,
                                                                    dilation=3),
            "padding must be at most half", _torch("max_pool2d", X, 2, padding=2, dilation=3)),
    Invalid("avg_pool2d padding > half", lambda: avg_pool2d(X, 2, padding=(0, 2)),
            "padding must be at most half", _torch("avg_pool2d", X, 2, padding=(0, 2))),
    Invalid("max_pool2d output < 1", lambda: max_pool2d(X, 6), "pooling output would be 0x0",
            _torch("max_pool2d", X, 6)),
    Invalid("avg_pool2d output < 1", lambda: avg_pool2d(X, (2, 6)), "pooling output would be",
            _torch("avg_pool2d", X, (2, 6))),
    Invalid("max_pool2d kernel 0", lambda: max_pool2d(X, 0), "kernel_size must be a positive",
            _torch("max_pool2d", X, 0)),
    Invalid("max_pool2d stride 0", lambda: max_pool2d(X, 2, stride=0), "stride must be",
            _torch("max_pool2d", X, 2, stride=0)),
    Invalid("max_pool2d dilation 0", lambda: max_pool2d(X, 2, dilation=0), "dilation must be",
            _torch("max_pool2d", X, 2, dilation=0)),
    Invalid("min_pool2d negative padding", lambda: min_pool2d(X, 2, padding=-1),
            "padding must be a non-negative", _torch("max_pool2d", X, 2, padding=-1)),
    Invalid("avg_pool2d x 2-D", lambda: avg_pool2d(ones(5, 5), 2), "x must have shape",
            _torch("avg_pool2d", ones(5, 5), 2)),
    Invalid("max_pool2d empty", lambda: max_pool2d(ones(1, 0, 5), 1), "x must not be empty",
            _torch("max_pool2d", ones(1, 0, 5), 1)),
    Invalid("max_pool1d padding > half", lambda: max_pool1d(X1, 3, padding=2),
            "padding must be at most half", _torch("max_pool1d", X1, 3, padding=2)),
    Invalid("avg_pool1d output < 1", lambda: avg_pool1d(X1, 7), "pooling output would be",
            _torch("avg_pool1d", X1, 7)),
    Invalid("max_pool1d kernel pair", lambda: max_pool1d(X1, (2, 2)), "kernel_size must be",
            _torch("max_pool1d", X1, (2, 2))),
    Invalid("avg_pool1d x 4-D", lambda: avg_pool1d(ones(1, 1, 1, 6), 2), "x must have shape",
            _torch("avg_pool1d", ones(1, 1, 1, 6), 2)),
    Invalid("global_max_pool2d x 2-D", lambda: global_max_pool2d(ones(4, 4)),
            "x must have shape", _torch("adaptive_max_pool2d", ones(4, 4), 1)),
    Invalid("global_max_pool2d empty", lambda: global_max_pool2d(ones(1, 0, 4)),
            "x must not be empty", _torch("adaptive_max_pool2d", ones(1, 0, 4), 1)),
    # torch averages an empty map to NaN; we refuse it like every other empty input.
    Invalid("global_avg_pool2d empty", lambda: global_avg_pool2d(ones(1, 0, 4)),
            "x must not be empty", None),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_invalid_call_raises_value_error_naming_the_parameter(case):
    with pytest.raises(ValueError, match=case.match):
        case.ours()


TORCH_CASES = [c for c in CASES if c.theirs is not None]


@pytest.mark.parametrize("case", TORCH_CASES, ids=[c.id for c in TORCH_CASES])
def test_torch_rejects_the_same_call(torch, case):
    with pytest.raises((RuntimeError, ValueError, TypeError, IndexError)):
        case.theirs(torch)


# ---------------------------------------------------------------- the normalisation helpers


@pytest.mark.parametrize(("value", "expected"), [
    (3, (3, 3)), ((1, 2), (1, 2)), ([4, 5], (4, 5)), (np.int64(2), (2, 2)),
    ((np.int32(1), 7), (1, 7)),
])
def test_pair_accepts_ints_and_pairs(value, expected):
    out = pair(value, "stride", minimum=1)
    assert out == expected
    assert all(type(v) is int for v in out)


@pytest.mark.parametrize("value", [0, -1, (1, 0), (1,), (1, 2, 3), 1.0, (1.0, 2), True,
                                   (True, 1), "12", None, np.bool_(True)])
def test_pair_rejects_with_the_name_and_value(value):
    with pytest.raises(ValueError, match=r"stride must be a positive integer or pair of "
                                         r"integers, got "):
        pair(value, "stride", minimum=1)


def test_pair_minimum_zero_allows_zero():
    assert pair(0, "padding", minimum=0) == (0, 0)
    with pytest.raises(ValueError, match="padding must be a non-negative integer"):
        pair(-1, "padding", minimum=0)


def test_single_accepts_an_int_or_a_one_tuple():
    assert single(3, "stride", minimum=1) == 3
    assert single((3,), "stride", minimum=1) == 3
    assert single([np.int16(2)], "stride", minimum=1) == 2
    for bad in [(1, 2), 0, "ab", None, 2.0]:
        with pytest.raises(ValueError, match="stride must be a positive integer"):
            single(bad, "stride", minimum=1)


@pytest.mark.parametrize("dtype", [np.bool_, np.uint8, np.int8, np.uint16, np.int32,
                                   np.int64, np.float16, np.float32, np.float64])
def test_as_float32_accepts_every_real_dtype(dtype):
    a = np.arange(6).reshape(2, 3).astype(dtype)
    out = as_float32(a, "x")
    assert out.dtype == np.float32
    assert out.flags.c_contiguous
    np.testing.assert_array_equal(out, a.astype(np.float64))


def test_as_float32_keeps_zero_d_arrays_zero_d():
    assert as_float32(np.float64(2.5), "x").shape == ()
    assert as_float32(3, "x").shape == ()


def test_as_float32_does_not_copy_what_is_already_right():
    a = np.ones((3, 4), np.float32)
    assert as_float32(a, "x") is a


def test_as_float32_turns_out_of_range_floats_into_infinities_quietly():
    with np.errstate(all="raise"):
        out = as_float32([1e39, -1e39, 1.0], "x")
    np.testing.assert_array_equal(out, [np.inf, -np.inf, 1.0])


@pytest.mark.parametrize("bad", [np.array(["a"]), np.array([1 + 2j]), np.array([None]),
                                 np.array(["2020-01-01"], dtype="datetime64[D]")])
def test_as_float32_rejects_non_real_dtypes(bad):
    with pytest.raises(ValueError, match="weight must have a real numeric dtype"):
        as_float32(bad, "weight")


def test_batched_adds_and_reports_the_batch_axis():
    x3, had = batched(ones(2, 3, 4), "x", 2)
    assert x3.shape == (1, 2, 3, 4) and not had
    x4, had = batched(ones(5, 2, 3, 4), "x", 2)
    assert x4.shape == (5, 2, 3, 4) and had
    with pytest.raises(ValueError, match=r"x must have shape \(C, L\) or \(N, C, L\)"):
        batched(ones(1, 1, 1, 1), "x", 1)
