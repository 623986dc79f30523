"""Pipeline limits checked before allocation, O(1) buffer reuse, and huge strides."""

import tracemalloc

import numpy as np
import pytest

from workbench.core import (
    MAX_FILTERS_PER_LAYER,
    MAX_KERNEL_SIDE,
    MAX_LAYERS,
    MAX_PADDING,
    MAX_PIPELINE_BYTES,
    BufferPool,
    Filter,
    Layer,
    LimitError,
    Pipeline,
    PipelineError,
    Pool,
    avg_pool2d,
    check_limits,
    conv2d,
    default_pipeline,
    estimate_pipeline_bytes,
    max_pool2d,
    min_pool2d,
    run_pipeline,
)
from workbench.core.limits import format_bytes

RNG = np.random.default_rng(0)


def _filters(count, channels=1, k=3, name="f"):
    return tuple(Filter(f"{name}{i}", RNG.standard_normal((channels, k, k))) for i in range(count))


def _one(k=3, channels=1):
    return (Filter("one", np.ones((channels, k, k))),)


# ------------------------------------------------------------------ the estimate

CASES = {
    "default (fused relu + max)": default_pipeline(),
    "two fused layers": Pipeline("gray", (
        Layer(_filters(4), activation="relu", pool=Pool("max", (2, 2))),
        Layer(_filters(8, 4), activation="leaky_relu", pool=Pool("avg", (2, 2))))),
    "sigmoid, overlapping pool": Pipeline("gray", (
        Layer(_filters(4), activation="sigmoid", pool=Pool("max", (3, 3), (2, 2))),)),
    "tanh, global pool": Pipeline("gray", (
        Layer(_filters(3, k=5), activation="tanh", pool=Pool("global_avg")),)),
    "mixed kernels stacked": Pipeline("gray", (
        Layer(_filters(2, k=3) + _filters(1, k=5, name="g"), padding="same", activation="relu"),
        Layer(_filters(1, 3), activation="none"))),
    "reflect padding": Pipeline("gray", (
        Layer(_filters(2), padding=(4, 4), padding_mode="reflect", activation="relu",
              pool=Pool("min", (2, 2))),)),
    "stride 3": Pipeline("gray", (Layer(_filters(2), stride=3, activation="relu"),)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_estimate_is_within_15_percent_of_the_traced_peak(name):
    pipeline = CASES[name]
    x = RNG.random((1, 240, 320), dtype=np.float32)
    run_pipeline(x, pipeline)  # compiled, so tracing sees only the run's arrays
    tracemalloc.start()
    try:
        result = run_pipeline(x, pipeline)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    estimate = estimate_pipeline_bytes(pipeline, x.shape)
    assert result.layers
    assert peak / 1.15 <= estimate <= peak * 1.15, (estimate, peak)


def test_estimate_counts_the_result_maps_of_a_fused_layer():
    x = RNG.random((1, 48, 64), dtype=np.float32)
    result = run_pipeline(x, default_pipeline())
    maps = {id(m.base): m.base.nbytes for layer in result.layers
            for m in (*layer.conv, *layer.activated, *layer.pooled)}
    # 4 filters: conv and activated 46x62 each, pooled 23x31.
    assert sum(maps.values()) == 4 * 4 * (2 * 46 * 62 + 23 * 31)
    assert estimate_pipeline_bytes(default_pipeline(), (1, 48, 64)) == sum(maps.values())


def test_estimate_stops_at_the_layer_that_cannot_run():
    first = Layer(_filters(2), activation="relu", pool=Pool("max", (2, 2)))
    too_big = Layer(_filters(1, 2, k=9))  # 9x9 kernel on the 3x3 maps of layer 1
    alone = estimate_pipeline_bytes(Pipeline("gray", (first,)), (1, 8, 8))
    assert alone == 4 * 2 * (2 * 6 * 6 + 3 * 3)
    assert estimate_pipeline_bytes(Pipeline("gray", (first, too_big)), (1, 8, 8)) == alone


@pytest.mark.parametrize("shape", [(480, 640), (1, 0, 5), (1, 2.0, 3), (True, 4, 4), "abc"])
def test_estimate_rejects_a_bad_input_shape(shape):
    with pytest.raises(ValueError, match="input_shape must be"):
        estimate_pipeline_bytes(default_pipeline(), shape)


# ------------------------------------------------------------------ the checks


def test_constants():
    assert (MAX_LAYERS, MAX_FILTERS_PER_LAYER, MAX_KERNEL_SIDE, MAX_PADDING) == (256, 1024,
                                                                                255, 1024)
    assert MAX_PIPELINE_BYTES == 2 * 2**30
    assert issubclass(LimitError, PipelineError) and issubclass(LimitError, ValueError)


def test_padding_limit_names_the_layer_value_and_limit():
    layers = (Layer(_one()), Layer(_one()), Layer(_one(), padding=(0, 8000)))
    with pytest.raises(LimitError) as info:
        check_limits(Pipeline("gray", layers), (1, 480, 640))
    assert str(info.value) == "layer 3: padding 8000 exceeds the limit of 1024"
    assert (info.value.limit, info.value.value, info.value.maximum, info.value.layer) == (
        "padding", 8000, 1024, 2)
    # At the limit itself the pipeline passes.
    check_limits(Pipeline("gray", (Layer(_one(), padding=1024),)), (1, 8, 8))


def test_layer_filter_and_kernel_limits():
    with pytest.raises(LimitError, match=r"^the pipeline has 257 layers; the limit is 256$"):
        check_limits(Pipeline("gray", (Layer(_one(1)),) * 257), (1, 8, 8))
    many = Layer((Filter("a", np.ones((1, 1, 1))),) * 1025)
    with pytest.raises(LimitError,
                       match=r"^layer 1: 1025 filters exceed the limit of 1024 per layer$"):
        check_limits(Pipeline("gray", (many,)), (1, 8, 8))
    wide = Layer((Filter("wide", np.ones((1, 3, 256))),))
    with pytest.raises(LimitError) as info:
        check_limits(Pipeline("gray", (Layer(_one()), wide)), (1, 300, 300))
    assert str(info.value) == ("layer 2: filter 'wide' has a 3x256 kernel; its side 256 "
                               "exceeds the limit of 255")


def test_memory_limit_message_and_max_bytes():
    with pytest.raises(LimitError) as info:
        check_limits(default_pipeline(), (1, 480, 640), max_bytes=10**6)
    assert str(info.value) == ("this pipeline would allocate 10.5 MB on a 640x480 input; "
                               "the limit is 976.6 KB")
    assert info.value.value == 10_978_704 and info.value.layer is None
    check_limits(default_pipeline(), (1, 480, 640))  # well within 2 GB


def test_format_bytes():
    assert [format_bytes(n) for n in (0, 1023, 1536, 2**20, 2 * 2**30, 3 * 2**40)] == [
        "0 bytes", "1023 bytes", "1.5 KB", "1 MB", "2 GB", "3 TB"]


def test_run_pipeline_refuses_a_huge_pipeline_before_allocating():
    # 1024 1x1 filters at padding 1024: each map is (480 + 2048) x (640 + 2048).
    layer = Layer((Filter("p", np.ones((1, 1, 1))),) * 1024, padding=1024, activation="relu")
    pipeline = Pipeline("gray", (layer,))
    expected = 4 * 1024 * 2 * 2528 * 2688
    assert estimate_pipeline_bytes(pipeline, (1, 480, 640)) == expected
    x = np.zeros((1, 480, 640), np.float32)
    tracemalloc.start()
    try:
        with pytest.raises(PipelineError) as info:
            run_pipeline(x, pipeline)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(info.value, LimitError)
    assert str(info.value) == ("this pipeline would allocate 51.8 GB on a 640x480 input; "
                               "the limit is 2 GB")
    assert peak < 2**20


def test_run_pipeline_checks_structural_limits_too():
    layer = Layer(_one(), padding=(5000, 0))
    with pytest.raises(LimitError, match=r"^layer 1: padding 5000 exceeds the limit of 1024$"):
        run_pipeline(np.zeros((1, 4, 4), np.float32), Pipeline("gray", (layer,)))


# ------------------------------------------------------------------ buffer reuse


class _CountingArray(np.ndarray):
    reads = 0

    @property
    def shape(self):  # type: ignore[override]
        type(self).reads += 1
        return super().shape


def test_taking_a_buffer_does_not_scan_the_other_shapes():
    pool = BufferPool()
    lease = pool.lease()
    arrays = [np.empty((1, n), np.float32).view(_CountingArray) for n in range(1, 1001)]
    lease._buffers.extend(arrays)
    lease.release()
    _CountingArray.reads = 0
    taken = pool.lease().take((1, 1000))
    assert taken is arrays[-1]
    assert _CountingArray.reads == 0  # the old list scan read 1000 shapes
    assert pool.free_bytes == 4 * sum(range(1, 1000))


def test_pool_reuses_oldest_first_and_drops_the_oldest_over_max_bytes():
    pool = BufferPool(max_bytes=3 * 400)
    lease = pool.lease()
    a, b, c = lease.take((10, 10)), lease.take((5, 20)), lease.take((10, 10))
    lease.release()
    again = pool.lease()
    assert again.take((10, 10)) is a and again.take((10, 10)) is c
    assert again.take((5, 20)) is b
    d = again.take((10, 10))
    assert d is not a and d is not c
    again.release()  # 4 buffers of 400 bytes: the oldest (a) is dropped
    assert pool.free_bytes == 1200
    third = pool.lease()
    assert third.take((10, 10)) is c
    assert third.take((5, 20)) is b
    pool.clear()
    assert pool.free_bytes == 0 and pool.lease().take((10, 10)) is not a


def test_200_layers_with_stale_buffers_equal_a_layer_by_layer_run():
    # Every layer shrinks the map by one row: 200 shapes, and stale buffers of other widths.
    layers = tuple(Layer((Filter("s", np.full((1, 2, 1), 0.5)),), activation="leaky_relu",
                         negative_slope=0.5) for _ in range(200))
    pipeline = Pipeline("gray", layers)
    pool = BufferPool()
    for width in (3, 4, 5):
        lease = pool.lease()
        run_pipeline(RNG.standard_normal((1, 201, width), dtype=np.float32), pipeline,
                     buffers=lease)
        lease.release()
    x = RNG.standard_normal((1, 201, 6), dtype=np.float32)
    pooled = run_pipeline(x, pipeline, buffers=pool.lease())
    current = x
    for index, layer in enumerate(layers):
        step = run_pipeline(current, Pipeline("gray", (layer,))).layers[0]
        got = pooled.layers[index]
        assert got.conv[0].tobytes() == step.conv[0].tobytes()
        assert got.activated[0].tobytes() == step.activated[0].tobytes()
        current = step.pooled[0][np.newaxis]
    assert pooled.layers[-1].pooled[0].shape == (1, 6)


# ------------------------------------------------------------------ huge strides


@pytest.mark.parametrize("stride", [10**8, 2**63, 2**64])
def test_conv_with_a_huge_stride_returns_one_column(stride):
    x = RNG.random((1, 64, 64), dtype=np.float32)
    out = conv2d(x, np.ones((1, 1, 3, 3)), stride=(1, stride))
    assert out.shape == (1, 62, 1)
    np.testing.assert_array_equal(out, conv2d(x, np.ones((1, 1, 3, 3)), stride=(1, 62)))
    assert conv2d(np.zeros((1, 64, 64)), np.ones((1, 1, 3, 3)),
                  stride=(stride, stride)).shape == (1, 1, 1)


@pytest.mark.parametrize("stride", [2**63, 2**64])
@pytest.mark.parametrize("pool", [max_pool2d, min_pool2d, avg_pool2d])
def test_pooling_with_a_huge_stride_returns_one_column(pool, stride):
    x = RNG.random((1, 64, 64), dtype=np.float32)
    out = pool(x, (2, 2), stride=(1, stride))
    assert out.shape == (1, 63, 1)
    np.testing.assert_array_equal(out, pool(x, (2, 2), stride=(1, 100)))


@pytest.mark.parametrize("stride", [2**63, 2**64])
@pytest.mark.parametrize("activation", ["relu", "sigmoid"])  # fused and stage by stage
def test_pipeline_with_huge_strides_runs(stride, activation):
    x = RNG.random((1, 64, 64), dtype=np.float32)

    def run(s):
        layer = Layer(_one(), stride=(1, s), activation=activation,
                      pool=Pool("max", (2, 1), stride=(1, s)))
        return run_pipeline(x, Pipeline("gray", (layer,))).layers[0]

    huge, small = run(stride), run(100)
    assert huge.conv[0].shape == (62, 1) and huge.pooled[0].shape == (61, 1)
    assert huge.pooled[0].tobytes() == small.pooled[0].tobytes()


def test_estimate_takes_numpy_integers():
    shape = tuple(np.int64(n) for n in (1, 48, 64))
    assert estimate_pipeline_bytes(default_pipeline(), shape) == 4 * 4 * (2 * 46 * 62 + 23 * 31)
