"""The Qt-free pipeline model (frozen dataclasses), its JSON form, and running it.

Data flows one way: an input tensor ``(C, H, W)`` goes through each :class:`Layer`
(conv -> activation -> pool); layer k+1 consumes layer k's pooled maps.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from workbench.core.activations import ACTIVATIONS, activate
from workbench.core.arrays import FloatArray, IntPair, as_float32, pair
from workbench.core.buffers import Lease
from workbench.core.conv import PADDING_MODES, ConvPlan, plan_conv2d, run_conv_plan
from workbench.core.fused import can_fuse, conv_activate_pool
from workbench.core.pooling import (
    avg_pool2d,
    global_avg_pool2d,
    global_max_pool2d,
    max_pool2d,
    min_pool2d,
)
from workbench.core.presets import DEFAULT_BANK, get_preset

SCHEMA_VERSION = 1
POOL_KINDS: tuple[str, ...] = ("none", "max", "avg", "min", "global_max", "global_avg")
# "raw": numeric data used as given (any channel count, no colour conversion or scaling).
INPUT_MODES: tuple[str, ...] = ("gray", "rgb", "raw")
Padding = IntPair | Literal["valid", "same"]


class PipelineError(ValueError):
    """A pipeline that cannot run on the given input; ``layer`` is 0-based or None."""

    def __init__(self, message: str, layer: int | None = None) -> None:
        super().__init__(message if layer is None else f"layer {layer + 1}: {message}")
        self.layer = layer


@dataclass(frozen=True, eq=False)
class Filter:
    """One filter: a kernel ``(C, kH, kW)`` with one slice per input channel, and a bias.

    ``weight`` is stored as a read-only float32 copy; a 2-D kernel means one channel.
    """

    name: str
    weight: FloatArray
    bias: float = 0.0
    enabled: bool = True

    def __post_init__(self) -> None:
        w = as_float32(self.weight, "weight")
        if w.ndim == 2:
            w = w[np.newaxis]
        if w.ndim != 3 or w.size == 0:
            raise ValueError(f"filter {self.name!r}: weight must be (C, kH, kW), got {w.shape}")
        if not np.isfinite(w).all():
            raise ValueError(f"filter {self.name!r}: weights must be finite numbers")
        w = w.copy()
        w.setflags(write=False)
        bias = float(self.bias)
        if not math.isfinite(bias):
            raise ValueError(f"filter {self.name!r}: bias must be a finite number, got {bias}")
        object.__setattr__(self, "weight", w)
        object.__setattr__(self, "bias", bias)
        object.__setattr__(self, "name", str(self.name))
        object.__setattr__(self, "enabled", bool(self.enabled))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Filter):
            return NotImplemented
        return (self.name == other.name and self.bias == other.bias
                and self.enabled == other.enabled and self.weight.shape == other.weight.shape
                and bool(np.array_equal(self.weight, other.weight)))

    def __hash__(self) -> int:
        return hash((self.name, self.bias, self.enabled, self.weight.shape,
                     self.weight.tobytes()))

    @property
    def channels(self) -> int:
        """Number of input-channel slices."""
        return int(self.weight.shape[0])

    @property
    def kernel_size(self) -> IntPair:
        """``(kH, kW)``."""
        return int(self.weight.shape[1]), int(self.weight.shape[2])

    def with_channels(self, channels: int) -> Filter:
        """Return this filter with ``channels`` slices.

        One slice is repeated; going down to fewer channels keeps the first slices.

        Parameters
        ----------
        channels : int
            Wanted number of slices, >= 1.

        Returns
        -------
        Filter
            ``self`` if nothing changes.
        """
        if channels == self.channels:
            return self
        if channels < 1:
            raise ValueError(f"channels must be a positive integer, got {channels}")
        if self.channels == 1:
            weight = np.repeat(self.weight, channels, axis=0)
        elif channels < self.channels:
            weight = self.weight[:channels]
        else:
            reps = -(-channels // self.channels)
            weight = np.tile(self.weight, (reps, 1, 1))[:channels]
        return replace(self, weight=weight)


@dataclass(frozen=True)
class Pool:
    """Pooling after the activation. ``stride=None`` means the window size."""

    kind: str = "none"
    size: IntPair = (2, 2)
    stride: IntPair | None = None
    padding: IntPair = (0, 0)
    ceil_mode: bool = False

    def __post_init__(self) -> None:
        if self.kind not in POOL_KINDS:
            raise ValueError(f"pool kind must be one of {POOL_KINDS}, got {self.kind!r}")
        object.__setattr__(self, "size", pair(self.size, "pool size", minimum=1))
        if self.stride is not None:
            object.__setattr__(self, "stride", pair(self.stride, "pool stride", minimum=1))
        object.__setattr__(self, "padding", pair(self.padding, "pool padding", minimum=0))
        object.__setattr__(self, "ceil_mode", bool(self.ceil_mode))

    @property
    def effective_stride(self) -> IntPair:
        """The stride actually used."""
        return self.size if self.stride is None else self.stride


@dataclass(frozen=True)
class Layer:
    """A convolutional layer: filters, conv hyper-parameters, activation and pooling."""

    filters: tuple[Filter, ...]
    stride: IntPair = (1, 1)
    padding: Padding = (0, 0)
    dilation: IntPair = (1, 1)
    groups: int = 1
    padding_mode: str = "zeros"
    flip: bool = False
    activation: str = "none"
    negative_slope: float = 0.01
    pool: Pool = field(default_factory=Pool)

    def __post_init__(self) -> None:
        filters = tuple(self.filters)
        if not all(isinstance(f, Filter) for f in filters):
            raise ValueError("filters must be Filter objects")
        object.__setattr__(self, "filters", filters)
        object.__setattr__(self, "stride", pair(self.stride, "stride", minimum=1))
        object.__setattr__(self, "dilation", pair(self.dilation, "dilation", minimum=1))
        if isinstance(self.padding, str):
            if self.padding not in ("valid", "same"):
                raise ValueError(f"padding must be 'valid', 'same' or a pair of integers >= 0, "
                                 f"got {self.padding!r}")
        else:
            object.__setattr__(self, "padding", pair(self.padding, "padding", minimum=0))
        if isinstance(self.groups, bool) or not isinstance(self.groups, (int, np.integer)) \
                or self.groups < 1:
            raise ValueError(f"groups must be a positive integer, got {self.groups!r}")
        object.__setattr__(self, "groups", int(self.groups))
        if self.padding_mode not in PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {PADDING_MODES}, "
                             f"got {self.padding_mode!r}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {self.activation!r}")
        if not isinstance(self.pool, Pool):
            raise ValueError("pool must be a Pool")
        object.__setattr__(self, "flip", bool(self.flip))
        object.__setattr__(self, "negative_slope", float(self.negative_slope))

    @property
    def enabled_filters(self) -> tuple[Filter, ...]:
        """The filters that are computed."""
        return tuple(f for f in self.filters if f.enabled)


@dataclass(frozen=True)
class Pipeline:
    """Input mode and the stack of layers."""

    input_mode: str = "gray"
    layers: tuple[Layer, ...] = ()

    def __post_init__(self) -> None:
        if self.input_mode not in INPUT_MODES:
            raise ValueError(f"input_mode must be one of {INPUT_MODES}, got {self.input_mode!r}")
        layers = tuple(self.layers)
        if not all(isinstance(layer, Layer) for layer in layers):
            raise ValueError("layers must be Layer objects")
        object.__setattr__(self, "layers", layers)

    @property
    def input_channels(self) -> int | None:
        """1 for gray, 3 for RGB, None for raw data (the data decides, any count)."""
        if self.input_mode == "raw":
            return None
        return 1 if self.input_mode == "gray" else 3


def expected_input_channels(pipeline: Pipeline) -> int:
    """Channels the first layer reads: the mode's, or for raw data its filters' slices x groups.

    Parameters
    ----------
    pipeline : Pipeline
        The pipeline.

    Returns
    -------
    int
        At least 1 (a raw pipeline without filters reads 1 channel).

    Examples
    --------
    >>> layer = Layer((Filter("a", np.ones((1, 1, 1))), Filter("b", np.ones((1, 1, 1)))),
    ...               groups=2)
    >>> expected_input_channels(Pipeline("raw", (layer,)))
    2
    """
    if pipeline.input_channels is not None:
        return pipeline.input_channels
    if not pipeline.layers or not pipeline.layers[0].filters:
        return 1
    first = pipeline.layers[0]
    filters = first.enabled_filters or first.filters
    return filters[0].channels * first.groups


@dataclass(frozen=True)
class StageTimes:
    """Seconds spent in each stage of one layer.

    When the layer ran ``fused`` (conv, activation and pooling in one pass, see
    :mod:`workbench.core.fused`) the stages cannot be timed apart: ``conv`` holds the
    whole layer's time and ``activation`` and ``pool`` are 0.
    """

    conv: float
    activation: float
    pool: float
    fused: bool = False

    @property
    def total(self) -> float:
        """Sum of the stages."""
        return self.conv + self.activation + self.pool


@dataclass(frozen=True)
class LayerResult:
    """One layer's output. Maps are per enabled filter, 2-D float32 each."""

    filter_names: tuple[str, ...]
    conv: tuple[FloatArray, ...]
    activated: tuple[FloatArray, ...]
    pooled: tuple[FloatArray, ...]
    times: StageTimes


