"""fit_to_signal: 2-D layers made one row tall for a 1-D signal."""

import numpy as np

from workbench.core import Filter, Layer, Pipeline, Pool
from workbench.session.edits import fit_to_signal


def test_fit_to_signal_keeps_middle_rows_and_flattens_pooling():
    kernel = np.arange(9, dtype=np.float32).reshape(3, 3)
    layer = Layer((Filter("k", kernel),), stride=(2, 3), padding=(1, 2), dilation=(2, 1),
                  pool=Pool("max", (2, 2), (2, 2), (1, 1)))
    fitted, changed = fit_to_signal(Pipeline("raw", (layer,)))
    assert changed
    out = fitted.layers[0]
    np.testing.assert_array_equal(out.filters[0].weight[0], kernel[1:2])
    assert (out.stride, out.padding, out.dilation) == ((1, 3), (0, 2), (1, 1))
    assert (out.pool.size, out.pool.stride, out.pool.padding) == ((1, 2), (1, 2), (0, 1))
    again, changed = fit_to_signal(fitted)
    assert not changed and again == fitted
