"""Keras 3 ``.keras`` archives and legacy Keras ``.h5`` files, read without importing Keras.

A ``.keras`` file is a zip archive holding ``config.json`` (the model's architecture) and
``model.weights.h5`` (its variables, one ``layers/<path>/vars`` group per layer with the
variables numbered ``0, 1, ...`` in creation order and the layer's name as the ``name``
attribute). A legacy ``.h5`` file keeps the architecture as the ``model_config`` attribute
and the weights under ``model_weights/<layer name>``, listed by its ``weight_names``
attribute. Both are read with :mod:`json`, :mod:`zipfile` and :mod:`h5py`; nothing from the
file is executed.

Sequential models and functional models whose layers form single-input chains are listed
layer by layer. Conv kernels are stored ``(kH, kW, C // groups, F)`` (depthwise:
``(kH, kW, C, depth_multiplier)``) and are transposed to the core's ``(F, C // groups, kH,
kW)``; with the default ``channels_last`` data format the inputs are NHWC, which changes
nothing in the math once the kernels are transposed. Keras ``"same"`` padding with stride 1
pads ``d * (k - 1)`` in total with the extra row/column at the bottom/right, exactly the
core's ``padding="same"``; with a stride > 1 it depends on the input size and such layers
are listed with ``params["unsupported"]`` (the core has no such padding yet).

:meth:`KerasModel.save_copy` writes a copy of the file with only the edited variables
rewritten; the other members of a ``.keras`` archive are copied unchanged.
"""

from __future__ import annotations

import io
import json
import math
import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from workbench.core import Pool
from workbench.io.atomic import atomic_write
from workbench.io.errors import LoadError
from workbench.io.models.model import BatchNormTensors, ConvTensors, Model, ModelLayer

MAX_TENSOR_BYTES = 1 << 31
"""Largest weight accepted (2 GiB): a larger declared shape is refused before reading."""
MAX_WEIGHTS_BYTES = 1 << 32
"""Largest ``model.weights.h5`` member of a ``.keras`` archive read into memory (4 GiB)."""
MAX_CONFIG_BYTES = 64 << 20
"""Largest ``config.json`` accepted (64 MiB)."""
CONFIG_MEMBER = "config.json"
WEIGHTS_MEMBER = "model.weights.h5"
KERAS_BN_EPS = 1e-3
"""Keras' BatchNormalization epsilon, used when the config does not store it."""

_CONV_CLASSES = ("Conv2D", "Convolution2D", "DepthwiseConv2D")
_POOL_CLASSES = {"MaxPooling2D": "maxpool", "MaxPool2D": "maxpool",
                 "AveragePooling2D": "avgpool", "AvgPool2D": "avgpool"}
_GLOBAL_POOL_CLASSES = {"GlobalAveragePooling2D": "globalavgpool",
                        "GlobalAvgPool2D": "globalavgpool",
                        "GlobalMaxPooling2D": "globalmaxpool", "GlobalMaxPool2D": "globalmaxpool"}
_IDENTITY_CLASSES = ("InputLayer", "Dropout", "SpatialDropout2D", "Identity")
_MODEL_CLASSES = ("Sequential", "Functional", "Model")
# Keras activation names -> (core activation, negative slope); "linear" computes nothing.
_ACTIVATIONS: dict[str, tuple[str, float]] = {
    "linear": ("none", 0.0), "relu": ("relu", 0.0), "sigmoid": ("sigmoid", 0.0),
    "tanh": ("tanh", 0.0), "leaky_relu": ("leaky_relu", 0.2),
}


