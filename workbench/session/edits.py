"""Qt-free edits of a :class:`Pipeline`: each returns a new pipeline (the model is frozen).

The window edits one layer at a time; ``layer`` is its 0-based index.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from workbench.core import Filter, Layer, Pipeline, divisors
from workbench.core.pipeline import INPUT_MODES, expected_input_channels


def layer_input_channels(pipeline: Pipeline, layer: int) -> int:
    """Channels entering ``layer``: the input's for the first, else the previous filter count.

    Raw data has no fixed channel count; its filters' slices x groups are what it reads.

    Parameters
    ----------
    pipeline : Pipeline
        The pipeline.
    layer : int
        0-based layer index.

    Returns
    -------
    int
        Number of input channels.
    """
    if layer == 0:
        return expected_input_channels(pipeline)
    return max(1, len(pipeline.layers[layer - 1].enabled_filters))


def replace_layer(pipeline: Pipeline, layer: int, **changes: Any) -> Pipeline:
    """Return ``pipeline`` with fields of one layer replaced.

    Parameters
    ----------
    pipeline : Pipeline
        The pipeline.
    layer : int
        0-based layer index.
    **changes
        :class:`Layer` fields, e.g. ``stride=(2, 2)``.

    Returns
    -------
    Pipeline
        The edited pipeline.

    Raises
    ------
    ValueError
        If a value is invalid for :class:`Layer`.
    """
    layers = list(pipeline.layers)
    layers[layer] = replace(layers[layer], **changes)
    return replace(pipeline, layers=tuple(layers))


def replace_filters(pipeline: Pipeline, layer: int, filters: Sequence[Filter]) -> Pipeline:
    """Return ``pipeline`` with the filter bank of one layer replaced.

    Parameters
    ----------
    pipeline : Pipeline
        The pipeline.
    layer : int
        0-based layer index.
    filters : sequence of Filter
        The new bank, in order.

    Returns
    -------
    Pipeline
        The edited pipeline.
    """
    return replace_layer(pipeline, layer, filters=tuple(filters))


def slices_per_filter(pipeline: Pipeline, layer: int) -> int:
    """Kernel slices a new filter of ``layer`` needs: input channels / groups.

    Parameters
    ----------
    pipeline : Pipeline
        The pipeline.
    layer : int
        0-based layer index.

    Returns
    -------
    int
        Slice count (at least 1).
    """
    channels = layer_input_channels(pipeline, layer)
    groups = pipeline.layers[layer].groups
    return channels // groups if channels % groups == 0 else channels


def unique_name(base: str, taken: Sequence[str]) -> str:
    """Return ``base``, or ``base 2``, ``base 3`` ..., whichever is not in ``taken``.

    Parameters
    ----------
    base : str
        Wanted name.
    taken : sequence of str
        Names in use.

    Returns
    -------
    str
        A name not in ``taken``.

    Examples
    --------
    >>> unique_name("Sobel x", ["Sobel x", "Sobel x 2"])
    'Sobel x 3'
    """
    if base not in taken:
        return base
    n = 2
    while f"{base} {n}" in taken:
        n += 1
    return f"{base} {n}"


_COPY_SUFFIX = re.compile(r"^(.*?)(?: \((\d+)\)| copy)+$")


def copy_name(name: str, taken: Sequence[str]) -> str:
    """Name a duplicate: ``"Gaussian 3x3 (2)"``, then ``(3)`` ..., the first number not taken.

    An existing ``" (n)"`` (or old-style ``" copy"``) suffix is dropped first, so copies of copies
    do not grow ``"copy copy copy"``.

    Parameters
    ----------
    name : str
        Name of the filter being copied.
    taken : sequence of str
        Names in use.

    Returns
    -------
    str
        ``"<base> (n)"`` with the smallest ``n >= 2`` not in ``taken``.

    Examples
    --------
    >>> copy_name("Gaussian 3x3", ["Gaussian 3x3"])
    'Gaussian 3x3 (2)'
    >>> copy_name("Gaussian 3x3 (2)", ["Gaussian 3x3", "Gaussian 3x3 (2)"])
    'Gaussian 3x3 (3)'
    """
    match = _COPY_SUFFIX.match(name)
    base = match.group(1) if match and match.group(1) else name
    n = 2
    while f"{base} ({n})" in taken:
        n += 1
    return f"{base} ({n})"


def new_filter(pipeline: Pipeline, layer: int, size: tuple[int, int] = (3, 3)) -> Filter:
    """Make a zero kernel of ``size`` with the slices the layer needs, named uniquely.

    Parameters
    ----------
    pipeline : Pipeline
        The pipeline.
    layer : int
        0-based layer index.
    size : tuple of int, optional
        ``(kH, kW)``.

    Returns
    -------
    Filter
        Named ``"Filter N"``.
    """
    taken = [f.name for f in pipeline.layers[layer].filters]
    name = unique_name(f"Filter {len(taken) + 1}", taken)
    return Filter(name, np.zeros((slices_per_filter(pipeline, layer), *size), np.float32))


def fit_filter(pipeline: Pipeline, layer: int, f: Filter) -> Filter:
    """Give ``f`` the slice count ``layer`` needs and a name unique in its bank.

    Parameters
    ----------
    pipeline : Pipeline
        The pipeline.
    layer : int
        0-based layer index.
    f : Filter
        A filter from elsewhere (a preset, a copy).

    Returns
    -------
    Filter
        The adapted filter.
    """
    taken = [g.name for g in pipeline.layers[layer].filters]
    f = f.with_channels(slices_per_filter(pipeline, layer))
    return replace(f, name=unique_name(f.name, taken))


def insert_filter(pipeline: Pipeline, layer: int, f: Filter, index: int | None = None
                  ) -> tuple[Pipeline, int]:
    """Insert ``f`` (adapted by :func:`fit_filter`) into the bank of ``layer``.

    Parameters
    ----------
    pipeline : Pipeline
        The pipeline.
    layer : int
        0-based layer index.
    f : Filter
        The filter.
    index : int, optional
        Position; appended by default.

    Returns
    -------
    tuple
        The new pipeline and the index of the inserted filter.
    """
    filters = list(pipeline.layers[layer].filters)
    index = len(filters) if index is None else max(0, min(index, len(filters)))
    filters.insert(index, fit_filter(pipeline, layer, f))
    return replace_filters(pipeline, layer, filters), index


def move_filter(pipeline: Pipeline, layer: int, source: int, target: int) -> Pipeline:
    """Move the filter at ``source`` to position ``target``.

    Parameters
    ----------
    pipeline : Pipeline
        The pipeline.
    layer : int
        0-based layer index.
    source, target : int
        Positions in the bank (``target`` is clamped to the bank).

    Returns
    -------
    Pipeline
        The reordered pipeline.
    """
    filters = list(pipeline.layers[layer].filters)
    f = filters.pop(source)
    filters.insert(max(0, min(target, len(filters))), f)
    return replace_filters(pipeline, layer, filters)


def reorder_filters(pipeline: Pipeline, layer: int, order: Sequence[int]) -> Pipeline:
    """Put the bank in the order ``order`` (a permutation of the current indices).

    Parameters
    ----------
    pipeline : Pipeline
        The pipeline.
    layer : int
        0-based layer index.
    order : sequence of int
        ``order[i]`` is the old index of the filter that goes to position ``i``.

    Returns
    -------
    Pipeline
        The reordered pipeline.

    Raises
    ------
    ValueError
        If ``order`` is not a permutation of the bank's indices.
    """
    filters = pipeline.layers[layer].filters
    if sorted(order) != list(range(len(filters))):
        raise ValueError(f"order must be a permutation of 0..{len(filters) - 1}, got {order}")
    return replace_filters(pipeline, layer, [filters[i] for i in order])


def set_input_mode(pipeline: Pipeline, mode: str) -> Pipeline:
    """Switch gray / RGB input, converting every first-layer filter with ``with_channels``.

    ``groups`` is kept when it divides the new channel count and reset to 1 otherwise.
    Switching to ``"raw"`` keeps the filters (see :func:`set_raw_channels` for the data's
    channel count).

    Parameters
    ----------
    pipeline : Pipeline
        The pipeline.
    mode : {"gray", "rgb", "raw"}
        New input mode.

    Returns
    -------
    Pipeline
        The converted pipeline.

    Raises
    ------
    ValueError
        If ``mode`` is unknown.
    """
    if mode not in INPUT_MODES:
        raise ValueError(f"input mode must be one of {INPUT_MODES}, got {mode!r}")
    converted = replace(pipeline, input_mode=mode)
    if not pipeline.layers:
        return converted
    first = pipeline.layers[0]
    channels = expected_input_channels(converted)
    groups = first.groups if channels % first.groups == 0 else 1
    slices = channels // groups
    filters = tuple(f.with_channels(slices) for f in first.filters)
    return replace_layer(converted, 0, filters=filters, groups=groups)


def image_input_mode(pipeline: Pipeline) -> str:
    """Return how an image is fed to ``pipeline``: its mode, or for raw data gray / RGB.

    Parameters
    ----------
    pipeline : Pipeline
        The pipeline.

    Returns
    -------
    str
        ``"gray"`` or ``"rgb"`` (RGB when a raw pipeline's first layer reads 3 channels).
    """
    if pipeline.input_mode != "raw":
        return pipeline.input_mode
    return "rgb" if expected_input_channels(pipeline) == 3 else "gray"


def set_raw_channels(pipeline: Pipeline, channels: int) -> Pipeline:
    """Switch to raw data input with ``channels`` channels, converting the first layer's filters.

    ``groups`` is kept when it divides ``channels`` and reset to 1 otherwise; every filter
    gets ``channels / groups`` slices (:meth:`Filter.with_channels`).

    Parameters
    ----------
    pipeline : Pipeline
        The pipeline.
    channels : int
        Channels of the raw data, >= 1.

    Returns
    -------
    Pipeline
        Input mode ``"raw"``.

    Raises
    ------
    ValueError
        If ``channels`` is not a positive integer.
    """
    if channels < 1:
        raise ValueError(f"channels must be a positive integer, got {channels}")
    converted = replace(pipeline, input_mode="raw")
    if not pipeline.layers:
        return converted
    first = pipeline.layers[0]
    groups = first.groups if channels % first.groups == 0 else 1
    filters = tuple(f.with_channels(channels // groups) for f in first.filters)
    return replace_layer(converted, 0, filters=filters, groups=groups)


def allowed_groups(pipeline: Pipeline, layer: int) -> list[int]:
    """List the ``groups`` values dividing the input channels and the enabled filters.

    Parameters
    ----------
    pipeline : Pipeline
        The pipeline.
    layer : int
        0-based layer index.

    Returns
    -------
    list of int
        Increasing, always starting with 1.
    """
    channels = layer_input_channels(pipeline, layer)
    count = len(pipeline.layers[layer].enabled_filters) or 1
    return [g for g in divisors(channels) if count % g == 0]


def set_groups(pipeline: Pipeline, layer: int, groups: int) -> Pipeline:
    """Set ``groups`` and give every filter ``channels / groups`` slices when that divides.

    Parameters
    ----------
    pipeline : Pipeline
        The pipeline.
    layer : int
        0-based layer index.
    groups : int
        New group count, >= 1.

    Returns
    -------
    Pipeline
        The edited pipeline. If ``groups`` does not divide the input channels the slices
        are left alone and running the pipeline reports why.

    Raises
    ------
    ValueError
        If ``groups`` is not a positive integer.
    """
    edited = replace_layer(pipeline, layer, groups=groups)
    channels = layer_input_channels(pipeline, layer)
    if channels % groups:
        return edited
    filters = tuple(f.with_channels(channels // groups) for f in pipeline.layers[layer].filters)
    return replace_layer(edited, layer, filters=filters)


def with_layer(pipeline: Pipeline) -> Pipeline:
    """Make sure ``pipeline`` has at least one layer to edit (an empty one is added).

    Parameters
    ----------
    pipeline : Pipeline
        The pipeline.

    Returns
    -------
    Pipeline
        ``pipeline`` or a copy with one empty layer.
    """
    if pipeline.layers:
        return pipeline
    return replace(pipeline, layers=(Layer(()),))


def fit_to_signal(pipeline: Pipeline) -> tuple[Pipeline, bool]:
    """Make every layer one row tall, for a ``1 x L`` signal input.

    Each kernel keeps its middle row; vertical stride, dilation and padding become 1, 1 and
    0; pooling windows become ``1 x k``. Layers already one row tall are unchanged.

    Parameters
    ----------
    pipeline : Pipeline
        The pipeline.

    Returns
    -------
    (Pipeline, bool)
        The fitted pipeline and whether anything changed.
    """
    layers = []
    changed = False
    for layer in pipeline.layers:
        filters = tuple(
            replace(f, weight=f.weight[:, f.weight.shape[1] // 2:f.weight.shape[1] // 2 + 1])
            if f.weight.shape[1] > 1 else f for f in layer.filters)
        pool = layer.pool
        if pool.kind not in ("none", "global_max", "global_avg"):
            stride = None if pool.stride is None else (1, pool.stride[1])
            pool = replace(pool, size=(1, pool.size[1]), stride=stride,
                           padding=(0, pool.padding[1]))
        padding = layer.padding if isinstance(layer.padding, str) else (0, layer.padding[1])
        fitted = replace(layer, filters=filters, stride=(1, layer.stride[1]),
                         dilation=(1, layer.dilation[1]), padding=padding, pool=pool)
        changed = changed or fitted != layer
        layers.append(fitted)
    return replace(pipeline, layers=tuple(layers)), changed
