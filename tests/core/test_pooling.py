"""Max / min / average / global pooling against the loop reference and against PyTorch."""

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import reference as ref
from hypothesis import given
from hypothesis import strategies as st

from workbench.core import (
    avg_pool1d,
    avg_pool2d,
    global_avg_pool2d,
    global_max_pool2d,
    max_pool1d,
    max_pool2d,
    min_pool2d,
)

OURS = {("max", 2): max_pool2d, ("min", 2): min_pool2d, ("avg", 2): avg_pool2d,
        ("max", 1): max_pool1d, ("avg", 1): avg_pool1d}
ORACLE = {("max", 2): ref.max_pool2d, ("min", 2): ref.min_pool2d, ("avg", 2): ref.avg_pool2d,
          ("max", 1): ref.max_pool1d, ("avg", 1): ref.avg_pool1d}


@dataclass
class PoolCase:
    """One drawn pooling call: kind, data shape and the keyword arguments."""

    kind: str
    dims: int
    seed: int
    x_shape: tuple[int, ...]
    kernel_size: Any
    kwargs: dict[str, Any]

    def x(self, dtype: Any = np.float64, layout: str = "C") -> np.ndarray:
        return ref.with_layout(ref.random_values(self.seed, self.x_shape, dtype), layout)

    def run(self, x: np.ndarray, oracle: bool = False) -> np.ndarray:
        funcs = ORACLE if oracle else OURS
        return funcs[self.kind, self.dims](x, self.kernel_size, **self.kwargs)


@st.composite
def pool_cases(draw: Any, kind: str, dims: int = 2) -> PoolCase:
    """Even and rectangular windows, stride None / smaller / larger than the window,
    dilation (max, min), padding up to half the window (now and then one more, which must
    be rejected), ceil_mode, count_include_pad (avg), batch or no batch."""
    axes = 2 if dims == 2 else 1
    if draw(st.integers(0, 3)) == 0:  # the everyday 2x2 / stride 2 window (a fast path)
        kernel, dilation, padding = [2] * axes, [1] * axes, [0] * axes
        stride = draw(st.sampled_from([None, (2,) * axes]))
    else:
        kernel = [draw(st.integers(1, 4)) for _ in range(axes)]
        stride = draw(st.none() | st.tuples(*[st.integers(1, 5)] * axes))
        dilation = [draw(st.integers(1, 3)) if kind != "avg" else 1 for _ in range(axes)]
        padding = []
        for k in kernel:
            limit = k // 2 + (1 if draw(st.integers(0, 15)) == 0 else 0)
            padding.append(draw(st.integers(0, limit)))
    sizes = [draw(st.integers(max(1, d * (k - 1) + 1 - 2 * p - 1), d * (k - 1) + 10))
             for k, d, p in zip(kernel, dilation, padding, strict=True)]
    batch = draw(st.sampled_from([(), (1,), (2,)]))
    channels = draw(st.integers(1, 3))
    kwargs: dict[str, Any] = {"ceil_mode": draw(st.booleans())}
    if dims == 1:
        kernel_size: Any = kernel[0]
        kwargs["stride"] = None if stride is None else stride[0]
        kwargs["padding"] = padding[0]
        if kind != "avg":
            kwargs["dilation"] = dilation[0]
    else:
        kernel_size = tuple(kernel)
        kwargs["stride"] = stride
        kwargs["padding"] = tuple(padding)
        if kind != "avg":
            kwargs["dilation"] = tuple(dilation)
    if kind == "avg":
        kwargs["count_include_pad"] = draw(st.booleans())
    return PoolCase(kind, dims, draw(st.integers(0, 2**32 - 1)), batch + (channels, *sizes),
                    kernel_size, kwargs)


def _tolerance(case: PoolCase, x: np.ndarray) -> Any:
    if case.kind != "avg":
        return 0.0  # max and min only pick values: exact
    magnitude = case.run(np.nan_to_num(np.abs(x.astype(np.float64)), posinf=0.0), oracle=True)
    return 1e-5 * magnitude + 1e-7


