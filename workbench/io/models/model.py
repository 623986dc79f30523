"""The format-independent part of an opened model: layer records, runs, BatchNorm folding.

A :class:`Model` lists its layers in order from the input. A *run* is the chain of layers
from the input up to a chosen layer; it becomes a core :class:`~workbench.core.Pipeline`
of one core :class:`~workbench.core.Layer` per conv: conv -> optional BatchNorm (folded
into weight and bias, inference mode) -> optional activation -> optional pooling.

Writing back (:meth:`Model.save_copy`) keeps the file's BatchNorm layers: an edited filter
``(W', b')`` of a folded conv + BN is written as conv weight ``W' / s`` and BN shift
``b' - s * (b - mean)`` (``s = gamma / sqrt(var + eps)``, ``b`` the conv bias, kept), so
conv followed by the file's BN computes exactly the edited folded filter; filters that were
not edited keep their original bytes. This needs no new tensor (convs exported before a BN
usually have no bias) and leaves every other BN statistic as it was.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from workbench.core import Filter, Layer, Pipeline, Pool

ACTIVATION_KINDS: dict[str, str] = {
    "relu": "relu", "leaky_relu": "leaky_relu", "sigmoid": "sigmoid", "tanh": "tanh",
}
"""Layer kinds that are activations -> the core activation name."""
POOL_KINDS: dict[str, str] = {
    "maxpool": "max", "avgpool": "avg", "globalavgpool": "global_avg",
    "globalmaxpool": "global_max",
}
"""Layer kinds that are pooling -> the core pool kind."""
SKIPPED_KINDS: tuple[str, ...] = ("identity",)
"""Layer kinds that compute nothing at inference (Identity, Dropout) and are passed over."""
LAYER_KINDS: tuple[str, ...] = (
    "conv", "batchnorm", *ACTIVATION_KINDS, *POOL_KINDS, *SKIPPED_KINDS, "other")
"""Every value of :attr:`ModelLayer.kind`."""
OVERRIDE_KEYS: tuple[str, ...] = (
    "stride", "padding", "dilation", "groups", "activation", "negative_slope", "pool", "eps")
"""Keys of a per-layer ``params`` override (formats that do not store layer parameters)."""
DEFAULT_BN_EPS = 1e-5
"""PyTorch's BatchNorm epsilon, used when the file does not store it."""


@dataclass(frozen=True, eq=False)
class ModelLayer:
    """One layer of a model file, as listed by :attr:`Model.layers`.

    Attributes
    ----------
    name : str
        Unique name within the model (the node / module name of the file).
    kind : str
        One of :data:`LAYER_KINDS`.
    weight_shape : tuple of int or None
        Shape of the layer's weight tensor as stored (conv: ``(F, C // groups, kH, kW)``).
    params : dict
        The layer's parameters as the file gives them (conv: ``stride``, ``padding``,
        ``dilation``, ``groups``...). ``params["unsupported"]``, when present, says why the
        layer cannot become part of a pipeline.
    op : str
        The file's own name of the operation (``"Conv"``, ``"BatchNormalization"``...).
    """

    name: str
    kind: str
    weight_shape: tuple[int, ...] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    op: str = ""


@dataclass(frozen=True)
class ConvTensors:
    """A conv's weight ``(F, C // groups, kH, kW)`` and bias as stored, with their keys."""

    weight: np.ndarray
    bias: np.ndarray | None
    weight_key: str
    bias_key: str | None


@dataclass(frozen=True)
class BatchNormTensors:
    """A BatchNorm's statistics as stored, with the key of its shift (``beta``)."""

    gamma: np.ndarray
    beta: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    eps: float
    beta_key: str | None


@dataclass
class Unit:
    """The layers of a run that form one core layer."""

    conv: ModelLayer
    batchnorm: ModelLayer | None = None
    activation: ModelLayer | None = None
    pool: ModelLayer | None = None


def input_mode_for(channels: int | None) -> str:
    """Pick the core input mode for a model's input channel count.

    Parameters
    ----------
    channels : int or None
        Input channels of the model, None when unknown.

    Returns
    -------
    str
        ``"gray"`` for 1, ``"rgb"`` for 3, otherwise ``"raw"``.
    """
    return {1: "gray", 3: "rgb"}.get(channels or 0, "raw")


