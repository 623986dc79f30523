"""Receptive fields through whole stacks and the explained arithmetic behind a value.

Oracles: a brute-force dependency search (which input pixels change an output, one
indicator image per pixel) and :func:`run_pipeline` itself.
"""

import numpy as np
import pytest

from workbench.core import (
    Filter,
    Layer,
    Pipeline,
    Pool,
    explain,
    field_path,
    layer_inputs,
    map_shapes,
    receptive_field,
    run_pipeline,
)


def conv_layer(rng, filters, channels, kernel, positive=False, **params):
    def weight():
        w = rng.uniform(0.1, 1.0, (channels, *kernel)) if positive \
            else rng.normal(0, 1, (channels, *kernel))
        return w.astype(np.float32)
    return Layer(tuple(Filter(f"f{i}", weight(), bias=0.0 if positive else float(rng.normal()))
                       for i in range(filters)), **params)


def teaching_stack():
    ones = Filter("k", np.ones((1, 3, 3), np.float32))
    return Pipeline("gray", (Layer((ones,), pool=Pool("max", (2, 2))),
                             Layer((Filter("k2", np.ones((1, 3, 3), np.float32)),))))


def test_conv_pool_conv_reads_8x8_input_pixels():
    stack = teaching_stack()
    assert receptive_field(stack, 1, 0, 0, "conv") == (0, 8, 0, 8)
    assert receptive_field(stack, 1, 2, 1, "activated") == (4, 12, 2, 10)
    assert receptive_field(stack, 0, 1, 1, "pooled") == (2, 6, 2, 6)
    assert receptive_field(stack, 0, 1, 1, "conv") == (1, 4, 1, 4)


def test_the_path_names_the_region_in_every_map_below():
    stack = teaching_stack()
    assert field_path(stack, 1, 2, 1, "activated") == [(2, 5, 1, 4), (4, 12, 2, 10)]
    assert field_path(stack, 0, 1, 1, "pooled") == [(2, 6, 2, 6)]
    image = np.zeros((1, 14, 14), np.float32)
    e = explain(stack, image, 1, 0, 2, 1, "conv")
    assert e.path == ((2, 5, 1, 4), (4, 12, 2, 10)) and e.field == e.path[-1]


def test_the_first_layers_padding_is_reported_unclipped():
    ones = Filter("k", np.ones((1, 3, 3), np.float32))
    stack = Pipeline("gray", (Layer((ones,), padding=(1, 1)),))
    assert receptive_field(stack, 0, 0, 0, "conv") == (-1, 2, -1, 2)
    dilated = Pipeline("gray", (Layer((ones,), stride=(2, 1), dilation=(2, 3)),))
    assert receptive_field(dilated, 0, 1, 1, "conv") == (2, 7, 1, 8)


def test_global_pooling_needs_the_input_size():
    ones = Filter("k", np.ones((1, 3, 3), np.float32))
    stack = Pipeline("gray", (Layer((ones,), pool=Pool("global_avg")),))
    with pytest.raises(ValueError, match="input_shape"):
        receptive_field(stack, 0, 0, 0)
    assert receptive_field(stack, 0, 0, 0, input_shape=(10, 7)) == (0, 10, 0, 7)


def test_bad_arguments_are_named():
    stack = teaching_stack()
    with pytest.raises(ValueError, match="stage"):
        receptive_field(stack, 0, 0, 0, "bogus")
    with pytest.raises(ValueError, match="layer must be in 0..1"):
        receptive_field(stack, 2, 0, 0)
    with pytest.raises(ValueError, match="outside the conv map"):
        explain(stack, np.zeros((1, 12, 12), np.float32), 1, 0, 9, 0, "conv")
    with pytest.raises(ValueError, match="filter must be in"):
        explain(stack, np.zeros((1, 12, 12), np.float32), 1, 3, 0, 0, "conv")


def random_stack(rng, positive=False, dilation=True):
    """Two or three layers with stride, padding, dilation and pooling mixed."""
    layers, channels = [], 1
    for _ in range(rng.integers(2, 4)):
        kernel = tuple(int(k) for k in rng.integers(1, 4, 2))
        filters = int(rng.integers(1, 3))
        pool_kind = str(rng.choice(["none", "max", "avg"]))
        size = int(rng.integers(2, 3))
        pool = Pool(pool_kind, (size, size), stride=(int(rng.integers(1, 3)),) * 2)
        params = dict(stride=tuple(int(s) for s in rng.integers(1, 3, 2)),
                      padding=tuple(int(p) for p in rng.integers(0, 2, 2)),
                      dilation=tuple(int(d) for d in rng.integers(1, 3, 2)) if dilation
                      else (1, 1),
                      pool=pool)
        layers.append(conv_layer(rng, filters, channels, kernel, positive, **params))
        channels = filters
    return Pipeline("gray", tuple(layers))


def dependency_box(stack, shape, layer, stage, f, y, x):
    """Bounding box of the input pixels whose indicator image makes the value positive."""
    hits = []
    for r in range(shape[0]):
        for c in range(shape[1]):
            image = np.zeros((1, *shape), np.float32)
            image[0, r, c] = 1.0
            lr = run_pipeline(image, stack).layers[layer]
            maps = {"conv": lr.conv, "activated": lr.activated, "pooled": lr.pooled}[stage]
            if maps[f][y, x] > 0:
                hits.append((r, c))
    if not hits:
        return None
    rows, cols = [h[0] for h in hits], [h[1] for h in hits]
    return min(rows), max(rows) + 1, min(cols), max(cols) + 1


def clip(rect, shape):
    y0, y1, x0, x1 = rect
    return max(y0, 0), min(y1, shape[0]), max(x0, 0), min(x1, shape[1])