def _check_against_reference(case: PoolCase, dtype: Any = np.float64,
                             layout: str = "C", x: np.ndarray | None = None) -> None:
    x = case.x(dtype, layout) if x is None else x
    ref.note(f"{case.kind}{case.dims}d x {x.dtype} {x.shape}, {case.kernel_size}, "
             f"{case.kwargs}")
    try:
        expected = case.run(x, oracle=True)
    except ValueError as exc:
        ref.event("invalid draw")
        ref.note(f"reference rejects it: {exc}")
        with pytest.raises(ValueError):
            case.run(x)
        return
    ref.event("valid draw")
    # The core computes in float32: compare against the oracle on the float32 values.
    expected = case.run(x.astype(np.float32), oracle=True)
    out = case.run(x)
    ref.assert_float32_c(out, expected.shape)
    ref.assert_matches(out, expected, _tolerance(case, x))


KINDS = [("max", 2), ("min", 2), ("avg", 2), ("max", 1), ("avg", 1)]


@pytest.mark.parametrize(("kind", "dims"), KINDS)
@given(data=st.data())
def test_pool_matches_reference(kind, dims, data):
    case = data.draw(pool_cases(kind, dims))
    _check_against_reference(case, data.draw(st.sampled_from(ref.DTYPES)),
                             data.draw(st.sampled_from(ref.LAYOUTS)))


