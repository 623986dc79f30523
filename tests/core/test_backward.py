"""The backward ops against torch.autograd (drawn parameters) and float64 finite differences."""

from typing import Any

import numpy as np
import pytest
import reference as ref
from hypothesis import given
from hypothesis import strategies as st
from test_conv import ConvCase, conv_cases

from workbench.core import (
    ACTIVATIONS,
    activation_backward,
    avg_pool1d_backward,
    avg_pool2d_backward,
    conv1d,
    conv1d_backward,
    conv2d,
    conv2d_backward,
    global_avg_pool2d_backward,
    global_max_pool2d_backward,
    max_pool1d_backward,
    max_pool2d_backward,
    min_pool2d_backward,
)


def _valid(case: ConvCase) -> bool:
    x, w, b = case.arrays()
    try:
        (ref.conv2d if case.dims == 2 else ref.conv1d)(x, w, b, **case.kwargs)
    except ValueError:
        return False
    return True


def _torch_conv_grads(torch, case: ConvCase, x, w, g):
    F = torch.nn.functional
    kw = dict(case.kwargs)
    mode, flip = kw.pop("padding_mode"), kw.pop("flip")
    tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    tw = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    tb = torch.zeros(w.shape[0], dtype=torch.float64, requires_grad=True)
    weight = torch.flip(tw, dims=tuple(range(2, tw.ndim))) if flip else tw
    inp = tx
    padding = kw.pop("padding")
    if mode != "zeros" and padding not in (0, (0, 0), "valid"):
        dims = case.dims
        k = w.shape[2:]
        dil = kw["dilation"] if isinstance(kw["dilation"], tuple) else (kw["dilation"],) * dims
        if padding == "same":
            pads = []
            for kk, d in zip(reversed(k), reversed(dil), strict=True):
                total = d * (kk - 1)
                pads += [total // 2, total - total // 2]
        else:
            p = padding if isinstance(padding, tuple) else (padding,) * dims
            pads = [v for v in reversed(p) for _ in range(2)]
        inp = F.pad(tx if tx.ndim == dims + 2 else tx[None], pads, mode=mode)
        if tx.ndim != dims + 2:
            inp = inp[0]
        padding = 0
    conv = F.conv2d if case.dims == 2 else F.conv1d
    out = conv(inp, weight, tb, padding=padding, **kw)
    out.backward(torch.tensor(g, dtype=torch.float64))
    return tx.grad.numpy(), tw.grad.numpy(), tb.grad.numpy()


def _close(ours, expected, scale):
    np.testing.assert_allclose(ours, expected, rtol=2e-5, atol=2e-5 * max(scale, 1.0))


@given(conv_cases(2))
def test_conv2d_backward_matches_torch_autograd(torch, case):
    _check_conv(torch, case)


@given(conv_cases(1))
def test_conv1d_backward_matches_torch_autograd(torch, case):
    _check_conv(torch, case)


def _check_conv(torch, case: ConvCase) -> None:
    ours_backward = conv2d_backward if case.dims == 2 else conv1d_backward
    forward = conv2d if case.dims == 2 else conv1d
    x, w, _ = case.arrays(np.float32)
    if not _valid(case):
        with pytest.raises(ValueError):
            out_shape = (1,) * len(case.x_shape)
            ours_backward(np.ones(out_shape), x, w, **case.kwargs)
        return
    out = forward(x, w, **case.kwargs)
    g = np.random.default_rng(case.seed % 1000).standard_normal(out.shape).astype(np.float32)
    gx, gw, gb = ours_backward(g, x, w, **case.kwargs)
    tx, tw, tb = _torch_conv_grads(torch, case, x.astype(np.float64), w.astype(np.float64),
                                   g.astype(np.float64))
    assert gx.shape == x.shape and gw.shape == w.shape and gb.shape == (w.shape[0],)
    assert gx.dtype == gw.dtype == gb.dtype == np.float32
    scale = float(np.abs(g).sum()) * max(float(np.abs(x).max()), float(np.abs(w).max()), 1.0)
    _close(gx, tx, scale * 1e-2)
    _close(gw, tw, scale * 1e-2)
    _close(gb, tb, scale * 1e-2)


def _finite_difference(f, a: np.ndarray, index: tuple[int, ...], eps: float = 1e-6) -> float:
    up, down = a.copy(), a.copy()
    up[index] += eps
    down[index] -= eps
    return (f(up) - f(down)) / (2 * eps)


@pytest.mark.parametrize("kwargs", [
    {"stride": 2, "padding": 1},
    {"padding": "same", "dilation": 2, "padding_mode": "reflect"},
    {"padding": (2, 1), "padding_mode": "circular", "groups": 2, "flip": True},
    {"padding": 1, "padding_mode": "replicate", "stride": (1, 2)},
])
def test_conv2d_backward_equals_float64_finite_differences(kwargs):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 2, 7, 6))
    w = rng.standard_normal((2, 2 // kwargs.get("groups", 1), 3, 3))
    out = ref.conv2d(x, w, **kwargs)
    g = rng.standard_normal(out.shape)
    gx, gw, _ = conv2d_backward(g, x, w, **kwargs)

    def loss_x(v):
        return float(np.sum(ref.conv2d(v, w, **kwargs) * g))

    def loss_w(v):
        return float(np.sum(ref.conv2d(x, v, **kwargs) * g))

    for index in [(0, 0, 0, 0), (1, 1, 6, 5), (0, 1, 3, 2), (1, 0, 0, 5)]:
        assert gx[index] == pytest.approx(_finite_difference(loss_x, x, index), abs=1e-3)
    for index in [(0, 0, 0, 0), (1, 0, 2, 1), (0, 0, 1, 2)]:
        assert gw[index] == pytest.approx(_finite_difference(loss_w, w, index), abs=1e-3)


@st.composite
def pool_cases(draw: Any):
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    s = draw(st.none() | st.tuples(st.integers(1, 3), st.integers(1, 3)))
    p = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    ceil = draw(st.booleans())
    size = (draw(st.integers(d[0] * (k[0] - 1) + 1, 12)), draw(st.integers(d[1] * (k[1] - 1) + 1,
                                                                           12)))
    batch = draw(st.sampled_from([(), (2,)]))
    ties = draw(st.booleans())
    return batch + (2,) + size, k, s, p, d, ceil, ties, draw(st.integers(0, 2**31))


def _pool_input(shape, ties, seed):
    rng = np.random.default_rng(seed)
    if ties:  # few distinct values: many windows hold several maxima
        return rng.integers(0, 3, shape).astype(np.float32)
    return rng.standard_normal(shape).astype(np.float32)


@given(pool_cases())
def test_max_pool2d_backward_matches_torch_autograd(torch, case):
    shape, k, s, p, d, ceil, ties, seed = case
    x = _pool_input(shape, ties, seed)
    tx = torch.tensor(x, requires_grad=True)
    try:
        out = torch.nn.functional.max_pool2d(tx, k, s, p, d, ceil_mode=ceil)
    except RuntimeError:
        with pytest.raises(ValueError):
            max_pool2d_backward(np.ones((1,) * len(shape)), x, k, stride=s, padding=p,
                                dilation=d, ceil_mode=ceil)
        return
    g = np.random.default_rng(seed + 1).standard_normal(tuple(out.shape)).astype(np.float32)
    out.backward(torch.tensor(g))
    ours = max_pool2d_backward(g, x, k, stride=s, padding=p, dilation=d, ceil_mode=ceil)
    np.testing.assert_allclose(ours, tx.grad.numpy(), rtol=1e-6, atol=1e-6)
    # min pooling is max pooling of -x
    tx.grad = None
    neg = torch.tensor(-x, requires_grad=True)
    torch.nn.functional.max_pool2d(neg, k, s, p, d, ceil_mode=ceil).backward(torch.tensor(g))
    ours_min = min_pool2d_backward(g, x, k, stride=s, padding=p, dilation=d, ceil_mode=ceil)
    np.testing.assert_allclose(ours_min, neg.grad.numpy(), rtol=1e-6, atol=1e-6)


@given(pool_cases(), st.booleans())
def test_avg_pool2d_backward_matches_torch_autograd(torch, case, include_pad):
    shape, k, s, p, _, ceil, ties, seed = case
    x = _pool_input(shape, ties, seed)
    tx = torch.tensor(x, requires_grad=True)
    try:
        out = torch.nn.functional.avg_pool2d(tx, k, s, p, ceil_mode=ceil,
                                             count_include_pad=include_pad)
    except RuntimeError:
        return
    g = np.random.default_rng(seed + 1).standard_normal(tuple(out.shape)).astype(np.float32)
    out.backward(torch.tensor(g))
    ours = avg_pool2d_backward(g, x, k, stride=s, padding=p, ceil_mode=ceil,
                               count_include_pad=include_pad)
    np.testing.assert_allclose(ours, tx.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_pool_1d_and_global_backward_match_torch_autograd(torch):
    F = torch.nn.functional
    rng = np.random.default_rng(9)
    x1 = rng.integers(0, 4, (2, 3, 11)).astype(np.float32)
    for ours, theirs, kwargs in [
        (max_pool1d_backward, F.max_pool1d, {"stride": 2, "padding": 1, "dilation": 2}),
        (avg_pool1d_backward, F.avg_pool1d, {"stride": 2, "padding": 1}),
    ]:
        tx = torch.tensor(x1, requires_grad=True)
        out = theirs(tx, 3, **kwargs)
        g = rng.standard_normal(tuple(out.shape)).astype(np.float32)
        out.backward(torch.tensor(g))
        np.testing.assert_allclose(ours(g, x1, 3, **kwargs), tx.grad.numpy(), atol=1e-6)
    x = rng.integers(0, 3, (2, 3, 5, 4)).astype(np.float32)
    for ours, theirs in [(global_max_pool2d_backward, F.adaptive_max_pool2d),
                         (global_avg_pool2d_backward, F.adaptive_avg_pool2d)]:
        tx = torch.tensor(x, requires_grad=True)
        out = theirs(tx, 1)
        g = rng.standard_normal(tuple(out.shape)).astype(np.float32)
        out.backward(torch.tensor(g))
        np.testing.assert_allclose(ours(g, x), tx.grad.numpy(), atol=1e-6)
        np.testing.assert_allclose(ours(g[0], x[0]), tx.grad.numpy()[0], atol=1e-6)


def test_max_pool_backward_follows_torch_on_nan_and_padding(torch):
    x = np.array([[[1.0, np.nan, 5.0, np.nan], [5.0, 2.0, -np.inf, -np.inf]]], np.float32)
    tx = torch.tensor(x, requires_grad=True)
    out = torch.nn.functional.max_pool2d(tx, 2, 1, 1)
    g = np.arange(1, out.numel() + 1, dtype=np.float32).reshape(tuple(out.shape))
    out.backward(torch.tensor(g))
    ours = max_pool2d_backward(g, x, 2, stride=1, padding=1)
    np.testing.assert_array_equal(ours, tx.grad.numpy())


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_backward_matches_torch_autograd(torch, name):
    x = np.array([-3.0, -0.5, 0.0, 0.25, 2.0, 40.0], np.float32)
    g = np.array([1.0, -2.0, 3.0, 0.5, -1.0, 2.0], np.float32)
    tx = torch.tensor(x, requires_grad=True)
    F = torch.nn.functional
    out = {"none": lambda v: v * 1, "relu": F.relu, "leaky_relu": lambda v: F.leaky_relu(v, 0.1),
           "sigmoid": torch.sigmoid, "tanh": torch.tanh}[name](tx)
    out.backward(torch.tensor(g))
    ours = activation_backward(name, g, x, negative_slope=0.1)
    np.testing.assert_allclose(ours, tx.grad.numpy(), rtol=1e-6, atol=1e-7)


def test_pool_and_activation_backward_equal_finite_differences():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 7, 8))  # continuous values: no ties
    g = rng.standard_normal(ref.avg_pool2d(x, 3, 2, 1, ceil_mode=True).shape)
    for ours, oracle in [
        (lambda gg, v: avg_pool2d_backward(gg, v, 3, stride=2, padding=1, ceil_mode=True),
         lambda v: ref.avg_pool2d(v, 3, 2, 1, ceil_mode=True)),
        (lambda gg, v: max_pool2d_backward(gg, v, 3, stride=2, padding=1, ceil_mode=True),
         lambda v: ref.max_pool2d(v, 3, 2, 1, ceil_mode=True)),
    ]:
        grad = ours(g, x)
        for index in [(0, 0, 0), (1, 3, 4), (0, 6, 7), (1, 2, 5)]:
            fd = _finite_difference(lambda v, o=oracle: float(np.sum(o(v) * g)), x, index)
            assert grad[index] == pytest.approx(fd, abs=1e-4)
    v = np.array([-1.5, 0.3, 2.0])
    for name in ("sigmoid", "tanh", "leaky_relu"):
        grad = activation_backward(name, np.ones(3), v, negative_slope=0.2)
        oracle = ref.ACTIVATIONS[name]
        for i in range(3):
            fd = _finite_difference(lambda a, o=oracle: float(np.sum(o(a, 0.2))), v, (i,))
            assert grad[i] == pytest.approx(fd, abs=1e-5)


def test_backward_argument_errors_are_clear():
    x = np.zeros((1, 6, 6), np.float32)
    w = np.zeros((2, 1, 3, 3), np.float32)
    with pytest.raises(ValueError, match=r"grad_out must have the shape of the convolution"):
        conv2d_backward(np.zeros((2, 5, 5)), x, w)
    with pytest.raises(ValueError, match="groups"):
        conv2d_backward(np.zeros((2, 4, 4)), x, w, groups=4)
    with pytest.raises(ValueError, match=r"shape of the pooling output \(1, 3, 3\)"):
        max_pool2d_backward(np.zeros((1, 2, 2)), x, 2)
    with pytest.raises(ValueError, match="pooling output would be"):
        max_pool2d_backward(np.zeros((1, 1, 1)), x, 7)
    with pytest.raises(ValueError, match="activation must be one of"):
        activation_backward("gelu", x, x)
    with pytest.raises(ValueError, match="dimensions"):
        conv1d_backward(np.zeros((4,)), np.zeros((1, 6)), np.zeros((1, 1, 3)))


@given(conv_cases(2))
def test_unrolled_conv_equals_the_direct_kernels(case):
    from workbench.core.im2col import unrolled_conv2d, unrolled_conv2d_backward

    if not _valid(case) or case.kwargs["groups"] != 1:
        return
    x, w, b = case.arrays(np.float32)
    x4 = x if x.ndim == 4 else x[None]
    out, ctx = unrolled_conv2d(x4, w, b, **case.kwargs)
    direct = conv2d(x4, w, b, **case.kwargs)
    scale = float(np.abs(x).max() * np.abs(w).sum() + 1.0)
    np.testing.assert_allclose(out, direct, rtol=1e-5, atol=1e-5 * scale)
    g = np.random.default_rng(case.seed % 997).standard_normal(out.shape).astype(np.float32)
    gx, gw, gb = unrolled_conv2d_backward(g, ctx)
    rx, rw, rb = conv2d_backward(g, x4, w, **case.kwargs)
    big = scale * float(np.abs(g).sum() + 1.0) * 1e-2
    _close(gx, rx, big)
    _close(gw, rw, big)
    _close(gb, rb, big)
