"""Filter banks as JSON files: the core's pipeline schema, and migrations from older versions.

A bank file is what :func:`workbench.core.to_json` writes (``schema_version`` 1). Older files
are upgraded on load by the functions in :data:`MIGRATIONS`, one version step at a time.

Legacy format, schema version 0 (files written before the schema had a version): a bare JSON
list of filters, each ``{"name": str, "weight": [[...]], "bias": number}``. ``weight`` is a
2-D ``kH x kW`` kernel or a 3-D ``C x kH x kW`` one; ``name`` defaults to ``filter <n>`` and
``bias`` to 0. Every filter must have the same number of slices, 1 (gray input) or 3 (RGB). It
describes one layer with stride 1, no padding, no activation and no pooling::

    [{"name": "Sobel x", "weight": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], "bias": 0}]
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from workbench.core import SCHEMA_VERSION, Pipeline, pipeline_from_dict, to_json
from workbench.io.atomic import write_text
from workbench.io.errors import LoadError, require_regular_file

LEGACY_VERSION = 0
"""The schema version of a bare list of filters."""

MAX_LAYER_INTEGER = 2**31 - 1
"""Largest stride, padding, dilation, groups or pooling value a loaded file may hold."""

CONTENT_ERRORS: tuple[type[Exception], ...] = (ValueError, TypeError, KeyError, IndexError,
                                               OverflowError, RecursionError)
"""What malformed content can raise while it is parsed and validated (deep nesting, numbers
too large for float or int conversion, wrong types the validators did not name)."""


def check_layer_integers(pipeline: Pipeline) -> None:
    """Refuse layer parameters too large to compute with (e.g. a stride of ``2**70``).

    Parameters
    ----------
    pipeline : Pipeline
        A validated pipeline, e.g. just read from a file.

    Raises
    ------
    ValueError
        Naming the layer (1-based) and the parameter over :data:`MAX_LAYER_INTEGER`.
    """
    for number, layer in enumerate(pipeline.layers, 1):
        values: list[tuple[str, Any]] = [
            ("stride", layer.stride), ("padding", layer.padding),
            ("dilation", layer.dilation), ("groups", (layer.groups,)),
            ("pool size", layer.pool.size), ("pool stride", layer.pool.stride or ()),
            ("pool padding", layer.pool.padding)]
        for name, pair in values:
            if isinstance(pair, str):
                continue
            for value in pair:
                if abs(value) > MAX_LAYER_INTEGER:
                    raise ValueError(f"layer {number}: {name} {value} is too large (at most "
                                     f"{MAX_LAYER_INTEGER})")


def pipeline_from_data(data: Any) -> Pipeline:
    """Migrate and validate parsed bank JSON, turning any content problem into ValueError.

    Parameters
    ----------
    data : Any
        Parsed JSON of any supported version.

    Returns
    -------
    Pipeline
        The validated pipeline (layer integers checked by :func:`check_layer_integers`).

    Raises
    ------
    ValueError
        On any invalid content, with a message naming the field when known.
    """
    try:
        pipeline = pipeline_from_dict(migrate(data))
    except ValueError:
        raise
    except RecursionError:
        raise ValueError("the data is nested too deeply") from None
    except OverflowError as exc:
        raise ValueError(f"a number is too large ({exc})") from None
    except CONTENT_ERRORS as exc:
        raise ValueError(f"invalid content ({type(exc).__name__}: {exc})") from None
    check_layer_integers(pipeline)
    return pipeline


def loads_json(text: str | bytes) -> Any:
    """Parse JSON text, turning every failure into a clear ValueError.

    Parameters
    ----------
    text : str or bytes
        The JSON.

    Returns
    -------
    Any
        The parsed data.

    Raises
    ------
    ValueError
        On malformed JSON (with line and column), text that is not UTF-8, or nesting too
        deep to parse.
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc.msg} at line {exc.lineno} column "
                         f"{exc.colno}; it may be truncated") from None
    except UnicodeDecodeError:
        raise ValueError("not a text file (not UTF-8)") from None
    except RecursionError:
        raise ValueError("the JSON is nested too deeply to read") from None


def schema_version_of(data: Any) -> int:
    """Tell which schema version parsed bank JSON has.

    Parameters
    ----------
    data : Any
        Parsed JSON.

    Returns
    -------
    int
        0 for a bare list (legacy), else the ``schema_version`` field.

    Raises
    ------
    ValueError
        If it is neither a list nor an object with an integer ``schema_version``.

    Examples
    --------
    >>> schema_version_of([]), schema_version_of({"schema_version": 1})
    (0, 1)
    """
    if isinstance(data, list):
        return LEGACY_VERSION
    if not isinstance(data, dict):
        raise ValueError("a filter bank must be a JSON object (or, in the legacy format, a "
                         f"list of filters), got {type(data).__name__}")
    version = data.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise ValueError(f"schema_version must be an integer, got {version!r}")
    return version


