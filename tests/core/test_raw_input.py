"""Raw input mode: numbers used as given, reproducing the tutorials' printed tensors."""

import numpy as np
import pytest

from workbench.core import (
    Filter,
    Layer,
    Pipeline,
    Pool,
    default_pipeline,
    expected_input_channels,
    from_json,
    run_pipeline,
    to_json,
)

SIGNAL = np.arange(1, 7, dtype=np.float32).reshape(1, 1, 6)  # [1, 2, 3, 4, 5, 6]
TWO_CHANNELS = np.stack([SIGNAL[0], SIGNAL[0] * 10])  # [1..6] and [10..60]


def _twos(size: int) -> Filter:
    return Filter("w", np.full((1, 1, size), 2.0))


def _run(x: np.ndarray, layer: Layer) -> list[list[list[float]]]:
    result = run_pipeline(x, Pipeline("raw", (layer,)))
    return [m.tolist() for m in result.layers[0].pooled]


def test_raw_mode_is_accepted_and_has_no_fixed_channel_count():
    pipeline = Pipeline("raw", (Layer((_twos(1), _twos(1)), groups=2),))
    assert pipeline.input_channels is None
    assert expected_input_channels(pipeline) == 2
    assert expected_input_channels(Pipeline("raw")) == 1
    assert expected_input_channels(Pipeline("rgb")) == 3
    assert from_json(to_json(pipeline)) == pipeline
    assert default_pipeline("raw").layers[0].filters[0].channels == 1
    with pytest.raises(ValueError, match="input_mode must be one of"):
        default_pipeline("cmyk")


def test_raw_input_is_not_scaled():
    x = np.array([[[100.0, -3.5, 2e6]]], np.float32)
    result = run_pipeline(x, Pipeline("raw", (Layer((Filter("id", np.ones((1, 1, 1))),)),)))
    assert result.input.tolist() == x.tolist()
    assert result.layers[0].conv[0].tolist() == [[100.0, -3.5, 2e6]]


@pytest.mark.parametrize(("layer", "printed"), [
    (Layer((_twos(1),)), [2, 4, 6, 8, 10, 12]),
    (Layer((_twos(2),)), [6, 10, 14, 18, 22]),
    (Layer((_twos(3),)), [12, 18, 24, 30]),
    (Layer((_twos(3),), padding=(0, 1)), [6, 12, 18, 24, 30, 22]),
    (Layer((_twos(5),), padding=(0, 2)), [12, 20, 30, 40, 36, 30]),
    (Layer((_twos(3),), stride=(1, 3)), [12, 30]),
    (Layer((_twos(3),), dilation=(1, 2)), [18, 24]),
], ids=["k1", "k2", "k3", "k3-padding1", "k5-padding2", "k3-stride3", "k3-dilation2"])
def test_pytorch_conv1d_examples(layer, printed):
    assert _run(SIGNAL, layer) == [[printed]]


def test_pytorch_groups_example():
    layer = Layer((Filter("a", np.full((1, 1, 1), 2.0)), Filter("b", np.full((1, 1, 1), 4.0))),
                  groups=2)
    assert _run(TWO_CHANNELS, layer) == [[[2, 4, 6, 8, 10, 12]],
                                         [[40, 80, 120, 160, 200, 240]]]


def test_pytorch_depthwise_example():
    filters = tuple(Filter(str(w), np.full((1, 1, 1), float(w))) for w in (2, 4, 6, 8))
    assert _run(TWO_CHANNELS, Layer(filters, groups=2)) == [
        [[2, 4, 6, 8, 10, 12]], [[4, 8, 12, 16, 20, 24]],
        [[60, 120, 180, 240, 300, 360]], [[80, 160, 240, 320, 400, 480]]]


def test_one_by_one_convolution_is_a_dot_product_over_channels():
    x = np.array([[[1, 2, 3]], [[0, 1, 0]], [[1, 1, 1]]], np.float32)
    layer = Layer((Filter("mix", np.array([1, 10, 100], np.float32).reshape(3, 1, 1)),))
    assert _run(x, layer) == [[[101, 112, 103]]]


def test_keras_conv1d_bump_detector():
    x = np.array([0, 0, 0, 1, 1, 0, 0, 0], np.float32).reshape(1, 1, 8)
    layer = Layer((Filter("bump", np.array([[[0, 1, 0]]], np.float32)),))
    assert _run(x, layer) == [[[0, 0, 1, 1, 0, 0]]]


def test_keras_conv2d_vertical_line():
    x = np.zeros((1, 8, 8), np.float32)
    x[0, :, 3:5] = 1
    layer = Layer((Filter("v", np.tile(np.float32([[0, 1, 0]]), (3, 1))),))
    assert _run(x, layer) == [[[0, 0, 3, 3, 0, 0]] * 6]


def test_handwritten_one_with_2x2_filter_stride_2_gives_4_nodes():
    one = np.array([[[0, 1, 0, 0], [1, 1, 0, 0], [0, 1, 0, 0], [1, 1, 1, 0]]], np.float32)
    layer = Layer((Filter("ones", np.ones((1, 2, 2))),), stride=(2, 2))
    assert _run(one, layer) == [[[3, 0], [3, 1]]]


@pytest.mark.parametrize(("pool", "printed"), [
    (Pool("max", (2, 2)), [[6, 8], [3, 4]]),
    (Pool("avg", (2, 2)), [[3.25, 5.25], [2, 2]]),
    (Pool("global_max"), [[8]]),
    (Pool("global_avg"), [[3.125]]),
])
def test_pooling_examples(pool, printed):
    x = np.array([[[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]], np.float32)
    layer = Layer((Filter("identity", np.ones((1, 1, 1))),), pool=pool)
    assert _run(x, layer) == [printed]
