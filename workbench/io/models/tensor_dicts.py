"""Flat tensor files (safetensors, PyTorch state dicts): layers from tensor names alone.

Such files store tensors but not the layer parameters: a 4-D ``<prefix>.weight`` (with an
optional 1-D ``<prefix>.bias``) is listed as a conv with stride 1 and no padding, and a
prefix with ``running_mean`` and ``running_var`` as a BatchNorm (folded when it follows a
conv with as many channels). The user supplies the real parameters through ``params``.
safetensors files keep no model order, so their layers are sorted by name with numbers
compared as numbers (``features.2`` before ``features.10``); PyTorch state dicts keep the
order in which the modules were registered.
"""

from __future__ import annotations

import json
import math
import re
import struct
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from workbench.io.atomic import atomic_write
from workbench.io.errors import LoadError
from workbench.io.models.model import (
    DEFAULT_BN_EPS,
    BatchNormTensors,
    ConvTensors,
    Model,
    ModelLayer,
)

MAX_HEADER_BYTES = 100_000_000
"""safetensors' own limit on the JSON header."""
SAFETENSORS_DTYPES: dict[str, int] = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2,
    "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8,
}
"""Item size of each safetensors dtype."""
_BN_SUFFIXES = ("running_mean", "running_var")


def _natural_key(name: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _split(name: str) -> tuple[str, str]:
    prefix, _, suffix = name.rpartition(".")
    return prefix, suffix


def layers_from_shapes(shapes: Iterable[tuple[str, tuple[int, ...]]]) -> tuple[ModelLayer, ...]:
    """Group tensors by name prefix into layer records, in the given order.

    Parameters
    ----------
    shapes : iterable of (str, tuple of int)
        Tensor names and shapes, in model order.

    Returns
    -------
    tuple of ModelLayer
        Conv, BatchNorm and other layers.
    """
    groups: dict[str, dict[str, tuple[int, ...]]] = {}
    for name, shape in shapes:
        prefix, suffix = _split(name)
        groups.setdefault(prefix, {})[suffix] = shape
    records = []
    previous_filters: int | None = None
    for prefix, tensors in groups.items():
        name = prefix or "(top level)"
        weight = tensors.get("weight")
        bias = tensors.get("bias")
        if all(s in tensors for s in _BN_SUFFIXES):
            channels = tensors["running_mean"][0] if len(tensors["running_mean"]) == 1 else -1
            params: dict[str, Any] = {"eps": DEFAULT_BN_EPS, "affine": weight is not None}
            if any(len(tensors[s]) != 1 or tensors[s][0] != channels for s in _BN_SUFFIXES) \
                    or any(t is not None and t != (channels,) for t in (weight, bias)):
                params["unsupported"] = "its statistics are not 1-D of one length"
            elif previous_filters != channels:
                params["unsupported"] = ("it does not follow a conv with as many channels, so "
                                         "it cannot be folded")
            records.append(ModelLayer(name, "batchnorm", weight, params, "BatchNorm"))
            previous_filters = None
        elif weight is not None and len(weight) == 4:
            params = {"stride": (1, 1), "padding": (0, 0), "dilation": (1, 1), "groups": 1,
                      "bias": bias is not None, "inferred": True}
            if bias is not None and bias != (weight[0],):
                params["unsupported"] = f"its bias has shape {bias}, not ({weight[0]},)"
            if 0 in weight:
                params["unsupported"] = f"its weight {weight} is empty"
            records.append(ModelLayer(name, "conv", weight, params, "Conv2d"))
            previous_filters = weight[0]
        else:
            records.append(ModelLayer(name, "other", weight, {"tensors": sorted(tensors)},
                                      ""))
            previous_filters = None
    return tuple(records)


class TensorDictModel(Model):
    """A model whose file is a flat ``{name: tensor}`` mapping."""

    defines_params = False

    def __init__(self, path: Path, shapes: list[tuple[str, tuple[int, ...]]]) -> None:
        self._keys = {name for name, _ in shapes}
        # The input channel count is not stored (groups are unknown): None.
        super().__init__(path, layers_from_shapes(shapes), None)

    def _get(self, key: str) -> np.ndarray:
        raise NotImplementedError

    def _chain(self, index: int) -> list[ModelLayer]:
        # Tensor names do not say where a non-conv tensor (a classifier, an embedding) sits
        # (safetensors does not even keep the model's order), so only the convs and their
        # BatchNorms make up a run; the channel check between convs catches a wrong guess.
        return [layer for layer in self.layers[:index] if layer.kind != "other"] + [
            self.layers[index]]

    def _key(self, layer: ModelLayer, suffix: str) -> str | None:
        key = suffix if layer.name == "(top level)" else f"{layer.name}.{suffix}"
        return key if key in self._keys else None

    def _float(self, key: str, layer: ModelLayer) -> np.ndarray:
        array = self._get(key)
        if array.dtype.kind != "f":
            raise ValueError(f"layer {layer.name!r}: tensor {key!r} is {array.dtype}, "
                             "not floating point")
        return array

    def _conv_tensors(self, layer: ModelLayer) -> ConvTensors:
        weight_key = self._key(layer, "weight")
        assert weight_key is not None
        bias_key = self._key(layer, "bias")
        return ConvTensors(self._float(weight_key, layer),
                           None if bias_key is None else self._float(bias_key, layer),
                           weight_key, bias_key)

    def _bn_tensors(self, layer: ModelLayer, eps: float | None) -> BatchNormTensors:
        mean = self._float(self._key(layer, "running_mean") or "", layer)
        var = self._float(self._key(layer, "running_var") or "", layer)
        gamma_key, beta_key = self._key(layer, "weight"), self._key(layer, "bias")
        gamma = np.ones_like(mean) if gamma_key is None else self._float(gamma_key, layer)
        beta = np.zeros_like(mean) if beta_key is None else self._float(beta_key, layer)
        return BatchNormTensors(gamma, beta, mean, var,
                                DEFAULT_BN_EPS if eps is None else float(eps), beta_key)

    def _new_bias_error(self, new_biases: dict[str, np.ndarray]) -> None:
        if new_biases:
            name = next(iter(new_biases))
            raise ValueError(f"layer {name!r} has no bias in the file, so a non-zero bias "
                             f"cannot be saved into a {self.format} file without changing "
                             "what the model's code loads; set the bias to 0")


# ---------------------------------------------------------------- safetensors


def read_safetensors_header(path: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """Read and validate a safetensors header without loading any tensor.

    Parameters
    ----------
    path : pathlib.Path
        The file.

    Returns
    -------
    tensors : dict
        ``name -> {"dtype", "shape", "data_offsets"}``, in file order.
    metadata : dict
        The ``__metadata__`` strings (empty if none).

    Raises
    ------
    LoadError
        If the header is missing, truncated, not JSON, or declares tensors the file cannot
        hold.
    """
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(8)
        if len(head) < 8:
            raise LoadError(path, "not a safetensors file: shorter than its 8-byte header size")
        (length,) = struct.unpack("<Q", head)
        if length > min(MAX_HEADER_BYTES, size - 8) or length < 2:
            raise LoadError(path, f"not a safetensors file (or truncated): the header claims "
                            f"{length} bytes, the file has {size - 8} after the size field")
        raw = fh.read(length)
    if not raw.startswith(b"{"):
        raise LoadError(path, "not a safetensors file: the header is not a JSON object")
    try:
        header = json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise LoadError(path, f"not a safetensors file: invalid JSON header ({exc})") from exc
    if not isinstance(header, dict):
        raise LoadError(path, "not a safetensors file: the header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise LoadError(path, "the __metadata__ of the header is not a map of strings")
    data_size = size - 8 - length
    for name, info in header.items():
        if not isinstance(info, dict) or not isinstance(info.get("shape"), list) or not (
                isinstance(info.get("data_offsets"), list) and len(info["data_offsets"]) == 2):
            raise LoadError(path, f"tensor {name!r}: malformed header entry")
        dtype, shape, (begin, end) = info.get("dtype"), info["shape"], info["data_offsets"]
        if dtype not in SAFETENSORS_DTYPES:
            raise LoadError(path, f"tensor {name!r}: unknown dtype {dtype!r}")
        if not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0
                   for d in (*shape, begin, end)):
            raise LoadError(path, f"tensor {name!r}: shape {shape} and offsets must be "
                            "non-negative integers")
        needed = math.prod(shape) * SAFETENSORS_DTYPES[dtype]
        if end - begin != needed or end > data_size:
            raise LoadError(path, f"tensor {name!r}: shape {shape} of {dtype} needs {needed} "
                            f"bytes, the file stores {end - begin} at offsets {begin}..{end} "
                            f"of {data_size} (truncated or hostile)")
    return header, metadata


class SafetensorsModel(TensorDictModel):
    """A ``.safetensors`` file (read and written with ``safetensors.numpy``)."""

    format = "safetensors"

    def __init__(self, path: Path) -> None:
        header, self._metadata = read_safetensors_header(path)
        self._header = header
        shapes = sorted(((name, tuple(info["shape"])) for name, info in header.items()),
                        key=lambda item: _natural_key(item[0]))
        self._cache: dict[str, np.ndarray] = {}
        super().__init__(path, shapes)

    def _get(self, key: str) -> np.ndarray:
        if key not in self._cache:
            from safetensors import SafetensorError, safe_open
            try:
                with safe_open(str(self.path), framework="numpy") as fh:
                    self._cache[key] = fh.get_tensor(key)
            except (SafetensorError, OSError, TypeError, ValueError) as exc:
                raise LoadError(self.path, f"cannot read tensor {key!r}: {exc}") from exc
        return self._cache[key]

    def _write_copy(self, updates: dict[str, np.ndarray], new_biases: dict[str, np.ndarray],
                    path: Path, overwrite: bool) -> None:
        from safetensors.numpy import load_file, save_file
        self._new_bias_error(new_biases)
        try:
            tensors = load_file(str(self.path))
        except Exception as exc:  # the Rust reader raises its own error types
            raise LoadError(self.path, f"cannot read the tensors: {exc}") from exc
        for key, values in updates.items():
            tensors[key] = np.ascontiguousarray(values)
        with atomic_write(path, overwrite=overwrite) as tmp:
            save_file(tensors, str(tmp), metadata=self._metadata or None)


# ---------------------------------------------------------------- PyTorch

_ZIP_MAGIC = b"PK\x03\x04"
_STATE_DICT_KEYS = ("state_dict", "model_state_dict", "model")


class TorchModel(TensorDictModel):
    """A PyTorch state dict (``.pt`` / ``.pth``) read with ``torch.load(weights_only=True)``."""

    format = "torch"

    def __init__(self, path: Path) -> None:
        try:
            import torch
        except ImportError as exc:
            raise LoadError(path, "reading PyTorch files needs torch, which is not installed "
                            "(pip install torch); or export the model to ONNX or "
                            "safetensors") from exc
        with path.open("rb") as fh:
            head = fh.read(4)
        if head != _ZIP_MAGIC and not head.startswith(b"\x80"):
            raise LoadError(path, "not a PyTorch file: neither a torch zip archive nor a "
                            "legacy torch pickle")
        try:
            # weights_only=True: torch's restricted unpickler, which builds tensors and
            # plain containers only and never calls arbitrary code from the file.
            loaded = torch.load(str(path), map_location="cpu", weights_only=True)
        except Exception as exc:  # UnpicklingError, RuntimeError, EOFError, zip errors...
            raise LoadError(path, f"cannot be read as a PyTorch state dict safely "
                            f"(weights_only=True refused it or it is truncated): "
                            f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                            ) from exc
        self._outer: dict[str, Any] | None = None
        self._outer_key = ""
        state = loaded
        if isinstance(loaded, dict) and not any(isinstance(v, torch.Tensor)
                                                for v in loaded.values()):
            for key in _STATE_DICT_KEYS:
                if isinstance(loaded.get(key), dict):
                    self._outer, self._outer_key, state = loaded, key, loaded[key]
                    break
        if not isinstance(state, dict) or not state:
            raise LoadError(path, f"not a state dict: the file holds a {type(state).__name__}; "
                            "save model.state_dict() instead of the model")
        self._state: dict[str, Any] = state
        shapes = [(str(k), tuple(int(d) for d in v.shape)) for k, v in state.items()
                  if isinstance(v, torch.Tensor)]
        if not shapes:
            raise LoadError(path, "the state dict holds no tensors")
        super().__init__(path, shapes)

    def _get(self, key: str) -> np.ndarray:
        import torch
        tensor = self._state[key].detach()
        if tensor.dtype == torch.bfloat16:
            tensor = tensor.float()
        return np.asarray(tensor.cpu().numpy())

    def _write_copy(self, updates: dict[str, np.ndarray], new_biases: dict[str, np.ndarray],
                    path: Path, overwrite: bool) -> None:
        import torch
        self._new_bias_error(new_biases)
        state = dict(self._state)
        for key, values in updates.items():
            state[key] = torch.from_numpy(np.ascontiguousarray(values)).to(state[key].dtype)
        out: Any = state
        if self._outer is not None:
            out = {**self._outer, self._outer_key: state}
        with atomic_write(path, overwrite=overwrite) as tmp:
            torch.save(out, str(tmp))
