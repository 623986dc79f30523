"""The fused conv -> activation -> pool pass: bit-identical to the separate stages."""

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest
import reference as ref
from hypothesis import given
from hypothesis import strategies as st

from workbench.core import (
    ACTIVATIONS,
    PADDING_MODES,
    Filter,
    Layer,
    Pipeline,
    PipelineError,
    Pool,
    _kernels,
    activate,
    avg_pool2d,
    conv2d,
    divisors,
    global_avg_pool2d,
    global_max_pool2d,
    max_pool2d,
    min_pool2d,
    run_pipeline,
)
from workbench.core.conv import plan_conv2d
from workbench.core.fused import can_fuse, conv_activate_pool

POOLS = {"max": max_pool2d, "min": min_pool2d, "avg": avg_pool2d}


def separate_stages(x: np.ndarray, layer: Layer) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The layer through the public stage functions, one after the other."""
    filters = layer.enabled_filters
    conv = conv2d(x, np.stack([f.weight for f in filters]), [f.bias for f in filters],
                  stride=layer.stride, padding=layer.padding, dilation=layer.dilation,
                  groups=layer.groups, padding_mode=layer.padding_mode, flip=layer.flip)
    activated = activate(layer.activation, conv, negative_slope=layer.negative_slope)
    pool = layer.pool
    if pool.kind == "none":
        return conv, activated, activated
    if pool.kind.startswith("global"):
        func = global_max_pool2d if pool.kind == "global_max" else global_avg_pool2d
        return conv, activated, func(activated)
    pooled = POOLS[pool.kind](activated, pool.size, stride=pool.stride, padding=pool.padding,
                              ceil_mode=pool.ceil_mode)
    return conv, activated, pooled


def reference_stages(x: np.ndarray, layer: Layer) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The slow float64 oracle for the same layer."""
    filters = layer.enabled_filters
    conv = ref.conv2d(x, np.stack([f.weight for f in filters]), [f.bias for f in filters],
                      stride=layer.stride, padding=layer.padding, dilation=layer.dilation,
                      groups=layer.groups, padding_mode=layer.padding_mode, flip=layer.flip)
    activated = ref.ACTIVATIONS[layer.activation](conv, np.float32(layer.negative_slope))
    pool = layer.pool
    a32 = activated.astype(np.float32)
    if pool.kind == "none":
        return conv, activated, activated
    if pool.kind == "avg":
        return conv, activated, ref.avg_pool2d(a32, pool.size, pool.stride, pool.padding,
                                               pool.ceil_mode)
    func = ref.max_pool2d if pool.kind == "max" else ref.min_pool2d
    return conv, activated, func(a32, pool.size, pool.stride, pool.padding, 1, pool.ceil_mode)


def assert_bits_equal(got: tuple[np.ndarray, ...], expected: np.ndarray) -> None:
    stacked = np.stack(got)
    ref.assert_float32_c(stacked, expected.shape)
    np.testing.assert_array_equal(stacked.view(np.uint32), expected.view(np.uint32))


