"""The tutorials' worked examples reproduce their printed numbers."""

import numpy as np
import pytest

from workbench.core import run_pipeline
from workbench.tutorials import TUTORIAL_EXAMPLES, get_example


@pytest.mark.parametrize("example", TUTORIAL_EXAMPLES, ids=lambda e: e.key)
def test_every_tutorial_example_reproduces_its_printout(example):
    assert example.pipeline.input_mode == "raw"
    assert example.data.dtype == np.float32 and example.data.ndim == 3
    result = run_pipeline(example.data, example.pipeline).layers[0]
    assert [m.tolist() for m in result.pooled] == [e.tolist() for e in example.expected]
    assert example.name and example.source and example.description


def test_tutorial_examples_cover_the_seeds():
    names = [e.name for e in TUTORIAL_EXAMPLES]
    for wanted in ("1-D: k=3, dilation 2 (PyTorch)", "Groups: 2 channels, groups=2",
                   "Depthwise: 4 filters", "Keras Conv1D bump detector",
                   "Keras Conv2D vertical line", "4x4 handwritten 1", "Max pooling 2x2"):
        assert wanted in names
    assert len(set(names)) == len(names)
    assert get_example("k3").expected[0].tolist() == [[12, 18, 24, 30]]
    with pytest.raises(KeyError, match="known: k1"):
        get_example("nope")
