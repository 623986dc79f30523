"""The pipeline model (frozen dataclasses) and running it layer by layer."""

import dataclasses
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
    default_pipeline,
    divisors,
    preset_filter,
    run_pipeline,
)
from workbench.core.presets import DEFAULT_BANK, PRESETS

# ---------------------------------------------------------------- the oracle for one layer


def _reference_pool(maps: np.ndarray, pool: Pool) -> np.ndarray:
    if pool.kind == "none":
        return maps
    if pool.kind == "global_max":
        return ref.global_max_pool2d(maps)
    if pool.kind == "global_avg":
        return ref.global_avg_pool2d(maps)
    if pool.kind == "avg":
        return ref.avg_pool2d(maps, pool.size, pool.stride, pool.padding, pool.ceil_mode)
    func = ref.max_pool2d if pool.kind == "max" else ref.min_pool2d
    return func(maps, pool.size, pool.stride, pool.padding, 1, pool.ceil_mode)


def reference_layer(x: np.ndarray, layer: Layer) -> tuple[list, list, list]:
    """conv -> activation -> pool of every enabled filter, one filter at a time unless
    grouped (a grouped layer needs all filters at once)."""
    filters = layer.enabled_filters
    kwargs = {"stride": layer.stride, "padding": layer.padding, "dilation": layer.dilation,
              "groups": layer.groups, "padding_mode": layer.padding_mode, "flip": layer.flip}
    if layer.groups > 1:
        conv = list(ref.conv2d(x, np.stack([f.weight for f in filters]),
                               [f.bias for f in filters], **kwargs))
    else:
        conv = [ref.conv2d(x, f.weight[np.newaxis], [f.bias], **kwargs)[0] for f in filters]
    activated = [ref.ACTIVATIONS[layer.activation](c, np.float32(layer.negative_slope))
                 for c in conv]
    pooled = [_reference_pool(a.astype(np.float32)[np.newaxis], layer.pool)[0]
              for a in activated]
    return conv, activated, pooled


def _tolerance(x: np.ndarray, layer: Layer) -> float:
    """One float32 error budget for the whole layer: every stage is 1-Lipschitz."""
    filters = layer.enabled_filters
    kwargs = {"stride": layer.stride, "padding": layer.padding, "dilation": layer.dilation,
              "padding_mode": layer.padding_mode}
    if layer.groups > 1:
        magnitude = ref.conv2d(np.abs(x), np.abs(np.stack([f.weight for f in filters])),
                               [abs(f.bias) for f in filters], groups=layer.groups, **kwargs)
        return 1e-5 * float(magnitude.max()) + 1e-6
    worst = max(float(ref.conv2d(np.abs(x), np.abs(f.weight)[np.newaxis], [abs(f.bias)],
                                 **kwargs).max()) for f in filters)
    return 1e-5 * worst + 1e-6


def assert_layer_matches(x: np.ndarray, layer: Layer, result: Any) -> None:
    conv, activated, pooled = reference_layer(x, layer)
    tol = _tolerance(x, layer)
    assert result.filter_names == tuple(f.name for f in layer.enabled_filters)
    for got, expected in ((result.conv, conv), (result.activated, activated),
                          (result.pooled, pooled)):
        assert len(got) == len(expected)
        for g, e in zip(got, expected, strict=True):
            ref.assert_float32_c(g, e.shape)
            ref.assert_matches(g, e, tol)


# ---------------------------------------------------------------- running layers


