"""ONNX graphs: Conv / BatchNormalization / activation / pooling nodes and their initializers."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from google.protobuf.message import DecodeError
from onnx import helper, numpy_helper

from workbench.core import Pool
from workbench.io.atomic import atomic_write
from workbench.io.errors import LoadError
from workbench.io.models.model import (
    DEFAULT_BN_EPS,
    BatchNormTensors,
    ConvTensors,
    Model,
    ModelLayer,
)

MAX_TENSOR_BYTES = 1 << 31
"""Largest initializer accepted (2 GiB, the protobuf limit of an ONNX file)."""
_KINDS = {
    "Conv": "conv", "BatchNormalization": "batchnorm", "Relu": "relu",
    "LeakyRelu": "leaky_relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "MaxPool": "maxpool",
    "AveragePool": "avgpool", "GlobalAveragePool": "globalavgpool",
    "GlobalMaxPool": "globalmaxpool", "Identity": "identity", "Dropout": "identity",
}
_FLOAT_TYPES = (onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.FLOAT16)


def _attrs(node: onnx.NodeProto) -> dict[str, Any]:
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _tensor_bytes(tensor: onnx.TensorProto) -> int | None:
    """Return the declared size in bytes, None for a type without a fixed item size."""
    try:
        itemsize = int(np.dtype(helper.tensor_dtype_to_np_dtype(tensor.data_type)).itemsize)
    except (KeyError, TypeError, ValueError):
        return None
    return math.prod(int(d) for d in tensor.dims) * itemsize


def _check_initializer(path: Path, tensor: onnx.TensorProto) -> None:
    """Refuse declared shapes that the stored data cannot hold (nothing is allocated)."""
    if any(d < 0 for d in tensor.dims):
        raise LoadError(path, f"initializer {tensor.name!r} has a negative dimension "
                        f"{list(tensor.dims)}")
    size = _tensor_bytes(tensor)
    if size is None:
        return
    if size > MAX_TENSOR_BYTES:
        raise LoadError(path, f"initializer {tensor.name!r} declares shape {list(tensor.dims)} "
                        f"({size} bytes), more than an ONNX file can hold")
    if tensor.data_location == onnx.TensorProto.EXTERNAL:
        return
    if tensor.HasField("raw_data"):
        if len(tensor.raw_data) != size:
            raise LoadError(path, f"initializer {tensor.name!r} declares shape "
                            f"{list(tensor.dims)} ({size} bytes) but stores "
                            f"{len(tensor.raw_data)} bytes")
        return
    field = helper.tensor_dtype_to_field(tensor.data_type)
    stored = len(getattr(tensor, field))
    # float16 and small integers are stored one value per int32_data entry.
    if stored < math.prod(int(d) for d in tensor.dims):
        raise LoadError(path, f"initializer {tensor.name!r} declares shape {list(tensor.dims)} "
                        f"but stores {stored} values")


def _check_external(path: Path, model: onnx.ModelProto) -> None:
    """External data must be a file inside the model's folder, with the declared size."""
    folder = path.resolve().parent
    for tensor in model.graph.initializer:
        if tensor.data_location != onnx.TensorProto.EXTERNAL:
            continue
        info = {entry.key: entry.value for entry in tensor.external_data}
        location = info.get("location", "")
        target = (folder / location).resolve()
        if not location or os.path.isabs(location) or folder not in target.parents:
            raise LoadError(path, f"initializer {tensor.name!r} points at external data "
                            f"{location!r} outside the model's folder")
        if not target.is_file():
            raise LoadError(path, f"initializer {tensor.name!r}: external data file "
                            f"{location!r} is missing")
        offset = int(info.get("offset", "0") or 0)
        length = info.get("length")
        size = _tensor_bytes(tensor)
        available = target.stat().st_size - offset
        needed = int(length) if length else size
        if needed is not None and (offset < 0 or needed > available
                                   or (size is not None and needed != size)):
            raise LoadError(path, f"initializer {tensor.name!r}: external data {location!r} "
                            f"does not hold its declared shape {list(tensor.dims)}")