def _snake_case(name: str) -> str:
    """Keras' own ``to_snake_case`` (the default layer paths of ``model.weights.h5``)."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()
    return name if name[:1] != "_" else "private" + name


def _pair(value: Any, default: int) -> tuple[int, int]:
    if value is None:
        return default, default
    if isinstance(value, (list, tuple)):
        if len(value) == 1:
            return int(value[0]), int(value[0])
        if len(value) != 2:
            raise ValueError(f"{value!r} is not a 2-D size")
        return int(value[0]), int(value[1])
    return int(value), int(value)


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _activation(value: Any) -> tuple[str, float] | None:
    """Return the core activation of a Keras ``activation`` setting, None if it has none."""
    if value is None:
        return "none", 0.0
    if isinstance(value, str):
        return _ACTIVATIONS.get(value)
    return None


def _same_padding(kernel: tuple[int, int], stride: tuple[int, int],
                  dilation: tuple[int, int]) -> tuple[Any, str | None]:
    """Return the core padding of Keras ``padding="same"``, or None and why it has none."""
    if stride == (1, 1):
        return "same", None
    effective = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True))
    if effective == (1, 1):
        return (0, 0), None  # a 1x1 window never pads, whatever the stride
    return None, (f"padding='same' with strides {stride} pads by an amount that depends on "
                  "the input size (the extra row/column at the bottom/right), which the "
                  "workbench core cannot express yet")


def _inbound(layer: dict[str, Any]) -> tuple[list[str] | None, str | None]:
    """Names of the layers whose outputs a functional layer reads, or None and why not."""
    nodes = layer.get("inbound_nodes") or []
    if not nodes:
        return [], None
    if len(nodes) > 1:
        return None, f"the layer is called {len(nodes)} times in the model (shared)"
    node = nodes[0]
    sources: list[str] = []
    if isinstance(node, dict):  # Keras 3: {"args": [keras tensors...], "kwargs": {...}}
        def collect(value: Any) -> None:
            if isinstance(value, dict):
                if value.get("class_name") == "__keras_tensor__":
                    history = value.get("config", {}).get("keras_history") or []
                    if history:
                        sources.append(_text(history[0]))
                    return
                for item in value.values():
                    collect(item)
            elif isinstance(value, (list, tuple)):
                for item in value:
                    collect(item)
        collect(node.get("args", []))
        collect(node.get("kwargs", {}))
    elif isinstance(node, list):  # Keras 2: [[name, node index, tensor index, kwargs], ...]
        for entry in node:
            if isinstance(entry, list) and entry:
                sources.append(_text(entry[0]))
    else:
        return None, "its inbound nodes are not in a known Keras format"
    return sources, None


class KerasModel(Model):
    """A Keras 3 ``.keras`` or legacy ``.h5`` model: its layers in config order.

    Parameters
    ----------
    path : pathlib.Path
        The file.

    Raises
    ------
    LoadError
        If the file is not a Keras model, is truncated, has no architecture (a weights-only
        file), or declares weights its storage cannot hold.
    """

    format = "keras"
    defines_params = True

    def __init__(self, path: Path) -> None:
        self._archive = zipfile.is_zipfile(path)
        self._arrays: dict[str, np.ndarray] = {}
        # layer name -> the dataset paths of its variables, in creation order.
        self._vars: dict[str, list[str]] = {}
        self._core: dict[str, dict[str, Any]] = {}
        self._sources: dict[str, list[str] | None] = {}
        self._depthwise: set[str] = set()
        if self._archive:
            config, weights = self._read_archive(path)
            try:
                with h5py.File(io.BytesIO(weights), "r") as h5:
                    records, channels = self._read(path, config, h5)
            except (OSError, KeyError, ValueError, TypeError) as exc:
                if isinstance(exc, LoadError):
                    raise
                raise LoadError(path, f"{WEIGHTS_MEMBER} is not a readable HDF5 file "
                                f"({exc})") from exc
        else:
            try:
                h5file = h5py.File(path, "r")
            except OSError as exc:
                raise LoadError(path, "not a Keras model: neither a .keras zip archive nor "
                                f"an HDF5 file ({exc})") from exc
            try:
                with h5file as h5:
                    raw = h5.attrs.get("model_config")
                    if raw is None:
                        raise LoadError(path, "no model_config attribute: a weights-only "
                                        ".h5 file (save the whole model with model.save)")
                    config = self._parse_json(path, _text(raw), "model_config")
                    if "model_weights" not in h5:
                        raise LoadError(path, "no model_weights group: the file stores an "
                                        "architecture but no weights")
                    records, channels = self._read(path, config, h5)
            except (OSError, KeyError, ValueError, TypeError) as exc:
                if isinstance(exc, LoadError):
                    raise
                raise LoadError(path, f"a damaged Keras .h5 file ({exc})") from exc
        super().__init__(path, tuple(records), channels)

    # ------------------------------------------------------------ reading

    @staticmethod
    def _parse_json(path: Path, text: str, what: str) -> dict[str, Any]:
        try:
            config = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise LoadError(path, f"{what} is not valid JSON ({exc})") from exc
        if not isinstance(config, dict):
            raise LoadError(path, f"{what} is not a JSON object")
        return config

    def _read_archive(self, path: Path) -> tuple[dict[str, Any], bytes]:
        try:
            with zipfile.ZipFile(path) as archive:
                members = {info.filename: info for info in archive.infolist()}
                if CONFIG_MEMBER not in members:
                    raise LoadError(path, f"not a Keras .keras archive: no {CONFIG_MEMBER} "
                                    f"in the zip (members: {sorted(members)[:6]})")
                if WEIGHTS_MEMBER not in members:
                    raise LoadError(path, f"the archive has no {WEIGHTS_MEMBER} (weights "
                                    "saved elsewhere are not supported)")
                for name, limit in ((CONFIG_MEMBER, MAX_CONFIG_BYTES),
                                    (WEIGHTS_MEMBER, MAX_WEIGHTS_BYTES)):
                    if members[name].file_size > limit:
                        raise LoadError(path, f"{name} declares {members[name].file_size} "
                                        f"bytes, more than the {limit} accepted")
                text = archive.read(CONFIG_MEMBER).decode("utf-8", "replace")
                weights = archive.read(WEIGHTS_MEMBER)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as exc:
            if isinstance(exc, LoadError):
                raise
            raise LoadError(path, f"a damaged .keras zip archive ({exc})") from exc
        return self._parse_json(path, text, CONFIG_MEMBER), weights

    def _read(self, path: Path, config: dict[str, Any], h5: h5py.File
              ) -> tuple[list[ModelLayer], int | None]:
        model_class = _text(config.get("class_name", ""))
        inner = config.get("config")
        if model_class not in _MODEL_CLASSES or not isinstance(inner, dict) \
                or not isinstance(inner.get("layers"), list):
            raise LoadError(path, f"the config describes a {model_class or 'nameless'} object "
                            "without a layer list: only Sequential and functional models "
                            "can be read (subclassed models store no architecture)")
        entries = [entry for entry in inner["layers"] if isinstance(entry, dict)]
        self._sequential = model_class == "Sequential"
        names = [self._layer_name(entry, i) for i, entry in enumerate(entries)]
        if len(set(names)) != len(names):
            raise LoadError(path, "the config has two layers of the same name")
        var_paths = self._variable_paths(h5, entries, names)
        data_format = next((_text(e["config"].get("data_format") or "channels_last")
                            for e in entries if _text(e.get("class_name")) in _CONV_CLASSES
                            and isinstance(e.get("config"), dict)), "channels_last")
        self._data_format = data_format
        records = []
        for entry, name in zip(entries, names, strict=True):
            self._vars[name] = var_paths.get(name, [])
            records.append(self._record(path, h5, entry, name))
            if self._sequential:
                self._sources[name] = None
            else:
                sources, why = _inbound(entry)
                self._sources[name] = sources
                if why and "unsupported" not in records[-1].params:
                    records[-1].params["unsupported"] = why
        return records, self._input_channels(inner, entries)

    @staticmethod
    def _layer_name(entry: dict[str, Any], index: int) -> str:
        cfg = entry.get("config")
        name = entry.get("name") or (cfg.get("name") if isinstance(cfg, dict) else None)
        return _text(name) if name else f"layer_{index}"

    def _variable_paths(self, h5: h5py.File, entries: list[dict[str, Any]],
                        names: list[str]) -> dict[str, list[str]]:
        """Map each layer name to the dataset paths of its variables, in creation order."""
        found: dict[str, list[str]] = {}
        if self._archive:
            def numbered(group: h5py.Group, prefix: str) -> list[str]:
                keys = [k for k in group if isinstance(group[k], h5py.Dataset)]
                keys.sort(key=lambda k: (not k.isdigit(), int(k) if k.isdigit() else 0, k))
                return [f"{prefix}/{k}" for k in keys]
            layers = h5.get("layers")
            if isinstance(layers, h5py.Group):
                for key in layers:
                    group = layers[key]
                    vars_group = group.get("vars") if isinstance(group, h5py.Group) else None
                    if not isinstance(vars_group, h5py.Group):
                        continue
                    name = vars_group.attrs.get("name")
                    if name is not None:
                        found[_text(name)] = numbered(vars_group, f"layers/{key}/vars")
                # Older Keras 3 files have no name attribute: rebuild Keras' default paths
                # (the snake-cased class name, numbered in layer order).
                counts: dict[str, int] = {}
                for entry, name in zip(entries, names, strict=True):
                    cls = _text(entry.get("class_name", ""))
                    if self._sequential and cls == "InputLayer":
                        continue
                    base = _snake_case(cls)
                    n = counts.get(base, 0)
                    counts[base] = n + 1
                    key = base if n == 0 else f"{base}_{n}"
                    if name not in found and f"{key}/vars" in layers:
                        found[name] = numbered(layers[f"{key}/vars"], f"layers/{key}/vars")
            return found
        weights = h5["model_weights"]
        for name in names:
            group = weights.get(name)
            if not isinstance(group, h5py.Group):
                continue
            listed = group.attrs.get("weight_names")
            paths = [] if listed is None else [
                f"model_weights/{name}/{_text(w)}" for w in np.atleast_1d(listed)]
            found[name] = paths
        return found

    def _dataset(self, path: Path, h5: h5py.File, key: str, layer: str) -> h5py.Dataset:
        ds = h5.get(key)
        if not isinstance(ds, h5py.Dataset):
            raise LoadError(path, f"layer {layer!r}: its variable {key!r} is missing")
        if ds.dtype.kind != "f":
            raise LoadError(path, f"layer {layer!r}: variable {key!r} is {ds.dtype}, not "
                            "floating point")
        shape = tuple(int(d) for d in ds.shape)
        nbytes = math.prod(shape) * ds.dtype.itemsize
        if nbytes > MAX_TENSOR_BYTES:
            raise LoadError(path, f"layer {layer!r}: variable {key!r} declares shape "
                            f"{list(shape)} ({nbytes} bytes), more than the "
                            f"{MAX_TENSOR_BYTES} accepted")
        if ds.compression is None and not ds.id.get_create_plist().get_nfilters():
            stored = ds.id.get_storage_size()
            if stored < nbytes:
                raise LoadError(path, f"layer {layer!r}: variable {key!r} declares shape "
                                f"{list(shape)} ({nbytes} bytes) but stores {stored} bytes")
        return ds

    def _load(self, path: Path, h5: h5py.File, key: str, layer: str,
              shape: tuple[int, ...] | None, what: str) -> None:
        ds = self._dataset(path, h5, key, layer)
        if shape is not None and tuple(ds.shape) != shape:
            raise LoadError(path, f"layer {layer!r}: its {what} {key!r} has shape "
                            f"{list(ds.shape)}, but the config implies {list(shape)}")
        self._arrays[key] = np.asarray(ds[()])

    def _record(self, path: Path, h5: h5py.File, entry: dict[str, Any],
                name: str) -> ModelLayer:
        cls = _text(entry.get("class_name", ""))
        cfg = entry.get("config") if isinstance(entry.get("config"), dict) else {}
        assert isinstance(cfg, dict)
        kind = "other"
        params: dict[str, Any] = {}
        core: dict[str, Any] = {}
        weight_shape: tuple[int, ...] | None = None
        unsupported: str | None = None
        fmt = _text(cfg.get("data_format") or self._data_format)
        if "data_format" in cfg and fmt != self._data_format:
            unsupported = (f"data_format={fmt} differs from the model's "
                           f"{self._data_format}")
        if cls in _CONV_CLASSES:
            kind = "conv"
            weight_shape, params, core, why = self._conv_record(path, h5, cls, cfg, name)
            unsupported = unsupported or why
        elif cls == "BatchNormalization":
            kind = "batchnorm"
            params, why = self._bn_record(path, h5, cfg, name)
            unsupported = unsupported or why
            if self._vars[name]:
                weight_shape = tuple(self._arrays[self._vars[name][-1]].shape)
        elif cls == "ReLU":
            max_value, threshold = cfg.get("max_value"), float(cfg.get("threshold") or 0.0)
            slope = float(cfg.get("negative_slope") or 0.0)
            params = {"max_value": max_value, "negative_slope": slope, "threshold": threshold}
            if max_value is not None or threshold != 0.0:
                unsupported = ("ReLU with max_value or threshold is not an activation of the "
                               "workbench core")
            kind = "leaky_relu" if slope else "relu"
            core = ({"activation": "leaky_relu", "negative_slope": slope} if slope
                    else {"activation": "relu"})
        elif cls == "LeakyReLU":
            raw_slope: Any = cfg.get("negative_slope", cfg.get("alpha"))
            slope = 0.3 if raw_slope is None else float(raw_slope)
            kind, params = "leaky_relu", {"negative_slope": slope}
            core = {"activation": "leaky_relu", "negative_slope": slope}
        elif cls == "Activation":
            act = _activation(cfg.get("activation"))
            params = {"activation": cfg.get("activation")}
            if act is None:
                unsupported = (f"activation {cfg.get('activation')!r} is not one of the "
                               "workbench core's (relu, leaky_relu, sigmoid, tanh)")
            elif act[0] == "none":
                kind = "identity"
            else:
                kind = act[0]
                core = {"activation": act[0]}
                if act[0] == "leaky_relu":
                    core["negative_slope"] = act[1]
                    params["negative_slope"] = act[1]
        elif cls in _POOL_CLASSES:
            kind = _POOL_CLASSES[cls]
            size = _pair(cfg.get("pool_size"), 2)
            strides = _pair(cfg.get("strides") or size, 1)
            padding = _text(cfg.get("padding", "valid")).lower()
            params = {"pool_size": size, "strides": strides, "padding": padding}
            if padding != "valid":
                unsupported = unsupported or (
                    f"pooling with padding={padding!r} is not supported by the workbench "
                    "core (only 'valid')")
            core = {"pool": Pool("max" if kind == "maxpool" else "avg", size, strides)}
        elif cls in _GLOBAL_POOL_CLASSES:
            kind = _GLOBAL_POOL_CLASSES[cls]
            params = {"keepdims": bool(cfg.get("keepdims", False))}
            core = {"pool": Pool("global_avg" if kind == "globalavgpool" else "global_max")}
        elif cls in _IDENTITY_CLASSES:
            kind = "identity"
        elif cls in _MODEL_CLASSES:
            unsupported = "a nested model: open it on its own (save it as its own file)"
        if unsupported:
            params["unsupported"] = unsupported
        self._core[name] = core
        return ModelLayer(name, kind, weight_shape, params, cls)

    def _conv_record(self, path: Path, h5: h5py.File, cls: str, cfg: dict[str, Any],
                     name: str) -> tuple[tuple[int, ...] | None, dict[str, Any],
                                         dict[str, Any], str | None]:
        depthwise = cls == "DepthwiseConv2D"
        try:
            kernel = _pair(cfg.get("kernel_size"), 1)
            stride = _pair(cfg.get("strides"), 1)
            dilation = _pair(cfg.get("dilation_rate"), 1)
        except (TypeError, ValueError) as exc:
            raise LoadError(path, f"layer {name!r}: invalid kernel_size, strides or "
                            f"dilation_rate ({exc})") from exc
        keras_padding = _text(cfg.get("padding", "valid")).lower()
        use_bias = bool(cfg.get("use_bias", True))
        act = _activation(cfg.get("activation"))
        params: dict[str, Any] = {
            "kernel_size": kernel, "stride": stride, "dilation": dilation,
            "keras_padding": keras_padding, "bias": use_bias,
            "activation": cfg.get("activation"), "data_format": self._data_format}
        why: str | None = None
        padding: Any = (0, 0)
        if keras_padding == "same":
            padding, why = _same_padding(kernel, stride, dilation)
        elif keras_padding != "valid":
            why = f"padding={keras_padding!r} is not supported"
        params["padding"] = padding
        if act is None:
            why = why or (f"activation {cfg.get('activation')!r} is not one of the workbench "
                          "core's (relu, leaky_relu, sigmoid, tanh)")
        variables = self._vars[name]
        if len(variables) < 1 + use_bias:
            raise LoadError(path, f"layer {name!r} ({cls}) stores {len(variables)} "
                            f"variable(s); expected {1 + use_bias}")
        kernel_key = variables[0]
        self._load(path, h5, kernel_key, name, None, "kernel")
        stored = self._arrays[kernel_key].shape
        if len(stored) != 4 or (stored[0], stored[1]) != kernel:
            raise LoadError(path, f"layer {name!r}: its kernel has shape {list(stored)}, not "
                            f"{list(kernel)} x in x out as its config says")
        if depthwise:
            multiplier = int(cfg.get("depth_multiplier", 1))
            channels = int(stored[2])
            if stored[3] != multiplier:
                raise LoadError(path, f"layer {name!r}: its kernel has shape {list(stored)} "
                                f"but depth_multiplier is {multiplier}")
            filters, groups = channels * multiplier, channels
            self._depthwise.add(kernel_key)
            params["depth_multiplier"] = multiplier
            weight_shape: tuple[int, ...] = (filters, 1, kernel[0], kernel[1])
        else:
            raw_filters: Any = cfg.get("filters", stored[3])
            filters, groups = int(raw_filters), int(cfg.get("groups") or 1)
            if stored[3] != filters:
                raise LoadError(path, f"layer {name!r}: its kernel has {stored[3]} output "
                                f"channels but filters is {filters}")
            weight_shape = (filters, int(stored[2]), kernel[0], kernel[1])
        if use_bias:
            self._load(path, h5, variables[1], name, (filters,), "bias")
        params.update(filters=filters, groups=groups, kernel_shape=tuple(stored))
        core: dict[str, Any] = {"stride": stride, "padding": padding, "dilation": dilation,
                                "groups": groups}
        if act is not None and act[0] != "none":
            core["activation"] = act[0]
            if act[0] == "leaky_relu":
                core["negative_slope"] = act[1]
        return weight_shape, params, core, why

    def _bn_record(self, path: Path, h5: h5py.File, cfg: dict[str, Any], name: str
                   ) -> tuple[dict[str, Any], str | None]:
        center, scale = bool(cfg.get("center", True)), bool(cfg.get("scale", True))
        axis = cfg.get("axis", -1)
        axes = axis if isinstance(axis, list) else [axis]
        params: dict[str, Any] = {"epsilon": float(cfg.get("epsilon", KERAS_BN_EPS)),
                                  "center": center, "scale": scale, "axis": axis}
        channel_axes = ([-1, 3] if self._data_format == "channels_last" else [1, -3])
        why = None
        if len(axes) != 1 or axes[0] not in channel_axes:
            why = (f"BatchNormalization over axis {axis} is not over the channels "
                   f"({self._data_format}), so it cannot be folded into a conv")
        variables = self._vars[name]
        expected = scale + center + 2
        if len(variables) != expected:
            raise LoadError(path, f"layer {name!r} (BatchNormalization) stores "
                            f"{len(variables)} variable(s); expected {expected}")
        shape = None
        for key in variables:
            self._load(path, h5, key, name, shape, "statistic")
            shape = tuple(self._arrays[key].shape)
            if len(shape) != 1:
                raise LoadError(path, f"layer {name!r}: its statistic {key!r} is not 1-D")
        return params, why

    def _input_channels(self, inner: dict[str, Any], entries: list[dict[str, Any]]
                        ) -> int | None:
        shapes = []
        for entry in entries:
            cfg = entry.get("config")
            if _text(entry.get("class_name")) == "InputLayer" and isinstance(cfg, dict):
                shapes.append(cfg.get("batch_shape") or cfg.get("batch_input_shape"))
        if not shapes:
            shapes.append(inner.get("build_input_shape"))
            first = entries[0].get("config") if entries else None
            if isinstance(first, dict):
                shapes.append(first.get("batch_input_shape") or first.get("batch_shape"))
            build = entries[0].get("build_config") if entries else None
            if isinstance(build, dict):
                shapes.append(build.get("input_shape"))
        for shape in shapes:
            if isinstance(shape, list) and len(shape) == 4:
                value = shape[-1] if self._data_format == "channels_last" else shape[1]
                if isinstance(value, int) and value > 0:
                    return value
        return None

    # ------------------------------------------------------------ the Model hooks

    def _chain(self, index: int) -> list[ModelLayer]:
        if self._sequential:
            return super()._chain(index)
        chain = [self.layers[index]]
        while True:
            layer = chain[-1]
            sources = self._sources.get(layer.name)
            if layer.op == "InputLayer" or sources == []:
                break
            if sources is None or len(sources) != 1 or sources[0] not in self._by_name:
                self._check_supported(layer)
                raise ValueError(f"layer {layer.name!r} reads {len(sources or [])} inputs; a "
                                 "workbench run is a single chain from the model input")
            chain.append(self.layers[self._by_name[sources[0]]])
        return list(reversed(chain))

    def units(self, through: str) -> list[Any]:
        """Split the run from the input through ``through`` into core layers.

        As :meth:`Model.units`; besides, a conv with its own (fused) activation cannot be
        followed by a BatchNorm or another activation in the same core layer.

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
            If the run cannot be expressed by the core; the message names the layer.
        """
        units = super().units(through)
        for unit in units:
            fused = self._core[unit.conv.name].get("activation")
            after = unit.batchnorm or unit.activation
            if fused and after is not None:
                raise ValueError(
                    f"layer {after.name!r} ({after.op}) follows the conv {unit.conv.name!r}, "
                    f"which already applies activation={fused!r}: a workbench core layer has "
                    "one activation, after the BatchNorm")
        return units

    def _core_params(self, layer: ModelLayer) -> dict[str, Any]:
        return dict(self._core.get(layer.name, {}))

    def _conv_tensors(self, layer: ModelLayer) -> ConvTensors:
        variables = self._vars[layer.name]
        kernel = self._arrays[variables[0]]
        if variables[0] in self._depthwise:
            kh, kw, channels, multiplier = kernel.shape
            weight = kernel.reshape(kh, kw, channels * multiplier).transpose(2, 0, 1)[
                :, np.newaxis]
        else:
            weight = kernel.transpose(3, 2, 0, 1)
        bias_key = variables[1] if layer.params.get("bias") else None
        bias = None if bias_key is None else self._arrays[bias_key]
        return ConvTensors(np.ascontiguousarray(weight), bias, variables[0], bias_key)

    def _bn_tensors(self, layer: ModelLayer, eps: float | None) -> BatchNormTensors:
        variables = list(self._vars[layer.name])
        mean, var = self._arrays[variables[-2]], self._arrays[variables[-1]]
        gamma = self._arrays[variables.pop(0)] if layer.params["scale"] else np.ones_like(mean)
        beta_key = variables[0] if layer.params["center"] else None
        beta = np.zeros_like(mean) if beta_key is None else self._arrays[beta_key]
        return BatchNormTensors(gamma, beta, mean, var, float(layer.params["epsilon"]),
                                beta_key)

    def _to_file_layout(self, key: str, values: np.ndarray) -> np.ndarray:
        """Turn a core-layout weight back into the stored Keras layout."""
        stored = self._arrays[key]
        if values.ndim == 4:
            if key in self._depthwise:
                kh, kw, channels, multiplier = stored.shape
                values = values[:, 0].transpose(1, 2, 0).reshape(kh, kw, channels, multiplier)
            else:
                values = values.transpose(2, 3, 1, 0)
        return np.ascontiguousarray(values, dtype=stored.dtype)

    def _write_copy(self, updates: dict[str, np.ndarray], new_biases: dict[str, np.ndarray],
                    path: Path, overwrite: bool) -> None:
        if new_biases:
            name = next(iter(new_biases))
            raise ValueError(f"layer {name!r} is stored without a bias (use_bias=False), so "
                             "a non-zero bias cannot be saved without changing its config; "
                             "set the bias to 0")
        stored = {key: self._to_file_layout(key, values) for key, values in updates.items()}

        def rewrite(h5: h5py.File) -> None:
            for key, values in stored.items():
                ds = h5[key]
                if tuple(ds.shape) != values.shape:
                    raise ValueError(f"variable {key!r} changed shape in {self.path} since "
                                     "it was opened")
                ds[...] = values

        with atomic_write(path, overwrite=overwrite) as tmp:
            if not self._archive:
                shutil.copyfile(self.path, tmp)
                with h5py.File(tmp, "r+") as h5:
                    rewrite(h5)
                return
            with zipfile.ZipFile(self.path) as source, zipfile.ZipFile(tmp, "w") as target:
                for info in source.infolist():
                    data = source.read(info)
                    if info.filename == WEIGHTS_MEMBER:
                        buffer = io.BytesIO(data)
                        with h5py.File(buffer, "r+") as h5:
                            rewrite(h5)
                        data = buffer.getvalue()
                    target.writestr(info, data)