@dataclass(frozen=True)
class PipelineResult:
    """Every layer's output for one input."""

    input: FloatArray
    layers: tuple[LayerResult, ...]

    @property
    def seconds(self) -> float:
        """Total compute time of all layers."""
        return sum(layer.times.total for layer in self.layers)


Batch = tuple[list[int], FloatArray]


def _conv_batches(x: FloatArray, layer: Layer, index: int) -> list[tuple[list[int], ConvPlan]]:
    """Validate one layer's conv against its input and plan it, one batch per kernel size.

    Returns ``(filter indices, plan)`` pairs, so each stage runs on a whole stack of maps
    without copying them apart and back together.
    """
    filters = layer.enabled_filters
    channels = x.shape[0]
    depths = {f.channels for f in filters}
    if len(depths) != 1:
        raise PipelineError("all filters of a layer need the same number of input channel "
                            f"slices, got {sorted(depths)}", index)
    depth = depths.pop()
    if channels % layer.groups:
        raise PipelineError(f"groups={layer.groups} must divide the {channels} input channels; "
                            f"allowed: {', '.join(map(str, divisors(channels)))}", index)
    if len(filters) % layer.groups:
        raise PipelineError(f"groups={layer.groups} must divide the number of enabled filters "
                            f"({len(filters)})", index)
    if depth * layer.groups != channels:
        raise PipelineError(
            f"the input has {channels} channel(s) but the filters have {depth} slice(s) with "
            f"groups={layer.groups} (slices x groups must equal the input channels)", index)
    sizes = {f.kernel_size for f in filters}
    if len(sizes) > 1 and layer.groups > 1:
        raise PipelineError("groups > 1 needs every filter to have the same kernel size", index)
    batches: list[tuple[list[int], ConvPlan]] = []
    for size in sorted(sizes):
        idx = [i for i, f in enumerate(filters) if f.kernel_size == size]
        weight = np.stack([filters[i].weight for i in idx])
        bias = np.array([filters[i].bias for i in idx], dtype=np.float32)
        try:
            plan = plan_conv2d(x, weight, bias, stride=layer.stride, padding=layer.padding,
                               dilation=layer.dilation, groups=layer.groups,
                               padding_mode=layer.padding_mode, flip=layer.flip)
        except ValueError as exc:
            raise PipelineError(str(exc), index) from exc
        batches.append((idx, plan))
    return batches


