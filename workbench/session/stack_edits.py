"""Qt-free edits of a whole stack: add, duplicate, delete and move layers; keep channels in step.

Layer ``k+1``'s kernels have one slice per map layer ``k`` puts out (its enabled filters,
divided by ``groups``). Every edit here returns the new pipeline and a sentence naming
what it did to the neighbouring layer, for the status bar.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from workbench.core import Filter, Layer, Pipeline, Pool, get_preset, map_shapes
from workbench.session.edits import layer_input_channels

IDENTITY_NAME = "Copy of map"


def _outputs(pipeline: Pipeline, layer: int) -> int:
    """Count the maps layer ``layer`` puts out (its enabled filters; at least 1)."""
    return max(1, len(pipeline.layers[layer].enabled_filters))


def _resliced(f: Filter, source: list[int | None]) -> Filter:
    """``f`` with slice ``j`` taken from old slice ``source[j]`` (None: a zero slice)."""
    kh, kw = f.kernel_size
    weight = np.zeros((len(source), kh, kw), np.float32)
    for j, old in enumerate(source):
        if old is not None and old < f.channels:
            weight[j] = f.weight[old]
    return replace(f, weight=weight)


def _slice_sources(before: tuple[Filter, ...], after: tuple[Filter, ...]) -> list[int | None]:
    """For each map after an edit of a bank, the map it was before (None: a new one).

    A filter kept (the same object) keeps its map wherever it moved; a new object standing
    where an old one disappeared is that filter edited, so it keeps that map too.
    """
    old_index = {id(f): i for i, f in enumerate(before)}
    sources: list[int | None] = [old_index.get(id(f)) for f in after]
    used = {s for s in sources if s is not None}
    for j, source in enumerate(sources):
        if source is None and j < len(before) and j not in used:
            sources[j] = j
            used.add(j)
    return sources


Stash = dict[tuple[int, str], list[np.ndarray]]  # (layer, map name) -> next layer's slices


def follow_channels(old: Pipeline, new: Pipeline, stash: Stash | None = None
                    ) -> tuple[Pipeline, str]:
    """Keep the next layer's kernel slices in step after an edit of one layer's bank.

    A filter added to layer ``k`` adds a zero slice to every filter of layer ``k+1``;
    a removed (or disabled) one removes its slice; reordering reorders the slices. Only
    when the edit left layer ``k+1`` itself alone and its slices matched layer ``k``'s
    maps before; with ``groups > 1`` in layer ``k+1`` nothing follows and the note says
    so. A removed slice is kept in ``stash``, so that enabling the filter again (or
    re-adding one of that name) brings its weights back instead of a zero slice.

    Parameters
    ----------
    old, new : Pipeline
        The pipeline before and after the edit.
    stash : dict, optional
        Removed slices by ``(layer k, filter name)``, updated in place.

    Returns
    -------
    tuple
        The pipeline to keep and a sentence for the status bar (``""`` if nothing followed).
    """
    if len(old.layers) != len(new.layers) or len(new.layers) < 2:
        return new, ""
    stash = {} if stash is None else stash
    layers = list(new.layers)
    notes = []
    for k in range(len(layers) - 1):
        before, after = old.layers[k].enabled_filters, layers[k].enabled_filters
        if [id(f) for f in before] == [id(f) for f in after]:
            continue
        sources = _slice_sources(before, after)
        if sources == list(range(len(before))):  # edited in place: every map keeps its slice
            continue
        following = layers[k + 1]
        if following is not old.layers[k + 1] or not before or not after \
                or any(f.channels * following.groups != len(before)
                       for f in following.filters):
            continue
        if following.groups != 1:
            notes.append(f"Layer {k + 2} has groups={following.groups}: its kernel slices do "
                         "not follow; set its groups to 1 or keep the map count divisible")
            continue
        kept = {s for s in sources if s is not None}
        removed = [i for i in range(len(before)) if i not in kept]
        for i in removed:
            stash[(k, before[i].name)] = [f.weight[i].copy() for f in following.filters]
        restored: list[str] = []
        added: list[str] = []
        filters = []
        for n, f in enumerate(following.filters):
            weight = _resliced(f, sources).weight.copy()
            for j, source in enumerate(sources):
                saved = stash.get((k, after[j].name)) if source is None else None
                if saved is not None and len(saved) == len(following.filters) \
                        and saved[n].shape == weight[j].shape:
                    weight[j] = saved[n]
            filters.append(replace(f, weight=weight))
        for j, source in enumerate(sources):
            if source is None:
                saved = stash.pop((k, after[j].name), None)
                ok = saved is not None and len(saved) == len(following.filters)
                (restored if ok else added).append(after[j].name)
        layers[k + 1] = replace(following, filters=tuple(filters))
        count = len(following.filters)
        what = []
        if restored:
            what.append(f"restored the slice of {', '.join(repr(n) for n in restored)}")
        if added:
            what.append(f"added a zero slice for {', '.join(repr(n) for n in added)}")
        if removed:
            what.append("removed the slice of "
                        f"{', '.join(repr(before[i].name) for i in removed)}")
        if not what:
            what.append("reordered the slices")
        notes.append(f"Layer {k + 2}: {' and '.join(what)} in its {count} "
                     f"filter{'s' if count != 1 else ''}")
    return replace(new, layers=tuple(layers)), "; ".join(notes)


def fit_stack(pipeline: Pipeline) -> tuple[Pipeline, list[int]]:
    """Give every layer after the first the slices its input maps need.

    Slices that exist are kept in order; missing ones are zero; extra ones are dropped.
    A ``groups`` value that no longer divides is reset to 1.

    Parameters
    ----------
    pipeline : Pipeline
        The stack after a structural change.

    Returns
    -------
    tuple
        The fitted pipeline and the 0-based indices of the layers that changed.
    """
    layers = list(pipeline.layers)
    changed = []
    for k in range(1, len(layers)):
        layer = layers[k]
        channels = max(1, len(layers[k - 1].enabled_filters))
        groups = layer.groups if channels % layer.groups == 0 \
            and len(layer.enabled_filters) % layer.groups == 0 else 1
        need = channels // groups
        if groups == layer.groups and all(f.channels == need for f in layer.filters):
            continue
        filters = tuple(f if f.channels == need else _resliced(f, list(range(need)))
                        for f in layer.filters)
        layers[k] = replace(layer, filters=filters, groups=groups)
        changed.append(k)
    return replace(pipeline, layers=tuple(layers)), changed


def _fit_first(pipeline: Pipeline, channels: int | None = None) -> tuple[Pipeline, str]:
    """Give the (new) first layer the slices its input needs; say what that cost.

    ``channels`` is the input's channel count (needed for raw data; images have theirs
    from the input mode).
    """
    first = pipeline.layers[0]
    need = channels if channels is not None else layer_input_channels(pipeline, 0)
    if pipeline.input_mode == "raw" and channels is None:
        return pipeline, ""
    groups = first.groups if need % first.groups == 0 else 1
    if groups == first.groups and all(f.channels * groups == need for f in first.filters):
        return pipeline, ""
    before = max(f.channels for f in first.filters) if first.filters else 0
    first = replace(first, groups=groups,
                    filters=tuple(f.with_channels(need // groups) for f in first.filters))
    note = (f"; layer 1 now reads the {need}-channel input: its kernels went from {before} to "
            f"{need // groups} slice(s)" + (" (slices beyond were dropped)"
                                             if need // groups < before else ""))
    return replace(pipeline, layers=(first, *pipeline.layers[1:])), note


def _fitted(pipeline: Pipeline, done: str) -> tuple[Pipeline, str]:
    fitted, changed = fit_stack(pipeline)
    if changed:
        names = ", ".join(str(k + 1) for k in changed)
        done += (f"; layer {names} refitted to one kernel slice per input map (slices kept "
                 "in order, missing ones zero, extra ones dropped)")
    return fitted, done


def identity_layer(channels: int) -> Layer:
    """Make a layer that copies its ``channels`` input maps (3x3 identity kernels, padding 1).

    Parameters
    ----------
    channels : int
        Input maps.

    Returns
    -------
    Layer
        ``channels`` filters; filter ``i`` has a 1 at the centre of slice ``i``.
    """
    filters = []
    for i in range(channels):
        weight = np.zeros((channels, 3, 3), np.float32)
        weight[i, 1, 1] = 1.0
        filters.append(Filter(f"{IDENTITY_NAME} {i + 1}", weight))
    return Layer(tuple(filters), padding=(1, 1))


def add_layer(pipeline: Pipeline, after: int) -> tuple[Pipeline, str]:
    """Insert a copying layer after layer ``after`` (its kernels are then typed in).

    Parameters
    ----------
    pipeline : Pipeline
        The stack.
    after : int
        0-based index of the layer it follows.

    Returns
    -------
    tuple
        The new pipeline and what was done.
    """
    channels = _outputs(pipeline, after) if pipeline.layers else \
        layer_input_channels(pipeline, 0)
    layers = list(pipeline.layers)
    layers.insert(after + 1, identity_layer(channels))
    return (replace(pipeline, layers=tuple(layers)),
            f"Added layer {after + 2}: {channels} identity 3x3 filter(s) copying the maps of "
            f"layer {after + 1}; type kernels to change it")


def duplicate_layer(pipeline: Pipeline, layer: int) -> tuple[Pipeline, str]:
    """Insert a copy of layer ``layer`` right after it.

    Parameters
    ----------
    pipeline : Pipeline
        The stack.
    layer : int
        0-based index.

    Returns
    -------
    tuple
        The new pipeline and what was done.
    """
    layers = list(pipeline.layers)
    layers.insert(layer + 1, layers[layer])
    return _fitted(replace(pipeline, layers=tuple(layers)),
                   f"Duplicated layer {layer + 1} as layer {layer + 2}")


def delete_layer(pipeline: Pipeline, layer: int, channels: int | None = None
                 ) -> tuple[Pipeline, str]:
    """Remove layer ``layer`` (the last remaining layer cannot be removed).

    Parameters
    ----------
    pipeline : Pipeline
        The stack.
    layer : int
        0-based index.
    channels : int, optional
        The input's channels, for raw data (a new first layer is refitted to them).

    Returns
    -------
    tuple
        The new pipeline and what was done.

    Raises
    ------
    ValueError
        If it is the only layer.
    """
    if len(pipeline.layers) < 2:
        raise ValueError("a pipeline needs at least one layer")
    layers = list(pipeline.layers)
    del layers[layer]
    fixed, note = _fit_first(replace(pipeline, layers=tuple(layers)), channels)
    return _fitted(fixed, f"Deleted layer {layer + 1}{note}")


def move_layer(pipeline: Pipeline, layer: int, target: int, channels: int | None = None
               ) -> tuple[Pipeline, str]:
    """Move layer ``layer`` to position ``target`` (both 0-based).

    Parameters
    ----------
    pipeline : Pipeline
        The stack.
    layer, target : int
        Old and new position (``target`` clamped to the stack).
    channels : int, optional
        The input's channels, for raw data (a new first layer is refitted to them).

    Returns
    -------
    tuple
        The new pipeline and what was done.
    """
    layers = list(pipeline.layers)
    moved = layers.pop(layer)
    target = max(0, min(target, len(layers)))
    layers.insert(target, moved)
    fixed, note = _fit_first(replace(pipeline, layers=tuple(layers)), channels)
    return _fitted(fixed, f"Moved layer {layer + 1} to position {target + 1}{note}")


# ------------------------------------------------------------------ teaching stacks


def _preset(key: str, name: str, slices: int = 1, slice_index: int = 0) -> Filter:
    kernel = get_preset(key).kernel
    weight = np.zeros((slices, *kernel.shape), np.float32)
    weight[slice_index] = kernel
    return Filter(name, weight)


def edges_then_corners(input_mode: str = "gray") -> Pipeline:
    """Conv(4 edge filters) -> ReLU -> 2x2 max pool -> conv(4 corner filters) -> ReLU.

    Layer 1 finds left/right and top/bottom edges; each layer-2 filter adds one vertical
    and one horizontal edge map with a bias of -1, so it fires only where both meet.

    Parameters
    ----------
    input_mode : {"gray", "rgb"}, optional
        The first layer's input.

    Returns
    -------
    Pipeline
        The two-layer stack.
    """
    channels = 3 if input_mode == "rgb" else 1
    edges = tuple(f.with_channels(channels) for f in (
        _preset("sobel_x", "Dark to bright (x)"),
        Filter("Bright to dark (x)", -get_preset("sobel_x").kernel),
        _preset("sobel_y", "Dark to bright (y)"),
        Filter("Bright to dark (y)", -get_preset("sobel_y").kernel)))
    corners = []
    for name, vertical, horizontal in (("Corner ┌", 0, 2), ("Corner ┐", 1, 2),
                                       ("Corner └", 0, 3), ("Corner ┘", 1, 3)):
        weight = np.zeros((4, 3, 3), np.float32)
        weight[vertical] = 1.0 / 9
        weight[horizontal] = 1.0 / 9
        corners.append(Filter(name, weight, bias=-1.0))
    return Pipeline(input_mode, (
        Layer(edges, padding=(1, 1), activation="relu", pool=Pool("max", (2, 2))),
        Layer(tuple(corners), padding=(1, 1), activation="relu")))


def blur_then_edges(input_mode: str = "gray") -> Pipeline:
    """Gaussian blur -> 2x2 average pool -> Sobel x and y -> absolute-value-like ReLU pair.

    Parameters
    ----------
    input_mode : {"gray", "rgb"}, optional
        The first layer's input.

    Returns
    -------
    Pipeline
        The two-layer stack: smoothing and downsampling first, edges on the smaller map.
    """
    channels = 3 if input_mode == "rgb" else 1
    blur = _preset("gaussian_5", "Gaussian 5x5").with_channels(channels)
    return Pipeline(input_mode, (
        Layer((blur,), padding=(2, 2), pool=Pool("avg", (2, 2))),
        Layer((_preset("sobel_x", "Sobel x"), _preset("sobel_y", "Sobel y")),
              padding=(1, 1), activation="relu", pool=Pool("max", (2, 2)))))


def three_layer_bench(input_mode: str = "rgb") -> Pipeline:
    """Build the benchmark stack: 8 3x3, ReLU, max 2; 16 3x3x8, ReLU, max 2; 16 3x3x16.

    Parameters
    ----------
    input_mode : {"gray", "rgb"}, optional
        The first layer's input.

    Returns
    -------
    Pipeline
        Three layers with seeded random weights.
    """
    rng = np.random.default_rng(0)
    channels = 3 if input_mode == "rgb" else 1

    def bank(count: int, depth: int) -> tuple[Filter, ...]:
        return tuple(Filter(f"Filter {i + 1}", rng.normal(0, 0.3, (depth, 3, 3))
                            .astype(np.float32)) for i in range(count))
    return Pipeline(input_mode, (
        Layer(bank(8, channels), padding=(1, 1), activation="relu", pool=Pool("max", (2, 2))),
        Layer(bank(16, 8), padding=(1, 1), activation="relu", pool=Pool("max", (2, 2))),
        Layer(bank(16, 16), padding=(1, 1))))


STACK_PRESETS: dict[str, tuple[str, Callable[[str], Pipeline]]] = {
    "edges_then_corners": ("Edges then corners (2 layers)", edges_then_corners),
    "blur_then_edges": ("Blur and shrink, then edges (2 layers)", blur_then_edges),
    "three_layer": ("Three small conv layers (8 -> 16 -> 16 filters)", three_layer_bench),
}


# ------------------------------------------------------------------ describing


def layer_summary(layer: Layer) -> str:
    """Describe one layer in a line: filters and kernel size, stride, activation, pooling.

    Parameters
    ----------
    layer : Layer
        The layer.

    Returns
    -------
    str
        E.g. ``"4 filters 3×3 · stride 2 · ReLU · max 2×2"``.
    """
    filters = layer.enabled_filters
    sizes = sorted({f.kernel_size for f in filters})
    kernel = " / ".join(f"{h}×{w}" for h, w in sizes) or "no kernel"
    parts = [f"{len(filters)} filter{'s' if len(filters) != 1 else ''} {kernel}"]
    if layer.stride != (1, 1):
        parts.append(f"stride {layer.stride[0]}" if layer.stride[0] == layer.stride[1]
                     else f"stride {layer.stride[0]}×{layer.stride[1]}")
    if layer.dilation != (1, 1):
        parts.append(f"dilation {layer.dilation[0]}×{layer.dilation[1]}")
    if layer.groups > 1:
        parts.append(f"groups {layer.groups}")
    if layer.activation != "none":
        parts.append({"relu": "ReLU", "leaky_relu": "leaky ReLU", "tanh": "tanh",
                      "sigmoid": "sigmoid"}.get(layer.activation, layer.activation))
    pool = layer.pool
    if pool.kind.startswith("global"):
        parts.append(f"global {pool.kind.split('_')[1]}")
    elif pool.kind != "none":
        parts.append(f"{pool.kind} {pool.size[0]}×{pool.size[1]}")
    return " · ".join(parts)


def stack_steps(pipeline: Pipeline, input_shape: tuple[int, int, int]
                ) -> tuple[list[str], str | None]:
    """Work out the output shapes of the whole stack, step by step.

    Parameters
    ----------
    pipeline : Pipeline
        The stack.
    input_shape : tuple of int
        ``(C, H, W)`` of the input.

    Returns
    -------
    tuple
        ``["input 1×480×640", "conv1 4×480×640", "pool1 4×240×320", ...]`` up to the first
        impossible step, and why that step is impossible (None if every step fits).
    """
    steps = [f"input {input_shape[0]}×{input_shape[1]}×{input_shape[2]}"]
    channels = input_shape[0]
    for k, layer in enumerate(pipeline.layers):
        filters = layer.enabled_filters
        depths = sorted({f.channels for f in filters})
        if not filters:
            return steps, f"conv{k + 1} is impossible: no enabled filters"
        if len(depths) > 1 or depths[0] * layer.groups != channels \
                or len(filters) % layer.groups:
            return steps, (f"conv{k + 1} is impossible: {channels} input map(s), kernels of "
                           f"{'/'.join(map(str, depths))} slice(s) with groups={layer.groups}"
                           " (slices × groups must equal the maps, and groups divide the "
                           "filters)")
        channels = len(filters)
        try:
            _, conv, pooled = map_shapes(Pipeline(pipeline.input_mode, pipeline.layers[:k + 1]),
                                         input_shape[1:])[-1]
        except ValueError as exc:
            return steps, f"conv{k + 1} is impossible: {exc}"
        if min(conv) < 1:
            return steps, (f"conv{k + 1} is impossible: its {conv[0]}×{conv[1]} output is "
                           "empty (the kernel does not fit its input)")
        maps = max(1, len(layer.enabled_filters))
        steps.append(f"conv{k + 1} {maps}×{conv[0]}×{conv[1]}")
        if layer.pool.kind != "none":
            if min(pooled) < 1:
                return steps, f"pool{k + 1} is impossible: the window does not fit the map"
            steps.append(f"pool{k + 1} {maps}×{pooled[0]}×{pooled[1]}")
    return steps, None
