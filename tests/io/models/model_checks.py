from __future__ import annotations

import numpy as np

from workbench.core import Pipeline, run_pipeline


def last_maps(pipeline: Pipeline, x: np.ndarray) -> np.ndarray:
    """The run's output (the last layer's pooled maps) as ``(F, H, W)``."""
    return np.stack(run_pipeline(x, pipeline).layers[-1].pooled)


def assert_maps_close(ours: np.ndarray, theirs: np.ndarray) -> None:
    """float32 rounding relative to the output's scale."""
    assert ours.shape == theirs.shape
    scale = max(float(np.abs(theirs).max()), 1e-6)
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4 * scale)