def _run_layer(x: FloatArray, layer: Layer, index: int, buffers: Lease | None = None
               ) -> tuple[list[Batch], list[Batch], list[Batch], StageTimes]:
    """Conv, activation and pooling of one layer: fused when possible, else stage by stage."""
    pool = layer.pool
    t0 = time.perf_counter()
    plans = _conv_batches(x, layer, index)
    if can_fuse(layer.activation, pool.kind, pool.size, pool.stride):
        conv: list[Batch] = []
        activated: list[Batch] = []
        pooled: list[Batch] = []
        for idx, plan in plans:
            try:
                maps = conv_activate_pool(plan, layer.activation, layer.negative_slope,
                                          pool.kind, pool.size, pool.stride, pool.padding,
                                          pool.ceil_mode, buffers=buffers)
            except ValueError as exc:
                raise PipelineError(f"pooling: {exc}", index) from exc
            conv.append((idx, maps[0]))
            activated.append((idx, maps[1]))
            pooled.append((idx, maps[2]))
        return conv, activated, pooled, StageTimes(time.perf_counter() - t0, 0.0, 0.0, True)
    conv = [(idx, run_conv_plan(plan)) for idx, plan in plans]
    t1 = time.perf_counter()
    activated = [(idx, activate(layer.activation, maps, negative_slope=layer.negative_slope))
                 for idx, maps in conv]
    t2 = time.perf_counter()
    pooled = [(idx, _pool(maps, pool, index)) for idx, maps in activated]
    t3 = time.perf_counter()
    return conv, activated, pooled, StageTimes(t1 - t0, t2 - t1, t3 - t2)