def bn_scale(bn: BatchNormTensors) -> np.ndarray:
    """Return ``gamma / sqrt(var + eps)`` in float64 (the factor folded into the conv).

    Parameters
    ----------
    bn : BatchNormTensors
        The BatchNorm statistics.

    Returns
    -------
    numpy.ndarray
        float64, one value per channel.
    """
    return np.asarray(bn.gamma, np.float64) / np.sqrt(np.asarray(bn.var, np.float64) + bn.eps)


def fold_batchnorm(conv: ConvTensors, bn: BatchNormTensors | None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Fold an inference-mode BatchNorm into the conv before it.

    Parameters
    ----------
    conv : ConvTensors
        The conv's weight and bias.
    bn : BatchNormTensors or None
        The BatchNorm right after it, or None.

    Returns
    -------
    weight, bias : numpy.ndarray
        float32 ``W * s`` and ``(b - mean) * s + beta``, computed in float64.
    """
    weight = np.asarray(conv.weight, np.float64)
    bias = (np.zeros(weight.shape[0]) if conv.bias is None
            else np.asarray(conv.bias, np.float64))
    if bn is not None:
        scale = bn_scale(bn)
        weight = weight * scale[:, None, None, None]
        bias = (bias - np.asarray(bn.mean, np.float64)) * scale + np.asarray(bn.beta, np.float64)
    return weight.astype(np.float32), bias.astype(np.float32)


def _same_file(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


class Model:
    """A model file opened by :func:`workbench.io.models.open_model`.

    Subclasses read one format; this class turns runs of layers into core pipelines and
    edited pipelines back into tensors.

    Attributes
    ----------
    path : pathlib.Path
        The file that was opened.
    format : str
        ``"onnx"``, ``"safetensors"``, ``"torch"`` or ``"keras"``.
    layers : tuple of ModelLayer
        Every layer, in order from the input.
    input_channels : int or None
        Channels of the model's input, None when the file does not say.
    """

    format: str = ""
    # The file stores stride, padding, activations...: no overrides, and save_copy checks
    # that the pipeline still has them (else the saved file would not compute what it shows).
    defines_params: bool = True

    def __init__(self, path: Path, layers: tuple[ModelLayer, ...],
                 input_channels: int | None) -> None:
        self.path = path
        self.layers = layers
        self.input_channels = input_channels
        self._by_name = {layer.name: i for i, layer in enumerate(layers)}

    def __repr__(self) -> str:
        convs = sum(layer.kind == "conv" for layer in self.layers)
        return (f"<{type(self).__name__} {self.format} {str(self.path)!r}: "
                f"{len(self.layers)} layers, {convs} conv>")

    # ------------------------------------------------------------ per format

    def _chain(self, index: int) -> list[ModelLayer]:
        """Layers from the input up to and including ``layers[index]``."""
        return list(self.layers[:index + 1])

    def _conv_tensors(self, layer: ModelLayer) -> ConvTensors:
        raise NotImplementedError

    def _bn_tensors(self, layer: ModelLayer, eps: float | None) -> BatchNormTensors:
        raise NotImplementedError

    def _core_params(self, layer: ModelLayer) -> dict[str, Any]:
        """Core ``Layer`` keyword arguments this layer contributes (stride, pool...)."""
        return {}

    def _write_copy(self, updates: dict[str, np.ndarray], new_biases: dict[str, np.ndarray],
                    path: Path, overwrite: bool) -> None:
        """Write the file with tensors ``updates`` (key -> values) replaced.

        ``new_biases`` maps conv layer names without a stored bias to the bias to add.
        """
        raise NotImplementedError

    # ------------------------------------------------------------ runs

    def layer(self, name: str) -> ModelLayer:
        """Return the layer called ``name``.

        Parameters
        ----------
        name : str
            A name from :attr:`layers`.

        Returns
        -------
        ModelLayer
            The record.

        Raises
        ------
        KeyError
            If there is no such layer; the message lists a few names.
        """
        try:
            return self.layers[self._by_name[name]]
        except KeyError:
            some = ", ".join(repr(layer.name) for layer in self.layers[:8])
            raise KeyError(f"{self.path.name} has no layer {name!r}; its layers are {some}"
                           + (", ..." if len(self.layers) > 8 else "")) from None

    def units(self, through: str) -> list[Unit]:
        """Split the run from the input through ``through`` into core layers.

        Parameters
        ----------
        through : str
            Name of the last layer of the run.

        Returns
        -------
        list of Unit
            One per conv.

        Raises
        ------
        KeyError
            If there is no such layer.
        ValueError
            If the run cannot be expressed as conv -> [BatchNorm] -> [activation] -> [pool]
            layers; the message names the offending layer.
        """
        chain = [layer for layer in self._chain(self._by_name[self.layer(through).name])
                 if layer.kind not in SKIPPED_KINDS]
        units: list[Unit] = []
        i = 0
        while i < len(chain):
            layer = chain[i]
            self._check_supported(layer)
            if layer.kind != "conv":
                where = "the first layer" if not units else f"after {chain[i - 1].name!r}"
                raise ValueError(
                    f"layer {layer.name!r} ({layer.op or layer.kind}) cannot be part of a "
                    f"workbench pipeline {where}: a run is conv -> optional BatchNorm -> "
                    "optional activation -> optional pooling, repeated from the input")
            unit = Unit(layer)
            i += 1
            for slot, kinds in (("batchnorm", ("batchnorm",)), ("activation", ACTIVATION_KINDS),
                                ("pool", POOL_KINDS)):
                if i < len(chain) and chain[i].kind in kinds:
                    self._check_supported(chain[i])
                    setattr(unit, slot, chain[i])
                    i += 1
            units.append(unit)
        return units

    @staticmethod
    def _check_supported(layer: ModelLayer) -> None:
        reason = layer.params.get("unsupported")
        if reason:
            raise ValueError(f"layer {layer.name!r} ({layer.op or layer.kind}): {reason}")

    def _checked_overrides(self, params: dict[str, dict[str, Any]] | None
                           ) -> dict[str, dict[str, Any]]:
        if not params:
            return {}
        if self.defines_params:
            raise ValueError(f"{self.format} files store every layer parameter; params "
                             "overrides are for safetensors and PyTorch state dicts")
        for name, values in params.items():
            if self.layer(name).kind != "conv":
                raise ValueError(f"params: layer {name!r} is not a conv layer")
            unknown = sorted(set(values) - set(OVERRIDE_KEYS))
            if unknown:
                raise ValueError(f"params[{name!r}]: unknown keys {unknown}; "
                                 f"allowed: {', '.join(OVERRIDE_KEYS)}")
        return params

    def _unit_layer(self, unit: Unit, index: int, overrides: dict[str, Any]
                    ) -> tuple[Layer, ConvTensors, BatchNormTensors | None]:
        conv = self._conv_tensors(unit.conv)
        bn = (None if unit.batchnorm is None
              else self._bn_tensors(unit.batchnorm, overrides.get("eps")))
        weight, bias = fold_batchnorm(conv, bn)
        kwargs: dict[str, Any] = {}
        for part in (unit.conv, unit.activation, unit.pool):
            if part is not None:
                kwargs.update(self._core_params(part))
        pool = overrides.get("pool")
        if isinstance(pool, dict):
            overrides = {**overrides, "pool": Pool(**pool)}
        kwargs.update({k: v for k, v in overrides.items() if k != "eps"})
        filters = tuple(Filter(f"{unit.conv.name}:{j}", weight[j], float(bias[j]))
                        for j in range(weight.shape[0]))
        try:
            return Layer(filters, **kwargs), conv, bn
        except ValueError as exc:
            raise ValueError(f"layer {unit.conv.name!r}: {exc}") from exc

    def _build(self, units: list[Unit], overrides: dict[str, dict[str, Any]]
               ) -> list[tuple[Layer, ConvTensors, BatchNormTensors | None]]:
        built = []
        channels = self.input_channels
        for index, unit in enumerate(units):
            layer, conv, bn = self._unit_layer(unit, index, overrides.get(unit.conv.name, {}))
            reads = conv.weight.shape[1] * layer.groups
            if channels is not None and reads != channels:
                source = ("the model input" if index == 0
                          else f"the previous conv {units[index - 1].conv.name!r}")
                raise ValueError(
                    f"layer {unit.conv.name!r} reads {reads} channel(s) "
                    f"({conv.weight.shape[1]} per group x groups={layer.groups}) but "
                    f"{source} gives {channels}"
                    + ("" if self.defines_params else "; set its 'groups' in params"))
            channels = conv.weight.shape[0]
            built.append((layer, conv, bn))
        return built

    def pipeline(self, through: str, params: dict[str, dict[str, Any]] | None = None, *,
                 input_mode: str | None = None) -> Pipeline:
        """Return the core pipeline of the run of layers from the input through ``through``.

        Parameters
        ----------
        through : str
            Name of the last layer of the run (a conv, its BatchNorm, activation or pool).
        params : dict, optional
            For formats that do not store layer parameters (safetensors, PyTorch state
            dicts): ``{conv layer name: {key: value}}`` with keys from
            :data:`OVERRIDE_KEYS` (core ``Layer`` arguments, ``pool`` as a core ``Pool`` or
            its keyword dict, ``eps`` of the folded BatchNorm). Unset keys keep the
            defaults: stride 1, padding 0, no activation, no pooling.
        input_mode : {"gray", "rgb", "raw"}, optional
            Defaults to ``"gray"`` for 1 input channel, ``"rgb"`` for 3, else ``"raw"``.

        Returns
        -------
        workbench.core.Pipeline
            One core layer per conv of the run, BatchNorm folded exactly.

        Raises
        ------
        KeyError
            If there is no layer ``through``.
        ValueError
            If the run cannot be expressed by the core; the message names the layer.
        """
        overrides = self._checked_overrides(params)
        built = self._build(self.units(through), overrides)
        channels = self.input_channels
        if channels is None and built:
            channels = built[0][1].weight.shape[1] * built[0][0].groups
        mode = input_mode or input_mode_for(channels)
        return Pipeline(mode, tuple(layer for layer, _, _ in built))

    # ------------------------------------------------------------ writing back

    def _signature_matches(self, pipeline: Pipeline,
                           built: list[tuple[Layer, ConvTensors, BatchNormTensors | None]]
                           ) -> bool:
        if len(built) != len(pipeline.layers):
            return False
        for layer, (orig, _, _) in zip(pipeline.layers, built, strict=True):
            if len(layer.filters) != len(orig.filters) or any(
                    f.weight.shape != g.weight.shape
                    for f, g in zip(layer.filters, orig.filters, strict=True)):
                return False
            if self.defines_params and (layer.activation, layer.pool.kind) != (
                    orig.activation, orig.pool.kind):
                return False
        return True

    def _match(self, pipeline: Pipeline, through: str | None,
               overrides: dict[str, dict[str, Any]]
               ) -> list[tuple[Layer, ConvTensors, BatchNormTensors | None]]:
        if through is not None:
            built = self._build(self.units(through), overrides)
            if not self._signature_matches(pipeline, built):
                raise ValueError(
                    f"the pipeline does not match the run through {through!r}: it has "
                    f"{len(pipeline.layers)} layer(s), the run {len(built)}, or their filter "
                    "counts, kernel shapes, activation or pooling differ")
            return built
        candidates: dict[tuple[tuple[str, str | None], ...], list[Any]] = {}
        for layer in self.layers:
            try:
                units = self.units(layer.name)
                built = self._build(units, overrides)
            except ValueError:
                continue
            if self._signature_matches(pipeline, built):
                key = tuple((u.conv.name, u.batchnorm.name if u.batchnorm else None)
                            for u in units)
                candidates.setdefault(key, built)
        if not candidates:
            raise ValueError(
                f"the pipeline ({len(pipeline.layers)} layer(s)) matches no run of "
                f"{self.path.name}: filter counts or kernel shapes differ; build it with "
                "Model.pipeline()")
        if len(candidates) > 1:
            # The same convs with and without their BatchNorm folded: the unedited filters
            # tell which one the pipeline was made from.
            def agreeing(built: list[Any]) -> int:
                return sum(f == g for layer, (orig, _, _) in zip(pipeline.layers, built,
                                                                  strict=True)
                           for f, g in zip(layer.filters, orig.filters, strict=True))
            ranked = sorted(candidates.values(), key=agreeing, reverse=True)
            if agreeing(ranked[0]) == agreeing(ranked[1]):
                raise ValueError("the pipeline matches several runs of the model; pass "
                                 "through=NAME (the layer it was built through)")
            return ranked[0]
        return next(iter(candidates.values()))

    def save_copy(self, pipeline: Pipeline, path: str | os.PathLike[str], *,
                  through: str | None = None, params: dict[str, dict[str, Any]] | None = None,
                  overwrite: bool = False) -> Path:
        """Write the pipeline's (edited, pruned) filters into a copy of the model file.

        Only weights and biases are written; everything else is copied from the original
        (byte for byte where the format allows). A disabled filter is saved as pruned: zero
        weights and a zero output bias. Filters equal to the file's keep their stored bytes.
        A folded BatchNorm is kept in the file and the edit is written into the conv weight
        and the BatchNorm shift (see the module notes), so conv + BN computes the edit.

        Parameters
        ----------
        pipeline : workbench.core.Pipeline
            A pipeline from :meth:`pipeline`, possibly with edited filter weights, biases or
            disabled filters; same number of layers and filters, same kernel shapes.
        path : str or os.PathLike
            The new file (never the opened one).
        through : str, optional
            The layer the pipeline was built through, if several runs fit it.
        params : dict, optional
            The overrides the pipeline was built with (only ``eps`` matters here).
        overwrite : bool, optional
            Replace an existing file at ``path`` (never the original).

        Returns
        -------
        pathlib.Path
            The written file.

        Raises
        ------
        ValueError
            If ``path`` is the opened file, or the pipeline does not fit the model, or an
            edit cannot be stored (a changed stride or padding, a bias on a conv stored
            without one where the format cannot add it, an edit on a channel whose
            BatchNorm scale is 0).
        FileExistsError
            If ``path`` exists and ``overwrite`` is false.
        workbench.io.ExportError
            On an operating-system error; nothing is left behind.
        """
        target = Path(path)
        if _same_file(target, self.path):
            raise ValueError(f"refusing to overwrite the original model {self.path}; "
                             "save the copy under another name")
        overrides = self._checked_overrides(params)
        built = self._match(pipeline, through, overrides)
        updates: dict[str, np.ndarray] = {}
        new_biases: dict[str, np.ndarray] = {}
        for layer, (orig, conv, bn) in zip(pipeline.layers, built, strict=True):
            name = orig.filters[0].name.rsplit(":", 1)[0]
            self._check_hyper(name, layer, orig)
            self._store_layer(name, layer, orig, conv, bn, updates, new_biases)
        self._write_copy(updates, new_biases, target, overwrite)
        return target

    def _check_hyper(self, name: str, layer: Layer, orig: Layer) -> None:
        fixed = ["padding_mode", "flip"]
        if self.defines_params:
            fixed += ["stride", "padding", "dilation", "groups", "activation", "pool"]
            if layer.activation == "leaky_relu":
                fixed.append("negative_slope")
        for attr in fixed:
            if getattr(layer, attr) != getattr(orig, attr):
                raise ValueError(
                    f"layer {name!r}: {attr} is {getattr(layer, attr)!r} in the pipeline but "
                    f"{getattr(orig, attr)!r} in the file; save_copy writes weights and "
                    "biases only")

    @staticmethod
    def _store_layer(name: str, layer: Layer, orig: Layer, conv: ConvTensors,
                     bn: BatchNormTensors | None, updates: dict[str, np.ndarray],
                     new_biases: dict[str, np.ndarray]) -> None:
        weight = np.array(conv.weight, np.float64)
        bias = (np.zeros(weight.shape[0]) if conv.bias is None
                else np.array(conv.bias, np.float64))
        beta = None if bn is None else np.array(bn.beta, np.float64)
        scale = None if bn is None else bn_scale(bn)
        changed = False
        for j, (edited, original) in enumerate(zip(layer.filters, orig.filters, strict=True)):
            w_new = np.asarray(edited.weight if edited.enabled else
                               np.zeros_like(edited.weight), np.float64)
            b_new = edited.bias if edited.enabled else 0.0
            if edited.enabled and edited.weight.shape == original.weight.shape and bool(
                    np.array_equal(edited.weight, original.weight)) and b_new == original.bias:
                continue
            changed = True
            if scale is None or beta is None or bn is None:
                weight[j] = w_new
                bias[j] = b_new
                continue
            s = float(scale[j])
            if s == 0.0:
                if np.any(w_new):
                    raise ValueError(
                        f"layer {name!r}, filter {j}: its BatchNorm scale is 0, so only its "
                        "bias (a constant map) can be edited, not its weights")
                weight[j] = 0.0
            else:
                weight[j] = w_new / s
            # conv + BN gives s * (W x + b - mean) + beta; the stored conv bias b is kept.
            beta[j] = b_new - s * (bias[j] - float(bn.mean[j]))
        if not changed:
            return
        updates[conv.weight_key] = weight.astype(conv.weight.dtype)
        if bn is not None and beta is not None:
            if bn.beta_key is None:
                raise ValueError(f"layer {name!r}: its BatchNorm has no stored shift (affine "
                                 "off), so an edited filter cannot be saved")
            updates[bn.beta_key] = beta.astype(bn.beta.dtype)
        elif conv.bias_key is not None and conv.bias is not None:
            updates[conv.bias_key] = bias.astype(conv.bias.dtype)
        elif np.any(bias):
            new_biases[name] = bias.astype(conv.weight.dtype)
