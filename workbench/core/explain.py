"""Explain one value of a stack: the multiply-adds, bias, activation and pooling behind it.

:func:`explain` returns a plain record (no Qt) that the window's inspector draws and a
notebook can print: for a value of layer ``k`` it lists, per input map of that layer (the
pooled maps of layer ``k-1``, or the input's channels for the first layer), the patch
under the kernel taps, the weights, their products and the partial sum; then the bias, the
conv value, the activation and the pooling window with its winner or mean. Every tap
says where it reads (a map position, or the padding and the pixel the padding mode
copies), so a caller can step down into any term with another :func:`explain` of layer
``k-1`` at that position.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workbench.core.activations import activate
from workbench.core.pipeline import Pipeline, PipelineError, PipelineResult, run_pipeline
from workbench.core.receptive import (
    STAGES,
    Rect,
    field_path,
    input_patch,
    padded_index,
    pool_window,
    tap_positions,
)


@dataclass(frozen=True, eq=False)
class Term:
    """One input map's share of a conv value.

    ``rows``/``cols`` are the tap positions in the layer's input (outside the map: padding);
    ``source_rows``/``source_cols`` the map pixel each tap reads (-1: a zero of the padding).
    """

    channel: int
    patch: np.ndarray  # (kH, kW) float32: values under the taps, padding filled
    weights: np.ndarray  # (kH, kW) float32, as applied (flipped when the layer flips)
    products: np.ndarray  # (kH, kW) float32
    partial_sum: float
    rows: np.ndarray
    cols: np.ndarray
    source_rows: np.ndarray
    source_cols: np.ndarray

    @property
    def padded(self) -> np.ndarray:
        """``(kH, kW)`` bool: taps that fall in the padding."""
        return ~self.inside

    @property
    def inside(self) -> np.ndarray:
        """``(kH, kW)`` bool: taps on real map pixels."""
        inside: np.ndarray = ((self.rows == self.source_rows)[:, None]
                              & (self.cols == self.source_cols)[None, :])
        return inside


@dataclass(frozen=True, eq=False)
class Explanation:
    """The arithmetic behind one value (see :func:`explain`).

    ``conv_y, conv_x`` is the conv position whose multiply-adds ``terms`` lists: the
    value's own for the conv and activated stages, the pooling winner for max/min pooling,
    the window's first real position for average pooling (the window's values are in
    ``pool_values``; explain each with ``stage="conv"``).
    """

    layer: int
    filter: int
    name: str
    stage: str
    y: int
    x: int
    value: float
    conv_y: int
    conv_x: int
    terms: tuple[Term, ...]
    bias: float
    conv_value: float
    activation: str
    activated_value: float
    pool_kind: str
    pool_rect: Rect | None  # half-open window in conv-map coordinates
    pool_values: np.ndarray | None  # activated values in the pooling window
    field: Rect  # receptive field on the input (half-open, unclipped)
    path: tuple[Rect, ...] = ()  # the region in each layer's input maps, this layer's first

    @property
    def products_sum(self) -> float:
        """Sum of the partial sums (before the bias), in float64."""
        return float(sum(t.partial_sum for t in self.terms))


def layer_inputs(image_chw: np.ndarray, pipeline: Pipeline, layer: int) -> np.ndarray:
    """Return the ``(C, H, W)`` float32 maps that layer ``layer`` convolves (its input).

    Parameters
    ----------
    image_chw : numpy.ndarray
        The pipeline's input.
    pipeline : Pipeline
        The stack.
    layer : int
        0-based layer index.

    Returns
    -------
    numpy.ndarray
        The input for layer 0, else the stacked pooled maps of layer ``layer - 1``.
    """
    x = np.asarray(image_chw, dtype=np.float32)
    if layer == 0:
        return x
    below = run_pipeline(x, Pipeline(pipeline.input_mode, pipeline.layers[:layer]))
    return np.stack(below.layers[-1].pooled).astype(np.float32, copy=False)


def filter_input(result: PipelineResult, pipeline: Pipeline, layer: int, f: int
                 ) -> tuple[np.ndarray, int]:
    """Return the input channels one enabled filter of a layer reads, and the first's index.

    With ``groups`` a filter reads only its group's slice of the layer's input (the image
    for layer 0, the pooled maps of the layer below otherwise).

    Parameters
    ----------
    result : PipelineResult
        From :func:`run_pipeline` (at least up to ``layer``).
    pipeline : Pipeline
        The stack.
    layer, f : int
        0-based layer and enabled-filter position.

    Returns
    -------
    (numpy.ndarray, int)
        ``(C_f, H, W)`` float32 slice and the index of its first channel in the layer's input.
    """
    step = pipeline.layers[layer]
    filters = step.enabled_filters
    filt = filters[f]
    per_group = max(len(filters) // step.groups, 1)
    first = (f // per_group) * filt.channels
    if layer == 0:
        return result.input[first:first + filt.channels], first
    below = result.layers[layer - 1].pooled
    return np.stack(below[first:first + filt.channels]), first


def explain(pipeline: Pipeline, image_chw: np.ndarray, layer: int, f: int, y: int, x: int,
            stage: str = "pooled") -> Explanation:
    """Explain the value at ``(y, x)`` of filter ``f``'s map ``stage`` in layer ``layer``.

    Runs the stack up to ``layer`` and hands the maps to :func:`explain_result`.

    Parameters
    ----------
    pipeline : Pipeline
        The stack.
    image_chw : numpy.ndarray
        The pipeline's input ``(C, H, W)``.
    layer : int
        0-based layer index.
    f : int
        Index among the layer's *enabled* filters (the order of the maps).
    y, x : int
        Position in the ``stage`` map.
    stage : {"conv", "activated", "pooled"}, optional
        Which map.

    Returns
    -------
    Explanation
        The terms, bias, activation and pooling behind the value; ``value`` is what
        :func:`run_pipeline` computes there.

    Raises
    ------
    ValueError
        On an unknown stage, layer, filter or a position outside the map; a
        :class:`~workbench.core.pipeline.PipelineError` when the stack cannot run.

    Examples
    --------
    >>> from workbench.core import Filter, Layer, Pipeline
    >>> image = np.arange(16, dtype=np.float32).reshape(1, 4, 4)
    >>> stack = Pipeline("gray", (Layer((Filter("sum", np.ones((1, 3, 3)), bias=1.0),)),))
    >>> e = explain(stack, image, 0, 0, 0, 0, "conv")
    >>> e.terms[0].partial_sum, e.bias, e.value
    (45.0, 1.0, 46.0)
    """
    if not 0 <= layer < len(pipeline.layers):
        raise ValueError(f"layer must be in 0..{len(pipeline.layers) - 1}, got {layer}")
    result = run_pipeline(image_chw, Pipeline(pipeline.input_mode, pipeline.layers[:layer + 1]))
    return explain_result(pipeline, result, layer, f, y, x, stage)


def explain_result(pipeline: Pipeline, result: PipelineResult, layer: int, f: int, y: int,
                   x: int, stage: str = "pooled") -> Explanation:
    """Explain a value of an already computed result (no compute: cheap on every hover).

    Parameters
    ----------
    pipeline : Pipeline
        The stack ``result`` was computed with.
    result : PipelineResult
        From :func:`run_pipeline` (at least up to ``layer``).
    layer, f, y, x, stage
        As in :func:`explain`.

    Returns
    -------
    Explanation
        As :func:`explain` returns it.

    Raises
    ------
    ValueError
        On an unknown stage, layer, filter or a position outside the map.
    """
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}, got {stage!r}")
    if not 0 <= layer < min(len(pipeline.layers), len(result.layers)):
        raise ValueError(f"layer must be in 0..{len(pipeline.layers) - 1}, got {layer}")
    step = pipeline.layers[layer]
    filters = step.enabled_filters
    if not 0 <= f < len(filters):
        raise ValueError(f"filter must be in 0..{len(filters) - 1}, got {f}")
    lr = result.layers[layer]
    maps = {"conv": lr.conv[f], "activated": lr.activated[f], "pooled": lr.pooled[f]}[stage]
    if not (0 <= y < maps.shape[0] and 0 <= x < maps.shape[1]):
        raise ValueError(f"({y}, {x}) is outside the {stage} map of size {maps.shape}")
    activated = lr.activated[f]

    pool_rect, pool_values = None, None
    cy, cx = y, x
    if stage == "pooled" and step.pool.kind != "none":
        window = pool_window(step, activated.shape, y, x)
        pool_rect = (window.top, window.bottom + 1, window.left, window.right + 1)
        pool_values = activated[window.top:window.bottom + 1, window.left:window.right + 1]
        if step.pool.kind in ("max", "global_max"):
            flat = int(np.argmax(pool_values))
        elif step.pool.kind == "min":
            flat = int(np.argmin(pool_values))
        else:
            flat = 0
        dy, dx = divmod(flat, pool_values.shape[1])
        cy, cx = window.top + dy, window.left + dx

    filt = filters[f]
    kernel = filt.kernel_size
    source, first = filter_input(result, pipeline, layer, f)
    channels = range(first, first + filt.channels)
    weight = filt.weight[:, ::-1, ::-1] if step.flip else filt.weight
    patch = input_patch(source, step, kernel, cy, cx)
    rows, cols = tap_positions(step, kernel, cy, cx)
    height, width = source.shape[1:]
    source_rows = padded_index(rows, height, step.padding_mode)
    source_cols = padded_index(cols, width, step.padding_mode)
    terms = []
    for i, channel in enumerate(channels):
        products = (patch[i] * weight[i]).astype(np.float32)
        terms.append(Term(channel, patch[i], np.ascontiguousarray(weight[i]), products,
                          float(products.astype(np.float64).sum()), rows, cols,
                          source_rows, source_cols))
    conv_value = float(lr.conv[f][cy, cx])
    activated_value = float(activate(step.activation, np.array([[[conv_value]]], np.float32),
                                     negative_slope=step.negative_slope)[0, 0, 0])
    try:
        path = field_path(pipeline, layer, y, x, stage,
                          input_shape=(result.input.shape[1], result.input.shape[2]))
    except ValueError as exc:
        raise PipelineError(str(exc), layer) from exc
    return Explanation(layer, f, filt.name, stage, y, x, float(maps[y, x]), cy, cx,
                       tuple(terms), float(filt.bias), conv_value, step.activation,
                       activated_value, step.pool.kind, pool_rect, pool_values,
                       path[-1] if path else (0, 0, 0, 0), tuple(path))