def _per_filter(batches: list[Batch], count: int) -> tuple[FloatArray, ...]:
    """Split batches back into one 2-D map per filter, in filter order (views, no copy)."""
    out: list[FloatArray] = [np.empty(0, np.float32)] * count
    for idx, maps in batches:
        for j, i in enumerate(idx):
            out[i] = maps[j]
    return tuple(out)


def _pool(maps: FloatArray, pool: Pool, index: int) -> FloatArray:
    try:
        if pool.kind == "none":
            return maps
        if pool.kind == "global_max":
            return global_max_pool2d(maps)
        if pool.kind == "global_avg":
            return global_avg_pool2d(maps)
        if pool.kind == "avg":
            return avg_pool2d(maps, pool.size, stride=pool.stride, padding=pool.padding,
                              ceil_mode=pool.ceil_mode)
        func = max_pool2d if pool.kind == "max" else min_pool2d
        return func(maps, pool.size, stride=pool.stride, padding=pool.padding,
                    ceil_mode=pool.ceil_mode)
    except ValueError as exc:
        raise PipelineError(f"pooling: {exc}", index) from exc


def run_pipeline(image_chw: Any, pipeline: Pipeline, *,
                 buffers: Lease | None = None) -> PipelineResult:
    """Run every layer of ``pipeline`` on an input tensor.

    Parameters
    ----------
    image_chw : array_like
        ``(C, H, W)`` with C matching ``pipeline.input_mode`` (see
        :func:`workbench.core.image.image_to_chw`); for ``"raw"`` the data as given.
    pipeline : Pipeline
        What to compute.
    buffers : Lease, optional
        Reusable output buffers owned by the caller (see :mod:`workbench.core.buffers`):
        the fused conv + activation + pool pass writes its maps into arrays taken from
        this lease, which the caller releases once it no longer reads the result. By
        default every map is a new array.

    Returns
    -------
    PipelineResult
        Per layer: conv maps, activated maps, pooled maps and stage times.

    Raises
    ------
    PipelineError
        If a layer cannot run on its input; the message names the layer and the reason.
        A :class:`~workbench.core.limits.LimitError` (a PipelineError) if the pipeline
        exceeds a limit of :mod:`workbench.core.limits` on this input, raised before
        anything is computed.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.zeros((1, 8, 8), np.float32); image[0, :, 3:5] = 1
    >>> layer = Layer((Filter("v", get_preset("vertical_line").kernel),))
    >>> run_pipeline(image, Pipeline("gray", (layer,))).layers[0].conv[0][0]
    array([0., 0., 3., 3., 0., 0.], dtype=float32)
    """
    try:
        x = as_float32(image_chw, "image_chw")
    except ValueError as exc:
        raise PipelineError(str(exc)) from exc
    if x.ndim != 3 or x.size == 0:
        raise PipelineError(f"the input must be a non-empty (C, H, W) array, got {x.shape}")
    # Before any layer allocates: sizes and memory within workbench.core.limits (which
    # imports this module, hence the late import).
    from workbench.core.limits import check_limits

    check_limits(pipeline, x.shape)
    results: list[LayerResult] = []
    current = x
    for index, layer in enumerate(pipeline.layers):
        if not layer.enabled_filters:
            raise PipelineError("no enabled filters", index)
        conv, activated, pooled, times = _run_layer(current, layer, index, buffers)
        count = len(layer.enabled_filters)
        results.append(LayerResult(
            tuple(f.name for f in layer.enabled_filters), _per_filter(conv, count),
            _per_filter(activated, count), _per_filter(pooled, count), times))
        if index + 1 < len(pipeline.layers):
            shapes = sorted({maps.shape[1:] for _, maps in pooled})
            if len(pooled) == 1:
                current = pooled[0][1]
            elif len(shapes) == 1:
                current = np.stack(_per_filter(pooled, count))
            else:
                raise PipelineError(
                    f"its maps have different sizes {shapes} (mixed kernel sizes), so "
                    "the next layer cannot stack them; use padding='same' or equal kernels",
                    index)
    return PipelineResult(x, tuple(results))


