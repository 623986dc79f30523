"""Caller-owned output buffers: same results, and a leased buffer is never overwritten."""

import gc

import numpy as np
import pytest

from workbench.core import BufferPool, Filter, Layer, Pipeline, Pool, run_pipeline
from workbench.core.conv import plan_conv2d
from workbench.core.fused import conv_activate_pool


def _pipeline(pool: str = "max", activation: str = "relu", sizes=((3, 3),)) -> Pipeline:
    rng = np.random.default_rng(0)
    filters = tuple(Filter(f"f{i}", rng.standard_normal((3, *size), dtype=np.float32))
                    for i, size in enumerate(sizes * 2))
    return Pipeline("rgb", (Layer(filters, padding="same", activation=activation,
                                  pool=Pool(pool, (2, 2))),))


def _maps(result):
    return [m.copy() for layer in result.layers
            for m in (*layer.conv, *layer.activated, *layer.pooled)]


@pytest.mark.parametrize(("pool", "activation"), [("max", "relu"), ("avg", "leaky_relu"),
                                                  ("none", "none"), ("min", "relu")])
@pytest.mark.parametrize("sizes", [((3, 3),), ((3, 3), (5, 5))])
def test_results_equal_with_and_without_a_pool(pool, activation, sizes):
    rng = np.random.default_rng(1)
    pipeline = _pipeline(pool, activation, sizes)
    buffers = BufferPool()
    for _ in range(3):  # the later runs reuse released buffers
        x = rng.random((3, 24, 31), dtype=np.float32)
        lease = buffers.lease()
        pooled_result = run_pipeline(x, pipeline, buffers=lease)
        fresh = run_pipeline(x, pipeline)
        for a, b in zip(_maps(pooled_result), _maps(fresh), strict=True):
            assert a.dtype == b.dtype == np.float32 and a.shape == b.shape
            assert a.tobytes() == b.tobytes()
        assert lease.nbytes > 0
        del pooled_result
        lease.release()


def test_a_leased_buffer_is_never_overwritten():
    rng = np.random.default_rng(2)
    pipeline = _pipeline()
    buffers = BufferPool()
    held_lease = buffers.lease()
    held = run_pipeline(rng.random((3, 20, 20), dtype=np.float32), pipeline, buffers=held_lease)
    snapshot = _maps(held)
    held_ids = {id(m.base if m.base is not None else m) for m in held.layers[0].conv}
    for _ in range(5):
        lease = buffers.lease()
        result = run_pipeline(rng.random((3, 20, 20), dtype=np.float32), pipeline,
                              buffers=lease)
        assert not {id(m.base) for m in result.layers[0].conv} & held_ids
        lease.release()
    # Views kept without the result are not special either: the lease decides.
    for before, after in zip(snapshot, _maps(held), strict=True):
        assert before.tobytes() == after.tobytes()
    held_lease.release()
    gc.collect()


def test_released_buffers_are_reused_and_bounded():
    buffers = BufferPool(max_bytes=3 * 4 * 100)
    lease = buffers.lease()
    a, b = lease.take((10, 10)), lease.take((5, 20))
    assert a.dtype == np.float32 and a.flags.c_contiguous and buffers.free_bytes == 0
    lease.release()
    lease.release()  # idempotent
    assert buffers.free_bytes == 800
    again = buffers.lease()
    assert again.take((5, 20)) is b and again.take((10, 10)) is a
    assert again.take((10, 10)) is not a  # a is leased again: a new array
    with pytest.raises(RuntimeError, match="released"):
        lease.take((1,))
    again.release()
    assert buffers.free_bytes <= 1200
    buffers.clear()
    assert buffers.free_bytes == 0
    with pytest.raises(ValueError, match="max_bytes must be a non-negative integer, got -1"):
        BufferPool(-1)


def test_fused_pass_without_buffers_returns_new_arrays():
    x = np.random.default_rng(3).random((1, 3, 16, 16), dtype=np.float32)
    w = np.ones((2, 3, 3, 3), np.float32)
    plan = plan_conv2d(x, w, None, padding=1)
    first = conv_activate_pool(plan, "relu", 0.0, "max", (2, 2), None, (0, 0), False)
    kept = [m.copy() for m in first]
    del first
    gc.collect()
    second = conv_activate_pool(plan, "relu", 0.0, "max", (2, 2), None, (0, 0), False)
    third = conv_activate_pool(plan, "relu", 0.0, "max", (2, 2), None, (0, 0), False)
    assert all(a is not b for a, b in zip(second, third, strict=True))
    assert all(np.array_equal(a, b) for a, b in zip(kept, second, strict=True))
