"""Limits a pipeline must respect before anything is allocated for it.

A pipeline read from a file or typed into the window can ask for far more than a desktop
computer has: a padding of 10**9, thousands of filters, a stack that grows every map.
:func:`check_limits` compares the pipeline's sizes with the constants below, and the
memory :func:`estimate_pipeline_bytes` predicts from the output-size arithmetic with
:data:`MAX_PIPELINE_BYTES`, so the run stops with a sentence saying which limit, instead
of a ``MemoryError`` (or the machine swapping) half-way through.
:func:`~workbench.core.pipeline.run_pipeline` calls it on every input before the first layer.

The byte figures are binary (1 GB = 2**30 bytes, as the operating systems' file managers
count); the estimate counts float32 maps, 4 bytes per value.
"""

from __future__ import annotations

import numpy as np

from workbench.core.arrays import IntPair
from workbench.core.conv import resolve_padding
from workbench.core.pipeline import Layer, Pipeline, PipelineError
from workbench.core.pooling import _pool_geometry
from workbench.core.shapes import conv_output_size

#: Most layers in a pipeline (deep enough for any network the workbench teaches with).
MAX_LAYERS = 256
#: Most filters in one layer, enabled or not.
MAX_FILTERS_PER_LAYER = 1024
#: Largest kernel height or width.
MAX_KERNEL_SIDE = 255
#: Largest explicit conv padding on any side.
MAX_PADDING = 1024
#: Most bytes of maps one run of a pipeline may allocate (2 GB).
MAX_PIPELINE_BYTES = 2 * 2**30

_FLOAT32 = 4


class LimitError(PipelineError):
    """A pipeline that exceeds one of the limits of :mod:`workbench.core.limits`.

    Parameters
    ----------
    message : str
        The sentence naming the limit, the value and the limit.
    limit : str
        Which limit: ``"layers"``, ``"filters"``, ``"kernel"``, ``"padding"`` or ``"bytes"``.
    value : int
        The pipeline's value.
    maximum : int
        The limit it exceeds.
    layer : int, optional
        0-based layer index, or None for the whole pipeline.
    """

    def __init__(self, message: str, limit: str, value: int, maximum: int,
                 layer: int | None = None) -> None:
        super().__init__(message, layer)
        self.limit = limit
        self.value = value
        self.maximum = maximum


def format_bytes(n: int) -> str:
    """Write a byte count with a binary unit, one decimal at most.

    Parameters
    ----------
    n : int
        Bytes, >= 0.

    Returns
    -------
    str
        For example ``"512 bytes"``, ``"1.5 KB"``, ``"2 GB"``.

    Examples
    --------
    >>> format_bytes(2 * 2**30), format_bytes(int(27.1 * 2**30))
    ('2 GB', '27.1 GB')
    """
    if n < 1024:
        return f"{n} bytes"
    value = float(n)
    for unit in ("KB", "MB", "GB", "TB", "PB", "EB"):
        value /= 1024
        if value < 1024 or unit == "EB":
            break
    text = f"{value:.1f}"
    return f"{text[:-2] if text.endswith('.0') else text} {unit}"


