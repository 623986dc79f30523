"""A whole filter bank as NumPy arrays, in PyTorch or Keras layout.

Files: the weights go in ``<name>.npy`` and the biases, a float32 vector ``(F,)``, in
``<name>_bias.npy`` next to it; both are written together (all or nothing) and read
together (a missing bias file means zero biases). This keeps each file loadable with a plain
``np.load`` into ``conv.weight`` / ``conv.bias`` (PyTorch) or ``layer.set_weights`` (Keras).

Layouts: ``pytorch`` is ``(F, C, kH, kW)`` (``nn.Conv2d.weight``); ``keras`` is
``(kH, kW, C, F)`` (``keras.layers.Conv2D`` kernel). ``C`` is the number of channel slices
of each filter (input channels / groups).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from workbench.core import Filter, weights_from_keras, weights_to_keras
from workbench.io.atomic import StagedWrites
from workbench.io.errors import AmbiguousLayoutError, LoadError
from workbench.io.formats import npy_bytes, read_array

LAYOUTS: tuple[str, ...] = ("pytorch", "keras")
_LAYOUT_TEXT = {"pytorch": "PyTorch (F, C, kH, kW)", "keras": "Keras (kH, kW, C, F)"}


def bias_path_for(path: str | os.PathLike[str]) -> Path:
    """Return the bias file belonging to a weight file: ``bank.npy`` -> ``bank_bias.npy``.

    Parameters
    ----------
    path : str or os.PathLike
        The weight file.

    Returns
    -------
    pathlib.Path
        The bias file.
    """
    p = Path(path)
    return p.with_name(f"{p.stem}_bias{p.suffix}")


def stack_filters(filters: Sequence[Filter]) -> tuple[npt.NDArray[np.float32],
                                                      npt.NDArray[np.float32]]:
    """Stack filters into one weight array and a bias vector.

    Parameters
    ----------
    filters : sequence of Filter
        Filters of equal weight shape.

    Returns
    -------
    weight : numpy.ndarray
        float32 ``(F, C, kH, kW)``.
    bias : numpy.ndarray
        float32 ``(F,)``.

    Raises
    ------
    ValueError
        If there are no filters or their shapes differ.
    """
    if not filters:
        raise ValueError("the bank has no filters")
    shapes = {f.weight.shape for f in filters}
    if len(shapes) > 1:
        raise ValueError("all filters need the same (C, kH, kW) shape to form one array, got "
                         f"{sorted(shapes)}")
    weight = np.stack([f.weight for f in filters]).astype(np.float32)
    bias = np.array([f.bias for f in filters], dtype=np.float32)
    return weight, bias


def save_bank_npy(path: str | os.PathLike[str], filters: Sequence[Filter],
                  layout: str = "pytorch", *, overwrite: bool = False) -> tuple[Path, Path]:
    """Write a bank's weights and biases as ``<name>.npy`` and ``<name>_bias.npy``.

    Parameters
    ----------
    path : str or os.PathLike
        The weight file; must end in ``.npy``.
    filters : sequence of Filter
        E.g. ``layer.enabled_filters`` (what the layer computes) or ``layer.filters``.
    layout : {"pytorch", "keras"}, optional
        Weight layout.
    overwrite : bool, optional
        Replace existing files.

    Returns
    -------
    tuple of pathlib.Path
        The weight and bias files.

    Raises
    ------
    ValueError
        On an unknown layout, a path not ending in ``.npy``, or filters of different shapes.
    FileExistsError
        If either file exists and ``overwrite`` is false (neither is written).
    ExportError
        If they cannot be written (neither is left behind).
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    path = Path(path)
    if path.suffix.lower() != ".npy":
        raise ValueError(f"a bank array file must end in .npy, got {path.name!r}")
    weight, bias = stack_filters(filters)
    if layout == "keras":
        weight = weights_to_keras(weight)
    bias_path = bias_path_for(path)
    with StagedWrites(overwrite=overwrite) as stage:
        stage.add(path, npy_bytes(weight))
        stage.add(bias_path, npy_bytes(bias))
    return path, bias_path


def _interpretation(shape: tuple[int, ...], layout: str) -> tuple[int, int, int, int]:
    """``(F, C, kH, kW)`` of a 4-D shape read in ``layout``."""
    if layout == "pytorch":
        return shape[0], shape[1], shape[2], shape[3]
    return shape[3], shape[2], shape[0], shape[1]