def divisors(n: int) -> list[int]:
    """Positive divisors of ``n`` in increasing order (the valid ``groups`` values).

    Parameters
    ----------
    n : int
        A positive integer.

    Returns
    -------
    list of int
        The divisors.

    Examples
    --------
    >>> divisors(6)
    [1, 2, 3, 6]
    """
    return [d for d in range(1, n + 1) if n % d == 0]


def preset_filter(key: str, channels: int = 1, name: str | None = None) -> Filter:
    """Make a :class:`Filter` from a preset kernel, repeated over ``channels`` slices.

    Parameters
    ----------
    key : str
        Preset key, see :data:`workbench.core.presets.PRESETS`.
    channels : int, optional
        Number of input-channel slices.
    name : str, optional
        Filter name; defaults to the preset title.

    Returns
    -------
    Filter
        The filter.
    """
    preset = get_preset(key)
    return Filter(name or preset.title, preset.kernel).with_channels(channels)


def default_pipeline(input_mode: str = "gray") -> Pipeline:
    """Build the bank a new window starts with: vertical/horizontal line, Sobel x/y.

    Parameters
    ----------
    input_mode : {"gray", "rgb", "raw"}, optional
        Input mode; filters get one slice per channel (raw data starts with one).

    Returns
    -------
    Pipeline
        One layer, ReLU, 2x2 max pooling.

    Raises
    ------
    ValueError
        If ``input_mode`` is unknown.
    """
    if input_mode not in INPUT_MODES:
        raise ValueError(f"input_mode must be one of {INPUT_MODES}, got {input_mode!r}")
    channels = 3 if input_mode == "rgb" else 1
    filters = tuple(preset_filter(key, channels) for key in DEFAULT_BANK)
    layer = Layer(filters, activation="relu", pool=Pool("max", (2, 2)))
    return Pipeline(input_mode, (layer,))


# ---------------------------------------------------------------- JSON


def pipeline_to_dict(pipeline: Pipeline) -> dict[str, Any]:
    """Plain-data form of a pipeline (what :func:`to_json` writes).

    Parameters
    ----------
    pipeline : Pipeline
        The pipeline.

    Returns
    -------
    dict
        JSON-serialisable, with ``schema_version``.
    """
    return {
        "schema_version": SCHEMA_VERSION,
        "input_mode": pipeline.input_mode,
        "layers": [{
            "stride": list(layer.stride),
            "padding": layer.padding if isinstance(layer.padding, str) else list(layer.padding),
            "dilation": list(layer.dilation),
            "groups": layer.groups,
            "padding_mode": layer.padding_mode,
            "flip": layer.flip,
            "activation": layer.activation,
            "negative_slope": layer.negative_slope,
            "pool": {
                "kind": layer.pool.kind,
                "size": list(layer.pool.size),
                "stride": None if layer.pool.stride is None else list(layer.pool.stride),
                "padding": list(layer.pool.padding),
                "ceil_mode": layer.pool.ceil_mode,
            },
            "filters": [{
                "name": f.name,
                "weight": f.weight.tolist(),
                "bias": f.bias,
                "enabled": f.enabled,
            } for f in layer.filters],
        } for layer in pipeline.layers],
    }


def to_json(pipeline: Pipeline, *, indent: int | None = 2) -> str:
    """Serialise a pipeline to JSON; float32 weights round-trip exactly.

    Parameters
    ----------
    pipeline : Pipeline
        The pipeline.
    indent : int or None, optional
        JSON indentation.

    Returns
    -------
    str
        The JSON text.

    Examples
    --------
    >>> from_json(to_json(default_pipeline())) == default_pipeline()
    True
    """
    return json.dumps(pipeline_to_dict(pipeline), indent=indent)


