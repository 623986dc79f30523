"""Element-wise activations against the float64 reference and against PyTorch."""

from typing import Any

import numpy as np
import pytest
import reference as ref
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from workbench.core import ACTIVATIONS, activate, leaky_relu, relu, sigmoid, tanh

# Exact for the piecewise-linear ones; the transcendental ones may be a few ulps off.
FUNCTIONS = {
    "relu": (relu, 0.0),
    "leaky_relu": (leaky_relu, 0.0),
    "sigmoid": (sigmoid, 1e-6),
    "tanh": (tanh, 1e-6),
}

values = st.floats(width=32, allow_nan=True, allow_infinity=True)
float32_arrays = hnp.arrays(np.float32, hnp.array_shapes(min_dims=0, max_dims=4, max_side=5),
                            elements=values)


def _expected(name: str, x: np.ndarray, slope: float = 0.01) -> np.ndarray:
    # The core sees float32 data and a float32 slope, as torch does.
    x32 = x.astype(np.float32)
    if name == "leaky_relu":
        return ref.leaky_relu(x32, float(np.float32(slope)))
    return getattr(ref, name)(x32)


def _check(name: str, out: Any, x: np.ndarray, slope: float = 0.01) -> None:
    expected = _expected(name, x, slope)
    ref.assert_float32_c(out, x.shape)
    rtol = FUNCTIONS[name][1]
    if name == "leaky_relu":
        # The core rounds slope * x to float32 once (to +-inf past float32's range).
        with np.errstate(over="ignore"):
            expected = expected.astype(np.float32).astype(np.float64)
    ref.assert_matches(out, expected, rtol * np.abs(np.nan_to_num(expected)) + (
        1e-7 if rtol else 0.0))


@pytest.mark.parametrize("name", FUNCTIONS)
@given(x=float32_arrays)
def test_activation_matches_reference(name, x):
    _check(name, FUNCTIONS[name][0](x), x)


@given(x=float32_arrays, slope=st.floats(-3, 3, width=32))
def test_leaky_relu_slope_matches_reference(x, slope):
    _check("leaky_relu", leaky_relu(x, slope), x, slope)


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize("dtype", ref.DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("layout", ref.LAYOUTS)
def test_activation_every_dtype_and_layout(name, dtype, layout):
    x = ref.with_layout(ref.random_values(21, (2, 3, 4, 5), dtype), layout)
    _check(name, FUNCTIONS[name][0](x), x)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activate_dispatches_by_name(name):
    x = ref.random_values(5, (3, 4, 5), np.float32)
    out = activate(name, x, negative_slope=0.2)
    if name == "none":
        np.testing.assert_array_equal(out, x)
        assert not np.shares_memory(out, x)
    elif name == "leaky_relu":
        np.testing.assert_array_equal(out, leaky_relu(x, 0.2))
    else:
        np.testing.assert_array_equal(out, FUNCTIONS[name][0](x))
    ref.assert_float32_c(out, x.shape)


def test_activation_values_by_hand():
    x = [-2.0, -0.5, 0.0, 0.5, 2.0]
    np.testing.assert_array_equal(relu(x), [0, 0, 0, 0.5, 2])
    np.testing.assert_array_equal(leaky_relu(x), np.float32([-0.02, -0.005, 0, 0.5, 2]))
    np.testing.assert_array_equal(leaky_relu(x, 0.5), [-1, -0.25, 0, 0.5, 2])
    np.testing.assert_allclose(sigmoid(x), [0.11920292, 0.37754067, 0.5, 0.62245933,
                                            0.88079708], rtol=1e-6)
    np.testing.assert_allclose(tanh(x), [-0.96402758, -0.46211716, 0, 0.46211716,
                                         0.96402758], rtol=1e-6)


def test_sigmoid_does_not_overflow():
    with np.errstate(over="raise", invalid="raise"):
        np.testing.assert_array_equal(sigmoid([-1e4, -200.0, 200.0, 1e4]), [0, 0, 1, 1])


def test_activations_propagate_nan():
    for name, (func, _) in FUNCTIONS.items():
        assert np.isnan(func([np.nan])).all(), name


def test_unknown_activation_is_rejected():
    with pytest.raises(ValueError, match="activation must be one of"):
        activate("softmax", [1.0])


@pytest.mark.parametrize("func", [relu, leaky_relu, sigmoid, tanh])
def test_activation_rejects_empty_and_non_numeric(func):
    with pytest.raises(ValueError, match="x must not be empty"):
        func(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="x must have a real numeric dtype"):
        func(np.array(["a"]))


# ---------------------------------------------------------------- PyTorch parity


@pytest.mark.parametrize("name", FUNCTIONS)
@given(x=float32_arrays, slope=st.floats(-3, 3, width=32))
def test_activation_matches_torch(torch, name, x, slope):
    t = torch.from_numpy(x.copy())
    functional = torch.nn.functional
    if name == "leaky_relu":
        expected = functional.leaky_relu(t, float(slope)).numpy()
        out = leaky_relu(x, slope)
    else:
        expected = getattr(torch, name)(t).numpy()
        out = FUNCTIONS[name][0](x)
    ref.assert_float32_c(out, expected.shape)
    rtol = FUNCTIONS[name][1]
    ref.assert_matches(out, expected.astype(np.float64),
                       rtol * np.abs(np.nan_to_num(expected.astype(np.float64)))
                       + (1e-7 if rtol else 0.0))