def detect_layout(shape: Sequence[int], *, bias_length: int | None = None,
                  channels: int | None = None) -> str:
    """Decide the layout of a 4-D weight shape, or refuse when it is ambiguous.

    A layout is possible when the bias length equals its filter count ``F`` and ``channels``
    (if given) equals its slice count ``C``. Nothing else (such as square or odd kernels)
    is assumed.

    Parameters
    ----------
    shape : sequence of int
        The array shape.
    bias_length : int, optional
        Length of the bias vector, if there is one.
    channels : int, optional
        Expected channel slices per filter (input channels / groups).

    Returns
    -------
    str
        ``"pytorch"`` or ``"keras"``.

    Raises
    ------
    AmbiguousLayoutError
        If both layouts fit; the message shows both readings and asks for the layout.
    ValueError
        If the shape is not 4-D or no layout fits the bias length and channels.

    Examples
    --------
    >>> detect_layout((4, 1, 3, 3), channels=1), detect_layout((3, 3, 1, 4), channels=1)
    ('pytorch', 'keras')
    """
    shape = tuple(int(n) for n in shape)
    if len(shape) != 4:
        raise ValueError(f"a bank array must be 4-D, {_LAYOUT_TEXT['pytorch']} or "
                         f"{_LAYOUT_TEXT['keras']}, got shape {shape}")
    fits = []
    for layout in LAYOUTS:
        f, c, _, _ = _interpretation(shape, layout)
        if (bias_length is None or bias_length == f) and (channels is None or channels == c):
            fits.append(layout)
    readings = "; ".join(
        f"{_LAYOUT_TEXT[layout]} gives {f} filter(s) of {c} x {kh} x {kw}"
        for layout in LAYOUTS for f, c, kh, kw in [_interpretation(shape, layout)])
    if len(fits) == 2:
        raise AmbiguousLayoutError(f"the shape {shape} fits both layouts ({readings}); "
                                   "say which layout the file uses")
    if not fits:
        wanted = ", ".join(f"{k} {v}" for k, v in (("bias length", bias_length),
                                                   ("channels", channels)) if v is not None)
        raise ValueError(f"the shape {shape} fits neither layout with {wanted} ({readings})")
    return fits[0]


@dataclass(frozen=True)
class LoadedBank:
    """Filters read from arrays, with the layout used and whether a bias file was found."""

    filters: tuple[Filter, ...]
    layout: str
    bias_file: Path | None


def filters_from_arrays(weight: Any, bias: Any = None, names: Sequence[str] | None = None
                        ) -> tuple[Filter, ...]:
    """Make filters from a PyTorch-layout weight array.

    Parameters
    ----------
    weight : array_like
        ``(F, C, kH, kW)``.
    bias : array_like, optional
        ``(F,)``; zeros by default.
    names : sequence of str, optional
        Filter names; ``filter 1``, ``filter 2``... by default.

    Returns
    -------
    tuple of Filter
        One per ``F``.

    Raises
    ------
    ValueError
        On mismatched shapes or non-finite values.
    """
    w = np.asarray(weight, dtype=np.float32)
    if w.ndim != 4:
        raise ValueError(f"weight must be (F, C, kH, kW), got shape {w.shape}")
    count = w.shape[0]
    b = np.zeros(count, np.float32) if bias is None else np.asarray(bias, dtype=np.float32)
    if b.shape != (count,):
        raise ValueError(f"bias must have shape ({count},) for {count} filters, got {b.shape}")
    names = [f"filter {i + 1}" for i in range(count)] if names is None else list(names)
    if len(names) != count:
        raise ValueError(f"got {len(names)} names for {count} filters")
    return tuple(Filter(names[i], w[i], float(b[i])) for i in range(count))


def load_bank_npy(path: str | os.PathLike[str], layout: str | None = None, *,
                  channels: int | None = None) -> LoadedBank:
    """Read a bank from ``<name>.npy`` (and ``<name>_bias.npy`` if present).

    Parameters
    ----------
    path : str or os.PathLike
        The weight file.
    layout : {"pytorch", "keras"}, optional
        The layout; detected from the shape when omitted (see :func:`detect_layout`).
    channels : int, optional
        Expected channel slices per filter; helps detection.

    Returns
    -------
    LoadedBank
        The filters (``filter 1``...), the layout, and the bias file if one was read.

    Raises
    ------
    AmbiguousLayoutError
        If ``layout`` is omitted and the shape fits both layouts.
    LoadError
        If a file is not a regular file, truncated or corrupt, empty (a zero in its
        shape), or the arrays do not form a bank.
    OSError
        If the weight file cannot be read.
    """
    path = Path(path)
    if layout is not None and layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    weight = read_array(path)
    bias_path = bias_path_for(path)
    bias = read_array(bias_path) if bias_path.exists() else None
    if weight.dtype.kind not in "biuf":
        raise LoadError(path, f"weights must be numbers, got dtype {weight.dtype}")
    if bias is not None and (bias.ndim != 1 or bias.dtype.kind not in "biuf"):
        raise LoadError(bias_path, f"bias must be a 1-D vector of numbers, got shape "
                                   f"{bias.shape} and dtype {bias.dtype}")
    if weight.size == 0:
        raise LoadError(path, f"the bank array is empty (shape {weight.shape}); a bank needs "
                              "at least one filter with at least one 1 x 1 slice")
    bias_length = None if bias is None else len(bias)
    if layout is None:
        try:
            layout = detect_layout(weight.shape, bias_length=bias_length, channels=channels)
        except AmbiguousLayoutError as exc:
            raise AmbiguousLayoutError(f"{path}: {exc}") from None
        except ValueError as exc:
            raise LoadError(path, str(exc)) from None
    if weight.ndim != 4:
        raise LoadError(path, f"a bank array must be 4-D, got shape {weight.shape}")
    torch_weight = weights_from_keras(weight) if layout == "keras" else weight
    try:
        filters = filters_from_arrays(torch_weight, bias)
    except ValueError as exc:
        raise LoadError(path, str(exc)) from None
    return LoadedBank(filters, layout, bias_path if bias is not None else None)