@st.composite
def fusable_layers(draw: Any, channels: int) -> Layer:
    groups = draw(st.sampled_from(divisors(channels)))
    n_filters = groups * draw(st.integers(1, 3))
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    seed = draw(st.integers(0, 2**32 - 1))
    filters = tuple(Filter(f"f{i}", ref.random_values(seed + i, (channels // groups, *kernel)),
                           float(ref.random_values(seed + 100 + i, ())))
                    for i in range(n_filters))
    size = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    # Vertical stride >= window (fusable); any horizontal stride.
    stride = draw(st.none() | st.tuples(st.integers(size[0], 4), st.integers(1, 3)))
    pool = Pool(draw(st.sampled_from(["none", "max", "avg", "min"])), size=size, stride=stride,
                padding=(draw(st.integers(0, size[0] // 2)), draw(st.integers(0, size[1] // 2))),
                ceil_mode=draw(st.booleans()))
    same = draw(st.booleans())
    return Layer(filters, stride=(1, 1) if same else (draw(st.integers(1, 3)),
                                                       draw(st.integers(1, 3))),
                 padding="same" if same else (draw(st.integers(0, 2)), draw(st.integers(0, 2))),
                 dilation=(draw(st.integers(1, 2)), draw(st.integers(1, 2))), groups=groups,
                 padding_mode=draw(st.sampled_from(PADDING_MODES)), flip=draw(st.booleans()),
                 activation=draw(st.sampled_from(ACTIVATIONS)),
                 negative_slope=draw(st.floats(-2, 2, width=32)), pool=pool)


def _with_specials(x: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = x.copy()
    flat = x.reshape(-1)
    spots = rng.choice(flat.size, size=min(3, flat.size), replace=False)
    flat[spots] = rng.choice([np.nan, np.inf, -np.inf], size=spots.size)
    return x


@given(data=st.data(), channels=st.sampled_from([1, 2, 3]), seed=st.integers(0, 2**32 - 1),
       specials=st.booleans())
def test_fused_layer_equals_separate_stages_and_reference(data, channels, seed, specials):
    x = ref.random_values(seed, (channels, data.draw(st.integers(3, 13)),
                                 data.draw(st.integers(3, 13))), np.float32)
    if specials:
        x = _with_specials(x, seed)
    layer = data.draw(fusable_layers(channels))
    try:
        expected = separate_stages(x, layer)
    except ValueError as exc:
        ref.note(f"the stages reject it: {exc}")
        with pytest.raises(PipelineError, match="^layer 1: "):
            run_pipeline(x, Pipeline("raw", (layer,)))
        return
    result = run_pipeline(x, Pipeline("raw", (layer,))).layers[0]
    fusable = can_fuse(layer.activation, layer.pool.kind, layer.pool.size, layer.pool.stride)
    assert result.times.fused == fusable
    ref.event(f"fused={fusable}")
    for got, want in zip((result.conv, result.activated, result.pooled), expected, strict=True):
        assert_bits_equal(got, want)
    if specials:
        return  # the oracle's tolerance is for finite data; NaN/Inf are checked bitwise above
    tol = 1e-5 * float(ref.conv2d(
        np.abs(x), np.abs(np.stack([f.weight for f in layer.enabled_filters])),
        [abs(f.bias) for f in layer.enabled_filters], stride=layer.stride,
        padding=layer.padding, dilation=layer.dilation, groups=layer.groups,
        padding_mode=layer.padding_mode).max()) + 1e-6
    for got, want in zip((result.conv, result.activated, result.pooled),
                         reference_stages(x, layer), strict=True):
        ref.assert_matches(np.stack(got), want, tol)


def _rgb_layer(activation: str = "relu", pool: Pool | None = None, **kwargs: Any) -> Layer:
    rng = np.random.default_rng(5)
    filters = tuple(Filter(f"f{i}", rng.standard_normal((3, 3, 3)), 0.1 * i) for i in range(4))
    return Layer(filters, activation=activation, pool=pool or Pool("max", (2, 2)), **kwargs)


# Global averages over +inf and -inf are NaN, with numpy's warning.
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("kind", ["none", "max", "min", "avg", "global_max", "global_avg"])
def test_every_activation_and_pool_kind_matches_the_stages(activation, kind):
    x = ref.random_values(3, (3, 21, 17), np.float32)
    x[1, 4, 5] = np.nan
    x[2, 9, 9] = -np.inf
    layer = _rgb_layer(activation, Pool(kind, (2, 2), ceil_mode=True), padding=(1, 0),
                       negative_slope=0.25)
    result = run_pipeline(x, Pipeline("rgb", (layer,))).layers[0]
    assert result.times.fused == (activation in ("none", "relu", "leaky_relu")
                                  and kind in ("none", "max", "min", "avg"))
    for got, want in zip((result.conv, result.activated, result.pooled),
                         separate_stages(x, layer), strict=True):
        assert_bits_equal(got, want)


def test_live_workload_matches_the_stages_at_full_size():
    x = ref.random_values(8, (3, 480, 640), np.float32)
    layer = _rgb_layer(padding="same")
    result = run_pipeline(x, Pipeline("rgb", (layer,))).layers[0]
    assert result.times.fused
    assert result.times.activation == result.times.pool == 0.0
    assert result.times.total == result.times.conv > 0
    for got, want in zip((result.conv, result.activated, result.pooled),
                         separate_stages(x, layer), strict=True):
        assert_bits_equal(got, want)
    assert result.pooled[0].shape == (240, 320)


def test_can_fuse_needs_non_overlapping_rows_and_a_simple_activation():
    assert can_fuse("relu", "max", (2, 2), None)
    assert can_fuse("leaky_relu", "avg", (3, 3), (3, 1))
    assert can_fuse("none", "none", (5, 5), (1, 1))
    assert not can_fuse("relu", "max", (3, 3), (2, 2))
    assert not can_fuse("sigmoid", "max", (2, 2), None)
    assert not can_fuse("tanh", "none", (2, 2), None)
    assert not can_fuse("relu", "global_max", (2, 2), None)


def test_conv_activate_pool_returns_batched_maps_and_rejects_what_it_cannot_fuse():
    x = ref.random_values(4, (2, 3, 9, 8), np.float32)
    w = ref.random_values(5, (4, 3, 3, 3), np.float32)
    conv, activated, pooled = conv_activate_pool(plan_conv2d(x, w, padding=1), "leaky_relu",
                                                 0.5, "avg", (2, 2), None, (1, 1), True)
    ref.assert_float32_c(conv, (2, 4, 9, 8))
    ref.assert_float32_c(pooled, (2, 4, 5, 5))
    np.testing.assert_array_equal(conv, conv2d(x, w, padding=1))
    np.testing.assert_array_equal(activated, activate("leaky_relu", conv, negative_slope=0.5))
    np.testing.assert_array_equal(pooled, avg_pool2d(activated, 2, padding=1, ceil_mode=True))
    with pytest.raises(ValueError, match="cannot fuse activation 'sigmoid'"):
        conv_activate_pool(plan_conv2d(x, w), "sigmoid", 0.0, "max", (2, 2), None, (0, 0),
                           False)
    with pytest.raises(ValueError, match="padding must be at most half the kernel size"):
        conv_activate_pool(plan_conv2d(x, w), "relu", 0.0, "max", (2, 2), None, (2, 0), False)


def test_a_pooling_error_names_the_layer_and_pooling():
    x = ref.random_values(6, (3, 4, 7), np.float32)
    layer = _rgb_layer(pool=Pool("max", (3, 3)))
    with pytest.raises(PipelineError, match=r"^layer 1: pooling: pooling output would be 0x1"):
        run_pipeline(x, Pipeline("rgb", (layer,)))


def test_results_held_by_the_caller_are_never_overwritten():
    layer = _rgb_layer(padding="same")
    pipeline = Pipeline("rgb", (layer,))
    first = run_pipeline(ref.random_values(10, (3, 30, 40), np.float32), pipeline).layers[0]
    kept = [np.array(m, copy=True) for m in first.conv + first.activated + first.pooled]
    one_view = first.pooled[0]
    del first
    for seed in range(11, 16):
        run_pipeline(ref.random_values(seed, (3, 30, 40), np.float32), pipeline)
    np.testing.assert_array_equal(one_view, kept[-len(layer.filters)])
    again = run_pipeline(ref.random_values(10, (3, 30, 40), np.float32), pipeline).layers[0]
    for got, want in zip(again.conv + again.activated + again.pooled, kept, strict=True):
        np.testing.assert_array_equal(got, want)


def test_one_kernel_signature_serves_every_fused_layer():
    x3 = ref.random_values(12, (3, 11, 10), np.float32)
    layers = [_rgb_layer("relu", Pool("max", (2, 2)), padding="same"),
              _rgb_layer("leaky_relu", Pool("avg", (3, 2), (3, 2), (1, 1), True),
                         stride=2, dilation=(1, 2)),
              _rgb_layer("none", Pool("none"), padding_mode="reflect", padding=1),
              _rgb_layer("relu", Pool("min", (1, 3), (2, 1)), flip=True)]
    for layer in layers:
        assert run_pipeline(x3, Pipeline("rgb", (layer,))).layers[0].times.fused
    conv_activate_pool(plan_conv2d(x3[np.newaxis], np.ones((2, 3, 2, 2))), "relu", 0.0,
                       "max", (2, 2), None, (0, 0), False)
    assert len(_kernels.conv_act_pool.signatures) == 1


def test_fused_layers_from_many_threads_give_the_serial_results():
    layer = _rgb_layer("leaky_relu", Pool("avg", (2, 2)), padding="same", negative_slope=0.2)
    pipeline = Pipeline("rgb", (layer,))
    inputs = [ref.random_values(20 + i, (3, 33, 29), np.float32) for i in range(6)] * 4

    def maps(x: np.ndarray) -> list[np.ndarray]:
        result = run_pipeline(x, pipeline).layers[0]
        return [np.stack(result.conv), np.stack(result.activated), np.stack(result.pooled)]

    serial = [maps(x) for x in inputs]
    with ThreadPoolExecutor(4) as pool:
        threaded = list(pool.map(maps, inputs))
    for a, b in zip(serial, threaded, strict=True):
        for got, want in zip(a, b, strict=True):
            np.testing.assert_array_equal(got, want)