@st.composite
def single_layers(draw: Any, channels: int) -> Layer:
    groups = draw(st.sampled_from(divisors(channels)))
    n_filters = groups * draw(st.integers(1, 2))
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    same = draw(st.booleans())
    seed = draw(st.integers(0, 2**32 - 1))
    filters = tuple(Filter(f"f{i}", ref.random_values(seed + i, (channels // groups, *kernel)),
                           float(ref.random_values(seed + 100 + i, ())))
                    for i in range(n_filters))
    pool = Pool(draw(st.sampled_from(["none", "max", "avg", "min", "global_max",
                                      "global_avg"])),
                size=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
                stride=draw(st.none() | st.tuples(st.integers(1, 3), st.integers(1, 3))),
                padding=(draw(st.integers(0, 1)), draw(st.integers(0, 1))),
                ceil_mode=draw(st.booleans()))
    return Layer(filters, stride=(1, 1) if same else (draw(st.integers(1, 3)),) * 2,
                 padding="same" if same else (draw(st.integers(0, 2)), draw(st.integers(0, 2))),
                 dilation=(draw(st.integers(1, 2)), draw(st.integers(1, 2))), groups=groups,
                 padding_mode=draw(st.sampled_from(PADDING_MODES)), flip=draw(st.booleans()),
                 activation=draw(st.sampled_from(ACTIVATIONS)),
                 negative_slope=draw(st.floats(0, 1)), pool=pool)


@given(data=st.data(), mode=st.sampled_from(["gray", "rgb"]), seed=st.integers(0, 2**32 - 1))
def test_one_layer_matches_the_reference_chain(data, mode, seed):
    channels = 1 if mode == "gray" else 3
    x = ref.random_values(seed, (channels, data.draw(st.integers(3, 10)),
                                 data.draw(st.integers(3, 10))), np.float32)
    layer = data.draw(single_layers(channels))
    try:
        reference_layer(x, layer)
    except ValueError as exc:
        ref.note(f"reference rejects it: {exc}")
        with pytest.raises(PipelineError, match="^layer 1: "):
            run_pipeline(x, Pipeline(mode, (layer,)))
        return
    result = run_pipeline(x, Pipeline(mode, (layer,)))
    assert len(result.layers) == 1
    assert_layer_matches(x, layer, result.layers[0])


def _filters(n: int, channels: int, size: int = 3, seed: int = 0) -> tuple[Filter, ...]:
    return tuple(Filter(f"f{i}", ref.random_values(seed + i, (channels, size, size)), 0.25 * i)
                 for i in range(n))


def test_layer_k_plus_1_consumes_layer_k():
    x = ref.random_values(1, (3, 12, 11), np.float32)
    first = Layer(_filters(2, 3), padding=(1, 1), activation="relu", pool=Pool("max", (2, 2)))
    second = Layer(_filters(4, 2, seed=10), activation="tanh",
                   pool=Pool("avg", (2, 2), padding=(1, 1)))
    third = Layer(_filters(1, 4, size=1, seed=20))
    result = run_pipeline(x, Pipeline("rgb", (first, second, third)))
    assert len(result.layers) == 3
    assert_layer_matches(x, first, result.layers[0])
    # Each layer's input is the previous layer's pooled maps, stacked as channels.
    second_input = np.stack(result.layers[0].pooled)
    assert second_input.shape == (2, 6, 5)
    assert_layer_matches(second_input, second, result.layers[1])
    assert_layer_matches(np.stack(result.layers[1].pooled), third, result.layers[2])
    np.testing.assert_array_equal(result.input, x)


def test_channel_mismatch_names_the_layer():
    x = ref.random_values(1, (1, 10, 10), np.float32)
    first = Layer(_filters(2, 1))
    second = Layer(_filters(3, 3))  # needs 3 channels, gets 2 maps
    with pytest.raises(PipelineError, match=r"^layer 2: the input has 2 channel\(s\) but the "
                                            r"filters have 3 slice\(s\)") as info:
        run_pipeline(x, Pipeline("gray", (first, second)))
    assert info.value.layer == 1
    assert isinstance(info.value, ValueError)


def test_rgb_filters_on_a_gray_input_name_layer_1():
    with pytest.raises(PipelineError, match=r"^layer 1: the input has 1 channel") as info:
        run_pipeline(np.zeros((1, 8, 8)), default_pipeline("rgb"))
    assert info.value.layer == 0


def test_mixed_kernel_sizes_in_one_layer():
    x = ref.random_values(2, (1, 9, 10), np.float32)
    filters = (Filter("3x3", ref.random_values(3, (3, 3)), 1.0),
               Filter("5x5", ref.random_values(4, (5, 5))),
               Filter("1x2", ref.random_values(5, (1, 2)), -1.0))
    layer = Layer(filters, activation="leaky_relu", negative_slope=0.1)
    result = run_pipeline(x, Pipeline("gray", (layer,))).layers[0]
    assert [m.shape for m in result.conv] == [(7, 8), (5, 6), (9, 9)]
    assert_layer_matches(x, layer, result)
    # "same" gives equal sizes, so a next layer can stack them.
    same = dataclasses.replace(layer, padding="same", pool=Pool("max", (2, 2)))
    follow = Layer(_filters(2, 3, size=1))
    result = run_pipeline(x, Pipeline("gray", (same, follow)))
    assert {m.shape for m in result.layers[0].conv} == {(9, 10)}
    assert_layer_matches(x, same, result.layers[0])
    assert_layer_matches(np.stack(result.layers[0].pooled), follow, result.layers[1])


def test_mixed_sizes_cannot_feed_a_next_layer():
    filters = (Filter("3x3", np.ones((3, 3))), Filter("5x5", np.ones((5, 5))))
    pipeline = Pipeline("gray", (Layer(filters), Layer(_filters(1, 2))))
    with pytest.raises(PipelineError, match=r"^layer 1: its maps have different sizes"):
        run_pipeline(np.ones((1, 9, 9)), pipeline)


def test_disabled_filters_are_skipped():
    x = ref.random_values(6, (1, 8, 8), np.float32)
    on = _filters(3, 1)
    # A disabled filter is not computed, so not even its wrong channel count matters.
    off = Filter("off", np.ones((3, 5, 5)), enabled=False)
    layer = Layer((on[0], off, on[1], dataclasses.replace(on[2], enabled=False)))
    result = run_pipeline(x, Pipeline("gray", (layer,))).layers[0]
    assert result.filter_names == ("f0", "f1")
    assert len(result.conv) == len(result.activated) == len(result.pooled) == 2
    assert_layer_matches(x, layer, result)


def test_a_layer_without_enabled_filters_is_an_error():
    layer = Layer((Filter("off", np.ones((3, 3)), enabled=False),))
    with pytest.raises(PipelineError, match="^layer 1: no enabled filters"):
        run_pipeline(np.ones((1, 5, 5)), Pipeline("gray", (layer,)))
    with pytest.raises(PipelineError, match="^layer 1: no enabled filters"):
        run_pipeline(np.ones((1, 5, 5)), Pipeline("gray", (Layer(()),)))


def test_groups_errors_list_the_allowed_values():
    x = np.ones((4, 6, 6))
    layer = Layer(_filters(3, 4), groups=3)
    with pytest.raises(PipelineError, match=r"^layer 1: groups=3 must divide the 4 input "
                                            r"channels; allowed: 1, 2, 4"):
        run_pipeline(x, Pipeline("rgb", (layer,)))
    layer = Layer(_filters(3, 2), groups=2)
    with pytest.raises(PipelineError, match=r"groups=2 must divide the number of enabled "
                                            r"filters \(3\)"):
        run_pipeline(x, Pipeline("rgb", (layer,)))
    mixed = Layer((Filter("a", np.ones((2, 3, 3))), Filter("b", np.ones((2, 5, 5)))), groups=2)
    with pytest.raises(PipelineError, match="groups > 1 needs every filter to have the same "
                                            "kernel size"):
        run_pipeline(x, Pipeline("rgb", (mixed,)))
    uneven = Layer((Filter("a", np.ones((2, 3, 3))), Filter("b", np.ones((1, 3, 3)))))
    with pytest.raises(PipelineError, match="the same number of input channel slices"):
        run_pipeline(x, Pipeline("rgb", (uneven,)))


def test_conv_and_pool_errors_name_the_layer():
    small = np.ones((1, 3, 3))
    with pytest.raises(PipelineError, match="^layer 1: output would be") as info:
        run_pipeline(small, Pipeline("gray", (Layer(_filters(1, 1, size=5)),)))
    assert isinstance(info.value.__cause__, ValueError)
    pool = Pool("max", (5, 5))
    with pytest.raises(PipelineError, match="^layer 1: pooling: pooling output would be"):
        run_pipeline(small, Pipeline("gray", (Layer(_filters(1, 1, size=1), pool=pool),)))
    pool = Pool("avg", (2, 2), padding=(2, 0))
    with pytest.raises(PipelineError, match="^layer 1: pooling: padding must be at most half"):
        run_pipeline(small, Pipeline("gray", (Layer(_filters(1, 1, size=1), pool=pool),)))
    layer = Layer(_filters(1, 1), padding=(3, 3), padding_mode="reflect")
    with pytest.raises(PipelineError, match="^layer 1: padding_mode='reflect'"):
        run_pipeline(small, Pipeline("gray", (layer,)))


@pytest.mark.parametrize("image", [np.ones((8, 8)), np.ones((1, 1, 8, 8)), np.ones((1, 0, 8)),
                                   np.array([[["a"]]])])
def test_bad_input_is_a_pipeline_error(image):
    with pytest.raises(PipelineError):
        run_pipeline(image, default_pipeline())


def test_result_structure_and_timings():
    x = ref.random_values(7, (3, 16, 12), np.uint8)
    pipeline = default_pipeline("rgb")
    result = run_pipeline(x, pipeline)
    ref.assert_float32_c(result.input, (3, 16, 12))
    layer = result.layers[0]
    assert layer.filter_names == tuple(PRESETS[k].title for k in DEFAULT_BANK)
    for maps, shape in ((layer.conv, (14, 10)), (layer.activated, (14, 10)),
                        (layer.pooled, (7, 5))):
        for m in maps:
            ref.assert_float32_c(m, shape)
    times = layer.times
    assert min(times.conv, times.activation, times.pool) >= 0
    assert times.total == pytest.approx(times.conv + times.activation + times.pool)
    assert result.seconds == pytest.approx(times.total)
    assert_layer_matches(x.astype(np.float32), pipeline.layers[0], layer)


def test_input_is_not_modified():
    x = ref.random_values(8, (1, 10, 10), np.float32)
    before = x.copy()
    run_pipeline(x, Pipeline("gray", (Layer(_filters(2, 1), activation="relu",
                                            pool=Pool("max")),)))
    np.testing.assert_array_equal(x, before)


def test_empty_pipeline_returns_the_input_only():
    result = run_pipeline(np.ones((1, 4, 4), np.uint8), Pipeline("gray", ()))
    assert result.layers == ()
    assert result.seconds == 0
    np.testing.assert_array_equal(result.input, np.ones((1, 4, 4)))


# ---------------------------------------------------------------- the model


def test_filter_stores_a_read_only_float32_copy():
    source = np.arange(9, dtype=np.float64).reshape(3, 3)
    f = Filter("k", source, bias=np.float32(0.5))
    assert f.weight.shape == (1, 3, 3) and f.weight.dtype == np.float32
    assert not f.weight.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        f.weight[0, 0, 0] = 5
    source[0, 0] = 100
    assert f.weight[0, 0, 0] == 0
    assert type(f.bias) is float and f.bias == 0.5
    assert (f.channels, f.kernel_size) == (1, (3, 3))
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.bias = 1.0  # type: ignore[misc]


@pytest.mark.parametrize(("weight", "bias", "match"), [
    (np.ones((1, 1, 3, 3)), 0.0, r"filter 'k': weight must be \(C, kH, kW\)"),
    (np.ones(3), 0.0, r"weight must be \(C, kH, kW\)"),
    (np.ones((1, 0, 3)), 0.0, r"weight must be \(C, kH, kW\)"),
    (np.array([[np.nan]]), 0.0, "weights must be finite"),
    (np.array([[np.inf]]), 0.0, "weights must be finite"),
    (np.ones((3, 3)), float("nan"), "bias must be a finite number"),
    (np.ones((3, 3)), float("-inf"), "bias must be a finite number"),
    (np.array([["x"]]), 0.0, "weight must have a real numeric dtype"),
])
def test_filter_rejects_bad_weights(weight, bias, match):
    with pytest.raises(ValueError, match=match):
        Filter("k", weight, bias)


def test_filter_equality_and_hash():
    a = Filter("k", np.eye(3), 1.0)
    b = Filter("k", np.eye(3).astype(np.float32), 1)
    assert a == b and hash(a) == hash(b)
    assert a != Filter("k", np.eye(3) * 2, 1.0)
    assert a != Filter("j", np.eye(3), 1.0)
    assert a != dataclasses.replace(a, enabled=False)
    assert a != Filter("k", np.eye(3)[np.newaxis].repeat(2, axis=0), 1.0)
    assert a.__eq__("k") is NotImplemented


def test_filter_with_channels():
    f = Filter("k", np.arange(4.0).reshape(2, 2))
    assert f.with_channels(1) is f
    three = f.with_channels(3)
    assert three.weight.shape == (3, 2, 2)
    assert all(np.array_equal(s, f.weight[0]) for s in three.weight)
    mixed = Filter("m", np.arange(8.0).reshape(2, 2, 2))
    np.testing.assert_array_equal(mixed.with_channels(1).weight, mixed.weight[:1])
    np.testing.assert_array_equal(mixed.with_channels(5).weight,
                                  mixed.weight[[0, 1, 0, 1, 0]])
    with pytest.raises(ValueError, match="channels must be a positive integer, got 0"):
        f.with_channels(0)


def test_pool_normalises_and_validates():
    pool = Pool("max", 3, padding=1)
    assert (pool.size, pool.stride, pool.padding, pool.effective_stride) == (
        (3, 3), None, (1, 1), (3, 3))
    assert Pool("avg", (2, 3), stride=[1, 2]).effective_stride == (1, 2)
    for kwargs, match in [({"kind": "median"}, "pool kind must be one of"),
                          ({"size": 0}, "pool size must be a positive"),
                          ({"stride": (1, 0)}, "pool stride must be a positive"),
                          ({"padding": -1}, "pool padding must be a non-negative")]:
        with pytest.raises(ValueError, match=match):
            Pool(**kwargs)


def test_layer_normalises_and_validates():
    f = Filter("k", np.ones((3, 3)))
    layer = Layer([f], stride=2, padding=1, dilation=[1, 2], groups=np.int64(1),
                  flip=1, negative_slope=1)
    assert (layer.filters, layer.stride, layer.padding, layer.dilation) == (
        (f,), (2, 2), (1, 1), (1, 2))
    assert type(layer.groups) is int and layer.flip is True
    assert type(layer.negative_slope) is float
    assert Layer((f,), padding="same").padding == "same"
    for kwargs, match in [
            ({"filters": (np.ones((3, 3)),)}, "filters must be Filter objects"),
            ({"stride": 0}, "stride must be a positive"),
            ({"dilation": (1, 0)}, "dilation must be a positive"),
            ({"padding": "full"}, "padding must be 'valid', 'same' or a pair"),
            ({"padding": -1}, "padding must be a non-negative"),
            ({"groups": 0}, "groups must be a positive integer, got 0"),
            ({"groups": True}, "groups must be a positive integer, got True"),
            ({"groups": 1.5}, "groups must be a positive integer"),
            ({"padding_mode": "mirror"}, "padding_mode must be one of"),
            ({"activation": "gelu"}, "activation must be one of"),
            ({"pool": "max"}, "pool must be a Pool")]:
        kwargs.setdefault("filters", (f,))
        with pytest.raises(ValueError, match=match):
            Layer(**kwargs)


def test_pipeline_validates():
    assert Pipeline().input_channels == 1
    assert Pipeline("rgb").input_channels == 3
    assert isinstance(Pipeline("gray", [Layer(())]).layers, tuple)
    with pytest.raises(ValueError, match="input_mode must be one of"):
        Pipeline("cmyk")
    with pytest.raises(ValueError, match="layers must be Layer objects"):
        Pipeline("gray", ("layer",))


def test_default_pipeline():
    for mode, channels in (("gray", 1), ("rgb", 3)):
        pipeline = default_pipeline(mode)
        assert pipeline.input_mode == mode
        (layer,) = pipeline.layers
        assert layer.activation == "relu" and layer.pool == Pool("max", (2, 2))
        assert [f.name for f in layer.filters] == [PRESETS[k].title for k in DEFAULT_BANK]
        for f, key in zip(layer.filters, DEFAULT_BANK, strict=True):
            assert f.weight.shape == (channels, 3, 3)
            for s in f.weight:
                np.testing.assert_array_equal(s, PRESETS[key].kernel)


def test_preset_filter():
    f = preset_filter("sobel_x", 3, name="edges")
    assert f.name == "edges" and f.weight.shape == (3, 3, 3)
    assert preset_filter("identity").name == "Identity"
    with pytest.raises(ValueError, match="unknown preset 'nope'"):
        preset_filter("nope")


@given(st.integers(1, 500))
def test_divisors(n):
    ds = divisors(n)
    assert ds == sorted(ds) and ds[0] == 1 and ds[-1] == n
    assert ds == [d for d in range(1, n + 1) if n % d == 0]
