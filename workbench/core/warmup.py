"""Compile every JIT kernel once, so the first real frame is fast."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from workbench.core.activations import leaky_relu, relu
from workbench.core.conv import conv2d, plan_conv2d
from workbench.core.fused import conv_activate_pool
from workbench.core.pooling import avg_pool2d, max_pool2d, min_pool2d

ProgressCallback = Callable[[int, int, str], None]


def warmup(progress: ProgressCallback | None = None) -> float:
    """Compile (or load from the on-disk cache) all numba kernels.

    Parameters
    ----------
    progress : callable, optional
        Called as ``progress(done, total, name)`` before each kernel and once at the end
        with ``done == total``.

    Returns
    -------
    float
        Seconds taken.

    Examples
    --------
    >>> warmup() >= 0
    True
    """
    x = np.ones((1, 4, 4), dtype=np.float32)
    w = np.ones((1, 1, 3, 3), dtype=np.float32)
    steps: list[tuple[str, Callable[[], object]]] = [
        # The fused layer kernel has one signature for every layer (modes are integer codes).
        ("convolution", lambda: (conv2d(x, w, padding=1), conv_activate_pool(
            plan_conv2d(x, w, padding=1), "relu", 0.01, "max", (2, 2), None, (0, 0), False))),
        ("max/min pooling", lambda: (max_pool2d(x, 2), min_pool2d(x, 2))),
        ("average pooling", lambda: avg_pool2d(x, 2)),
        ("activations", lambda: (relu(x), leaky_relu(x))),
    ]
    start = time.perf_counter()
    for i, (name, step) in enumerate(steps):
        if progress is not None:
            progress(i, len(steps), name)
        step()
    if progress is not None:
        progress(len(steps), len(steps), "done")
    return time.perf_counter() - start