def _layer_bytes(layer: Layer, channels: int, size: IntPair
                 ) -> tuple[int, int, tuple[int, int, int] | None]:
    """Float32 values one layer allocates on a ``channels x size`` input.

    Returns the values the result keeps, the most values alive only while the layer runs,
    and the layer's output shape: None when the layer cannot run there (the run raises at
    it, so nothing after it is allocated).
    """
    filters = layer.enabled_filters
    if not filters:
        return 0, 0, None
    pool = layer.pool
    kept = padded = scratch = 0
    shapes: set[IntPair] = set()
    kernel_sizes = sorted({f.kernel_size for f in filters})
    for kernel in kernel_sizes:
        count = sum(1 for f in filters if f.kernel_size == kernel)
        try:
            pads = resolve_padding(layer.padding, kernel, layer.stride, layer.dilation)
            h_out = conv_output_size(size[0], kernel[0], layer.stride[0], pads[:2],
                                     layer.dilation[0])
            w_out = conv_output_size(size[1], kernel[1], layer.stride[1], pads[2:],
                                     layer.dilation[1])
        except ValueError:
            return kept, padded + scratch, None
        if h_out < 1 or w_out < 1:
            return kept, padded + scratch, None
        height, width = size
        if layer.padding_mode != "zeros" and any(pads):
            # The padded copy of the input; every kernel size's plan is made first.
            height += pads[0] + pads[1]
            width += pads[2] + pads[3]
            padded += channels * height * width
        batch_scratch = 0
        step = layer.stride[1] if w_out > 1 else 1  # conv2d's clamp of a stride never used
        if step > 1:
            # The kernels' copy of the input split into ``step`` column phases.
            batch_scratch += channels * height * step * -(-width // step)
        conv = count * h_out * w_out
        # Fused or not, the conv and the activated maps are separate arrays (the activation
        # "none" is a copy); sigmoid's numpy expression has about 3.25 maps of temporaries.
        kept += 2 * conv
        if layer.activation == "sigmoid":
            batch_scratch = max(batch_scratch, 13 * conv // 4)
        scratch = max(scratch, batch_scratch)
        if pool.kind in ("global_max", "global_avg"):
            pooled: IntPair = (1, 1)
        elif pool.kind == "none":
            pooled = (h_out, w_out)  # the activated maps themselves
        else:
            try:
                pooled = _pool_geometry((h_out, w_out), pool.size, pool.stride, pool.padding, 1,
                                        pool.ceil_mode)[4]
            except ValueError:
                return kept, padded + scratch, None
        if pool.kind != "none":
            kept += count * pooled[0] * pooled[1]
        shapes.add(pooled)
    if len(shapes) != 1:
        return kept, padded + scratch, None
    out = shapes.pop()
    if len(kernel_sizes) > 1:
        kept += len(filters) * out[0] * out[1]  # the next layer's stacked input
    return kept, padded + scratch, (len(filters), out[0], out[1])


def estimate_pipeline_bytes(pipeline: Pipeline, input_shape: tuple[int, ...]) -> int:
    """Estimate the bytes of maps running ``pipeline`` on an input of ``input_shape`` allocates.

    Follows the output sizes layer by layer and counts what the core allocates for each:
    the conv and activated maps, the pooled maps when the layer pools, the padded copy of
    the input for a non-zero ``padding_mode``, the kernels' phase-split copy of the input
    for a horizontal stride > 1, and the stacked input of the next layer when a layer mixes
    kernel sizes. The maps stay allocated until the result is dropped; the copies of the
    input (and sigmoid's temporaries) live only while their layer runs, so the estimate is
    the peak: the maps so far plus the largest layer's temporaries. Not counted: the input
    tensor (the caller's), the filters' weights and the kernels' small index tables.

    Parameters
    ----------
    pipeline : Pipeline
        The pipeline.
    input_shape : tuple of int
        ``(C, H, W)`` of the input tensor.

    Returns
    -------
    int
        Bytes. Layers from the first one that cannot run on its input on are not counted
        (the run stops there with a :class:`~workbench.core.PipelineError`).

    Raises
    ------
    ValueError
        If ``input_shape`` is not three positive integers.

    Examples
    --------
    >>> from workbench.core import default_pipeline
    >>> estimate_pipeline_bytes(default_pipeline(), (1, 480, 640))  # 4 filters, 2x2 max
    10978704
    """
    shape = tuple(input_shape)
    if len(shape) != 3 or not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool)
                                  and n >= 1 for n in shape):
        raise ValueError(f"input_shape must be (C, H, W) positive integers, got {input_shape!r}")
    channels, height, width = (int(n) for n in shape)
    kept = peak = 0
    for layer in pipeline.layers:
        layer_kept, transient, out = _layer_bytes(layer, channels, (height, width))
        kept += layer_kept
        peak = max(peak, kept + transient)
        if out is None:
            break
        channels, height, width = out
    return peak * _FLOAT32


def check_limits(pipeline: Pipeline, input_shape: tuple[int, ...], *,
                 max_bytes: int = MAX_PIPELINE_BYTES) -> None:
    """Raise if ``pipeline`` exceeds a limit on an input of ``input_shape``.

    The layer count, then each layer's filter count, kernel sides and padding, then the
    bytes of :func:`estimate_pipeline_bytes`; nothing is allocated.

    Parameters
    ----------
    pipeline : Pipeline
        The pipeline.
    input_shape : tuple of int
        ``(C, H, W)`` of the input tensor.
    max_bytes : int, optional
        The memory limit.

    Raises
    ------
    LimitError
        At the first limit exceeded, e.g. ``"layer 3: padding 8000 exceeds the limit of
        1024"`` or ``"this pipeline would allocate 27.1 GB on a 640x480 input; the limit
        is 2 GB"``.
    ValueError
        If ``input_shape`` is not three positive integers.

    Examples
    --------
    >>> from workbench.core import Filter, Layer, Pipeline
    >>> import numpy as np
    >>> wide = Layer((Filter("a", np.ones((1, 3, 3))),), padding=8000)
    >>> check_limits(Pipeline("gray", (wide,)), (1, 480, 640))
    Traceback (most recent call last):
    ...
    workbench.core.limits.LimitError: layer 1: padding 8000 exceeds the limit of 1024
    """
    layers = pipeline.layers
    if len(layers) > MAX_LAYERS:
        raise LimitError(f"the pipeline has {len(layers)} layers; the limit is {MAX_LAYERS}",
                         "layers", len(layers), MAX_LAYERS)
    for index, layer in enumerate(layers):
        count = len(layer.filters)
        if count > MAX_FILTERS_PER_LAYER:
            raise LimitError(f"{count} filters exceed the limit of {MAX_FILTERS_PER_LAYER} "
                             "per layer", "filters", count, MAX_FILTERS_PER_LAYER, index)
        for f in layer.filters:
            side = max(f.kernel_size)
            if side > MAX_KERNEL_SIDE:
                raise LimitError(
                    f"filter {f.name!r} has a {f.kernel_size[0]}x{f.kernel_size[1]} kernel; "
                    f"its side {side} exceeds the limit of {MAX_KERNEL_SIDE}",
                    "kernel", side, MAX_KERNEL_SIDE, index)
        if not isinstance(layer.padding, str):
            padding = max(layer.padding)
            if padding > MAX_PADDING:
                raise LimitError(f"padding {padding} exceeds the limit of {MAX_PADDING}",
                                 "padding", padding, MAX_PADDING, index)
    nbytes = estimate_pipeline_bytes(pipeline, input_shape)
    if nbytes > max_bytes:
        _, height, width = input_shape
        raise LimitError(f"this pipeline would allocate {format_bytes(nbytes)} on a "
                         f"{width}x{height} input; the limit is {format_bytes(max_bytes)}",
                         "bytes", nbytes, max_bytes)