def load_onnx(path: Path) -> onnx.ModelProto:
    """Parse an ONNX file, validating what numpy would later allocate.

    Parameters
    ----------
    path : pathlib.Path
        The file.

    Returns
    -------
    onnx.ModelProto
        With external data loaded (checked to lie in the model's folder).

    Raises
    ------
    LoadError
        If the file is not a valid ONNX model.
    """
    data = path.read_bytes()
    if not data:
        raise LoadError(path, "the file is empty")
    try:
        model = onnx.load_model_from_string(data)
    except (DecodeError, ValueError, RuntimeError) as exc:
        raise LoadError(path, f"not an ONNX model (or truncated): {exc}") from exc
    if model.ir_version < 3 or not model.graph.node or not model.opset_import:
        raise LoadError(path, "not an ONNX model: no graph, nodes or opset version "
                        "(the file may be truncated or of another format)")
    for tensor in model.graph.initializer:
        _check_initializer(path, tensor)
    _check_external(path, model)
    if any(t.data_location == onnx.TensorProto.EXTERNAL for t in model.graph.initializer):
        try:
            onnx.external_data_helper.load_external_data_for_model(model, str(path.parent))
        except (OSError, ValueError) as exc:
            raise LoadError(path, f"cannot read external data: {exc}") from exc
    return model


def _conv_padding(attrs: dict[str, Any], kernel: tuple[int, int], stride: tuple[int, int],
                  dilation: tuple[int, int]) -> tuple[Any, str | None]:
    """Return the core padding of an ONNX conv, or None and the reason it has none."""
    auto = _text(attrs.get("auto_pad", "NOTSET"))
    if auto == "VALID":
        return (0, 0), None
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        if stride != (1, 1):
            return None, (f"auto_pad={auto} with stride {stride} pads by an amount that "
                          "depends on the input size, which the workbench core cannot express")
        totals = (dilation[0] * (kernel[0] - 1), dilation[1] * (kernel[1] - 1))
        if auto == "SAME_LOWER" and any(t % 2 for t in totals):
            return None, ("auto_pad=SAME_LOWER with an even (dilated) kernel pads one more "
                          "row/column at the top/left, which the workbench core cannot express")
        return "same", None
    if auto != "NOTSET":
        return None, f"unknown auto_pad {auto!r}"
    pads = [int(p) for p in attrs.get("pads", [0, 0, 0, 0])]
    if len(pads) != 4:
        return None, f"pads {pads} are not 2-D"
    top, left, bottom, right = pads
    if (top, left) != (bottom, right):
        return None, (f"asymmetric pads {pads} (top, left, bottom, right) are not supported "
                      "by the workbench core (it pads both sides equally)")
    return (top, left), None


def _pool_params(kind: str, attrs: dict[str, Any]) -> tuple[Pool | None, str | None]:
    if kind in ("globalavgpool", "globalmaxpool"):
        return Pool("global_avg" if kind == "globalavgpool" else "global_max"), None
    kernel = [int(k) for k in attrs.get("kernel_shape", [])]
    if len(kernel) != 2:
        return None, f"kernel_shape {kernel} is not 2-D"
    size = (kernel[0], kernel[1])
    strides = [int(s) for s in attrs.get("strides", [1, 1])]
    dilations = [int(d) for d in attrs.get("dilations", [1, 1])]
    if dilations != [1, 1]:
        return None, f"pooling dilations {dilations} are not supported by the workbench core"
    auto = _text(attrs.get("auto_pad", "NOTSET"))
    pads = [int(p) for p in attrs.get("pads", [0, 0, 0, 0])]
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        return None, f"pooling auto_pad={auto} is not supported by the workbench core"
    if auto == "VALID":
        pads = [0, 0, 0, 0]
    if len(pads) != 4 or pads[:2] != pads[2:]:
        return None, f"asymmetric pooling pads {pads} are not supported by the workbench core"
    padding = (pads[0], pads[1])
    if padding[0] > size[0] // 2 or padding[1] > size[1] // 2:
        return None, f"pooling pads {pads} exceed half the window {size}"
    ceil_mode = bool(attrs.get("ceil_mode", 0))
    if kind == "avgpool":
        include = bool(attrs.get("count_include_pad", 0))
        if any(padding) and not include:
            return None, ("AveragePool with pads and count_include_pad=0 is not supported "
                          "by the workbench core (it counts padding in the divisor)")
        if ceil_mode and include:
            return None, "AveragePool with ceil_mode=1 and count_include_pad=1 is not supported"
    pool = Pool("max" if kind == "maxpool" else "avg", size, (strides[0], strides[1]),
                padding, ceil_mode)
    return pool, None


