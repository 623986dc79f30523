"""The worked examples of the tutorials the workbench is built from, as raw inputs + pipelines.

Each :class:`TutorialExample` holds the tutorial's input numbers, a one-layer
:class:`~workbench.core.Pipeline` in ``"raw"`` input mode with its filters and parameters,
and the output the tutorial prints (one map per filter, after pooling when there is any).
Sources:

* PyTorch ``Conv1d`` — "How convolutional layers work in deep learning neural networks"
  (Jingles, Towards Data Science; Chinese translation), printed tensors for kernel size,
  padding, stride, dilation, groups and depthwise convolution;
* Keras — "How Do Convolutional Layers Work in Deep Learning Neural Networks?" (Machine
  Learning Mastery): the ``Conv1D`` bump detector and the ``Conv2D`` vertical line detector;
* Jeremy Jordan's "Convolutional neural networks" notes: the 4x4 handwritten "1" scanned by a
  2x2 filter with stride 2, and max / average / global pooling. Those figures print no
  numbers, so the pixel values here are drawn after them (stated in each description).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workbench.core import Filter, Layer, Pipeline, Pool
from workbench.core.arrays import FloatArray
from workbench.io.data_input import to_chw

PYTORCH = "PyTorch Conv1d tutorial (Jingles)"
KERAS = "Keras tutorial (Machine Learning Mastery)"
JORDAN = "Convolutional neural networks notes (Jeremy Jordan)"


@dataclass(frozen=True, eq=False)
class TutorialExample:
    """One worked example.

    Parameters
    ----------
    key : str
        Stable identifier (used in workspaces and tests).
    name : str
        Menu title, e.g. ``"1-D: k=3 (PyTorch)"``.
    source : str
        Which tutorial it comes from.
    description : str
        What it shows, and what the tutorial prints.
    data : numpy.ndarray
        The input, float32 ``(C, H, W)``.
    pipeline : Pipeline
        One layer, input mode ``"raw"``.
    expected : tuple of numpy.ndarray
        The printed result: one 2-D map per filter (pooled when the layer pools).
    step_through : bool, optional
        The example teaches the kernel's motion: the window opens it with the step-through.
    """

    key: str
    name: str
    source: str
    description: str
    data: FloatArray
    pipeline: Pipeline
    expected: tuple[FloatArray, ...]
    step_through: bool = False


def _signal(*rows: list[float]) -> FloatArray:
    """Channels of 1 x L, as PyTorch prints a (1, C, L) tensor."""
    return to_chw(np.array(rows, np.float32), rows_are_channels=True)


def _weights(*values: float, size: int = 1) -> tuple[Filter, ...]:
    return tuple(Filter("[" + ", ".join([f"{v:g}"] * size) + "]",
                        np.full((1, 1, size), v, np.float32)) for v in values)


def _pytorch_1d(key: str, name: str, text: str, expected: list[float], size: int,
                **layer: object) -> TutorialExample:
    pipeline = Pipeline("raw", (Layer(_weights(2, size=size), **layer),))  # type: ignore[arg-type]
    return TutorialExample(
        key, name, PYTORCH,
        f"{text} Input [1, 2, 3, 4, 5, 6], every weight 2, no bias; the tutorial prints "
        f"{expected}.",
        _signal([1, 2, 3, 4, 5, 6]), pipeline, (np.array([expected], np.float32),),
        step_through=size > 1)


def _examples() -> tuple[TutorialExample, ...]:
    two_channels = _signal([1, 2, 3, 4, 5, 6], [10, 20, 30, 40, 50, 60])
    ramp = np.arange(1, 7, dtype=np.float32)
    pool_input = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]],
                          np.float32)
    identity = (Filter("identity", np.ones((1, 1, 1), np.float32)),)
    pool_note = ("The notes show max pooling as a figure without numbers; this 4x4 map is "
                 "the one in the CS231n notes they cite.")
    line = np.zeros((8, 8), np.float32)
    line[:, 3:5] = 1
    one = np.array([[0, 1, 0, 0], [1, 1, 0, 0], [0, 1, 0, 0], [1, 1, 1, 0]], np.float32)
    rgb_pixels = np.array([[[1, 2, 3], [4, 5, 6]],
                           [[0, 1, 0], [1, 0, 1]],
                           [[1, 1, 1], [0, 0, 0]]], np.float32)
    mix = np.array([1, 10, 100], np.float32)
    return (
        _pytorch_1d("k1", "1-D: k=1 (PyTorch)", "A kernel of size 1 scales every element.",
                    [2, 4, 6, 8, 10, 12], 1),
        _pytorch_1d("k2", "1-D: k=2 (PyTorch)", "Kernel size 2: output length 6 - 2 + 1 = 5.",
                    [6, 10, 14, 18, 22], 2),
        _pytorch_1d("k3", "1-D: k=3 (PyTorch)", "Kernel size 3: output length 4.",
                    [12, 18, 24, 30], 3),
        _pytorch_1d("k3_pad1", "1-D: k=3, padding 1 (PyTorch)",
                    "One zero of padding at each end keeps the length 6.",
                    [6, 12, 18, 24, 30, 22], 3, padding=(0, 1)),
        _pytorch_1d("k5_pad2", "1-D: k=5, padding 2 (PyTorch)",
                    "Kernel size 5 with two zeros of padding at each end keeps the length 6.",
                    [12, 20, 30, 40, 36, 30], 5, padding=(0, 2)),
        _pytorch_1d("k3_stride3", "1-D: k=3, stride 3 (PyTorch)",
                    "Stride 3 moves the kernel three elements at a time: output length 2.",
                    [12, 30], 3, stride=(1, 3)),
        _pytorch_1d("k3_dilation2", "1-D: k=3, dilation 2 (PyTorch)",
                    "Dilation 2 leaves one element between the kernel taps (1+3+5, 2+4+6).",
                    [18, 24], 3, dilation=(1, 2)),
        TutorialExample(
            "groups", "Groups: 2 channels, groups=2", PYTORCH,
            "groups=2 splits the 2 input channels into two independent 1x1 convolutions: "
            "weight 2 on channel 1, weight 4 on channel 2. The tutorial prints "
            "[[2, 4, ..., 12], [40, 80, ..., 240]].",
            two_channels, Pipeline("raw", (Layer(_weights(2, 4), groups=2),)),
            (ramp[np.newaxis] * 2, ramp[np.newaxis] * 40)),
        TutorialExample(
            "depthwise", "Depthwise: 4 filters", PYTORCH,
            "Depthwise convolution: groups = in_channels = 2 and 4 output channels (K = 2 "
            "per input channel), weights 2 and 4 on channel 1, 6 and 8 on channel 2. The "
            "tutorial prints [[2..12], [4..24], [60..360], [80..480]].",
            two_channels, Pipeline("raw", (Layer(_weights(2, 4, 6, 8), groups=2),)),
            (ramp[np.newaxis] * 2, ramp[np.newaxis] * 4, ramp[np.newaxis] * 60,
             ramp[np.newaxis] * 80)),
        TutorialExample(
            "one_by_one", "1x1 convolution: 3 channels", PYTORCH,
            "A 1x1 kernel spans every input channel, so each output pixel is a dot product "
            "over the 3 channels (weights 1, 10, 100). The tutorial describes this without "
            "printing numbers; the 2x3 input here is made up to show it.",
            rgb_pixels,
            Pipeline("raw", (Layer((Filter("1x1: 1, 10, 100", mix.reshape(3, 1, 1)),)),)),
            (np.tensordot(mix, rgb_pixels, axes=1),)),
        TutorialExample(
            "keras_conv1d", "Keras Conv1D bump detector", KERAS,
            "Conv1D(1, 3) with the weights [0, 1, 0] and bias 0 on the 8-element input "
            "[0, 0, 0, 1, 1, 0, 0, 0]; model.predict prints [0, 0, 1, 1, 0, 0].",
            _signal([0, 0, 0, 1, 1, 0, 0, 0]),
            Pipeline("raw", (Layer((Filter("bump [0, 1, 0]",
                                           np.array([[[0, 1, 0]]], np.float32)),)),)),
            (np.array([[0, 0, 1, 1, 0, 0]], np.float32),), step_through=True),
        TutorialExample(
            "keras_conv2d", "Keras Conv2D vertical line", KERAS,
            "Conv2D(1, (3, 3)) with the vertical line detector [[0, 1, 0]] x 3 on an 8x8 "
            "image with a vertical line in columns 4 and 5; every printed row is "
            "[0, 0, 3, 3, 0, 0].",
            to_chw(line),
            Pipeline("raw", (Layer((Filter("vertical line",
                                           np.array([[0, 1, 0]] * 3, np.float32)),)),)),
            (np.array([[0, 0, 3, 3, 0, 0]] * 6, np.float32),), step_through=True),
        TutorialExample(
            "handwritten_one", "4x4 handwritten 1", JORDAN,
            "A 2x2 filter with stride 2 scans the 4x4 image of a '1' and outputs 4 nodes, "
            "each summarising one quarter of the image. The notes draw the digit without "
            "numbers; here ink is 1, the filter is all ones (it counts the ink per quarter).",
            to_chw(one),
            Pipeline("raw", (Layer((Filter("2x2 ones", np.ones((1, 2, 2), np.float32)),),
                                   stride=(2, 2)),)),
            (np.array([[3, 0], [3, 1]], np.float32),), step_through=True),
        TutorialExample(
            "max_pool", "Max pooling 2x2", JORDAN,
            f"2x2 max pooling with stride 2 keeps the largest value of each window. "
            f"{pool_note} A 1x1 identity filter passes the map to the pooling.",
            to_chw(pool_input), Pipeline("raw", (Layer(identity, pool=Pool("max", (2, 2))),)),
            (np.array([[6, 8], [3, 4]], np.float32),)),
        TutorialExample(
            "avg_pool", "Average pooling 2x2", JORDAN,
            f"2x2 average pooling with stride 2 keeps the mean of each window. {pool_note}",
            to_chw(pool_input), Pipeline("raw", (Layer(identity, pool=Pool("avg", (2, 2))),)),
            (np.array([[3.25, 5.25], [2, 2]], np.float32),)),
        TutorialExample(
            "global_max_pool", "Global max pooling", JORDAN,
            f"Global pooling uses a window as large as the map: one value per map. "
            f"{pool_note}",
            to_chw(pool_input), Pipeline("raw", (Layer(identity, pool=Pool("global_max")),)),
            (np.array([[8]], np.float32),)),
        TutorialExample(
            "global_avg_pool", "Global average pooling", JORDAN,
            f"Global average pooling: the mean of the whole map (50 / 16). {pool_note}",
            to_chw(pool_input), Pipeline("raw", (Layer(identity, pool=Pool("global_avg")),)),
            (np.array([[3.125]], np.float32),)),
    )


TUTORIAL_EXAMPLES: tuple[TutorialExample, ...] = _examples()


def get_example(key: str) -> TutorialExample:
    """Return the tutorial example with this key.

    Parameters
    ----------
    key : str
        E.g. ``"k3"``, ``"groups"``.

    Returns
    -------
    TutorialExample
        The example.

    Raises
    ------
    KeyError
        If there is no such example (the message lists the keys).
    """
    for example in TUTORIAL_EXAMPLES:
        if example.key == key:
            return example
    raise KeyError(f"no tutorial example {key!r}; known: "
                   f"{', '.join(e.key for e in TUTORIAL_EXAMPLES)}")