@pytest.mark.parametrize("seed", range(12))
def test_receptive_fields_of_random_stacks_match_the_dependency_search(seed):
    rng = np.random.default_rng(seed)
    shape = (int(rng.integers(12, 17)), int(rng.integers(12, 17)))
    for _ in range(50):  # draw until the stack fits the input
        stack = random_stack(rng, positive=True, dilation=seed % 2 == 1)
        try:
            shapes = map_shapes(stack, shape)
        except ValueError:
            continue
        if all(min(s) > 0 for entry in shapes for s in entry):
            break
    else:
        pytest.skip("no stack fitted")
    layer = len(stack.layers) - 1
    stage = str(rng.choice(["conv", "pooled"]))
    out = shapes[layer][1] if stage == "conv" else shapes[layer][2]
    y, x = int(rng.integers(0, out[0])), int(rng.integers(0, out[1]))
    rect = receptive_field(stack, layer, y, x, stage, input_shape=shape)
    box = dependency_box(stack, shape, layer, stage, 0, y, x)
    clipped = clip(rect, shape)
    if box is None:  # the value reads nothing but padding
        assert clipped[1] <= clipped[0] or clipped[3] <= clipped[2], (stack, y, x, stage)
        return
    if seed % 2 == 0:  # no dilation: every position of the region is read
        assert clipped == box, (stack, y, x, stage)
    else:  # dilated taps may skip the region's edge rows where it meets the padding
        assert clipped[0] <= box[0] and clipped[2] <= box[2]
        assert clipped[1] >= box[1] and clipped[3] >= box[3]


@pytest.mark.parametrize("seed", range(10))
def test_explained_values_are_the_pipelines_values(seed):
    rng = np.random.default_rng(100 + seed)
    image = rng.normal(0, 1, (1, 14, 15)).astype(np.float32)
    for _ in range(50):
        stack = random_stack(rng)
        modes = ("zeros", "reflect", "replicate", "circular")
        stack = Pipeline("gray", tuple(
            Layer(layer.filters, stride=layer.stride, padding=layer.padding,
                  dilation=layer.dilation, pool=layer.pool,
                  padding_mode=modes[int(rng.integers(0, 4))],
                  activation=str(rng.choice(["none", "relu", "tanh"])), flip=bool(i % 2))
            for i, layer in enumerate(stack.layers)))
        try:
            result = run_pipeline(image, stack)
        except ValueError:
            continue
        break
    else:
        pytest.skip("no stack fitted")
    for layer, lr in enumerate(result.layers):
        for stage in ("conv", "activated", "pooled"):
            maps = {"conv": lr.conv, "activated": lr.activated, "pooled": lr.pooled}[stage]
            f = int(rng.integers(0, len(maps)))
            y, x = int(rng.integers(0, maps[f].shape[0])), int(rng.integers(0, maps[f].shape[1]))
            e = explain(stack, image, layer, f, y, x, stage)
            assert e.value == maps[f][y, x]  # the very number the window shows
            assert e.conv_value == lr.conv[f][e.conv_y, e.conv_x]
            np.testing.assert_allclose(e.products_sum + e.bias, e.conv_value,
                                       rtol=1e-5, atol=1e-5)
            np.testing.assert_allclose(e.activated_value, lr.activated[f][e.conv_y, e.conv_x],
                                       rtol=1e-6, atol=1e-7)
            assert len(e.terms) == stack.layers[layer].filters[f].channels
            if stage == "pooled" and e.pool_kind == "max":
                assert e.value == e.pool_values.max() == lr.activated[f][e.conv_y, e.conv_x]
            if stage == "pooled" and e.pool_kind == "avg":
                assert e.pool_rect is not None and e.pool_values.size >= 1
            # Every real tap reads the map below at its source position.
            below = layer_inputs(image, stack, layer)
            for term in e.terms:
                for i, r in enumerate(term.source_rows):
                    for j, c in enumerate(term.source_cols):
                        if r >= 0 and c >= 0:
                            assert term.patch[i, j] == below[term.channel, r, c]
                        else:
                            assert term.patch[i, j] == 0  # a zero of the zero padding


def test_stepping_down_into_a_term_explains_the_map_below():
    rng = np.random.default_rng(7)
    image = rng.normal(0, 1, (1, 12, 12)).astype(np.float32)
    first = conv_layer(rng, 4, 1, (3, 3), activation="relu", pool=Pool("max", (2, 2)))
    second = conv_layer(rng, 4, 4, (3, 3), activation="relu")
    stack = Pipeline("gray", (first, second))
    e = explain(stack, image, 1, 2, 1, 2, "conv")
    assert [t.channel for t in e.terms] == [0, 1, 2, 3]  # one term per layer-1 map
    assert e.field == (2, 10, 4, 12)  # the 8x8 region behind a layer-2 value
    expected = run_pipeline(image, stack).layers[1].conv[2][1, 2]
    assert e.value == expected
    term = e.terms[3]
    down = explain(stack, image, 0, term.channel, int(term.source_rows[1]),
                   int(term.source_cols[2]), "pooled")
    assert down.value == term.patch[1, 2]
    assert down.pool_kind == "max" and down.value == down.pool_values.max()


def test_groups_pick_the_input_maps_of_their_group():
    rng = np.random.default_rng(3)
    image = rng.normal(0, 1, (1, 10, 10)).astype(np.float32)
    first = conv_layer(rng, 4, 1, (3, 3))
    second = conv_layer(rng, 2, 2, (3, 3), groups=2)
    stack = Pipeline("gray", (first, second))
    e = explain(stack, image, 1, 1, 0, 0, "conv")
    assert [t.channel for t in e.terms] == [2, 3]
    assert e.value == run_pipeline(image, stack).layers[1].conv[1][0, 0]
