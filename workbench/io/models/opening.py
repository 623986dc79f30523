"""Which format a model file is in, and opening it."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from workbench.io.errors import LoadError
from workbench.io.models.model import Model

MODEL_FORMATS: dict[str, tuple[str, ...]] = {
    "onnx": (".onnx",),
    "safetensors": (".safetensors",),
    "torch": (".pt", ".pth"),
    "keras": (".keras", ".h5"),
}
"""Each format and the file extensions it is recognised by."""
_PKG = {"onnx": "onnx", "safetensors": "safetensors", "keras": "h5py"}


def detect_format(path: str | os.PathLike[str]) -> str:
    """Tell a model file's format from its extension, else from its first bytes.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    str
        A key of :data:`MODEL_FORMATS`.

    Raises
    ------
    LoadError
        If the format cannot be told.
    FileNotFoundError
        If there is no such file.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    for name, suffixes in MODEL_FORMATS.items():
        if suffix in suffixes:
            return name
    with p.open("rb") as fh:
        head = fh.read(16)
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(p) as archive:
                names = archive.namelist()
        except zipfile.BadZipFile as exc:
            raise LoadError(p, f"a damaged zip archive: {exc}") from exc
        if "config.json" in names:
            return "keras"
        return "torch"
    if head.startswith(b"\x89HDF"):
        return "keras"
    if len(head) > 8 and head[8:9] == b"{":
        return "safetensors"
    if head.startswith(b"\x80"):
        return "torch"
    if head.startswith(b"\x08"):  # protobuf field 1 (ir_version), a varint
        return "onnx"
    raise LoadError(p, f"unknown model format (extension {suffix!r}); expected one of "
                    + ", ".join(s for group in MODEL_FORMATS.values() for s in group))


def open_model(path: str | os.PathLike[str]) -> Model:
    """Open a model file; nothing from the file is executed.

    Parameters
    ----------
    path : str or os.PathLike
        An ONNX (``.onnx``), safetensors (``.safetensors``), Keras (``.keras`` archive or
        legacy ``.h5``; read with h5py, Keras itself is not needed) or PyTorch state dict
        (``.pt`` / ``.pth``, needs torch; read with ``torch.load(weights_only=True)``) file.

    Returns
    -------
    Model
        Its layers, in order from the input.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    LoadError
        If the file is truncated, of another format, hostile (declared tensor sizes the
        file cannot hold, a pickle that is not plain tensors), or its format needs a package
        that is not installed; the message names the file and the reason.

    Examples
    --------
    >>> model = open_model("net.onnx")  # doctest: +SKIP
    >>> [layer.name for layer in model.layers if layer.kind == "conv"]  # doctest: +SKIP
    ['conv1', 'conv2']
    >>> pipeline = model.pipeline(through="relu1")  # doctest: +SKIP
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"no such model file: {p}")
    fmt = detect_format(p)
    if fmt in _PKG:
        try:
            __import__(_PKG[fmt])
        except ImportError as exc:
            raise LoadError(p, f"reading {fmt} files needs the {_PKG[fmt]!r} package "
                            "(pip install 'conv-workbench[models]')") from exc
    if fmt == "onnx":
        from workbench.io.models.onnx_model import OnnxModel
        return OnnxModel(p)
    if fmt == "safetensors":
        from workbench.io.models.tensor_dicts import SafetensorsModel
        return SafetensorsModel(p)
    if fmt == "torch":
        from workbench.io.models.tensor_dicts import TorchModel
        return TorchModel(p)
    from workbench.io.models.keras_model import KerasModel
    return KerasModel(p)
