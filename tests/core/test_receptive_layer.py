"""Receptive fields against a brute-force oracle: which input pixels change an output."""

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from workbench.core import Filter, Layer, Pool, avg_pool2d, conv2d, layer_geometry
from workbench.core.receptive import (
    Window,
    conv_window,
    input_patch,
    layer_field,
    pool_window,
)


def oracle(layer, kernel, size, stage, y, x):
    """Bounding box of the input pixels whose impulse reaches output (y, x).

    One impulse image per input pixel, in one batch; a ones kernel and average pooling
    (linear, all weights positive) keep every dependency visible.
    """
    h, w = size
    impulses = np.eye(h * w, dtype=np.float32).reshape(h * w, 1, h, w)
    out = conv2d(impulses, np.ones((1, 1, *kernel), np.float32), stride=layer.stride,
                 padding=layer.padding, dilation=layer.dilation)
    pool = layer.pool
    if stage == "pooled" and pool.kind.startswith("global"):
        out = out.sum(axis=(2, 3), keepdims=True)
    elif stage == "pooled" and pool.kind != "none":
        out = avg_pool2d(out, pool.size, stride=pool.stride, padding=pool.padding,
                         ceil_mode=pool.ceil_mode)
    hits = np.flatnonzero(out[:, 0, y, x])
    if hits.size == 0:
        return None
    rows, cols = np.divmod(hits, w)
    return Window(int(rows.min()), int(cols.min()), int(rows.max()), int(cols.max()))


def test_conv_window_with_stride_padding_and_dilation():
    layer = Layer((), stride=(2, 3), padding=(1, 2), dilation=(2, 1))
    assert conv_window(layer, (3, 3), (2, 2), (1, 1)) == Window(3, 1, 7, 3)


def test_same_padding_centres_the_window():
    layer = Layer((), padding="same")
    field = layer_field(layer, (3, 3), (8, 8), (8, 8), "conv", 0, 7)
    assert field.window == Window(-1, 6, 1, 8)
    assert field.inside == Window(0, 6, 1, 7)
    assert field.touches_padding


def test_pooled_pixel_is_the_union_of_its_conv_windows():
    layer = Layer((), pool=Pool("max", (2, 2)))
    assert pool_window(layer, (6, 6), 1, 2) == Window(2, 4, 3, 5)
    field = layer_field(layer, (3, 3), (6, 6), (8, 8), "pooled", 1, 2)
    assert field.window == Window(2, 4, 5, 7)
    assert not field.touches_padding


def test_global_pooling_covers_the_whole_conv_map():
    layer = Layer((), pool=Pool("global_avg"))
    field = layer_field(layer, (3, 3), (6, 6), (8, 8), "pooled", 0, 0)
    assert field.window == Window(0, 0, 7, 7)


def test_unknown_stage_is_rejected():
    with pytest.raises(ValueError, match="stage must be one of"):
        layer_field(Layer(()), (3, 3), (6, 6), (8, 8), "bogus", 0, 0)


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_matches_brute_force(data):
    kh, kw = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    stride = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)))
    dilation = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 2)))
    padding = data.draw(st.one_of(st.just("valid"), st.tuples(st.integers(0, 3),
                                                               st.integers(0, 3))))
    if stride == (1, 1) and data.draw(st.booleans()):
        padding = "same"
    kind = data.draw(st.sampled_from(["none", "max", "avg", "global_max"]))
    size = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)))
    pool_padding = (data.draw(st.integers(0, size[0] // 2)),
                    data.draw(st.integers(0, size[1] // 2)))
    pool = Pool(kind, size, stride=data.draw(st.sampled_from([None, (1, 2), (2, 1)])),
                padding=pool_padding, ceil_mode=data.draw(st.booleans()))
    layer = Layer((Filter("k", np.ones((kh, kw), np.float32)),), stride=stride,
                  padding=padding, dilation=dilation, pool=pool)
    h, w = data.draw(st.integers(4, 9)), data.draw(st.integers(4, 9))
    geo = layer_geometry(layer, h, w)
    assume(geo.error is None)
    stage = data.draw(st.sampled_from(["conv", "pooled"]))
    out_h, out_w = geo.conv_size if stage == "conv" else geo.pool_size
    y, x = data.draw(st.integers(0, out_h - 1)), data.draw(st.integers(0, out_w - 1))
    field = layer_field(layer, (kh, kw), geo.conv_size, (h, w), stage, y, x)
    assert field.inside == oracle(layer, (kh, kw), (h, w), stage, y, x)
    window = field.window
    if field.inside is not None:
        assert window.top <= field.inside.top and field.inside.bottom <= window.bottom
        assert window.left <= field.inside.left and field.inside.right <= window.right


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_input_patch_times_weight_is_the_conv_output(data):
    channels = data.draw(st.integers(1, 3))
    kernel = (data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4)))
    mode = data.draw(st.sampled_from(["zeros", "reflect", "replicate", "circular"]))
    flip = data.draw(st.booleans())
    layer = Layer((), stride=(data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))),
                  padding=(data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2))),
                  dilation=(data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2))),
                  padding_mode=mode, flip=flip)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    image = rng.standard_normal((channels, data.draw(st.integers(5, 9)),
                                 data.draw(st.integers(5, 9)))).astype(np.float32)
    weight = rng.standard_normal((channels, *kernel)).astype(np.float32)
    geo = layer_geometry(replace(layer, filters=(Filter("w", weight),)), *image.shape[1:])
    assume(geo.error is None)
    try:
        out = conv2d(image, weight[None], np.array([0.25], np.float32), stride=layer.stride,
                     padding=layer.padding, dilation=layer.dilation, padding_mode=mode,
                     flip=flip)[0]
    except ValueError:  # e.g. reflect padding as large as the input
        assume(False)
    applied = weight[:, ::-1, ::-1] if flip else weight
    y, x = data.draw(st.integers(0, out.shape[0] - 1)), data.draw(st.integers(0, out.shape[1] - 1))
    patch = input_patch(image, layer, kernel, y, x)
    assert patch.shape == (channels, *kernel) and patch.dtype == np.float32
    assert float((patch.astype(np.float64) * applied).sum() + 0.25) == \
        pytest.approx(float(out[y, x]), abs=1e-4)