@pytest.mark.parametrize("dtype", ref.DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("layout", ref.LAYOUTS)
@pytest.mark.parametrize(("kind", "dims"), KINDS)
def test_pool_every_dtype_and_layout(kind, dims, dtype, layout):
    kwargs: dict[str, Any] = {"stride": (2, 3) if dims == 2 else 2, "ceil_mode": True,
                              "padding": (1, 1) if dims == 2 else 1}
    if kind == "avg":
        kwargs["count_include_pad"] = False
    else:
        kwargs["dilation"] = (1, 2) if dims == 2 else 2
    shape = (2, 3, 7, 8) if dims == 2 else (2, 3, 9)
    case = PoolCase(kind, dims, 11, shape, (2, 3) if dims == 2 else 3, kwargs)
    _check_against_reference(case, dtype, layout)


def _with_specials(x: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = x.astype(np.float32)
    flat = x.reshape(-1)
    for value in (np.nan, np.inf, -np.inf):
        flat[rng.integers(0, flat.size, 2)] = value
    return x


@pytest.mark.parametrize(("kind", "dims"), KINDS)
@given(data=st.data())
def test_pool_nan_and_inf_propagate_like_the_reference(kind, dims, data):
    case = data.draw(pool_cases(kind, dims))
    _check_against_reference(case, x=_with_specials(case.x(), case.seed))


@pytest.mark.parametrize("func", [global_max_pool2d, global_avg_pool2d])
@given(shape=st.tuples(st.sampled_from([(), (1,), (2,)]), st.integers(1, 3), st.integers(1, 9),
                       st.integers(1, 9)),
       seed=st.integers(0, 2**32 - 1), dtype=st.sampled_from(ref.DTYPES),
       layout=st.sampled_from(ref.LAYOUTS), specials=st.booleans())
def test_global_pool_matches_reference(func, shape, seed, dtype, layout, specials):
    shape = shape[0] + shape[1:]
    x = ref.with_layout(ref.random_values(seed, shape, dtype), layout)
    if specials:
        x = _with_specials(x, seed)
    oracle = getattr(ref, func.__name__)
    expected = oracle(x.astype(np.float32))
    with np.errstate(invalid="ignore"):  # numpy warns on inf - inf inside the mean
        out = func(x)
    ref.assert_float32_c(out, shape[:-2] + (1, 1))
    tolerance = 1e-5 * oracle(np.nan_to_num(np.abs(x.astype(np.float64)), posinf=0)) + 1e-7
    ref.assert_matches(out, expected, tolerance if func is global_avg_pool2d else 0.0)


def test_min_pool_is_negated_max_pool():
    x = ref.random_values(4, (2, 7, 9), np.float32)
    kw = {"stride": (1, 2), "padding": 1, "dilation": (2, 1), "ceil_mode": True}
    np.testing.assert_array_equal(min_pool2d(x, 3, **kw), -max_pool2d(-x, 3, **kw))


def test_max_pool_padding_is_never_picked():
    # All values negative: -inf padding must not win (zero padding would).
    x = -1 - np.arange(9, dtype=np.float32).reshape(1, 3, 3)
    np.testing.assert_array_equal(max_pool2d(x, 2, stride=2, padding=1),
                                  [[[-1, -2], [-4, -5]]])
    np.testing.assert_array_equal(min_pool2d(-x, 2, stride=2, padding=1),
                                  [[[1, 2], [4, 5]]])


# ---------------------------------------------------------------- PyTorch parity


def torch_pool(torch: Any, case: PoolCase, x: np.ndarray) -> np.ndarray:
    """The matching ``torch.nn.functional`` pooling (min as ``-max_pool(-x)``)."""
    functional = torch.nn.functional
    kw = dict(case.kwargs)
    if kw["stride"] is None:
        kw.pop("stride")
    if case.kind == "avg":  # averages in float64 so only our rounding is measured
        t = torch.from_numpy(x.astype(np.float32).astype(np.float64))
        func = functional.avg_pool2d if case.dims == 2 else functional.avg_pool1d
        return func(t, case.kernel_size, **kw).numpy()
    t = torch.from_numpy(x.astype(np.float32))
    func = functional.max_pool2d if case.dims == 2 else functional.max_pool1d
    if case.kind == "min":
        return -func(-t, case.kernel_size, **kw).numpy()
    return func(t, case.kernel_size, **kw).numpy()


def _check_against_torch(torch: Any, case: PoolCase, x: np.ndarray) -> None:
    ref.note(f"{case.kind}{case.dims}d x {x.shape}, {case.kernel_size}, {case.kwargs}")
    try:
        expected = torch_pool(torch, case, x)
    except (RuntimeError, ValueError) as exc:
        ref.event("torch raises")
        ref.note(f"torch: {exc}")
        with pytest.raises(ValueError):
            case.run(x)
        return
    ref.event("torch computes")
    out = case.run(x)
    ref.assert_float32_c(out, expected.shape)
    ref.assert_matches(out, expected, _tolerance(case, x))


@pytest.mark.parametrize(("kind", "dims"), KINDS)
@given(data=st.data())
def test_pool_matches_torch(torch, kind, dims, data):
    case = data.draw(pool_cases(kind, dims))
    _check_against_torch(torch, case, case.x(np.float32))


@pytest.mark.parametrize(("kind", "dims"), KINDS)
@given(data=st.data())
def test_pool_nan_and_inf_match_torch(torch, kind, dims, data):
    case = data.draw(pool_cases(kind, dims))
    _check_against_torch(torch, case, _with_specials(case.x(), case.seed))


@given(shape=st.tuples(st.sampled_from([(), (1,), (2,)]), st.integers(1, 3), st.integers(1, 9),
                       st.integers(1, 9)),
       seed=st.integers(0, 2**32 - 1), specials=st.booleans())
def test_global_pools_match_torch_adaptive_pools(torch, shape, seed, specials):
    shape = shape[0] + shape[1:]
    x = ref.random_values(seed, shape, np.float32)
    if specials:
        x = _with_specials(x, seed)
    t = torch.from_numpy(x)
    functional = torch.nn.functional
    expected_max = functional.adaptive_max_pool2d(t, 1).numpy()
    expected_avg = functional.adaptive_avg_pool2d(t.double(), 1).numpy()
    ref.assert_matches(global_max_pool2d(x), expected_max, 0.0)
    tolerance = 1e-5 * np.abs(np.nan_to_num(x, posinf=0, neginf=0)).astype(np.float64).mean(
        axis=(-2, -1), keepdims=True) + 1e-7
    with np.errstate(invalid="ignore"):
        ref.assert_matches(global_avg_pool2d(x), expected_avg, tolerance)