class OnnxModel(Model):
    """An ONNX model: every node a layer (Constant nodes left out), in graph order."""

    format = "onnx"
    defines_params = True

    def __init__(self, path: Path) -> None:
        self._proto = load_onnx(path)
        graph = self._proto.graph
        self._init = {t.name: t for t in graph.initializer}
        self._arrays: dict[str, np.ndarray] = {}
        self._producer: dict[str, int] = {}
        self._nodes: list[onnx.NodeProto] = []
        self._core: dict[str, dict[str, Any]] = {}
        records = []
        used: set[str] = set()
        inputs = [i for i in graph.input if i.name not in self._init]
        self._graph_inputs = {i.name for i in inputs}
        self._graph_index: list[int] = []
        for position, node in enumerate(graph.node):
            if node.op_type == "Constant" and not node.domain:
                continue
            name = node.name or (node.output[0] if node.output else node.op_type)
            base, k = name, 1
            while name in used:
                k += 1
                name = f"{base}_{k}"
            used.add(name)
            for out in node.output:
                self._producer[out] = len(self._nodes)
            self._nodes.append(node)
            self._graph_index.append(position)
            records.append(self._record(name, node))
        channels = None
        if len(inputs) == 1:
            dims = inputs[0].type.tensor_type.shape.dim
            if len(dims) == 4 and dims[1].HasField("dim_value") and dims[1].dim_value > 0:
                channels = int(dims[1].dim_value)
        super().__init__(path, tuple(records), channels)

    # ------------------------------------------------------------ reading

    def _array(self, name: str, what: str, layer: str) -> np.ndarray:
        if name not in self._init:
            raise ValueError(f"layer {layer!r}: its {what} {name!r} is computed, not a stored "
                             "initializer, so it cannot be read as weights")
        if name not in self._arrays:
            tensor = self._init[name]
            if tensor.data_type not in _FLOAT_TYPES:
                raise ValueError(f"layer {layer!r}: its {what} {name!r} is not floating point")
            self._arrays[name] = numpy_helper.to_array(tensor)
        return self._arrays[name]

    def _shape(self, name: str) -> tuple[int, ...] | None:
        tensor = self._init.get(name)
        return None if tensor is None else tuple(int(d) for d in tensor.dims)

    def _record(self, name: str, node: onnx.NodeProto) -> ModelLayer:
        kind = _KINDS.get(node.op_type, "other") if node.domain in ("", "ai.onnx") else "other"
        attrs = _attrs(node)
        params: dict[str, Any] = {}
        weight_shape = None
        core: dict[str, Any] = {}
        unsupported = None
        if kind == "conv":
            weight_shape = self._shape(node.input[1]) if len(node.input) > 1 else None
            if weight_shape is None:
                unsupported = "its weight is computed by the graph, not stored"
            elif len(weight_shape) != 4:
                unsupported = f"only 2-D convolutions are supported, weight {weight_shape}"
            else:
                stride = tuple(int(s) for s in attrs.get("strides", [1, 1]))
                dilation = tuple(int(d) for d in attrs.get("dilations", [1, 1]))
                kernel = (weight_shape[2], weight_shape[3])
                padding, unsupported = _conv_padding(attrs, kernel, stride, dilation)  # type: ignore[arg-type]
                groups = int(attrs.get("group", 1))
                params = {"stride": stride, "padding": padding, "dilation": dilation,
                          "groups": groups, "auto_pad": _text(attrs.get("auto_pad", "NOTSET")),
                          "pads": tuple(int(p) for p in attrs.get("pads", [0, 0, 0, 0])),
                          "bias": len(node.input) > 2 and bool(node.input[2])}
                core = {"stride": stride, "padding": padding, "dilation": dilation,
                        "groups": groups}
                if len(node.input) > 2 and node.input[2] and node.input[2] not in self._init:
                    unsupported = "its bias is computed by the graph, not stored"
        elif kind == "batchnorm":
            weight_shape = self._shape(node.input[1]) if len(node.input) > 1 else None
            params = {"epsilon": float(attrs.get("epsilon", DEFAULT_BN_EPS))}
            if attrs.get("training_mode", 0):
                unsupported = "BatchNormalization in training mode cannot be folded"
            elif not attrs.get("spatial", 1):
                unsupported = "BatchNormalization with spatial=0 cannot be folded"
            elif any(i not in self._init for i in node.input[1:5]) or len(node.input) < 5:
                unsupported = "its statistics are computed by the graph, not stored"
            elif len([o for o in node.output if o]) > 1:
                unsupported = "BatchNormalization with running-statistics outputs (training)"
        elif kind == "leaky_relu":
            slope = float(attrs.get("alpha", 0.01))
            params = {"negative_slope": slope}
            core = {"activation": "leaky_relu", "negative_slope": slope}
        elif kind in ("relu", "sigmoid", "tanh"):
            core = {"activation": kind}
        elif kind in ("maxpool", "avgpool", "globalavgpool", "globalmaxpool"):
            pool, unsupported = _pool_params(kind, attrs)
            params = {k: (list(v) if isinstance(v, (list, tuple)) else _text(v)
                          if isinstance(v, bytes) else v) for k, v in attrs.items()}
            if pool is not None:
                core = {"pool": pool}
                if kind == "maxpool" and len([o for o in node.output if o]) > 1:
                    unsupported = "MaxPool with an indices output is not supported"
        elif kind == "identity" and node.op_type == "Dropout":
            if len([o for o in node.output if o]) > 1 or attrs.get("training_mode"):
                kind = "other"
        if unsupported:
            params["unsupported"] = unsupported
        self._core[name] = core
        return ModelLayer(name, kind, weight_shape, params, node.op_type)

    # ------------------------------------------------------------ the Model hooks

    def _node(self, layer: ModelLayer) -> onnx.NodeProto:
        return self._nodes[self._by_name[layer.name]]

    def _chain(self, index: int) -> list[ModelLayer]:
        chain = [index]
        while True:
            node = self._nodes[chain[-1]]
            data = node.input[0] if node.input else ""
            if data in self._graph_inputs:
                break
            if data not in self._producer:
                raise ValueError(f"layer {self.layers[chain[-1]].name!r} does not read the "
                                 "model input or another layer's output")
            chain.append(self._producer[data])
        return [self.layers[i] for i in reversed(chain)]

    def _core_params(self, layer: ModelLayer) -> dict[str, Any]:
        return dict(self._core.get(layer.name, {}))

    def _conv_tensors(self, layer: ModelLayer) -> ConvTensors:
        node = self._node(layer)
        weight = self._array(node.input[1], "weight", layer.name)
        bias_key = node.input[2] if len(node.input) > 2 and node.input[2] else None
        bias = None if bias_key is None else self._array(bias_key, "bias", layer.name)
        return ConvTensors(weight, bias, node.input[1], bias_key)

    def _bn_tensors(self, layer: ModelLayer, eps: float | None) -> BatchNormTensors:
        node = self._node(layer)
        gamma, beta, mean, var = (self._array(node.input[i], what, layer.name)
                                  for i, what in enumerate(("scale", "bias", "mean", "var"), 1))
        return BatchNormTensors(gamma, beta, mean, var, float(layer.params["epsilon"]),
                                node.input[2])

    def _write_copy(self, updates: dict[str, np.ndarray], new_biases: dict[str, np.ndarray],
                    path: Path, overwrite: bool) -> None:
        model = onnx.ModelProto()
        model.CopyFrom(self._proto)
        consumers: dict[str, int] = {}
        for node in model.graph.node:
            for name in node.input:
                consumers[name] = consumers.get(name, 0) + 1
        for key in updates:
            if consumers.get(key, 0) > 1:
                raise ValueError(f"initializer {key!r} is shared by {consumers[key]} nodes; "
                                 "editing it would change the other layers too")
        for tensor in model.graph.initializer:
            if tensor.name in updates:
                tensor.CopyFrom(numpy_helper.from_array(updates[tensor.name], tensor.name))
        taken = set(self._init) | {o for n in model.graph.node for o in n.output}
        for layer_name, bias in new_biases.items():
            node = model.graph.node[self._graph_index[self._by_name[layer_name]]]
            key, k = f"{layer_name}.bias", 1
            while key in taken:
                k += 1
                key = f"{layer_name}.bias_{k}"
            model.graph.initializer.append(numpy_helper.from_array(bias, key))
            while len(node.input) < 3:
                node.input.append("")
            node.input[2] = key
        with atomic_write(path, overwrite=overwrite) as tmp:
            onnx.save_model(model, str(tmp))