def _expect(obj: Any, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(obj, kind) or isinstance(obj, bool) and kind in (int, float, (int, float)):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ValueError(f"{where}: expected {names}, got {type(obj).__name__}")
    return obj


def pipeline_from_dict(data: Any) -> Pipeline:
    """Build a pipeline from :func:`pipeline_to_dict` data, validating everything.

    Parameters
    ----------
    data : dict
        Plain data, as parsed from JSON.

    Returns
    -------
    Pipeline
        The pipeline.

    Raises
    ------
    ValueError
        Naming the first offending field; nothing partial is returned.
    """
    try:
        data = _expect(data, dict, "pipeline")
        version = _expect(data.get("schema_version"), int, "schema_version")
        if version > SCHEMA_VERSION:
            raise ValueError(f"schema_version {version} was written by a newer Conv Workbench "
                             f"(this one reads up to {SCHEMA_VERSION})")
        if version < 1:
            raise ValueError(f"schema_version must be >= 1, got {version}")
        layers = []
        for i, ld in enumerate(_expect(data.get("layers"), list, "layers")):
            where = f"layers[{i}]"
            ld = _expect(ld, dict, where)
            pd = _expect(ld.get("pool", {}), dict, f"{where}.pool")
            filters = []
            for j, fd in enumerate(_expect(ld.get("filters"), list, f"{where}.filters")):
                fwhere = f"{where}.filters[{j}]"
                fd = _expect(fd, dict, fwhere)
                raw = _expect(fd.get("weight"), list, f"{fwhere}.weight")
                try:
                    values = np.array(raw, dtype=np.float64)
                except (TypeError, ValueError) as exc:  # ragged, or not numbers
                    raise ValueError(f"{fwhere}.weight must be nested lists of numbers "
                                     f"({exc})") from exc
                name = _expect(fd.get("name", f"filter {j + 1}"), str, f"{fwhere}.name")
                bias = _expect(fd.get("bias", 0.0), (int, float), f"{fwhere}.bias")
                enabled = _expect(fd.get("enabled", True), bool, f"{fwhere}.enabled")
                try:
                    filters.append(Filter(name, as_float32(values, "weight"), bias, enabled))
                except ValueError as exc:
                    raise ValueError(f"{fwhere}: {exc}") from exc
            flip = _expect(ld.get("flip", False), bool, f"{where}.flip")
            slope = _expect(ld.get("negative_slope", 0.01), (int, float),
                            f"{where}.negative_slope")
            ceil_mode = _expect(pd.get("ceil_mode", False), bool, f"{where}.pool.ceil_mode")
            # Pool and Layer validate (and normalise lists or ints) themselves; their
            # messages name the parameter, so only the layer is added here.
            try:
                layers.append(Layer(
                    tuple(filters),
                    stride=ld.get("stride", [1, 1]),
                    padding=ld.get("padding", [0, 0]),
                    dilation=ld.get("dilation", [1, 1]),
                    groups=ld.get("groups", 1),
                    padding_mode=ld.get("padding_mode", "zeros"),
                    flip=flip,
                    activation=ld.get("activation", "none"),
                    negative_slope=slope,
                    pool=Pool(kind=pd.get("kind", "none"), size=pd.get("size", [2, 2]),
                              stride=pd.get("stride"), padding=pd.get("padding", [0, 0]),
                              ceil_mode=ceil_mode)))
            except ValueError as exc:
                raise ValueError(f"{where}: {exc}") from exc
        return Pipeline(_expect(data.get("input_mode", "gray"), str, "input_mode"), tuple(layers))
    except (TypeError, KeyError) as exc:
        raise ValueError(f"invalid pipeline: {exc}") from exc


def from_json(text: str | bytes) -> Pipeline:
    """Parse a pipeline from JSON text.

    Parameters
    ----------
    text : str or bytes
        JSON as written by :func:`to_json`.

    Returns
    -------
    Pipeline
        The pipeline.

    Raises
    ------
    ValueError
        On malformed JSON or an invalid field (named in the message).
    """
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise ValueError("not valid JSON: nested too deeply") from exc
    try:
        return pipeline_from_dict(data)
    except ValueError as exc:
        raise ValueError(f"invalid pipeline JSON: {exc}") from exc