def _v0_to_v1(data: Any) -> dict[str, Any]:
    """Legacy bare list of filters -> one layer of schema version 1 (core defaults)."""
    filters = []
    depths = set()
    for j, fd in enumerate(data):
        where = f"filter {j + 1}"
        if not isinstance(fd, dict):
            raise ValueError(f"{where}: expected an object with name, weight and bias, "
                             f"got {type(fd).__name__}")
        weight = fd.get("weight")
        if not isinstance(weight, list):
            raise ValueError(f"{where}: weight must be a 2-D or 3-D list of numbers")
        try:
            ndim = np.asarray(weight, dtype=np.float64).ndim
        except (TypeError, ValueError):
            raise ValueError(f"{where}: weight must be a rectangular list of numbers") from None
        if ndim not in (2, 3):
            raise ValueError(f"{where}: weight must be 2-D (kH x kW) or 3-D (C x kH x kW), "
                             f"got {ndim}-D")
        depths.add(1 if ndim == 2 else len(weight))
        filters.append({"name": fd.get("name", f"filter {j + 1}"), "weight": weight,
                        "bias": fd.get("bias", 0.0), "enabled": True})
    if not filters:
        raise ValueError("the legacy filter list is empty")
    if len(depths) != 1 or depths.copy().pop() not in (1, 3):
        raise ValueError("legacy filters must all have 1 (gray) or all 3 (RGB) channel "
                         f"slices, got {sorted(depths)}")
    mode = "gray" if depths.pop() == 1 else "rgb"
    return {"schema_version": 1, "input_mode": mode, "layers": [{"filters": filters}]}


MIGRATIONS: dict[int, Callable[[Any], Any]] = {LEGACY_VERSION: _v0_to_v1}
"""``version -> function`` turning parsed JSON of that version into the next version's."""


def migrate(data: Any) -> dict[str, Any]:
    """Upgrade parsed bank JSON of any known version to the current schema.

    Parameters
    ----------
    data : Any
        Parsed JSON.

    Returns
    -------
    dict
        Data of schema version :data:`workbench.core.SCHEMA_VERSION` (not yet validated;
        :func:`workbench.core.pipeline_from_dict` does that).

    Raises
    ------
    ValueError
        If the version is newer than this program, unknown, or the old data is invalid.

    Examples
    --------
    >>> migrate([{"name": "id", "weight": [[1]]}])["layers"][0]["filters"][0]["name"]
    'id'
    """
    version = schema_version_of(data)
    if version > SCHEMA_VERSION:
        raise ValueError(f"schema_version {version} was written by a newer Conv Workbench "
                         f"(this one reads up to {SCHEMA_VERSION})")
    while version < SCHEMA_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise ValueError(f"schema_version {version} is not supported")
        data = step(data)
        new_version = schema_version_of(data)
        if new_version <= version:
            raise RuntimeError(f"migration from schema_version {version} did not advance")
        version = new_version
    return dict(data)


def parse_bank(text: str | bytes) -> Pipeline:
    """Parse bank JSON of any supported version (e.g. pasted from the clipboard).

    Parameters
    ----------
    text : str or bytes
        The JSON.

    Returns
    -------
    Pipeline
        The bank.

    Raises
    ------
    ValueError
        On malformed JSON (with line and column), JSON nested too deeply, or invalid
        content (naming the field), including numbers too large to use.
    """
    return pipeline_from_data(loads_json(text))


def load_bank(path: str | os.PathLike[str]) -> Pipeline:
    """Read a filter bank JSON file (current or older schema).

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    Pipeline
        The bank, fully validated.

    Raises
    ------
    LoadError
        If the file is not a regular file, not valid JSON (e.g. truncated or nested too
        deeply) or not a valid bank; the message names the file and the problem.
    OSError
        If it cannot be read (missing, permissions).
    """
    require_regular_file(path)
    data = Path(path).read_bytes()
    try:
        return parse_bank(data)
    except ValueError as exc:
        raise LoadError(path, str(exc)) from None


def save_bank(path: str | os.PathLike[str], pipeline: Pipeline, *,
              overwrite: bool = False) -> Path:
    """Write a filter bank as JSON (current schema, exact float32 weights).

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    pipeline : Pipeline
        The bank.
    overwrite : bool, optional
        Replace an existing file.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    FileExistsError
        If the file exists and ``overwrite`` is false.
    ExportError
        If it cannot be written (nothing is left behind).
    """
    return write_text(path, to_json(pipeline) + "\n", overwrite=overwrite)
